"""Content in several languages: the original texts of galleries and assets and their translations."""
from __future__ import annotations

from typing import Any, Mapping

from flask import current_app, has_app_context

from gallery.exceptions import ValidationError
from gallery.i18n.locale import DEFAULT, LANGUAGES
from gallery.i18n.service_messages import N_
from gallery.models import Asset, Gallery
from gallery.services import fields

# The translatable fields of each noun and their longest value (the originals' limits).
GALLERY_FIELDS = ("title", "description")
ASSET_FIELDS = ("title", "caption", "alt_text")
LIMITS = {"title": 300, "description": 20_000, "caption": fields.ASSET_TEXT_LIMITS["caption"],
          "alt_text": fields.ASSET_TEXT_LIMITS["alt_text"]}


def catalogue_language() -> str:
    """A new gallery's language unless told: CATALOGUE_LANGUAGE when it is an interface language."""
    configured = current_app.config.get("CATALOGUE_LANGUAGE", DEFAULT) if has_app_context() else DEFAULT
    return configured if configured in LANGUAGES else DEFAULT


def is_gallery(obj: Gallery | Asset) -> bool:
    """Whether obj is a gallery rather than an asset (a model or a search result's row)."""
    # By its columns: an asset has its gallery's id (search results read rows without the ORM).
    return not hasattr(obj, "gallery_id")


def language_of(obj: Gallery | Asset) -> str:
    """The language obj's original texts are written in: its gallery's."""
    gallery = obj if is_gallery(obj) else obj.gallery
    return (gallery.language if gallery is not None else None) or DEFAULT


def texts(obj: Gallery | Asset, field: str) -> dict[str, str]:
    """Every language's text of field, the original under the gallery's language; empty ones left out."""
    original_lang = language_of(obj)
    out: dict[str, str] = {}
    original = getattr(obj, field) or ""
    if original:
        out[original_lang] = original
    for lang, values in (obj.translations or {}).items():
        # An entry in the original language (left from before the language changed) never hides it.
        if lang != original_lang and lang in LANGUAGES and (values or {}).get(field):
            out[lang] = values[field]
    return out


def text_for(obj: Gallery | Asset, field: str, lang: str) -> tuple[str, str]:
    """The text of field in lang if it exists, else the original; and the language it is in."""
    original_lang = language_of(obj)
    if lang != original_lang:
        translated = ((obj.translations or {}).get(lang) or {}).get(field)
        if translated:
            return translated, lang
    return getattr(obj, field) or "", original_lang


def translation(obj: Gallery | Asset, field: str, lang: str) -> str:
    """The stored translation of field into lang, empty when there is none (edit forms)."""
    if lang == language_of(obj):
        return ""
    return ((obj.translations or {}).get(lang) or {}).get(field) or ""


def check_language(value: Any, field: str = "language") -> str:
    """An interface language code (en, fr, es), else a clear error."""
    code = value.strip().lower() if isinstance(value, str) else value
    if code not in LANGUAGES:
        raise ValidationError(N_("Language must be one of %(languages)s.", languages=", ".join(LANGUAGES)),
                              field=field)
    return code


def split(value: Any, field: str, original_lang: str) -> tuple[str | None, dict[str, str]]:
    """A plain string or a language map ({"en": "...", "fr": "..."}): (original or None, translations).

    The original is None when the map has no entry in the original language (it stays unchanged).
    """
    if not isinstance(value, Mapping):
        return fields.text(value, field, LIMITS[field]), {}
    original: str | None = None
    others: dict[str, str] = {}
    for lang, text in value.items():
        code = check_language(lang, field)
        checked = fields.text(text, field, LIMITS[field])
        if code == original_lang:
            original = checked
        else:
            others[code] = checked
    return original, others


def with_translations(current: Mapping[str, Mapping[str, str]] | None, field: str,
                      values: Mapping[str, str]) -> dict[str, dict[str, str]]:
    """A new translations dict with field set per language (empty removes it); current untouched."""
    # A new object every time: the JSON column sees an assignment, not an in-place change.
    out = {lang: dict(entries) for lang, entries in (current or {}).items()}
    for lang, text in values.items():
        entry = out.setdefault(lang, {})
        if text:
            entry[field] = text
        else:
            entry.pop(field, None)
        if not entry:
            del out[lang]
    return out


def set_translations(obj: Gallery | Asset, field: str, values: Mapping[str, str]) -> bool:
    """Store checked translations of field on obj; True when anything changed."""
    updated = with_translations(obj.translations, field, values)
    if updated == (obj.translations or {}):
        return False
    obj.translations = updated
    return True


def translated_fields(obj: Gallery | Asset) -> dict[str, dict[str, str]]:
    """The translations as the API shows them: {"fr": {"caption": "..."}}, empty fields left out."""
    names = GALLERY_FIELDS if is_gallery(obj) else ASSET_FIELDS
    original_lang = language_of(obj)
    out: dict[str, dict[str, str]] = {}
    for lang in LANGUAGES:
        if lang == original_lang:
            continue
        entry = {name: text for name in names
                 if (text := ((obj.translations or {}).get(lang) or {}).get(name))}
        if entry:
            out[lang] = entry
    return out


def parse(values: Mapping[str, Any], names: tuple[str, ...], original_lang: str,
          current: Mapping[str, Mapping[str, str]] | None) -> tuple[dict[str, Any], dict | None]:
    """Language maps and a `translations` object in form or JSON values: (originals, translations).

    A field may be a plain string (the original) or {"en": "...", "fr": "..."}; `translations`
    is {"fr": {"caption": "..."}}. translations is None when the values carry none.
    """
    originals: dict[str, Any] = {}
    per_lang: dict[str, dict[str, str]] = {}
    given = values.get("translations")
    if given is not None:
        if not isinstance(given, Mapping):
            raise ValidationError("Translations must be an object of languages.", field="translations")
        for lang, entries in given.items():
            code = check_language(lang, "translations")
            if not isinstance(entries, Mapping):
                raise ValidationError("Each language's translations must be an object of fields.",
                                      field="translations")
            for name, text in entries.items():
                if name not in names:
                    raise ValidationError(N_("Unknown field: %(name)s", name=name), field="translations")
                per_lang.setdefault(code, {})[name] = fields.text(text, f"{name}_{code}", LIMITS[name],
                                                                  label=_label(name, code))
    for name in names:
        if isinstance(values.get(name), Mapping):
            original, others = split(values[name], name, original_lang)
            if original is not None:
                originals[name] = original
            for code, text in others.items():
                per_lang.setdefault(code, {})[name] = text
    if not per_lang:
        return originals, None
    updated = {lang: dict(entries) for lang, entries in (current or {}).items()}
    for code, entries in per_lang.items():
        if code == original_lang:  # a translation into the original language is the original,
            # unless the values give the original itself (a form whose language was just changed)
            originals.update({k: v for k, v in entries.items()
                              if k not in originals and not isinstance(values.get(k), str)})
            continue
        for name, text in entries.items():
            updated = with_translations(updated, name, {code: text})
    # Only non-empty texts are kept, so an unchanged form compares equal to what is stored.
    updated = {lang: {k: v for k, v in entries.items() if v} for lang, entries in updated.items()
               if lang != original_lang}
    return originals, {lang: entries for lang, entries in updated.items() if entries}


def _label(name: str, lang: str) -> str:
    return f"{name.replace('_', ' ').capitalize()} ({lang})"


class Localized(str):
    """A text shown on a page with the language it is written in and the page's language."""

    lang: str
    page: str

    def __new__(cls, text: str, lang: str, page: str) -> Localized:
        obj = super().__new__(cls, text)
        obj.lang, obj.page = lang, page
        return obj

    @property
    def foreign(self) -> bool:
        """True when the text is in another language than the page (it needs a lang attribute)."""
        return bool(self) and self.lang != self.page


def localized(obj: Gallery | Asset, field: str, page: str) -> Localized:
    """The text of field for a page in language page: its translation if any, else the original."""
    text, lang = text_for(obj, field, page)
    return Localized(text, lang, page)


def display_title(asset: Asset, page: str) -> Localized:
    """Asset.display_title in the page's language where a translation exists."""
    title = localized(asset, "title", page)
    if title:
        return title
    caption = localized(asset, "caption", page)
    if caption:
        short = caption if len(caption) <= 80 else caption[:77] + "..."
        return Localized(short, caption.lang, page)
    return Localized(asset.numbered_title(), page, page)  # the interface's words


def image_alt(asset: Asset, page: str) -> Localized:
    """The text of an image's alt attribute: alt text, else caption, else title; the page's language first."""
    candidates = [localized(asset, name, page) for name in ("alt_text", "caption")]
    candidates.append(display_title(asset, page))
    for text in candidates:  # a text in the visitor's language beats an original in another
        if text and not text.foreign:
            return text
    return next((text for text in candidates if text), candidates[-1])

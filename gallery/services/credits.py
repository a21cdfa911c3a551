"""What a file says about itself: the credit line and the credits written into downloads and proxies."""
from __future__ import annotations

import datetime as dt
import re
from string import Formatter

from flask import current_app, has_app_context

from gallery.formats.credits import Credits
from gallery.models import Asset
from gallery.services import translations
from gallery.services.rights import of as rights_of

MEDIA_CREDIT = {"image": "Photo", "video": "Video", "audio": "Audio"}
# The settings that shape credits (docs/configuration.md) and the placeholders they may use.
TEMPLATES = {"CREDIT_LINE_FORMAT": "© {organisation} {year} / {creator}",
             "COPYRIGHT_NOTICE": "© {organisation} {year}"}
PLACEHOLDERS = ("organisation", "year", "creator", "credit")


def check_templates(config) -> None:
    """Refuse at startup a credit template with an unknown placeholder or broken braces (ValueError)."""
    for name in TEMPLATES:
        template = config.get(name)
        if not isinstance(template, str) or not template.strip():
            raise ValueError(f"{name} must be a non-empty text, such as {TEMPLATES[name]!r}.")
        try:
            fields = [f for _, f, spec, conv in Formatter().parse(template) if f is not None]
            bad = [f for f in fields if f not in PLACEHOLDERS]
        except ValueError as exc:
            raise ValueError(f"{name} {template!r} cannot be read: {exc} "
                             "(write a literal brace as {{ or }}).") from exc
        if bad:
            raise ValueError(f"{name} {template!r} has the unknown placeholder {{{bad[0]}}}; "
                             f"it may use {', '.join('{' + p + '}' for p in PLACEHOLDERS)}.")


def render(template: str, values: dict[str, str]) -> str:
    """The template filled in: a placeholder with no value (or one the text already says) drops out
    with the punctuation before it, so "© {organisation} {year} / {creator}" never ends in " /"."""
    out = ""
    for literal, name, _spec, _conv in Formatter().parse(template):
        value = (values.get(name) or "").strip() if name is not None else ""
        if name is not None and (not value or value in out):
            if re.search(r"\w", literal):
                out += literal
            continue
        out += literal + value
    return re.sub(r"\s+", " ", out).strip()


def _template(name: str) -> str:
    return current_app.config.get(name, TEMPLATES[name]) if has_app_context() else TEMPLATES[name]


def credit_line(asset: Asset, organisation: str) -> str:
    """A ready-to-paste credit, by CREDIT_LINE_FORMAT: '© Owner 2023 / Creator'."""
    owner = _rights_holder(asset, organisation)
    if asset.creator and asset.creator in owner:
        return owner if owner.startswith("©") else f"© {owner}"  # a complete credit, as the editor wrote it
    return render(_template("CREDIT_LINE_FORMAT"), _values(asset, owner.removeprefix("©").strip(), organisation))


def copyright_notice(asset: Asset, organisation: str) -> str:
    """The copyright written into files: the item's own, else COPYRIGHT_NOTICE filled in."""
    if asset.copyright and asset.copyright.strip():
        return asset.copyright.strip()
    owner = _rights_holder(asset, organisation)
    return render(_template("COPYRIGHT_NOTICE"), _values(asset, owner.removeprefix("©").strip(), organisation))


def _values(asset: Asset, owner: str, organisation: str) -> dict[str, str]:
    year = _year(asset)
    return {"organisation": owner, "year": str(year) if year else "", "creator": asset.creator or "",
            "credit": asset.credit or asset.gallery.credit or organisation}


def caption_line(asset: Asset, organisation: str) -> str:
    """A newsroom caption: 'Caption. City, Country, 14 March 2023. Photo: © Owner 2023 / Creator'."""
    country = asset.country or asset.gallery.country
    place = ", ".join(p for p in (asset.city, country.name if country else "") if p)
    when = asset.date_taken
    dated = f"{when.day} {when:%B %Y}" if when else ""
    parts = [asset.caption.strip().rstrip(".") + "." if asset.caption.strip() else "",
             ", ".join(p for p in (place, dated) if p) + "." if place or dated else "",
             f"{MEDIA_CREDIT[asset.media_type]}: {credit_line(asset, organisation)}"]
    return " ".join(p for p in parts if p)


def credits_for(asset: Asset, organisation: str) -> Credits:
    """What every downloaded file says about itself: caption, credits, rights, keywords and place (city at most)."""
    credit = asset.credit or asset.gallery.credit or organisation
    terms = rights_of(asset)
    country = asset.country or asset.gallery.country
    return Credits(title=asset.title, caption=asset.caption, creator=asset.creator,
                   credit=credit, copyright=copyright_notice(asset, organisation),
                   usage_terms=terms.statement, web_statement=terms.licence_url,
                   keywords=tuple(k for k in (asset.keywords or []) if isinstance(k, str) and k.strip()),
                   city=asset.city or "", country=country.name if country else "",
                   country_code=country.alpha3 if country else "",
                   language=translations.language_of(asset),
                   title_translations=_translated(asset, "title"),
                   caption_translations=_translated(asset, "caption"))


def _translated(asset: Asset, field: str) -> tuple[tuple[str, str], ...]:
    """(language, text) of field's translations, the original left out."""
    original = translations.language_of(asset)
    return tuple((lang, text) for lang, text in translations.texts(asset, field).items()
                 if lang != original)


def _rights_holder(asset: Asset, organisation: str) -> str:
    if asset.copyright:
        text = asset.copyright.strip()
        for prefix in ("(c)", "(C)", "Copyright", "copyright"):
            if text.startswith(prefix):
                text = "©" + text[len(prefix):]
        return text
    return asset.credit or asset.gallery.credit or organisation


def _year(asset: Asset) -> int | None:
    """The year the work was made: taken, else the gallery's date; never the upload's year."""
    when: dt.date | None = asset.date_taken or asset.gallery.date
    return when.year if when else None

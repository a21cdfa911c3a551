"""The Whoosh schema, analyzers and the document made from one asset."""
from __future__ import annotations

import datetime as dt
import os
from functools import lru_cache
from typing import Any

from babel.support import Translations
from whoosh.fields import DATETIME, ID, KEYWORD, TEXT, Schema

from gallery import clock
from gallery.i18n.names import CATEGORY_NAMES, un_name
from gallery.services.search.analysis import LANGUAGES, PLAINS, SHINGLES, STEMS, Counts

# Bumped whenever fields or analysis change: an index built with another version is rebuilt
# by `gallery init` and reported by `gallery check`.
SCHEMA_VERSION = "5"  # 4: French and Spanish fields; 5: keywords in the gallery's language

# Fields a journalist may name in a query ("credit:reuters") and the index field behind each.
QUERY_FIELDS = {"caption": "caption", "title": "title", "credit": "credit", "creator": "creator",
                "keywords": "keywords", "keyword": "keywords", "country": "country",
                "category": "category", "gallery": "gallery", "city": "city", "byline": "byline",
                "photographer": "creator"}
# Query fields that stand for several index fields: byline: is the credit or the photographer.
FIELD_GROUPS = {"byline": ("credit", "creator")}
# Facets and filters: exact values kept in columns so counting never loads documents.
FACETS = ("category", "country", "media_type", "year", "credit")
FACET_FIELDS = {"category": "f_category", "country": "f_country", "media_type": "f_media_type",
                "year": "f_year", "credit": "f_credit"}
SEARCH_FACETS = {name: FACET_FIELDS[name] for name in FACETS}  # what every search counts


# Text fields an unqualified word is looked up in, with the boosts that rank caption and title
# matches first. Each holds only its own text: nothing is indexed twice.
DEFAULT_FIELDS = (("title", 3.0), ("caption", 2.0), ("keywords", 1.5), ("alt", 1.0),
                  ("credit", 1.0), ("creator", 1.0), ("city", 1.0), ("country", 1.0),
                  ("category", 1.0), ("gallery", 1.0))
# Fields whose text has a language (the gallery's, or a translation's; keywords: the gallery's):
# each has one field per language, analysed with that language's rules; the English one keeps
# the plain name. The others (names, places, credits) are analysed as English: mostly proper names.
TRANSLATED = ("title", "caption", "alt", "gallery", "plain", "shingle", "keywords")


def lang_field(name: str, lang: str) -> str:
    """The index field of a text field in one language ("caption", "caption_fr")."""
    return name if lang == "en" else f"{name}_{lang}"


# Not a Whoosh field: a language's text fields summed per word (tables.py), what an unqualified
# word is looked up in.
ANY = "any"


def any_field(lang: str) -> str:
    """The "any" field of a language ("any", "any_fr")."""
    return lang_field(ANY, lang)


def lang_fields(lang: str) -> tuple[tuple[str, float], ...]:
    """(field, boost) of the text fields an unqualified word is looked up in, per language."""
    if lang == "en":
        return DEFAULT_FIELDS
    return tuple((lang_field(f, lang), b) for f, b in DEFAULT_FIELDS if f in TRANSLATED)


def make_schema() -> Schema:
    """The schema of the asset index: text fields, exact facet columns and the id."""
    text = {name: _text(STEMS["en"]) for name, _boost in DEFAULT_FIELDS}
    for lang in LANGUAGES:
        for name in TRANSLATED:
            text[lang_field(name, lang)] = _text(
                PLAINS[lang] if name == "plain" else SHINGLES[lang] if name == "shingle"
                else STEMS[lang])
    return Schema(
        id=ID(stored=True, unique=True),
        **text,  # plain and shingle hold caption and title only: size and speed
        lang=KEYWORD(),  # the languages the asset has text in: a stop word there is no miss
        f_category=ID(sortable=True),
        f_country=ID(sortable=True),
        f_media_type=ID(sortable=True),
        f_year=ID(sortable=True),
        f_credit=ID(sortable=True),
        gallery_id=ID(sortable=True),
        visible=ID(),  # "1": public (unless consent is unknown and PUBLISH_UNKNOWN_CONSENT is off)
        consent=ID(),  # the asset's consent, so unknown follows the setting at query time
        trashed=ID(),  # "1": the asset or its gallery is in the trash (hidden from staff too)
        date=DATETIME(sortable=True),
    )


def _text(analyzer) -> TEXT:
    """A text field without positions (phrases use word pairs), counted in one go."""
    field = TEXT(analyzer=analyzer, phrase=False)
    field.format = Counts(field_boost=1.0)
    return field


def make_document(asset: Any) -> dict[str, Any]:
    """The index document of an asset (ORM row or any object with the same attributes)."""
    gallery = asset.gallery
    category = gallery.category
    country = asset.country or gallery.country
    alpha2 = getattr(country, "alpha2", "") or ""
    # Its UN names in every language too: "Turquie" and "Colombie" find their photos.
    country_words = " ".join(dict.fromkeys(x for x in (
        getattr(country, "name", ""), getattr(country, "official_name", "") or "",
        *((un_name(alpha2, lang) for lang in LANGUAGES) if alpha2 else ()),
        getattr(country, "alpha3", ""), alpha2) if x))
    keywords = " ".join(asset.keywords or [])
    when = asset.date_taken or gallery.date or asset.created_at
    if isinstance(when, dt.date) and not isinstance(when, dt.datetime):
        when = dt.datetime(when.year, when.month, when.day)
    trashed = asset.deleted_at is not None or gallery.deleted_at is not None
    # The same rule as policy.can_view_asset, less the setting: "unknown" is filtered per query.
    # Embargo and expiry as they stand now: the schedule (services/schedule.py) queues the
    # document again when either passes.
    held = [t for t in (getattr(asset, "embargo_until", None), getattr(gallery, "embargo_until", None)) if t]
    expires = getattr(asset, "rights_expire_on", None)
    visible = (not trashed and asset.status == "published" and gallery.status == "published"
               and asset.consent != "withheld" and not any(t > clock.now() for t in held)
               and not (expires is not None and expires <= clock.today()))
    original = getattr(gallery, "language", None) or "en"
    captions = _texts(asset, "caption", original)
    titles = _texts(asset, "title", original)
    alts = _texts(asset, "alt_text", original)
    gtitles = _texts(gallery, "title", original)
    gdescs = _texts(gallery, "description", original)
    langs = {original if original in LANGUAGES else "en"}
    for found in (captions, titles, alts, gtitles, gdescs):
        langs.update(found)
    doc: dict[str, Any] = {
        "id": str(asset.id),
        "lang": " ".join(sorted(langs)),
        # Written in the gallery's language: a French gallery's "inondations" is stemmed as French.
        lang_field("keywords", original if original in LANGUAGES else "en"): keywords,
        "credit": asset.credit or "",
        "creator": asset.creator or "",
        "country": country_words,
        "category": _category_words(category),
        "city": asset.city or "",
        "f_category": category.slug,
        "f_media_type": asset.media_type,
        "gallery_id": str(gallery.id),
        "visible": "1" if visible else "0",
        "consent": asset.consent or "unknown",
        "trashed": "1" if trashed else "0",
    }
    for lang in langs:
        title, caption = titles.get(lang, ""), captions.get(lang, "")
        # Without a title the caption alone: the same words, and its analysis is remembered.
        both = f"{title}\n{caption}" if title else caption
        doc.update({lang_field("title", lang): title, lang_field("caption", lang): caption,
                    lang_field("alt", lang): alts.get(lang, ""), lang_field("plain", lang): both,
                    lang_field("shingle", lang): both,
                    lang_field("gallery", lang): f"{gtitles.get(lang, '')}\n{gdescs.get(lang, '')}"})
    if country is not None:
        doc["f_country"] = country.alpha3
    if asset.credit:
        doc["f_credit"] = asset.credit
    if when is not None:
        doc["date"] = when
        doc["f_year"] = str(when.year)
    return doc


def _texts(obj: Any, field: str, original: str) -> dict[str, str]:
    """Every language's text of a field, the original under the gallery's language.

    translations.texts' rule, read from attributes only so the benchmark's plain objects index
    too; a language the index has no fields for is read as English.
    """
    out: dict[str, str] = {}
    for lang, values in (getattr(obj, "translations", None) or {}).items():
        if lang != original and lang in LANGUAGES and (text := (values or {}).get(field)):
            out[lang] = text
    text = getattr(obj, field, None) or ""
    if text:
        out[original if original in LANGUAGES else "en"] = text
    return out


TRANSLATIONS = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(__file__))),
                            "translations")


@lru_cache(maxsize=None)
def _catalogue(lang: str) -> Translations:
    # Read from the files, not Flask-Babel: indexing runs outside requests (and apps).
    return Translations.load(TRANSLATIONS, [lang])


@lru_cache(maxsize=512)
def _names_of(slug: str, name: str) -> str:
    if CATEGORY_NAMES.get(slug) != name:  # renamed or added by staff: their words only
        return name
    return " ".join(dict.fromkeys([name, *(_catalogue(lang).gettext(name) for lang in LANGUAGES
                                           if lang != "en")]))


def _category_words(category: Any) -> str:
    """A category's name, and a seeded one's French and Spanish names: "Shelter Abris Alojamiento"."""
    return _names_of(category.slug, category.name)

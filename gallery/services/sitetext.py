"""Site texts (terms of use, about, help): Markdown stored in the database, rendered safely.

Each text has an English version of record (its version number is what members accept) and
translations, each valid for the English version it was saved against.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

import markdown
import nh3
from markupsafe import Markup
from sqlalchemy.orm import Session

from gallery.exceptions import NotFound, ValidationError
from gallery.extensions import db
from gallery.i18n.names import N_
from gallery.models import SiteText, SiteTextTranslation, User, utcnow
from gallery.services import activity, fields, unit
from gallery.services.permissions import require_admin
from gallery.services.sitetext_defaults import BUILT_IN

LANGUAGES = ("en", "fr", "es")  # gallery.i18n.locale.LANGUAGES; English is the version of record

KEYS = {"terms": "Terms of use", "about": "About", "help": "Help"}

DEFAULT_TERMS = """\
These terms apply to every photo, video and audio file in this library.

## What you may do

- Use the material **free of charge** to report on, document or raise awareness of humanitarian
  and migration issues, in news, education and non-commercial publications.
- Crop or resize the material, provided the meaning of the content is not changed.

## What you must do

- Credit every item exactly as shown on its page (for example *© Example Relief Agency / A. Photographer*).
- Keep the caption accurate: do not place people in a context that misrepresents them.
- Respect the dignity and safety of the people shown. Material marked **sensitive** may need
  an approval before download.

## What you may not do

- Sell the material, or use it in advertising, political campaigns or fundraising for other
  organisations.
- Alter the content with filters, composites or generative tools.
- Identify children or survivors of trafficking or violence beyond what the caption says.

## Questions

Write to the media team before publishing if you are unsure whether a use is allowed.
The library may withdraw any item at any time; please remove withdrawn material from future uses.
"""

DEFAULT_ABOUT = """\
This is the photo, video and audio library of the organisation: pictures of its work and of the
people it works with, for journalists, partners and the public.

Browse the latest galleries, editors' picks, categories and countries, or search the captions.
Registered users download sized versions and originals, with the credit and caption inside the file.
"""

DEFAULT_HELP = """\
## Finding material

- **Search** looks through titles, captions, keywords, places and credits; accents are optional
  (*Chisinau* finds *Chișinău*). Put words in quotes for a phrase, and narrow the results with
  the filters beside them.
- **Browse** by category, by country, or all photos, videos and audio across galleries.

## Using material

- Copy the credit or the whole caption line with the buttons on each item's page.
- Registered users download items in sized versions or the original, and whole galleries as a zip
  with a `captions.csv`. Some items need an approval first.
- Read the terms of use before publishing anything.
"""

DEFAULTS = {"terms": ("Terms of use", DEFAULT_TERMS)}
# About and Help are shown from these until an admin writes them; unlike the terms they carry no
# acceptance, so they are not seeded as version 1.
SHOWN_DEFAULTS = {**DEFAULTS, "about": ("About", DEFAULT_ABOUT), "help": ("Help", DEFAULT_HELP)}

ALLOWED_TAGS = {"a", "abbr", "blockquote", "br", "code", "em", "h1", "h2", "h3", "h4", "hr", "li",
                "ol", "p", "pre", "strong", "table", "tbody", "td", "th", "thead", "tr", "ul"}
ALLOWED_SCHEMES = {"http", "https", "mailto"}


@dataclass
class Text:
    """A site text ready for a page: title, safe HTML, version."""

    key: str
    title: str
    body: str
    html: Markup
    version: int
    language: str = "en"  # the language the text is in (English when no translation fits)


def render_markdown(body: str) -> Markup:
    """Markdown to HTML: raw HTML in the source is shown as text, and links keep only safe schemes."""
    md = markdown.Markdown(extensions=["tables", "sane_lists"], output_format="html")
    # Raw HTML is switched off in the parser (escaped, not passed through); nh3 then allow-lists
    # tags, attributes and URL schemes as a second line of defence.
    md.preprocessors.deregister("html_block")
    md.inlinePatterns.deregister("html")
    html = md.convert(body or "")
    return Markup(nh3.clean(html, tags=ALLOWED_TAGS,
                            attributes={"a": {"href", "title"}, "abbr": {"title"},
                                        "td": {"align"}, "th": {"align"}},
                            url_schemes=ALLOWED_SCHEMES, link_rel="noopener noreferrer nofollow"))


def get_text(key: str, language: str = "en") -> Text | None:
    """A text in a language: its translation for the current version, else the English text.

    Built-in translations are shown while the English text is the built-in one.
    """
    english = _english_text(key)
    if english is None or language == "en" or language not in LANGUAGES:
        return english
    row = db.session.get(SiteTextTranslation, (key, language))
    if row is not None and row.version == english.version:
        return Text(key, row.title, row.body, render_markdown(row.body), english.version, language)
    built_in = BUILT_IN.get(language, {}).get(key)
    default = SHOWN_DEFAULTS.get(key)
    if row is None and built_in and default and english.body.strip() == default[1].strip():
        title, body = built_in
        return Text(key, title, body, render_markdown(body), english.version, language)
    return english


def _english_text(key: str) -> Text | None:
    """The stored English text for a key, else the built-in default, else None."""
    row = db.session.get(SiteText, key)
    if row is not None:
        return Text(key, row.title, row.body, render_markdown(row.body), row.version)
    if key in SHOWN_DEFAULTS:
        title, body = SHOWN_DEFAULTS[key]
        return Text(key, title, body, render_markdown(body), 1)
    return None


def get_row(key: str, language: str = "en") -> SiteText | SiteTextTranslation | None:
    """The stored row of a text or translation (None until saved); unknown keys are NotFound."""
    if key not in KEYS or language not in LANGUAGES:
        raise NotFound("No such page.")
    if language != "en":
        return db.session.get(SiteTextTranslation, (key, language))
    return db.session.get(SiteText, key)


def terms_version() -> int:
    """The version of the terms in force (1 is the built-in text); members accept again when it rises."""
    row = db.session.get(SiteText, "terms")
    return row.version if row is not None else 1


def seed_defaults(session: Session) -> int:
    """Store the default texts that are missing; returns how many were added."""
    added = 0
    for key, (title, body) in DEFAULTS.items():
        if session.get(SiteText, key) is None:
            session.add(SiteText(key=key, title=title, body=body, version=1))
            added += 1
    session.commit()  # a set-up step on the session it is given (init, fixtures), not a use case
    return added


@unit.use_case
def save_text(key: str, values: Mapping[str, Any], user: User,
              language: str = "en") -> SiteText | SiteTextTranslation:
    """Save a text's title and Markdown body (admins); a changed English body is a new version.

    A translation is saved against the English text's current version and changes no version:
    members accept the version whatever the language they read it in.
    """
    require_admin(user)
    if key not in KEYS or language not in LANGUAGES:
        raise NotFound("No such page.")
    if language != "en":
        return _save_translation(key, language, values, user)
    new_title = fields.text(values.get("title", ""), "title", 200) or KEYS[key]
    body = fields.text(values.get("body", ""), "body", 200_000)
    row = db.session.get(SiteText, key)
    if row is None:
        # Version 1 is the built-in default text, which members may already have accepted.
        default_body = DEFAULTS.get(key, (None, None))[1]
        version = 1 if default_body is None or default_body.strip() == body else 2
        row = SiteText(key=key, title=new_title, body=body, version=version, updated_by_id=user.id)
        db.session.add(row)
    elif row.body == body and row.title == new_title:
        return row
    else:
        if row.body != body:
            row.version += 1
        row.title, row.body = new_title, body
        row.updated_by_id, row.updated_at = user.id, utcnow()
    activity.record(user, "sitetext.save", key=key, version=row.version)
    unit.commit()
    return row


def _save_translation(key: str, language: str, values: Mapping[str, Any],
                      user: User) -> SiteTextTranslation:
    """Store a translation of the English text's current version."""
    body = fields.text(values.get("body", ""), "body", 200_000)
    title = fields.text(values.get("title", ""), "title", 200)
    if not title or not body.strip():
        raise ValidationError(N_("A translation needs a title and a text."),
                              field="body" if title else "title")
    english = _english_text(key)
    version = english.version if english else 1
    row = db.session.get(SiteTextTranslation, (key, language))
    if row is None:
        row = SiteTextTranslation(key=key, language=language)
        db.session.add(row)
    row.title, row.body, row.version = title, body, version
    row.updated_by_id, row.updated_at = user.id, utcnow()
    activity.record(user, "sitetext.translate", key=key, language=language, version=version)
    unit.commit()
    return row

"""Site texts (terms of use, ...) stored as Markdown and rendered to safe HTML."""
from __future__ import annotations

from dataclasses import dataclass

import markdown
import nh3
from markupsafe import Markup
from sqlalchemy.orm import Session

from gallery.extensions import db
from gallery.models import SiteText

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

DEFAULTS = {"terms": ("Terms of use", DEFAULT_TERMS)}

ALLOWED_TAGS = {"a", "abbr", "blockquote", "br", "code", "em", "h2", "h3", "h4", "hr", "li", "ol",
                "p", "pre", "strong", "table", "tbody", "td", "th", "thead", "tr", "ul"}


@dataclass
class Text:
    """A site text ready for a page: title, safe HTML, version."""

    key: str
    title: str
    body: str
    html: Markup
    version: int


def render_markdown(body: str) -> Markup:
    """Markdown to HTML with everything outside a small allowlist removed (raw HTML, scripts, styles)."""
    html = markdown.markdown(body or "", extensions=["tables", "sane_lists"], output_format="html")
    clean = nh3.clean(html, tags=ALLOWED_TAGS, attributes={"a": {"href", "title"}, "abbr": {"title"},
                                                            "td": {"align"}, "th": {"align"}},
                      url_schemes={"http", "https", "mailto"}, link_rel="noopener nofollow")
    return Markup(clean)


def get_text(key: str) -> Text | None:
    """The stored text for a key, else the built-in default, else None."""
    row = db.session.get(SiteText, key)
    if row is not None:
        return Text(key, row.title, row.body, render_markdown(row.body), row.version)
    if key in DEFAULTS:
        title, body = DEFAULTS[key]
        return Text(key, title, body, render_markdown(body), 1)
    return None


def seed_defaults(session: Session) -> int:
    """Store the default texts that are missing; returns how many were added."""
    added = 0
    for key, (title, body) in DEFAULTS.items():
        if session.get(SiteText, key) is None:
            session.add(SiteText(key=key, title=title, body=body, version=1))
            added += 1
    session.commit()
    return added

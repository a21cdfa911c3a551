"""Site texts (terms of use, about, help): Markdown stored in the database, rendered safely."""
from __future__ import annotations

import markdown
import nh3
from markupsafe import Markup

from gallery.extensions import db
from gallery.models import SiteText, User, utcnow
from gallery.services import activity, fields
from gallery.services.errors import NotFound
from gallery.services.guards import commit, require_admin

KEYS = {"terms": "Terms of use", "about": "About", "help": "Help"}
ALLOWED_TAGS = {"p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "a", "em",
                "strong", "code", "pre", "blockquote"}
ALLOWED_SCHEMES = {"http", "https", "mailto"}


def get_text(key: str) -> SiteText | None:
    """The stored text for a key, or None if nobody has written it yet."""
    if key not in KEYS:
        raise NotFound("No such page.")
    return db.session.get(SiteText, key)


def render(body: str) -> Markup:
    """Markdown to HTML: raw HTML in the source is shown as text, and links keep only safe schemes."""
    md = markdown.Markdown(output_format="html")
    # Raw HTML is turned off in the parser itself (it is escaped, not passed through);
    # nh3 then allow-lists tags and URL schemes as a second line of defence.
    md.preprocessors.deregister("html_block")
    md.inlinePatterns.deregister("html")
    html = md.convert(body or "")
    return Markup(nh3.clean(html, tags=ALLOWED_TAGS, attributes={"a": {"href", "title"}},
                            url_schemes=ALLOWED_SCHEMES, link_rel="noopener noreferrer nofollow"))


def rendered(key: str) -> Markup:
    """The text for a key as safe HTML (empty when not written)."""
    text = get_text(key)
    return render(text.body) if text else Markup("")


def title(key: str) -> str:
    """The page title of a text."""
    text = get_text(key)
    return text.title if text and text.title else KEYS[key]


def terms_version() -> int | None:
    """The current version of the terms of use; members accept again when it goes up."""
    text = get_text("terms")
    return text.version if text else None


def save_text(key: str, values: dict, user: User) -> SiteText:
    """Save a text's title and Markdown body; a changed body bumps the version."""
    require_admin(user)
    if key not in KEYS:
        raise NotFound("No such page.")
    new_title = fields.text(values.get("title", KEYS[key]), "title", 200) or KEYS[key]
    body = fields.text(values.get("body", ""), "body", 200_000)
    text = db.session.get(SiteText, key)
    if text is None:
        text = SiteText(key=key, title=new_title, body=body, version=1, updated_by_id=user.id)
        db.session.add(text)
    elif text.body == body and text.title == new_title:
        return text
    else:
        if text.body != body:
            text.version += 1
        text.title, text.body = new_title, body
        text.updated_by_id, text.updated_at = user.id, utcnow()
    activity.record(user, "sitetext.save", key=key, version=text.version)
    commit()
    return text

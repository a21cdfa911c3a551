"""Feeds: the latest public galleries as Atom, for newsrooms' readers and aggregators."""
from __future__ import annotations

from flask import Blueprint, current_app, render_template
from flask_login import AnonymousUserMixin

from gallery import policy
from gallery.services import browsing

bp = Blueprint("feeds", __name__)
FEED_LENGTH = 30


@bp.get("/feed")
def latest():
    """The latest published galleries (what an anonymous visitor sees: never drafts or embargoes)."""
    public = AnonymousUserMixin()  # the feed is the same for everyone, so it may be cached
    page = browsing.list_galleries(public, browsing.Filters(), 1, FEED_LENGTH)
    # A sensitive cover is the blurred thumb, as an anonymous visitor sees it.
    covers = {gid: (a, policy.thumb_size_for(public, a)) for gid, a in browsing.covers(public, page.items).items()}
    body = render_template("feeds/latest.xml", galleries=page.items, covers=covers,
                           organisation=current_app.config["ORGANISATION"])
    return body, 200, {"Content-Type": "application/atom+xml; charset=utf-8",
                       "Cache-Control": "public, max-age=300"}

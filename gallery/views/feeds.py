"""Feeds: the latest public galleries (overall, per category, per country) and any search, as Atom."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import AnonymousUserMixin

from gallery import policy
from gallery.i18n.locale import PREFIX_KEY
from gallery.i18n.names import category_name, country_name
from gallery.services import browsing, search
from gallery.services.search.args import parse_filters, search_args

bp = Blueprint("feeds", __name__)
FEED_LENGTH = 30


def _atom(body: str):
    headers = {"Content-Type": "application/atom+xml; charset=utf-8", "Cache-Control": "public, max-age=300"}
    if PREFIX_KEY not in request.environ:
        # Titles speak the reader's language (cookie or Accept-Language, else English): caches keep them apart.
        headers["Vary"] = "Accept-Language, Cookie"
    return body, 200, headers


def _galleries_feed(title: str, self_url: str, page_url: str, category=None, country=None):
    """A feed of the latest galleries an anonymous visitor sees (never drafts or embargoes)."""
    public = AnonymousUserMixin()  # the feed is the same for everyone, so it may be cached
    filters = browsing.Filters()
    filters.category, filters.country = category, country
    page = browsing.list_galleries(public, filters, 1, FEED_LENGTH)
    # A sensitive cover is the blurred thumb, as an anonymous visitor sees it.
    covers = {gid: (a, policy.thumb_size_for(public, a)) for gid, a in browsing.covers(public, page.items).items()}
    return _atom(render_template("feeds/latest.xml", galleries=page.items, covers=covers,
                                 organisation=current_app.config["ORGANISATION"], feed_title=title,
                                 self_url=self_url, page_url=page_url))


@bp.get("/feed")
def latest():
    """The latest published galleries."""
    return _galleries_feed(_("latest galleries"), url_for("feeds.latest", _external=True),
                           url_for("browse.index", _external=True))


@bp.get("/categories/<slug>/feed")
def category(slug: str):
    """The latest galleries of one category."""
    found = browsing.get_category(slug) or abort(404)
    return _galleries_feed(category_name(found), url_for("feeds.category", slug=found.slug, _external=True),
                           url_for("browse.category", slug=found.slug, _external=True), category=found)


@bp.get("/countries/<code>/feed")
def country(code: str):
    """The latest galleries of one country."""
    found = browsing.get_country(code) or abort(404)
    return _galleries_feed(country_name(found), url_for("feeds.country", code=found.slug, _external=True),
                           url_for("browse.country", code=found.slug, _external=True), country=found)


@bp.get("/categories/<slug>/<code>/feed")
def crossing(slug: str, code: str):
    """The latest galleries of one category in one country."""
    cat = browsing.get_category(slug) or abort(404)
    place = browsing.get_country(code) or abort(404)
    return _galleries_feed(_("%(category)s in %(country)s", category=category_name(cat),
                             country=country_name(place)),
                           url_for("feeds.crossing", slug=cat.slug, code=place.slug, _external=True),
                           url_for("browse.crossing", slug=cat.slug, code=place.slug, _external=True),
                           category=cat, country=place)


@bp.get("/search/feed")
def search_results():
    """The items a search finds added last, as an anonymous visitor finds them (a feed URL is shared)."""
    public = AnonymousUserMixin()
    args = search_args(request.args)
    items = search.newest_added(args.get("q", ""), public, parse_filters(request.args), FEED_LENGTH)
    thumbs = {a.id: policy.thumb_size_for(public, a) for a in items if a.rendition("thumb")}
    return _atom(render_template("feeds/search.xml", q=args.get("q", ""), items=items, thumbs=thumbs,
                                 organisation=current_app.config["ORGANISATION"],
                                 self_url=url_for("feeds.search_results", **args, _external=True),
                                 page_url=url_for("search.results", **args, _external=True)))

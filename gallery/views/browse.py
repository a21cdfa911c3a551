"""Public browse pages: home, gallery lists, category and country pages, galleries, assets, terms."""
from __future__ import annotations

import math

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from flask_login import current_user

from gallery.i18n.locale import current as current_language
from gallery.i18n.names import N_
from gallery.services import browsing, fields, search, sharing, sitetext, zips
from gallery.templating import gallery_url

bp = Blueprint("browse", __name__)

HOME_LATEST = 12
# Labels are msgids (N_): the templates show them in the page's language.
TABS = (("", N_("All")), ("image", N_("Images")), ("video", N_("Videos")), ("audio", N_("Audio")))


def _per_page() -> int:
    return current_app.config["GALLERIES_PER_PAGE"]


def _kept_args() -> dict[str, str]:
    """Query arguments worth keeping across a canonical redirect (never url_for's own keywords)."""
    return {k: v for k, v in request.args.items() if k in ("page", "type")}


def _listing(category=None, country=None) -> dict:
    """Template values of a category, country or crossing page: filters, one page, media tabs."""
    filters = browsing.parse_filters({"type": request.args.get("type", "")})
    filters.category, filters.country = category, country
    page = browsing.list_galleries(current_user, filters, browsing.parse_page(request.args.get("page")),
                                   _per_page())
    return {"filters": filters, "page": page, "tabs": TABS, "covers": _cards(page.items)}


def _cards(galleries) -> dict:
    """Cover assets of every gallery shown on a page, fetched together."""
    return browsing.covers(current_user, galleries)


@bp.get("/")
def index():
    """Home page: search box, editors' picks, latest galleries, categories, media-type tabs."""
    filters = browsing.parse_filters({"type": request.args.get("type", "")})
    picks = browsing.editors_picks(current_user, filters)
    latest = browsing.list_galleries(current_user, filters, 1, HOME_LATEST)
    covers = _cards(picks + latest.items)
    # The share card's picture: the first cover the public may see for real (never a sensitive one).
    card = next((c for g in picks + latest.items if sharing.shareable_asset(c := covers.get(g.id))), None)
    return render_template(
        "browse/index.html", filters=filters, tabs=TABS, picks=picks, latest=latest,
        covers=covers, categories=browsing.category_counts(), card_image=card)


@bp.get("/items")
def items():
    """Items across galleries, newest first: all videos, all audio, what is new this week."""
    media_type = request.args.get("type", "")
    media_type = media_type if media_type in {v for v, _label in TABS if v} else ""
    since = request.args.get("since", "")
    since = since if since in browsing.SINCE else ""
    page = browsing.recent_assets(current_user, media_type or None, browsing.SINCE.get(since),
                                  browsing.parse_page(request.args.get("page")),
                                  current_app.config["ASSETS_PER_PAGE"])
    return render_template("browse/items.html", page=page, tabs=TABS, media_type=media_type,
                           since=since)


@bp.get("/galleries")
def galleries():
    """Every visible gallery, filtered by category, country and media type."""
    filters = browsing.parse_filters(request.args)
    page = browsing.list_galleries(current_user, filters, browsing.parse_page(request.args.get("page")),
                                   _per_page())
    return render_template("browse/galleries.html", filters=filters, page=page, tabs=TABS,
                           covers=_cards(page.items), heading="Galleries")


@bp.get("/categories/<slug>")
def category(slug: str):
    """Galleries of one category, with the countries they cover."""
    found = browsing.get_category(slug) or abort(404)
    if slug != found.slug:
        return redirect(url_for("browse.category", slug=found.slug, **_kept_args()), 301)
    return render_template("browse/category.html", category=found,
                           **_listing(category=found), countries=browsing.country_counts(found))


@bp.get("/countries")
def countries():
    """Countries that have published galleries, with counts."""
    return render_template("browse/countries.html", countries=browsing.country_counts())


@bp.get("/countries/<code>")
def country(code: str):
    """Galleries of one country, with the categories they fall under."""
    found = browsing.get_country(code) or abort(404)
    if code != found.slug:
        return redirect(url_for("browse.country", code=found.slug, **_kept_args()), 301)
    return render_template("browse/country.html", country=found, **_listing(country=found),
                           categories=browsing.categories_in_country(found))


@bp.get("/categories/<slug>/<code>")
def crossing(slug: str, code: str):
    """Galleries of one category in one country (Health in Yemen), with live counts both ways."""
    cat = browsing.get_category(slug) or abort(404)
    place = browsing.get_country(code) or abort(404)
    if slug != cat.slug or code != place.slug:
        return redirect(url_for("browse.crossing", slug=cat.slug, code=place.slug, **_kept_args()), 301)
    return render_template("browse/crossing.html", category=cat, country=place,
                           **_listing(category=cat, country=place),
                           countries=browsing.country_counts(cat),
                           categories=browsing.categories_in_country(place))


@bp.get("/galleries/<gallery_ref>")
def gallery(gallery_ref: str):
    """One gallery: its details and a paginated grid of thumbnails."""
    gid, _, slug = gallery_ref.partition("-")
    number = fields.as_id(gid) if gid.isdigit() else None
    found = (number and browsing.get_gallery(current_user, number)) or abort(404)
    if slug != found.slug:
        return redirect(gallery_url(found, **_kept_args()), 301)
    page = browsing.gallery_assets(current_user, found, browsing.parse_page(request.args.get("page")),
                                   current_app.config["ASSETS_PER_PAGE"])
    zip_parts = zips.whole_gallery_parts(page.total, current_app.config["MAX_ZIP_DOWNLOAD_FILES"])
    related = browsing.related_galleries(current_user, found)
    return render_template("browse/gallery.html", gallery=found, page=page, zip_parts=zip_parts,
                           related=related, covers=_cards(related))


@bp.get("/assets/<int:asset_id>")
def asset(asset_id: int):
    """One asset: preview, caption, credit, metadata, previous / next within its gallery."""
    found = browsing.get_asset(current_user, asset_id) or abort(404)
    prev, nxt = browsing.neighbours(current_user, found)
    index = browsing.asset_index(current_user, found)
    gallery_page = math.ceil(index / current_app.config["ASSETS_PER_PAGE"])
    return render_template("browse/asset.html", asset=found, gallery=found.gallery, prev=prev,
                           next=nxt, index=index, gallery_page=gallery_page,
                           heading=browsing.heading(found, index, current_language()),
                           total=browsing.visible_count(current_user, found.gallery))


@bp.get("/terms")
def terms():
    """The terms of use."""
    text = sitetext.get_text("terms", current_language()) or abort(404)
    return render_template("browse/site_text.html", text=text)


@bp.get("/about")
def about():
    """About this library (a site text admins edit)."""
    return render_template("browse/site_text.html", text=sitetext.get_text("about", current_language()))


@bp.get("/help")
def help_page():
    """How to find and use material (a site text admins edit)."""
    return render_template("browse/site_text.html", text=sitetext.get_text("help", current_language()))


@bp.get("/healthz")
def healthz():
    """A trivial health check for load balancers and benchmarks (no database)."""
    return {"status": "ok"}


@bp.get("/readyz")
def readyz():
    """Readiness for load balancers: 503 while this server's search index is missing or too far behind."""
    state = search.readiness()
    return state.as_json(), 200 if state.ready else 503

"""Read-only JSON API under /api/: galleries, assets, categories, countries."""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request
from flask_login import current_user

from gallery.exceptions import NotFound
from gallery.serializers import (
    asset_json,
    category_json,
    country_json,
    gallery_json,
    pagination_json,
)
from gallery.services import browsing

bp = Blueprint("api", __name__, url_prefix="/api")


def _paging(default_key: str) -> tuple[int, int]:
    """page and per_page from the query string; bad values are a 400 naming the field."""
    page = browsing.parse_page(request.args.get("page"), strict=True)
    per_page = browsing.parse_per_page(request.args.get("per_page"),
                                       current_app.config[default_key],
                                       current_app.config["API_MAX_PER_PAGE"])
    return page, per_page


@bp.get("/galleries")
def galleries():
    """Visible galleries, filtered by category, country and type, newest first."""
    filters = browsing.parse_filters(request.args, strict=True)
    page_no, per_page = _paging("GALLERIES_PER_PAGE")
    page = browsing.list_galleries(current_user, filters, page_no, per_page)
    covers = browsing.covers(current_user, page.items)
    return jsonify({"galleries": [gallery_json(g, covers.get(g.id)) for g in page.items],
                    "pagination": pagination_json(page)})


@bp.get("/galleries/<int:gallery_id>")
def gallery(gallery_id: int):
    """One gallery with a page of its assets."""
    found = browsing.get_gallery(current_user, gallery_id)
    if found is None:
        raise NotFound("No such gallery.")
    page_no, per_page = _paging("ASSETS_PER_PAGE")
    page = browsing.gallery_assets(current_user, found, page_no, per_page)
    cover = browsing.covers(current_user, [found]).get(found.id)
    return jsonify({"gallery": gallery_json(found, cover),
                    "assets": [asset_json(a) for a in page.items],
                    "pagination": pagination_json(page)})


@bp.get("/assets/<int:asset_id>")
def asset(asset_id: int):
    """One asset with its metadata and public renditions."""
    found = browsing.get_asset(current_user, asset_id)
    if found is None:
        raise NotFound("No such asset.")
    return jsonify({"asset": asset_json(found)})


@bp.get("/categories")
def categories():
    """Every category with its number of published galleries."""
    return jsonify({"categories": [category_json(c, n) for c, n in browsing.category_counts()]})


@bp.get("/countries")
def countries():
    """Countries that have published galleries, with counts."""
    return jsonify({"countries": [country_json(c, n) for c, n in browsing.country_counts()]})

"""oEmbed and embed pages: public assets and galleries shown inside other sites (framing allowed here only)."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, jsonify, render_template, request
from flask_login import AnonymousUserMixin

from gallery import policy
from gallery.errors import error_response
from gallery.services import browsing, sharing

bp = Blueprint("embed", __name__)
EMBED_ITEMS = 12  # thumbnails an embedded gallery shows


@bp.get("/oembed")
def oembed():
    """oEmbed 1.0 (JSON) for the URL of a public asset or gallery page; anything else is 404."""
    if request.args.get("format", "json") != "json":
        # oEmbed suggests 501 here; a request's fault is a 4xx in this app (5xx means ours).
        return error_response(400, "Only format=json is offered.", "format")
    url = request.args.get("url", "")
    path = sharing.same_site(url, request.host_url) if len(url) <= 2000 else None
    item = sharing.oembed_target(path) if path else None
    if item is None:
        return error_response(404, "No public photo, video, audio or gallery at that URL.")
    limits = [_limit(request.args.get(k)) for k in ("maxwidth", "maxheight")]
    response = jsonify(sharing.oembed(item, *limits))
    response.headers["Cache-Control"] = "public, max-age=3600"
    response.headers["Access-Control-Allow-Origin"] = "*"  # consumers may fetch it from a browser
    return response


@bp.get("/embed/assets/<int:asset_id>")
def asset(asset_id: int):
    """A public asset with its credit, small enough for another site's iframe."""
    found = browsing.get_asset(AnonymousUserMixin(), asset_id)
    if not sharing.shareable_asset(found):
        abort(404)
    return render_template("embed/asset.html", asset=found)


@bp.get("/embed/galleries/<int:gallery_id>")
def gallery(gallery_id: int):
    """A public gallery's first items with its credit, for another site's iframe."""
    public = AnonymousUserMixin()
    found = browsing.get_gallery(public, gallery_id)
    if not sharing.shareable_gallery(found):
        abort(404)
    page = browsing.gallery_assets(public, found, 1, EMBED_ITEMS)
    thumbs = {a.id: policy.thumb_size_for(public, a) for a in page.items if a.rendition("thumb")}
    return render_template("embed/gallery.html", gallery=found, page=page, thumbs=thumbs,
                           organisation=current_app.config["ORGANISATION"])


def _limit(value: str | None) -> int | None:
    """A maxwidth / maxheight: a positive whole number of pixels, else no limit."""
    value = (value or "").strip()
    if not (value.isascii() and value.isdigit()) or len(value) > 5:
        return None
    return int(value) or None


@bp.app_template_global()
def shareable(item) -> bool:
    """Whether share cards, JSON-LD, oEmbed and the Embed snippet may show this asset or gallery."""
    from gallery.models import Asset

    return sharing.shareable_asset(item) if isinstance(item, Asset) else sharing.shareable_gallery(item)


@bp.app_template_global()
def json_ld(item, assets=()):
    """The schema.org JSON-LD of an asset (or of a gallery and its listed items), safe in <script>."""
    from gallery.models import Asset

    data = sharing.asset_jsonld(item) if isinstance(item, Asset) else sharing.gallery_jsonld(item, assets)
    return sharing.script_json(data) if data else None


@bp.app_template_global()
def embed_snippet(item):
    """The iframe snippet of a public asset or gallery, or None."""
    return sharing.embed_snippet(item)

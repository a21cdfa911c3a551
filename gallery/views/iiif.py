"""IIIF: the Image API 3.0 (info.json and tiles) and the Presentation API 3.0 (manifests, collection)."""
from __future__ import annotations

import json

from flask import Blueprint, Response, current_app, redirect, request, url_for
from flask_login import current_user

from gallery import policy
from gallery.errors import error_response
from gallery.exceptions import NotFound
from gallery.extensions import db
from gallery.formats.iiif_image import IIIFError
from gallery.models import Asset
from gallery.services import browsing, iiif, iiif_manifest, storage

bp = Blueprint("iiif", __name__, url_prefix="/iiif/3")

JSONLD = 'application/ld+json;profile="http://iiif.io/api/image/3/context.json"'
PRESENTATION_JSONLD = 'application/ld+json;profile="http://iiif.io/api/presentation/3/context.json"'


@bp.get("/<int:asset_id>")
def base(asset_id: int):
    """The image's base URI redirects to its info.json (as the Image API asks)."""
    return redirect(url_for("iiif.info", asset_id=asset_id), 303)


@bp.get("/<int:asset_id>/info.json")
def info(asset_id: int):
    """An image's info.json, sized for what this viewer may zoom to."""
    asset, edge = _image(asset_id)
    if asset is None:
        return _error(404, "No image with this identifier.")
    body = iiif.info(asset, edge, url_for("iiif.base", asset_id=asset_id, _external=True))
    jsonld = request.accept_mimetypes.best_match(["application/json", "application/ld+json"]) == "application/ld+json"
    response = _json(body, JSONLD if jsonld else "application/json")
    return _cached(response, public=policy.iiif_edge(None, asset) == edge)


@bp.get("/<int:asset_id>/<region>/<size>/<rotation>/<quality_format>")
def image(asset_id: int, region: str, size: str, rotation: str, quality_format: str):
    """A region of an image at a size, rotation, quality and format: made once, then from the cache."""
    asset, edge = _image(asset_id)
    if asset is None:
        return _error(404, "No image with this identifier.")
    try:
        spec = iiif.parse(asset, edge, region, size, rotation, quality_format)
    except IIIFError as exc:
        return _error(400, str(exc))
    try:
        key = iiif.ensure_tile(asset, edge, spec)
    except NotFound as exc:
        return _error(404, exc.message)
    response = storage.send(key, spec.mimetype)
    response.headers["Link"] = f'<{url_for("iiif.base", asset_id=asset_id, _external=True)}/{spec.canonical}>;rel="canonical"'
    if storage.is_redirect(response):
        return response  # a presigned URL: private, never kept by a shared cache
    return _cached(response, public=policy.iiif_edge(None, asset) == edge)


@bp.get("/galleries/<int:gallery_id>/manifest.json")
def manifest(gallery_id: int):
    """A gallery as a IIIF Presentation 3 manifest: a canvas per item this visitor may see."""
    found = browsing.get_gallery(current_user, gallery_id)
    if found is None:
        return _error(404, "No gallery with this identifier.")
    body = iiif_manifest.gallery_manifest(current_user, found)
    if not body["items"]:  # Presentation 3 requires at least one canvas
        return _error(404, "This gallery has nothing you may see yet.")
    return _cached(_json(body, _presentation_type()), public=not policy.is_authenticated(current_user))


@bp.get("/collection.json")
def collection():
    """Every public gallery as a IIIF Presentation 3 collection of manifests."""
    body = iiif_manifest.collection()
    return _cached(_json(body, _presentation_type()), public=True)


@bp.after_request
def preflight(response: Response) -> Response:
    """Answer CORS preflights: a viewer asking for JSON-LD by its profile sends one."""
    if request.method == "OPTIONS":
        response.headers["Access-Control-Allow-Origin"] = "*"
        response.headers["Access-Control-Allow-Methods"] = "GET, HEAD, OPTIONS"
        response.headers["Access-Control-Allow-Headers"] = "Accept, Accept-Language, Content-Type"
        response.headers["Access-Control-Max-Age"] = "86400"
    return response


def _image(asset_id: int) -> tuple[Asset | None, int]:
    """The asset and the long edge this viewer may have of it, or (None, 0): not served."""
    asset = db.session.get(Asset, asset_id)
    edge = policy.iiif_edge(current_user, asset)
    return (asset, edge) if edge else (None, 0)


def _presentation_type() -> str:
    """JSON-LD with the Presentation 3 profile when the client asks for it, else plain JSON."""
    wanted = request.accept_mimetypes.best_match(["application/json", "application/ld+json"])
    return PRESENTATION_JSONLD if wanted == "application/ld+json" else "application/json"


def _json(body: dict, mimetype: str) -> Response:
    """A JSON document with its media type (IIIF's own, not Flask's jsonify)."""
    return Response(json.dumps(body, ensure_ascii=False, indent=1), mimetype=mimetype)


def _cached(response: Response, public: bool) -> Response:
    """Public answers: any origin, kept by caches but checked each time (visibility can change)."""
    if public:
        response.headers["Access-Control-Allow-Origin"] = "*"
        response.headers["Cache-Control"] = "public, no-cache"
    else:
        response.headers["Cache-Control"] = "private, no-store"
        response.headers["Vary"] = "Cookie"
    return response


def _error(status: int, message: str):
    """A IIIF error as JSON, readable by a viewer on another site."""
    response = current_app.make_response(error_response(status, message, as_json=True))
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response

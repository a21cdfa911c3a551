"""JSON upload for editors: POST /api/galleries/<id>/assets with a file and optional fields."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, g, jsonify, request, url_for
from flask_login import current_user
from flask_wtf.csrf import CSRFError, validate_csrf
from wtforms import ValidationError as CSRFValidationError

from gallery.errors import error_response
from gallery.extensions import csrf, db
from gallery.models import Asset, Gallery
from gallery.services import ingest
from gallery.templating import asset_url, rendition_url

bp = Blueprint("api_ingest", __name__, url_prefix="/api")

FIELDS = ("caption", "title", "credit", "creator", "copyright", "keywords", "city", "country",
          "date_taken", "alt_text", "status")


@bp.post("/galleries/<int:gallery_id>/assets")
@csrf.exempt  # checked below, after authentication, so anonymous callers get 401, not a CSRF error
def create_asset(gallery_id: int):
    """Add one file to a gallery: 201 with the asset, 409 for a duplicate, 4xx naming the problem."""
    if not current_user.is_authenticated:
        abort(401)
    if not current_user.is_staff:
        abort(403)
    _check_csrf()
    gallery = db.session.get(Gallery, gallery_id)
    if gallery is None or gallery.deleted_at is not None:
        return error_response(404, "No such gallery.")
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return error_response(400, "Send the file in a multipart field named 'file'.", "file")
    fields = {key: request.form[key] for key in FIELDS if key in request.form}
    try:
        result = ingest.ingest(gallery, upload.stream, upload.filename, fields,
                                  current_user._get_current_object())
    finally:
        upload.close()
    if result.status == "accepted":
        response = jsonify(asset_json(result.asset))
        response.headers["Location"] = asset_url(result.asset)
        return response, 201
    if result.status == "duplicate":
        body = {"error": {"status": 409, "message": result.reason, "field": "file",
                          "existing_id": result.existing_id,
                          "existing_url": url_for("browse.asset", asset_id=result.existing_id)}}
        return jsonify(body), 409
    return error_response(result.error_status or 400, result.reason, result.error_field or "file")


def asset_json(asset: Asset) -> dict:
    """An asset as the API shows it to staff."""
    return {
        "id": asset.id, "gallery_id": asset.gallery_id, "media_type": asset.media_type,
        "mime_type": asset.mime_type, "original_filename": asset.original_filename,
        "sha256": asset.sha256, "bytes": asset.bytes, "width": asset.width, "height": asset.height,
        "duration": asset.duration, "title": asset.title, "caption": asset.caption,
        "alt_text": asset.alt_text, "credit": asset.credit, "creator": asset.creator,
        "copyright": asset.copyright, "keywords": asset.keywords, "city": asset.city,
        "country": asset.country_code,
        "date_taken": asset.date_taken.isoformat() if asset.date_taken else None,
        "status": asset.status, "url": asset_url(asset),
        "renditions": {r.size: {"url": rendition_url(asset, r.size), "width": r.width,
                                "height": r.height} for r in asset.renditions},
    }


def _check_csrf() -> None:
    """Session-authenticated requests carry X-CSRFToken; token requests (Authorization) do not."""
    if not current_app.config.get("WTF_CSRF_ENABLED", True) or "api_token_id" in g:
        # A bearer token authenticated it: browsers cannot send one cross-site. Any Authorization
        # header is not enough: a browser resends a proxy's Basic credentials on its own.
        return
    try:
        validate_csrf(request.headers.get("X-CSRFToken") or request.form.get("csrf_token"))
    except CSRFValidationError as exc:
        raise CSRFError(str(exc)) from exc

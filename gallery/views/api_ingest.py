"""JSON upload for editors: POST /api/galleries/<id>/assets with a file and optional fields."""
from __future__ import annotations

import json

from flask import Blueprint, jsonify, request, url_for
from flask_login import current_user

from gallery.errors import error_response
from gallery.extensions import db
from gallery.models import Gallery
from gallery.serializers import asset_json
from gallery.services import ingest
from gallery.views.access import staff_required

bp = Blueprint("api_ingest", __name__, url_prefix="/api")

FIELDS = ("caption", "title", "credit", "creator", "copyright", "keywords", "city", "country",
          "date_taken", "alt_text", "status")


@bp.post("/galleries/<int:gallery_id>/assets")
@staff_required
def create_asset(gallery_id: int):
    """Add one file to a gallery: 201 with the asset, 409 for a duplicate, 4xx naming the problem."""
    gallery = db.session.get(Gallery, gallery_id)
    if gallery is None or gallery.deleted_at is not None:
        return error_response(404, "No such gallery.")
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return error_response(400, "Send the file in a multipart field named 'file'.", "file")
    fields: dict = {key: request.form[key] for key in FIELDS if key in request.form}
    if request.form.get("translations"):
        try:
            fields["translations"] = json.loads(request.form["translations"])
        except ValueError:
            return error_response(400, "translations must be a JSON object of languages.",
                                  "translations")
    try:
        result = ingest.ingest(gallery, upload.stream, upload.filename, fields,
                                  current_user._get_current_object())
    finally:
        upload.close()
    if result.status == "accepted":
        body = asset_json(result.asset, editor=True)
        response = jsonify(body)
        response.headers["Location"] = body["url"]
        return response, 201
    if result.status == "duplicate":
        return error_response(409, result.reason, "file", existing_id=result.existing_id,
                              existing_url=url_for("browse.asset", asset_id=result.existing_id,
                                                   _external=True))
    return error_response(result.error_status or 400, result.reason, result.error_field or "file")

"""The editor API: JSON over the same editorial services as the manage pages."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, request, url_for
from flask_login import current_user

from gallery.exceptions import NotFound, ValidationError
from gallery.models import Gallery
from gallery.openapi import document
from gallery.serializers import asset_json, gallery_json
from gallery.services import assets, fields, galleries, trash
from gallery.services.assets import load_asset
from gallery.services.galleries import load_gallery
from gallery.views.access import staff_required

bp = Blueprint("api_editor", __name__, url_prefix="/api")


def json_body() -> dict[str, Any]:
    """The request's JSON object, or a 400 naming the body."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ValidationError("Send a JSON object with Content-Type: application/json.", field="body")
    return body


@bp.post("/galleries")
@staff_required
def create_gallery():
    """Create a gallery."""
    gallery = galleries.create_gallery(json_body(), current_user)
    response = jsonify(_gallery_json(gallery))
    response.headers["Location"] = url_for("api_editor.update_gallery", gallery_id=gallery.id)
    return response, 201


@bp.patch("/galleries/<int:gallery_id>")
@staff_required
def update_gallery(gallery_id: int):
    """Change a gallery's fields, status, editors' pick or cover."""
    return jsonify(_gallery_json(galleries.update_gallery(gallery_id, json_body(), current_user)))


@bp.delete("/galleries/<int:gallery_id>")
@staff_required
def delete_gallery(gallery_id: int):
    """Move a gallery to the trash."""
    trash.trash_gallery(gallery_id, current_user)
    return "", 204


@bp.post("/galleries/<int:gallery_id>/order")
@staff_required
def order_gallery(gallery_id: int):
    """Set the order of a gallery's assets."""
    body = json_body()
    return jsonify({"order": galleries.reorder(gallery_id, body.get("order"), current_user)})


@bp.post("/galleries/<int:gallery_id>/arrange")
@staff_required
def arrange(gallery_id: int):
    """Put some assets in the given order (or by name or date), in the positions they hold."""
    body = json_body()
    ids = galleries.arrange(gallery_id, body.get("ids"), body.get("order"), current_user)
    return jsonify({"ids": ids})


@bp.patch("/assets/<int:asset_id>")
@staff_required
def update_asset(asset_id: int):
    """Change an asset's fields; `gallery_id` moves it to another gallery."""
    body = json_body()
    target = body.pop("gallery_id", None)
    if target is not None:  # checked first, so a bad target changes nothing
        target = fields.integer(target, "gallery_id", minimum=1)
        try:
            load_gallery(target)
        except NotFound as exc:
            raise ValidationError("No such gallery to move to.", field="gallery_id") from exc
    if body:
        assets.update_asset(asset_id, body, current_user)
    if target is not None and target != load_asset(asset_id).gallery_id:
        assets.move_asset(asset_id, target, current_user)
    return jsonify(asset_json(load_asset(asset_id), editor=True))


@bp.delete("/assets/<int:asset_id>")
@staff_required
def delete_asset(asset_id: int):
    """Move an asset to the trash."""
    trash.trash_asset(asset_id, current_user)
    return "", 204


@bp.get("/openapi.json")
def openapi():
    """The OpenAPI 3.1 document of every /api route."""
    return jsonify(document())



def _gallery_json(found: Gallery) -> dict[str, Any]:
    """A gallery as the editor API answers it: the shared shape with the cover choice."""
    return gallery_json(found, found.cover_asset, editor=True)

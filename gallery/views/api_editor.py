"""The editor API: JSON over the same editorial services as the manage pages."""
from __future__ import annotations

from functools import wraps
from typing import Any

from flask import Blueprint, jsonify, request, url_for
from flask_login import current_user

from gallery import policy, serializers
from gallery.errors import error_response
from gallery.exceptions import NotFound, ValidationError
from gallery.models import Asset, Gallery
from gallery.services import assets, fields, galleries, trash
from gallery.services.assets import load_asset
from gallery.services.galleries import load_gallery

bp = Blueprint("api_editor", __name__, url_prefix="/api")


def staff_api(view):
    """401 without credentials, 403 for members; editors and admins pass."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_authenticated:
            response, status = error_response(401, "Log in, or send Authorization: Bearer <token>.")
            response.headers["WWW-Authenticate"] = 'Bearer realm="gallery"'
            return response, status
        if not policy.is_staff(current_user):
            return error_response(403, "The editor API is for editors and admins.")
        return view(*args, **kwargs)

    return wrapped


def json_body() -> dict[str, Any]:
    """The request's JSON object, or a 400 naming the body."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ValidationError("Send a JSON object with Content-Type: application/json.", field="body")
    return body


@bp.post("/galleries")
@staff_api
def create_gallery():
    """Create a gallery."""
    gallery = galleries.create_gallery(json_body(), current_user)
    response = jsonify(gallery_json(gallery))
    response.headers["Location"] = url_for("api_editor.update_gallery", gallery_id=gallery.id)
    return response, 201


@bp.patch("/galleries/<int:gallery_id>")
@staff_api
def update_gallery(gallery_id: int):
    """Change a gallery's fields, status, editors' pick or cover."""
    return jsonify(gallery_json(galleries.update_gallery(gallery_id, json_body(), current_user)))


@bp.delete("/galleries/<int:gallery_id>")
@staff_api
def delete_gallery(gallery_id: int):
    """Move a gallery to the trash."""
    trash.trash_gallery(gallery_id, current_user)
    return "", 204


@bp.post("/galleries/<int:gallery_id>/order")
@staff_api
def order_gallery(gallery_id: int):
    """Set the order of a gallery's assets."""
    body = json_body()
    return jsonify({"order": galleries.reorder(gallery_id, body.get("order"), current_user)})


@bp.patch("/assets/<int:asset_id>")
@staff_api
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
    return jsonify(asset_json(load_asset(asset_id)))


@bp.delete("/assets/<int:asset_id>")
@staff_api
def delete_asset(asset_id: int):
    """Move an asset to the trash."""
    trash.trash_asset(asset_id, current_user)
    return "", 204


@bp.get("/openapi.json")
def openapi():
    """The OpenAPI 3.1 document of every /api route."""
    from gallery.openapi import document

    return jsonify(document())


def gallery_json(g: Gallery) -> dict[str, Any]:
    """A gallery in the shared API shape, plus the editorial cover choice."""
    return {**serializers.gallery_json(g, g.cover_asset), "cover_asset_id": g.cover_asset_id}


def asset_json(a: Asset) -> dict[str, Any]:
    """An asset in the shared API shape, plus the fields only staff see."""
    return {**serializers.asset_json(a), "consent": a.consent,
            "original_filename": a.original_filename}

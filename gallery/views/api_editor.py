"""The editor API: JSON over the same editorial services as the manage pages."""
from __future__ import annotations

from functools import wraps
from typing import Any

from flask import Blueprint, jsonify, request, url_for
from flask_login import current_user

from gallery import policy
from gallery.errors import error_response
from gallery.models import Asset, Gallery
from gallery.services import editorial, fields
from gallery.services.errors import NotFound, ValidationError
from gallery.services.guards import load_asset, load_gallery

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
    gallery = editorial.create_gallery(json_body(), current_user)
    response = jsonify(gallery_json(gallery))
    response.headers["Location"] = url_for("api_editor.update_gallery", gallery_id=gallery.id)
    return response, 201


@bp.patch("/galleries/<int:gallery_id>")
@staff_api
def update_gallery(gallery_id: int):
    """Change a gallery's fields, status, editors' pick or cover."""
    return jsonify(gallery_json(editorial.update_gallery(gallery_id, json_body(), current_user)))


@bp.delete("/galleries/<int:gallery_id>")
@staff_api
def delete_gallery(gallery_id: int):
    """Move a gallery to the trash."""
    editorial.trash_gallery(gallery_id, current_user)
    return "", 204


@bp.post("/galleries/<int:gallery_id>/order")
@staff_api
def order_gallery(gallery_id: int):
    """Set the order of a gallery's assets."""
    body = json_body()
    return jsonify({"order": editorial.reorder(gallery_id, body.get("order"), current_user)})


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
        editorial.update_asset(asset_id, body, current_user)
    if target is not None and target != load_asset(asset_id).gallery_id:
        editorial.move_asset(asset_id, target, current_user)
    return jsonify(asset_json(load_asset(asset_id)))


@bp.delete("/assets/<int:asset_id>")
@staff_api
def delete_asset(asset_id: int):
    """Move an asset to the trash."""
    editorial.trash_asset(asset_id, current_user)
    return "", 204


@bp.get("/openapi.json")
def openapi():
    """The OpenAPI 3.1 document of every /api route."""
    from gallery.openapi import document

    return jsonify(document())


def _date(value) -> str | None:
    return value.isoformat() if value is not None else None


def gallery_json(g: Gallery) -> dict[str, Any]:
    """A gallery as the editor API returns it (staff see drafts and editorial fields)."""
    return {
        "id": g.id, "title": g.title, "slug": g.slug, "description": g.description,
        "credit": g.credit,
        "category": {"id": g.category.id, "name": g.category.name, "slug": g.category.slug},
        "country": {"code": g.country.alpha3, "name": g.country.name} if g.country else None,
        "date": _date(g.date), "status": g.status, "editors_pick": bool(g.editors_pick),
        "pick_position": g.pick_position, "cover_asset_id": g.cover_asset_id,
        "counts": {"image": g.image_count, "video": g.video_count, "audio": g.audio_count},
        "created_at": _date(g.created_at), "updated_at": _date(g.updated_at),
        "url": url_for("browse.gallery", gallery_ref=f"{g.id}-{g.slug}", _external=True),
    }


def asset_json(a: Asset) -> dict[str, Any]:
    """An asset as the editor API returns it."""
    return {
        "id": a.id, "gallery_id": a.gallery_id, "position": a.position, "media_type": a.media_type,
        "original_filename": a.original_filename, "mime_type": a.mime_type, "bytes": a.bytes,
        "width": a.width, "height": a.height, "duration": a.duration, "title": a.title,
        "caption": a.caption, "alt_text": a.alt_text, "credit": a.credit, "creator": a.creator,
        "copyright": a.copyright, "keywords": list(a.keywords or []), "city": a.city,
        "country": {"code": a.country.alpha3, "name": a.country.name} if a.country else None,
        "date_taken": _date(a.date_taken), "status": a.status, "consent": a.consent,
        "sensitive": bool(a.sensitive), "created_at": _date(a.created_at),
        "updated_at": _date(a.updated_at),
        "url": url_for("browse.asset", asset_id=a.id, _external=True),
    }

"""The lightbox API: a user's lightboxes as JSON (list, create, change, delete, items, order)."""
from __future__ import annotations

from flask import Blueprint, jsonify, url_for
from flask_login import current_user

from gallery import policy
from gallery.exceptions import ValidationError
from gallery.serializers import lightbox_json
from gallery.services import lightboxes
from gallery.views.access import role_required
from gallery.views.api_editor import json_body

bp = Blueprint("api_lightboxes", __name__, url_prefix="/api")
signed_in = role_required(policy.is_authenticated)


def _one(lightbox_id: int):
    """The caller's lightbox with its items as the caller sees them."""
    box = lightboxes.get(current_user, lightbox_id)
    entries = lightboxes.entries(current_user, box)
    return jsonify({"lightbox": lightbox_json(box, len(entries), entries)})


@bp.get("/lightboxes")
@signed_in
def index():
    """The caller's lightboxes (the default one first, made on first use) with their counts."""
    return jsonify({"lightboxes": [lightbox_json(b, n) for b, n in lightboxes.list_for(current_user)]})


@bp.post("/lightboxes")
@signed_in
def create():
    """Make a lightbox from {name, note?}."""
    body = json_body()
    box = lightboxes.create(current_user, body.get("name"), body.get("note", ""))
    response = jsonify({"lightbox": lightbox_json(box, 0, [])})
    response.headers["Location"] = url_for("api_lightboxes.one", lightbox_id=box.id)
    return response, 201


@bp.get("/lightboxes/<int:lightbox_id>")
@signed_in
def one(lightbox_id: int):
    """One lightbox with its items in order."""
    return _one(lightbox_id)


@bp.patch("/lightboxes/<int:lightbox_id>")
@signed_in
def update(lightbox_id: int):
    """Rename a lightbox or change its note."""
    body = json_body()
    lightboxes.update(current_user, lightboxes.get(current_user, lightbox_id),
                      {k: body[k] for k in ("name", "note") if k in body})
    return _one(lightbox_id)


@bp.delete("/lightboxes/<int:lightbox_id>")
@signed_in
def delete(lightbox_id: int):
    """Delete a lightbox, its items and its links."""
    lightboxes.remove_lightbox(current_user, lightboxes.get(current_user, lightbox_id))
    return "", 204


@bp.post("/lightboxes/<int:lightbox_id>/items")
@signed_in
def add_items(lightbox_id: int):
    """Add {asset_ids: [...]} (or {asset_id}) at the end; items already there stay (idempotent)."""
    body = json_body()
    ids = body.get("asset_ids", [body.get("asset_id")] if "asset_id" in body else None)
    if not isinstance(ids, list):
        raise ValidationError("Send asset_ids, a list of asset ids.", field="asset_ids")
    lightboxes.add(current_user, lightboxes.get(current_user, lightbox_id), ids)
    return _one(lightbox_id)


@bp.delete("/lightboxes/<int:lightbox_id>/items/<int:asset_id>")
@signed_in
def remove_item(lightbox_id: int, asset_id: int):
    """Take an asset out of a lightbox (idempotent)."""
    lightboxes.remove(current_user, lightboxes.get(current_user, lightbox_id), asset_id)
    return _one(lightbox_id)


@bp.post("/lightboxes/<int:lightbox_id>/order")
@signed_in
def order(lightbox_id: int):
    """Set the order from {order: [every asset id of the lightbox]}."""
    body = json_body()
    lightboxes.reorder(current_user, lightboxes.get(current_user, lightbox_id), body.get("order"))
    return _one(lightbox_id)

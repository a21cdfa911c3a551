"""File routes: renditions, each served only after asking the policy."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, redirect, send_file, url_for
from flask_login import current_user

from gallery import policy
from gallery.extensions import db
from gallery.models import Asset
from gallery.services import storage

bp = Blueprint("media", __name__, url_prefix="/media")


@bp.get("/<int:asset_id>/<size>.jpg")
def rendition(asset_id: int, size: str):
    """Serve a named rendition of an asset if the policy allows it."""
    if size not in current_app.config["RENDITION_SIZES"]:
        abort(404)
    if size not in policy.INLINE_SIZES:
        # Larger sizes are downloads: they carry credits, are logged and need download rights.
        return redirect(url_for("download.asset", asset_id=asset_id, size=size))
    asset = db.session.get(Asset, asset_id)
    if not policy.can_get_file(current_user, asset, size):
        abort(404)
    rend = asset.rendition(size)
    if rend is None or not storage.exists(rend.storage_key):
        abort(404)
    response = send_file(storage.path(rend.storage_key), mimetype="image/jpeg", conditional=True,
                         max_age=3600)
    # Public renditions of public assets may be cached by browsers but not by shared caches
    # when the asset is unpublished later; keep it private and short.
    response.cache_control.private = True
    return response

"""File routes: renditions and in-page playback, each served only after asking the policy."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, redirect, send_file, url_for
from flask_login import current_user

from gallery import policy
from gallery.extensions import db
from gallery.models import Asset
from gallery.services import integrity, renditions, served, storage

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
        integrity.require_original(asset)  # lost: 404, logged
        rend = renditions.ensure_rendition(asset, size)  # made on first use, or again if lost
    return _private(send_file(storage.path(rend.storage_key), mimetype="image/jpeg",
                              conditional=True, max_age=3600))


@bp.get("/<int:asset_id>/original")
def original(asset_id: int):
    """Play a video or audio file in the page, with range requests, if the policy allows it."""
    asset = db.session.get(Asset, asset_id)
    if asset is None or asset.media_type not in ("video", "audio"):
        abort(404)  # image originals are downloads (with GPS removed), never streamed from here
    if not policy.can_get_file(current_user, asset, "stream"):
        abort(404 if not policy.can_view_asset(current_user, asset) else 403)
    if not served.ready(asset):
        integrity.require_original(asset)  # lost: 404, logged
        asset = served.ensure(asset)  # the location-free copy, made now for older assets
    # conditional=True answers Range requests with 206 Partial Content: browsers seek with them.
    return _private(send_file(storage.path(asset.served_key), mimetype=asset.mime_type,
                              conditional=True, max_age=3600))


def _private(response):
    """Browsers may cache, shared caches may not: the asset could be unpublished later."""
    response.cache_control.private = True
    return response

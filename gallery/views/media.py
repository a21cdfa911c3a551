"""File routes: renditions and in-page playback, each served only after asking the policy."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, redirect, request, url_for
from flask_login import current_user

from gallery import policy
from gallery.extensions import db
from gallery.models import Asset
from gallery.policy import Access
from gallery.services import downloads, integrity, proxies, renditions, served, storage
from gallery.templating import rendition_version

bp = Blueprint("media", __name__, url_prefix="/media")

YEAR = 31_536_000


@bp.get("/<int:asset_id>/<size>.jpg")
def rendition(asset_id: int, size: str):
    """Serve a named rendition of an asset (or its blurred thumb) if the policy allows it."""
    if size not in current_app.config["RENDITION_SIZES"] and size != policy.BLURRED:
        abort(404)
    if size not in policy.INLINE_SIZES:
        # Larger sizes are downloads: they carry credits, are logged and need download rights.
        return redirect(url_for("download.asset", asset_id=asset_id, size=size))
    asset = db.session.get(Asset, asset_id)
    _require(policy.access(current_user, asset, size))
    rend = asset.rendition(size)
    if rend is None or not storage.exists(rend.storage_key):
        thumb = asset.rendition("thumb")
        from_thumb = (size == policy.BLURRED and thumb is not None
                      and storage.exists(thumb.storage_key))
        if not from_thumb:
            integrity.require_original(asset)  # lost: 404, logged
        # Sizes made on first use (large, blurred), or made again when lost.
        rend = renditions.ensure_rendition(asset, size)
    response = storage.send(rend.storage_key, "image/jpeg")
    if storage.is_redirect(response):
        return response  # a presigned URL: private, never kept by a shared cache
    if not policy.is_public_file(asset, size):
        return _private(response)
    if request.args.get("v") == rendition_version(asset, size):
        # The version changes whenever the bytes can, so this URL's bytes never change.
        response.headers["Cache-Control"] = f"public, max-age={YEAR}, immutable"
    else:  # an unversioned (or outdated) URL: caches keep it, but ask each time
        response.headers["Cache-Control"] = "public, no-cache"
    return response


@bp.get("/<int:asset_id>/original")
def original(asset_id: int):
    """Play a video or audio file in the page (its location-free served copy, with ranges)."""
    asset = db.session.get(Asset, asset_id)
    if asset is None or asset.media_type not in ("video", "audio"):
        abort(404)  # image originals are downloads (with GPS removed), never streamed from here
    # A sensitive item plays only for those who may download it (the same rights as downloads).
    _require(policy.access(current_user, asset, "stream"))
    if not served.ready(asset):
        integrity.require_original(asset)  # lost: 404, logged
        # Never the stored original: the copy with its location removed (until web proxies are
        # made in the background, this is the stream copy), made now for older assets.
        asset = served.ensure(asset)
    if asset.sensitive and _starts_playing():
        # Playing a sensitive item is a download in all but name: it goes in the download log
        # (once per play: seeking asks for later ranges, which are not logged again).
        downloads.log(current_user, [asset], "original", "stream")
    # Ranges are answered (206 Partial Content) by whoever sends the bytes: browsers seek with them.
    response = storage.send(asset.served_key, asset.mime_type)
    if storage.is_redirect(response):
        return response  # the store answers the ranges itself
    if not policy.is_public_file(asset, "stream"):
        return _private(response)
    # No version in this URL and the copy may be remade (location rules grow): revalidate.
    response.headers["Cache-Control"] = "public, no-cache"
    return response


@bp.get("/<int:asset_id>/play/<size>")
def play(asset_id: int, size: str):
    """Play a video or audio file in the page from its web proxy (H.264/AAC MP4, AAC M4A), with ranges.

    The same rules as the original stream: anyone who may view the asset, and for a sensitive
    one only those who may download it (each play is logged). The public never sees an asset
    whose proxy is not ready (policy.REQUIRED_PIECES), so there is no fallback here: 404.
    """
    asset = db.session.get(Asset, asset_id)
    if asset is None or size not in proxies.SIZES or size == "hd":
        abort(404)  # hd is a download, never played in the page (the player plays web)
    _require(policy.access(current_user, asset, "stream"))
    found = asset.rendition(size)
    if found is None or not storage.exists(found.storage_key):
        abort(404)  # not made yet (staff see "Processing…"), or lost: the check command says
    if asset.sensitive and _starts_playing():
        downloads.log(current_user, [asset], size, "stream")
    response = storage.send(found.storage_key, proxies.mimetype(size))
    if storage.is_redirect(response):
        return response
    if not policy.is_public_file(asset, "stream"):
        return _private(response)
    # Content-addressed: a replaced file gets a new proxy, but this URL has no version: revalidate.
    response.headers["Cache-Control"] = "public, no-cache"
    return response


def _starts_playing() -> bool:
    """Whether this request reads the file from its first byte (a play, not a seek)."""
    ranges = request.range
    return ranges is None or (ranges.units == "bytes" and ranges.ranges[0][0] == 0)


def _require(verdict: Access) -> None:
    """Unknown or hidden: 404; visible but not for this user (a sensitive item): 403."""
    if verdict is Access.NOT_FOUND:
        abort(404)
    if verdict is not Access.OK:
        abort(403)


def _private(response):
    """Access-controlled bytes: neither the browser nor a shared cache keeps them."""
    response.headers["Cache-Control"] = "private, no-store"
    return response

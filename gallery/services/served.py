"""The served original: the bytes every original download, zip entry and playback sends.

A copy of the original without its location (gallery.formats.location) and with the catalogue's
credits written in where the type can carry them (gallery.formats.captions), made by the "served"
piece of background work after ingest, or once on demand by a download that comes first. Its key
names the credits it carries (`served/../<sha256>-c<digest>.<ext>`): when staff edit a credited
field the "credits" piece makes a new copy, and downloads send the previous one until the new one
is recorded (then the previous file is deleted). A type that carries no credits and holds no
location is served as stored. Size and CRC-32 are recorded so a zip can write each entry's header
before its bytes and never has to checksum them.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import struct
from typing import NamedTuple

from flask import current_app
from sqlalchemy import func, select

from gallery.exceptions import NotFound, UnsupportedMedia
from gallery.extensions import db
from gallery.formats import captions, location
from gallery.formats.credits import Credits
from gallery.i18n.service_messages import N_
from gallery.models import Asset
from gallery.services import storage
from gallery.services.credits import credits_for
from gallery.services.renditions import lock_for

log = logging.getLogger(__name__)
# Part of every credits digest: a change to the writers makes every copy again (a new key).
WRITERS_VERSION = 2


class Served(NamedTuple):
    """Where an asset's served original is, with its size and CRC-32."""

    key: str
    bytes: int
    crc32: int


def make(original_key: str, sha256: str, mime_type: str, credits: Credits | None = None,
         size: int | None = None, crc32: int | None = None) -> Served:
    """Store the served copy of a stored original: the original itself when nothing had to change.

    credits: written in where the type can carry them (the key then names them). size and crc32
    of the original, when the caller computed them while reading it, save a read.
    """
    if not storage.exists(original_key):
        raise NotFound("The original file is missing; the media team has been told.")
    clean, tmp = storage.scratch_file(), storage.scratch_file()
    ext = os.path.splitext(original_key)[1].lstrip(".") or "bin"
    try:
        with storage.local_copy(original_key) as src:
            try:
                changed = location.without_location(src, mime_type, clean)
            except (ValueError, OSError, struct.error, EOFError) as exc:
                raise UnsupportedMedia(N_("its location metadata cannot be removed safely (%(error)s).",
                                          error=str(exc))) from exc
            base = clean if changed else src
            credited = credits is not None and _with_credits(base, mime_type, credits, tmp, original_key)
            if credited:
                key, file = storage.served_key(sha256, ext, version_of(credits)), tmp
            elif changed:
                key, file = storage.served_key(sha256, ext), clean
            elif size is None or crc32 is None:
                size, crc32 = storage.checksum_file(src)
    except FileNotFoundError as exc:
        _unlink(clean, tmp)
        raise NotFound("The original file is missing; the media team has been told.") from exc
    except BaseException:
        _unlink(clean, tmp)
        raise
    if not (credited or changed):
        _unlink(clean, tmp)
        return Served(original_key, size, crc32)
    _unlink(clean if file == tmp else tmp)
    _fsync(file)
    size, crc32 = storage.checksum_file(file)
    return Served(storage.commit_file(file, key), size, crc32)


def _with_credits(src: str, mime_type: str, credits: Credits, dest: str, key: str) -> bool:
    """Credits written into a copy; False when the type (or this damaged file) cannot take them."""
    try:
        return captions.with_credits(src, mime_type, credits, dest)
    except (ValueError, OSError, struct.error, EOFError) as exc:
        # The location-free copy is served without them; zips add the sidecar .xmp.
        log.warning("credits not written into %s: %s", key, exc)
        _unlink(dest)
        return False


def version_of(credits: Credits) -> str:
    """The digest a served copy's key carries: which credits (and writers) made it."""
    text = json.dumps([WRITERS_VERSION, *credits], ensure_ascii=False, default=list)
    return "c" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def carries_credits(key: str | None) -> bool:
    """Whether a served copy's key names the credits written in (else a zip adds a sidecar .xmp)."""
    return bool(key) and key.startswith("served/") and "-c" in os.path.basename(key)


def current(asset: Asset, credits: Credits) -> bool:
    """Whether the served copy says what the catalogue says (or its type cannot say anything)."""
    if not captions.carries(asset.mime_type):
        return True
    ext = os.path.splitext(asset.storage_key)[1].lstrip(".") or "bin"
    return bool(asset.served_key) and asset.served_key.endswith(f"-{version_of(credits)}.{ext}")


def ready(asset: Asset) -> bool:
    """Whether the asset's served copy is recorded and its file is there."""
    return (asset.served_key is not None and asset.served_bytes is not None
            and asset.served_crc32 is not None and storage.exists(asset.served_key))


def ensure(asset: Asset) -> Asset:
    """The asset with its served copy made, stored and recorded if it was not yet (commits).

    Two processes racing write the same bytes to the same key (an atomic rename) and record the
    same values; within one process one thread makes it and the others wait.
    """
    if ready(asset):
        return asset
    return _remake(asset, stale_too=False)


def recredit(asset: Asset) -> bool:
    """Make the served copy again when its credits differ from the catalogue's (commits); True if it did.

    The "credits" piece's maker, with the proxies'. Until it is done downloads send the previous
    copy; then the previous file is deleted. A copy not made yet is left to the "served" piece.
    """
    if asset.served_key is None or current(asset, _credits(asset)):
        return False
    before = asset.served_key
    return _remake(asset, stale_too=True).served_key != before


def _remake(asset: Asset, stale_too: bool) -> Asset:
    if asset not in db.session:
        # A streamed zip runs after its request's session closed: bring the asset back in.
        asset = db.session.merge(asset)
    with lock_for(asset.id, "served"):
        db.session.refresh(asset)
        if ready(asset) and not (stale_too and not current(asset, _credits(asset))):
            return asset
        for _ in range(3):
            credits = _credits(asset)
            made = make(asset.storage_key, asset.sha256, asset.mime_type, credits)
            # Staff may have edited a field while the copy was made: then it is made again.
            db.session.refresh(asset)
            db.session.refresh(asset.gallery)
            if _credits(asset) == credits:
                break
            _discard(made.key, asset)
        old = asset.served_key
        asset.served_key, asset.served_bytes, asset.served_crc32 = made
        # Not unit.commit(): derived data made under its own lock, not a use case; on failure the
        # copy just made is removed here, which the unit's rollback could not know to do.
        try:
            db.session.commit()
        except BaseException:
            db.session.rollback()
            _discard(made.key, asset)  # no file without its row
            raise
        if old and old != made.key:
            _discard(old, asset)  # superseded: no row serves it any more
    return asset


def _credits(asset: Asset) -> Credits:
    return credits_for(asset, current_app.config["ORGANISATION"])


def _discard(key: str, asset: Asset) -> None:
    if key != asset.storage_key and not referenced(key):
        storage.delete(key)


def referenced(key: str) -> bool:
    """Whether any asset row serves or stores this key."""
    return bool(db.session.scalar(select(func.count()).select_from(Asset).where(
        (Asset.served_key == key) | (Asset.storage_key == key))))



def _fsync(file_path: str) -> None:
    with open(file_path, "rb+") as fh:
        os.fsync(fh.fileno())


def _unlink(*paths: str) -> None:
    for file_path in paths:
        try:
            os.unlink(file_path)
        except FileNotFoundError:
            pass

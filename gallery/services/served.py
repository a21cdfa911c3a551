"""The served original: the bytes every original download, zip entry and playback sends.

An original holding no location is served as stored. Otherwise a location-free copy is stored
once beside it (gallery.formats.location picks the cleaner for the type),
made at ingest, or on first use for assets ingested before served copies existed. Its size and
CRC-32 are recorded so a zip can write each entry's header before its bytes and never has to
checksum them.
"""
from __future__ import annotations

import os
import struct
from typing import NamedTuple

from sqlalchemy import func, select

from gallery.exceptions import NotFound, UnsupportedMedia
from gallery.extensions import db
from gallery.formats import location
from gallery.models import Asset
from gallery.services import storage
from gallery.services.renditions import lock_for


class Served(NamedTuple):
    """Where an asset's served original is, with its size and CRC-32."""

    key: str
    bytes: int
    crc32: int


def make(original_key: str, sha256: str, mime_type: str, size: int | None = None,
         crc32: int | None = None) -> Served:
    """Store the served copy of a stored original: the original itself when nothing had to go.

    size and crc32 of the original, when the caller computed them while reading it, save a read.
    """
    if not storage.exists(original_key):
        raise NotFound("The original file is missing; the media team has been told.")
    tmp = storage.scratch_file()
    try:
        with storage.local_copy(original_key) as src:
            changed = location.without_location(src, mime_type, tmp)
            if changed:
                _fsync(tmp)
            elif size is None or crc32 is None:
                size, crc32 = storage.checksum_file(src)
    except FileNotFoundError as exc:
        _unlink(tmp)
        raise NotFound("The original file is missing; the media team has been told.") from exc
    except (ValueError, OSError, struct.error, EOFError) as exc:
        _unlink(tmp)
        raise UnsupportedMedia(f"its location metadata cannot be removed safely ({exc}).") from exc
    except BaseException:
        _unlink(tmp)
        raise
    if not changed:
        _unlink(tmp)
        return Served(original_key, size, crc32)
    size, crc32 = storage.checksum_file(tmp)
    ext = os.path.splitext(original_key)[1].lstrip(".") or "bin"
    key = storage.commit_file(tmp, storage.served_key(sha256, ext))
    return Served(key, size, crc32)


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
    if asset not in db.session:
        # A streamed zip runs after its request's session closed: bring the asset back in.
        asset = db.session.merge(asset)
    with lock_for(asset.id, "served"):
        db.session.refresh(asset)
        if ready(asset):
            return asset
        made = make(asset.storage_key, asset.sha256, asset.mime_type)
        asset.served_key, asset.served_bytes, asset.served_crc32 = made
        # Not unit.commit(): derived data made under its own lock, not a use case; on failure the
        # copy just made is removed here, which the unit's rollback could not know to do.
        try:
            db.session.commit()
        except BaseException:
            db.session.rollback()
            if made.key != asset.storage_key and not referenced(made.key):
                storage.delete(made.key)  # no file without its row
            raise
    return asset


def referenced(key: str) -> bool:
    """Whether any asset row serves or stores this key."""
    return bool(db.session.scalar(select(func.count()).select_from(Asset).where(
        (Asset.served_key == key) | (Asset.storage_key == key))))



def _fsync(file_path: str) -> None:
    with open(file_path, "rb+") as fh:
        os.fsync(fh.fileno())


def _unlink(file_path: str) -> None:
    try:
        os.unlink(file_path)
    except FileNotFoundError:
        pass

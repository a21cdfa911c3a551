"""Renditions made (with gallery.formats), stored and recorded on first use: cached, unique, safe when raced.

Besides the configured sizes there is `blurred`: the thumb with its picture blurred away, which
is all the public sees of a sensitive asset. It has its own URL and row, so one URL never
serves different bytes to different people, and it is made from the thumb on first use.
"""
from __future__ import annotations

import threading
from collections.abc import Mapping

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from gallery.exceptions import NotFound
from gallery.extensions import db
from gallery.formats import imaging
from gallery.formats.probe import Probed
from gallery.formats.renditions import make_renditions
from gallery.i18n.service_messages import N_
from gallery.models import Asset, Rendition
from gallery.policy import BLURRED
from gallery.services import storage

_locks: dict[tuple[int, str], threading.Lock] = {}
_locks_guard = threading.Lock()


def ingest_sizes(sizes: Mapping[str, int], at_ingest: tuple[str, ...] | list[str] | None = None) -> dict[str, int]:
    """The named sizes made while ingesting; the others wait for ensure_rendition."""
    if at_ingest is None:
        at_ingest = current_app.config["RENDITIONS_AT_INGEST"] if _has_app() else ("thumb", "preview")
    chosen = {k: v for k, v in sizes.items() if k in at_ingest}
    return chosen or dict(sizes)


def ensure_rendition(asset: Asset, size: str) -> Rendition:
    """The asset's rendition of this size, made, stored and recorded now if it is not there yet.

    Commits its own short transaction. Two requests racing for the same rendition both write the
    same bytes to the same key (an atomic rename), and the unique (asset, size) constraint keeps
    one row: the loser rolls back and returns the winner's row.
    """
    sizes = {**current_app.config["RENDITION_SIZES"], BLURRED: 0}
    if size not in sizes:
        raise NotFound(N_("No rendition size called %(size)s.", size=size))
    found = asset.rendition(size)
    if found is not None and storage.exists(found.storage_key):
        return found
    if asset not in db.session:
        # A streamed zip runs after its request's session closed (Flask pushes a new app
        # context for the generator): bring the asset into the session of this context.
        asset = db.session.merge(asset)
    # Within one process, one thread makes it and the others wait and then find it made.
    with lock_for(asset.id, size):
        db.session.refresh(asset)
        found = asset.rendition(size)
        if found is not None and storage.exists(found.storage_key):
            return found
        return _make(asset, size, sizes[size])


def _make(asset: Asset, size: str, edge: int) -> Rendition:
    config = current_app.config
    if size == BLURRED:
        made = _blurred(asset)
    else:
        facts = Probed(media_type=asset.media_type, mime_type=asset.mime_type, ext="",
                       width=asset.width, height=asset.height)
        with storage.local_copy(asset.storage_key) as original:
            made = make_renditions(original, facts, {size: edge},
                                   config["JPEG_QUALITY"], config["MAX_IMAGE_PIXELS"])[0]
    key = storage.rendition_key(asset.sha256, size)
    storage.save_bytes(made.data, key)
    row = asset.rendition(size)
    if row is None:
        row = Rendition(asset_id=asset.id, size=size, width=made.width, height=made.height,
                        bytes=len(made.data), storage_key=key)
        db.session.add(row)
    else:  # the row survived but its file was lost: the file is remade, the row corrected
        row.width, row.height, row.bytes, row.storage_key = made.width, made.height, len(made.data), key
    # Not unit.commit(): a raced rendition is settled here by the unique constraint (the loser
    # reads the winner's row), and no search document holds renditions.
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        row = db.session.scalars(select(Rendition).where(
            Rendition.asset_id == asset.id, Rendition.size == size)).one()
    return row


def _blurred(asset: Asset) -> imaging.Rendered:
    """The blurred thumb, made from the thumb (oriented, sRGB, small: no need to decode the original)."""
    thumb = ensure_rendition(asset, "thumb")
    return imaging.blur_jpeg(storage.read_bytes(thumb.storage_key), current_app.config["JPEG_QUALITY"])


def lock_for(asset_id: int, size: str) -> threading.Lock:
    """A per-process lock for making one file of an asset, so one thread makes it and others wait."""
    with _locks_guard:
        if len(_locks) > 1024:  # forget idle locks; a lock in use is held by its waiter
            for k in [k for k, v in _locks.items() if not v.locked()]:
                del _locks[k]
        return _locks.setdefault((asset_id, size), threading.Lock())


def _has_app() -> bool:
    try:
        return bool(current_app.name)
    except RuntimeError:
        return False

"""`gallery recredit`: the "credits" piece queued for every asset (or a gallery's, or a media type's), in batches.

Served copies and proxies made before a writer learned their format (or before a field was
changed behind the service's back) carry old credits until their next edit; this queues the
piece through work.recredit, the path an edit takes, and the piece rewrites only what differs.
"""
from __future__ import annotations

from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import selectinload

from gallery.extensions import db
from gallery.models import Asset, Rendition
from gallery.services import proxies, unit, work
from gallery.services.galleries import load_gallery

BATCH = 500  # assets loaded, marked and committed at a time: a million never load at once


def _where(gallery_id: int | None, media_type: str | None) -> list:
    """What work.recredit keeps, in SQL: a served copy, or a video or audio file with a proxy."""
    has_proxy = exists().where(Rendition.asset_id == Asset.id, Rendition.size.in_(list(proxies.SIZES)))
    where = [Asset.deleted_at.is_(None),
             or_(Asset.served_key.is_not(None), Asset.media_type.in_(("video", "audio")) & has_proxy)]
    if gallery_id is not None:
        where.append(Asset.gallery_id == load_gallery(gallery_id).id)  # NotFound if none or trashed
    if media_type is not None:
        where.append(Asset.media_type == media_type)
    return where


def count(*, gallery_id: int | None = None, media_type: str | None = None) -> int:
    """How many assets recredit_all would queue (its --dry-run): nothing is changed."""
    return db.session.scalar(select(func.count()).select_from(Asset).where(*_where(gallery_id, media_type)))


def recredit_all(*, gallery_id: int | None = None, media_type: str | None = None,
                 batch: int = BATCH) -> int:
    """Mark the "credits" piece of every matching asset, committing and queuing each batch; how many were queued."""
    where = _where(gallery_id, media_type)
    total, after = 0, 0
    while True:
        # Keyset paging by id: assets added meanwhile come last, none is read twice.
        rows = db.session.scalars(select(Asset).where(*where, Asset.id > after).order_by(Asset.id)
                                  .limit(batch).options(selectinload(Asset.renditions),
                                                        selectinload(Asset.work))).all()
        if not rows:
            return total
        after = rows[-1].id
        ids = work.recredit(rows)
        # The low queue: staff's own edits (default queue) are not kept waiting behind a whole site.
        unit.commit(drain=False, look_at=ids, queue="low")
        # The session's identity map holds rows weakly: the batch goes once `rows` is rebound.
        total += len(ids)

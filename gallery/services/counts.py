"""Each gallery's denormalised public counts per media type (imported by galleries, ingest and work)."""
from __future__ import annotations

from typing import Iterable

from sqlalchemy import case, func, select, update

from gallery import policy
from gallery.extensions import db
from gallery.models import Asset, Gallery
from gallery.services import tallies


def refresh_counts(gallery_ids: Iterable[int]) -> None:
    """Recompute the denormalised counts: per media type of what the public sees, and all out of the trash.

    Called in the transaction of the change, before it commits, so counts never disagree with
    rows (a video's proxy becoming ready is such a change: services/work.py calls it then).
    """
    gallery_ids = set(gallery_ids)
    tallies.note_galleries(db.session, gallery_ids)  # their category and country counts follow
    for gid in gallery_ids:
        rows = db.session.execute(
            select(Asset.media_type, func.sum(case((policy.public_asset_clause(), 1), else_=0)), func.count())
            .where(Asset.gallery_id == gid, Asset.deleted_at.is_(None))
            .group_by(Asset.media_type)).all()
        counts = {media: int(public or 0) for media, public, _all in rows}
        db.session.execute(update(Gallery).where(Gallery.id == gid).values(
            image_count=counts.get("image", 0), video_count=counts.get("video", 0),
            audio_count=counts.get("audio", 0), asset_count=sum(n for _m, _p, n in rows)))


def refresh_all_counts() -> None:
    """Recompute every gallery's public counts (after PUBLISH_UNKNOWN_CONSENT changes)."""
    refresh_counts(db.session.scalars(select(Gallery.id)).all())

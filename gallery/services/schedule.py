"""Schedules that change what the public sees: embargoes lifted and usage rights expired.

Pages and downloads ask the clock directly (policy.embargoed, policy.rights_expired), so an
embargo ends at its minute whether or not anything runs. What is denormalised, the gallery counts
and the search documents, follows when apply_due runs: the workers' sweeper calls it, and so does
the first request after a due time when no worker runs (init_app), at most every few seconds.
"""
from __future__ import annotations

import datetime as dt
import time

from flask import Flask, current_app
from sqlalchemy import and_, or_, select

from gallery import clock
from gallery.extensions import db
from gallery.models import Asset, Gallery
from gallery.services import activity, search
from gallery.services.counts import refresh_counts

CHECK_EVERY = 10.0  # seconds between two looks from requests of one process


def init_app(app: Flask) -> None:
    """Apply what fell due on the first request after it, when no worker did it already."""
    app.extensions["gallery.schedule_checked"] = 0.0

    @app.before_request
    def apply_due_schedules() -> None:
        if time.monotonic() - app.extensions["gallery.schedule_checked"] < CHECK_EVERY:
            return
        app.extensions["gallery.schedule_checked"] = time.monotonic()
        if anything_due():
            apply_due()


def _withdrawn_due(today: dt.date):
    return and_(Asset.rights_expire_on.is_not(None), Asset.rights_expire_on <= today,
                Asset.withdrawn_at.is_(None))


def anything_due() -> bool:
    """Whether an embargo passed or rights ended without the schedule having applied it (cheap)."""
    at = clock.now()
    return any(db.session.scalar(query.limit(1)) is not None for query in (
        select(Gallery.id).where(Gallery.embargo_until <= at),
        select(Asset.id).where(Asset.embargo_until <= at),
        select(Asset.id).where(_withdrawn_due(at.date()))))


def apply_due() -> dict[str, int]:
    """Lift passed embargoes and withdraw assets whose rights ended: counts and search follow."""
    at = clock.now()
    galleries = list(db.session.scalars(select(Gallery).where(Gallery.embargo_until <= at)))
    assets = list(db.session.scalars(select(Asset).where(
        or_(Asset.embargo_until <= at, _withdrawn_due(at.date())))))
    touched: set[int] = {g.id for g in galleries} | {a.gallery_id for a in assets}
    for gallery in galleries:
        activity.record(None, "gallery.embargo_lifted", gallery_id=gallery.id, until=gallery.embargo_until)
        gallery.embargo_until = None
        search.queue_gallery(gallery.id)
    expired = 0
    for asset in assets:
        if asset.embargo_until is not None and asset.embargo_until <= at:
            activity.record(None, "asset.embargo_lifted", gallery_id=asset.gallery_id, asset_id=asset.id,
                            until=asset.embargo_until)
            asset.embargo_until = None
        if asset.rights_expire_on is not None and asset.rights_expire_on <= at.date() and asset.withdrawn_at is None:
            activity.record(None, "asset.rights_expired", gallery_id=asset.gallery_id, asset_id=asset.id,
                            expired_on=asset.rights_expire_on)
            asset.withdrawn_at = at
            expired += 1
    if assets:
        search.queue_assets(a.id for a in assets)
    if touched:
        refresh_counts(touched)
        db.session.commit()
        search.after_commit()
        current_app.logger.info("schedule: %d embargoed galleries and %d assets released or withdrawn",
                                len(galleries), len(assets))
    return {"galleries": len(galleries), "assets": len(assets) - expired, "withdrawn": expired}

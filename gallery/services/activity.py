"""The activity log: who changed what and when, per gallery and per asset."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from gallery.extensions import db
from gallery.models import ActivityLog, User
from gallery.services.fields import jsonable


def record(user: User | None, action: str, *, gallery_id: int | None = None,
           asset_id: int | None = None, **details: Any) -> ActivityLog:
    """Add a log row to the current transaction (the caller commits)."""
    row = ActivityLog(user_id=user.id if user is not None else None, gallery_id=gallery_id,
                      asset_id=asset_id, action=action,
                      details={k: jsonable(v) for k, v in details.items()})
    db.session.add(row)
    return row


def apply_changes(obj: Any, values: dict[str, Any]) -> dict[str, list[Any]]:
    """Set the values on obj and return the changes to log: {field: [old, new]} for those that differ."""
    changes: dict[str, list[Any]] = {}
    for name, new in values.items():
        old = getattr(obj, name)
        if old != new:
            changes[name] = [jsonable(old), jsonable(new)]
            setattr(obj, name, new)
    return changes


def for_gallery(gallery_id: int, limit: int = 200) -> list[ActivityLog]:
    """Newest first: changes to the gallery and to its assets."""
    return list(db.session.scalars(
        select(ActivityLog).options(selectinload(ActivityLog.user))
        .where(ActivityLog.gallery_id == gallery_id)
        .order_by(ActivityLog.created_at.desc(), ActivityLog.id.desc()).limit(limit)))


def for_asset(asset_id: int, limit: int = 200) -> list[ActivityLog]:
    """Newest first: changes to one asset."""
    return list(db.session.scalars(
        select(ActivityLog).options(selectinload(ActivityLog.user))
        .where(ActivityLog.asset_id == asset_id)
        .order_by(ActivityLog.created_at.desc(), ActivityLog.id.desc()).limit(limit)))

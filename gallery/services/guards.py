"""Shared steps of the editorial services: permission checks, lookups, commit and reindex."""
from __future__ import annotations

from typing import Any, Callable, Iterable

from sqlalchemy import select

from gallery import policy
from gallery.exceptions import Forbidden, NotFound
from gallery.extensions import db
from gallery.models import Asset, Gallery
from gallery.services import search


def require_staff(user: Any) -> None:
    """Editors and admins only."""
    if not policy.is_staff(user):
        raise Forbidden("Only editors and admins may do this.")


def require_admin(user: Any) -> None:
    """Admins only."""
    if not policy.is_staff(user) or not user.is_admin:
        raise Forbidden("Only admins may do this.")


def load_gallery(gallery_id: int, *, trashed: bool | None = False) -> Gallery:
    """A gallery by id; trashed=False hides the trash, True wants it, None takes either."""
    gallery = db.session.get(Gallery, gallery_id)
    if gallery is None or (trashed is not None and (gallery.deleted_at is not None) != trashed):
        raise NotFound("No such gallery." if not trashed else "No such gallery in the trash.")
    return gallery


def load_asset(asset_id: int, *, trashed: bool | None = False) -> Asset:
    """An asset by id; trashed as in load_gallery."""
    asset = db.session.get(Asset, asset_id)
    if asset is None or (trashed is not None and (asset.deleted_at is not None) != trashed):
        raise NotFound("No such asset." if not trashed else "No such asset in the trash.")
    return asset


def gallery_asset_ids(gallery_ids: Iterable[int]) -> list[int]:
    """Ids of every asset (trashed too) of the galleries."""
    ids = list(set(gallery_ids))
    if not ids:
        return []
    return list(db.session.scalars(select(Asset.id).where(Asset.gallery_id.in_(ids))))


def queue_galleries(gallery_ids: Iterable[int], operation: str = "upsert") -> None:
    """Queue every asset of the galleries for reindexing (their documents carry gallery fields)."""
    for gallery_id in sorted(set(gallery_ids)):
        search.queue_gallery(gallery_id, operation)


def commit(after: Callable[[], None] | None = None) -> None:
    """Commit, drain the search outbox, then run the after-commit step (file removal)."""
    try:
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    search.after_commit()
    if after is not None:
        after()


def transaction(work: Callable[[], Any]) -> Any:
    """Run work(); roll back if it raises, so a failed change leaves nothing half-done."""
    try:
        return work()
    except BaseException:
        db.session.rollback()
        raise

"""The trash: galleries and assets are hidden at once, restorable by admins for a while, then purged."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from flask import current_app
from sqlalchemy import delete, select, update

from gallery.exceptions import ValidationError
from gallery.extensions import db
from gallery.i18n.service_messages import N_
from gallery.models import Asset, Gallery, Rendition, User, utcnow
from gallery.services import activity, search, unit
from gallery.services.assets import delete_unreferenced, load_asset
from gallery.services.counts import refresh_counts
from gallery.services.galleries import load_gallery, queue_galleries
from gallery.services.permissions import require_admin, require_staff


@dataclass
class TrashListing:
    """What the trash page shows: galleries, and assets whose gallery is not itself in the trash."""

    galleries: list[Gallery]
    assets: list[Asset]


def retention_days() -> int:
    """How long trashed items stay restorable."""
    return int(current_app.config["TRASH_RETENTION_DAYS"])


@unit.use_case
def trash_gallery(gallery_id: int, user: User) -> Gallery:
    """Move a gallery to the trash: it leaves public pages, the API and search at once."""
    require_staff(user)
    gallery = load_gallery(gallery_id)
    gallery.deleted_at = utcnow()
    queue_galleries([gallery.id], "delete")
    activity.record(user, "gallery.trash", gallery_id=gallery.id, title=gallery.title)
    unit.commit()
    return gallery


@unit.use_case
def restore_gallery(gallery_id: int, user: User) -> Gallery:
    """Bring a gallery back from the trash (admins, within the retention period)."""
    require_admin(user)
    gallery = load_gallery(gallery_id, trashed=True)
    _check_restorable(gallery.deleted_at)
    gallery.deleted_at = None
    queue_galleries([gallery.id])
    activity.record(user, "gallery.restore", gallery_id=gallery.id, title=gallery.title)
    unit.commit()
    return gallery


@unit.use_case
def trash_asset(asset_id: int, user: User) -> Asset:
    """Move an asset to the trash; the gallery's counts and cover follow at once."""
    require_staff(user)
    asset = load_asset(asset_id)
    asset.deleted_at = utcnow()
    gallery = asset.gallery
    changes = {}
    if gallery.cover_asset_id == asset.id:
        gallery.cover_asset_id = None
        changes["cover_asset_id"] = [asset.id, None]
    search.queue_assets([asset.id], "delete")
    refresh_counts([asset.gallery_id])
    activity.record(user, "asset.trash", gallery_id=asset.gallery_id, asset_id=asset.id,
                    title=asset.display_title, **({"gallery_changes": changes} if changes else {}))
    unit.commit()
    return asset


@unit.use_case
def restore_asset(asset_id: int, user: User) -> Asset:
    """Bring an asset back from the trash (admins, within the retention period)."""
    require_admin(user)
    asset = load_asset(asset_id, trashed=True)
    _check_restorable(asset.deleted_at)
    if asset.gallery.deleted_at is not None:
        raise ValidationError("Restore its gallery first.", field="gallery")
    asset.deleted_at = None
    search.queue_assets([asset.id])
    refresh_counts([asset.gallery_id])
    activity.record(user, "asset.restore", gallery_id=asset.gallery_id, asset_id=asset.id,
                    title=asset.display_title)
    unit.commit()
    return asset


@unit.use_case
def purge_gallery(gallery_id: int, user: User) -> int:
    """Delete a trashed gallery and all its assets for good; files go after the commit."""
    require_admin(user)
    gallery = load_gallery(gallery_id, trashed=True)
    keys = _purge_assets(select(Asset.id).where(Asset.gallery_id == gallery.id))
    activity.record(user, "gallery.purge", gallery_id=gallery.id, title=gallery.title)
    db.session.execute(delete(Gallery).where(Gallery.id == gallery.id))
    unit.commit(after=lambda: delete_unreferenced(keys))
    return gallery_id


@unit.use_case
def purge_asset(asset_id: int, user: User) -> int:
    """Delete a trashed asset for good; its files go after the commit."""
    require_admin(user)
    asset = load_asset(asset_id, trashed=True)
    gallery_id = asset.gallery_id
    activity.record(user, "asset.purge", gallery_id=gallery_id, asset_id=asset.id,
                    title=asset.display_title)
    keys = _purge_assets(select(Asset.id).where(Asset.id == asset.id))
    refresh_counts([gallery_id])
    unit.commit(after=lambda: delete_unreferenced(keys))
    return asset_id


@unit.use_case
def empty_trash(user: User | None, older_than_days: int | None = None) -> tuple[int, int]:
    """Purge trashed galleries and assets (all, or those trashed more than N days ago).

    user None is the command line (`gallery empty-trash`), which runs with the server's authority.
    Returns (galleries, assets) purged.
    """
    if user is not None:
        require_admin(user)
    cutoff = utcnow() - dt.timedelta(days=older_than_days) if older_than_days is not None else None

    def trashed(model: Any):
        query = select(model.id).where(model.deleted_at.is_not(None))
        return query.where(model.deleted_at < cutoff) if cutoff is not None else query

    gallery_ids = list(db.session.scalars(trashed(Gallery)))
    keys = _purge_assets(select(Asset.id).where(Asset.gallery_id.in_(gallery_ids)))
    asset_ids = list(db.session.scalars(trashed(Asset).where(Asset.gallery_id.not_in(gallery_ids))))
    touched = set(db.session.scalars(select(Asset.gallery_id).where(Asset.id.in_(asset_ids))))
    keys += _purge_assets(select(Asset.id).where(Asset.id.in_(asset_ids)))
    for gid in gallery_ids:
        activity.record(user, "gallery.purge", gallery_id=gid)
    if gallery_ids:
        db.session.execute(delete(Gallery).where(Gallery.id.in_(gallery_ids)))
    refresh_counts(touched)
    unit.commit(after=lambda: delete_unreferenced(keys))
    return len(gallery_ids), len(asset_ids)


def listing(user: User) -> TrashListing:
    """Everything in the trash, newest first."""
    require_staff(user)
    galleries = db.session.scalars(select(Gallery).where(Gallery.deleted_at.is_not(None))
                                   .order_by(Gallery.deleted_at.desc()))
    assets = db.session.scalars(
        select(Asset).join(Gallery, Asset.gallery_id == Gallery.id)
        .where(Asset.deleted_at.is_not(None), Gallery.deleted_at.is_(None))
        .order_by(Asset.deleted_at.desc()))
    return TrashListing(list(galleries), list(assets))


def restorable_until(deleted_at: dt.datetime) -> dt.datetime:
    """When an item trashed at deleted_at stops being restorable."""
    return deleted_at + dt.timedelta(days=retention_days())


def _check_restorable(deleted_at: dt.datetime | None) -> None:
    if deleted_at is not None and utcnow() > restorable_until(deleted_at):
        raise ValidationError(N_("Items can be restored for %(days)s days only.", days=retention_days()),
                              field="deleted_at")


def _purge_assets(id_query) -> list[str]:
    """Delete the assets (and renditions) selected; return their storage keys for removal after commit."""
    ids = list(db.session.scalars(id_query))
    if not ids:
        return []
    keys = list(db.session.scalars(select(Asset.storage_key).where(Asset.id.in_(ids))))
    keys += [k for k in db.session.scalars(select(Asset.served_key).where(Asset.id.in_(ids))) if k]
    keys += list(db.session.scalars(select(Rendition.storage_key).where(Rendition.asset_id.in_(ids))))
    search.queue_assets(ids, "delete")
    db.session.execute(update(Gallery).where(Gallery.cover_asset_id.in_(ids)).values(cover_asset_id=None))
    db.session.execute(delete(Rendition).where(Rendition.asset_id.in_(ids)))
    db.session.execute(delete(Asset).where(Asset.id.in_(ids)))
    return keys

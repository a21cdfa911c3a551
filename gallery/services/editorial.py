"""Editorial use cases for galleries: create, edit, cover, publish, editors' pick, order.

Asset edits live in editorial_assets, the trash in trash; both are re-exported here so
callers find every editorial verb in one place.
"""
from __future__ import annotations

from typing import Any, Mapping

from sqlalchemy import func, select

from gallery.exceptions import ValidationError
from gallery.extensions import db
from gallery.models import STATUSES, Asset, Gallery, User
from gallery.services import activity, catalogue, fields
from gallery.services.guards import commit, load_asset, load_gallery, queue_galleries, require_staff
from gallery.text import slugify

GALLERY_FIELDS = ("title", "description", "category", "country", "credit", "date", "status",
                  "editors_pick", "pick_position", "cover_asset_id")
# Changes to these fields alter the search documents of every asset in the gallery.
INDEXED_FIELDS = {"title", "slug", "description", "category_id", "country_code", "credit", "date",
                  "status"}


def create_gallery(values: Mapping[str, Any], user: User) -> Gallery:
    """Create a gallery (a draft unless told otherwise) and log it."""
    require_staff(user)
    _reject_unknown(values, GALLERY_FIELDS)
    parsed = _parse_gallery(values)
    if "title" not in parsed:
        raise ValidationError("A gallery needs a title.", field="title")
    if "category_id" not in parsed:
        raise ValidationError("Choose a category.", field="category")
    pick = parsed.get("editors_pick", False)
    gallery = catalogue.add_gallery(
        title=parsed["title"], category=parsed["category_id"], country=parsed.get("country_code"),
        description=parsed.get("description", ""), credit=parsed.get("credit", ""),
        date=parsed.get("date"), status=parsed.get("status", "draft"), editors_pick=pick,
        pick_position=_pick_position(parsed) if pick else None, user=user)
    db.session.flush()  # the activity entry needs the new gallery's id
    activity.record(user, "gallery.create", gallery_id=gallery.id, title=gallery.title)
    commit()
    return gallery


def update_gallery(gallery_id: int, values: Mapping[str, Any], user: User) -> Gallery:
    """Change a gallery's fields (any of GALLERY_FIELDS), reindex its assets, log the change."""
    require_staff(user)
    _reject_unknown(values, GALLERY_FIELDS)
    gallery = load_gallery(gallery_id)
    parsed = _parse_gallery(values)
    if "cover_asset_id" in parsed and parsed["cover_asset_id"] is not None:
        cover = load_asset(parsed["cover_asset_id"])
        if cover.gallery_id != gallery.id:
            raise ValidationError("The cover must be an asset of this gallery.", field="cover_asset_id")
    if parsed.get("editors_pick") is True and parsed.get("pick_position") is None:
        # A blank position (the web form's empty field) keeps a current pick's place, else appends.
        keep = gallery.editors_pick and gallery.pick_position is not None
        parsed["pick_position"] = gallery.pick_position if keep else _pick_position(parsed)
    if parsed.get("editors_pick") is False:
        parsed["pick_position"] = None
    if "title" in parsed:
        parsed["slug"] = slugify(parsed["title"])
    changes = activity.diff(gallery, parsed)
    if not changes:
        return gallery
    if INDEXED_FIELDS & changes.keys():
        queue_galleries([gallery.id])
    activity.record(user, _action(changes), gallery_id=gallery.id, changes=changes)
    commit()
    return gallery


def set_cover(gallery_id: int, asset_id: int | None, user: User) -> Gallery:
    """Choose the asset shown on the gallery's card (None clears it)."""
    return update_gallery(gallery_id, {"cover_asset_id": asset_id}, user)


def publish(gallery_id: int, user: User) -> Gallery:
    """Make a gallery public."""
    return update_gallery(gallery_id, {"status": "published"}, user)


def unpublish(gallery_id: int, user: User) -> Gallery:
    """Take a gallery back to draft: it disappears from public pages and search at once."""
    return update_gallery(gallery_id, {"status": "draft"}, user)


def set_editors_pick(gallery_id: int, pick: bool, position: int | None, user: User) -> Gallery:
    """Feature a gallery on the home page at a position (lower comes first), or stop featuring it."""
    values: dict[str, Any] = {"editors_pick": pick}
    if pick and position is not None:
        values["pick_position"] = position
    return update_gallery(gallery_id, values, user)


def reorder(gallery_id: int, ordered_ids: Any, user: User) -> list[int]:
    """Set asset positions from an ordered list of every asset id of the gallery (trash excluded)."""
    require_staff(user)
    gallery = load_gallery(gallery_id)
    ids = fields.id_list(ordered_ids, "order")
    assets = _ordered_assets(gallery.id)
    if set(ids) != {a.id for a in assets}:
        raise ValidationError("The order must list every asset of the gallery exactly once.",
                              field="order")
    by_id = {a.id: a for a in assets}
    before = [a.id for a in assets]
    for position, asset_id in enumerate(ids, start=1):
        by_id[asset_id].position = position
    if before != ids:
        activity.record(user, "gallery.reorder", gallery_id=gallery.id, order=ids)
        catalogue.queue_search(ids)  # documents may sort by position
    commit()
    return ids


def move_in_order(asset_id: int, offset: int, user: User) -> list[int]:
    """Move one asset up (offset -1) or down (+1) in its gallery: the keyboard-friendly reorder."""
    require_staff(user)
    asset = load_asset(asset_id)
    ids = [a.id for a in _ordered_assets(asset.gallery_id)]
    index = ids.index(asset.id)
    target = max(0, min(len(ids) - 1, index + offset))
    ids.insert(target, ids.pop(index))
    return reorder(asset.gallery_id, ids, user)


def manage_listing(user: User, status: str | None = None) -> list[Gallery]:
    """Every gallery not in the trash, drafts too, newest first, for the manage dashboard."""
    require_staff(user)
    query = select(Gallery).where(Gallery.deleted_at.is_(None))
    if status in STATUSES:
        query = query.where(Gallery.status == status)
    return list(db.session.scalars(query.order_by(Gallery.updated_at.desc(), Gallery.id.desc())))


def gallery_assets(gallery_id: int) -> list[Asset]:
    """A gallery's assets in order, drafts included, trash excluded."""
    return _ordered_assets(gallery_id)


def _ordered_assets(gallery_id: int) -> list[Asset]:
    return list(db.session.scalars(
        select(Asset).where(Asset.gallery_id == gallery_id, Asset.deleted_at.is_(None))
        .order_by(Asset.position, Asset.id)))


def _parse_gallery(values: Mapping[str, Any]) -> dict[str, Any]:
    """Model attribute values from form or JSON values; errors name the field."""
    out: dict[str, Any] = {}
    if "title" in values:
        out["title"] = fields.text(values["title"], "title", 300, required=True)
    if "description" in values:
        out["description"] = fields.text(values["description"], "description", 20_000)
    if "credit" in values:
        out["credit"] = fields.text(values["credit"], "credit", 300)
    if "category" in values:
        if values["category"] in (None, ""):
            raise ValidationError("Choose a category.", field="category")
        out["category_id"] = catalogue.get_category(values["category"]).id
    if "country" in values:
        out["country_code"] = fields.country(values["country"])
    if "date" in values:
        out["date"] = fields.date(values["date"], "date")
    if "status" in values:
        out["status"] = fields.choice(values["status"], STATUSES, "status")
    if "editors_pick" in values:
        out["editors_pick"] = fields.boolean(values["editors_pick"], "editors_pick")
    if "pick_position" in values:
        out["pick_position"] = fields.integer(values["pick_position"], "pick_position", 0, 10_000,
                                              optional=True)
    if "cover_asset_id" in values:
        out["cover_asset_id"] = fields.integer(values["cover_asset_id"], "cover_asset_id", 1,
                                               optional=True)
    return out


def _pick_position(parsed: Mapping[str, Any]) -> int:
    """The given position, else after the last current pick."""
    if parsed.get("pick_position") is not None:
        return parsed["pick_position"]
    last = db.session.scalar(select(func.max(Gallery.pick_position)).where(Gallery.editors_pick))
    return (last or 0) + 1


def _reject_unknown(values: Mapping[str, Any], allowed: tuple[str, ...]) -> None:
    for name in values:
        if name not in allowed:
            raise ValidationError(f"Unknown field: {name}", field=name)


def _action(changes: Mapping[str, Any]) -> str:
    """A telling action name for the activity log."""
    keys = set(changes) - {"slug"}
    if keys == {"status"}:
        return "gallery.publish" if changes["status"][1] == "published" else "gallery.unpublish"
    if keys == {"cover_asset_id"}:
        return "gallery.cover"
    if keys <= {"editors_pick", "pick_position"}:
        return "gallery.pick"
    return "gallery.update"


from gallery.services.editorial_assets import (  # noqa: E402  re-exported, see the docstring
    bulk_update,
    move_asset,
    replace_file,
    update_asset,
)
from gallery.services.trash import (  # noqa: E402
    empty_trash,
    purge_asset,
    purge_gallery,
    restore_asset,
    restore_gallery,
    trash_asset,
    trash_gallery,
)

__all__ = [
    "create_gallery", "update_gallery", "set_cover", "publish", "unpublish", "set_editors_pick",
    "reorder", "move_in_order", "manage_listing", "gallery_assets", "update_asset", "move_asset",
    "replace_file", "bulk_update", "trash_gallery", "restore_gallery", "purge_gallery",
    "trash_asset", "restore_asset", "purge_asset", "empty_trash",
]

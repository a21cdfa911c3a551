"""Lightboxes: a user's named selections of assets from any gallery, with order and notes.

A lightbox belongs to one user; anyone else asking for it gets NotFound, staff included. Items
are kept when their asset later leaves public view: pages show them as no longer available, and
zips and links leave them out (the policy judges every viewer at the time they look).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from gallery import policy
from gallery.exceptions import NotFound, ValidationError
from gallery.extensions import db
from gallery.i18n.service_messages import N_
from gallery.i18n.terms import DEFAULT_LIGHTBOX
from gallery.models import Asset, Lightbox, LightboxItem, User, utcnow
from gallery.services import fields, unit

DEFAULT_NAME = DEFAULT_LIGHTBOX  # shown translated (i18n.terms.lightbox_name), stored in English
NAME_LIMIT = 120
NOTE_LIMIT = 2_000
ITEM_NOTE_LIMIT = 500
MAX_LIGHTBOXES = 100  # per user
MAX_ITEMS = 1_000  # per lightbox


@dataclass
class Entry:
    """One item as a viewer sees it: its asset, or None when the viewer may no longer see it."""

    item: LightboxItem
    asset: Asset | None


def default_for(user: User) -> Lightbox:
    """The user's default lightbox, made on first use."""
    user = policy.unproxied(user)
    found = db.session.scalar(select(Lightbox).where(Lightbox.user_id == user.id,
                                                     Lightbox.is_default.is_(True))
                              .order_by(Lightbox.id).limit(1))
    if found is not None:
        return found
    found = Lightbox(user_id=user.id, name=DEFAULT_NAME, note="", is_default=True)
    db.session.add(found)
    unit.commit(drain=False)
    return found


def current(user: User, chosen_id: Any) -> Lightbox:
    """The lightbox one-click buttons fill: the one the user chose (if still theirs), else the default."""
    chosen = fields.as_id(chosen_id)
    if chosen is not None:
        found = db.session.get(Lightbox, chosen)
        if found is not None and found.user_id == policy.unproxied(user).id:
            return found
    return default_for(user)


def peek_current(user: User, chosen_id: Any) -> Lightbox | None:
    """current() without making the default: pages only read (None before first use)."""
    user = policy.unproxied(user)
    chosen = fields.as_id(chosen_id)
    if chosen is not None:
        found = db.session.get(Lightbox, chosen)
        if found is not None and found.user_id == user.id:
            return found
    return db.session.scalar(select(Lightbox).where(Lightbox.user_id == user.id,
                                                    Lightbox.is_default.is_(True))
                             .order_by(Lightbox.id).limit(1))


def get(user: User, lightbox_id: Any) -> Lightbox:
    """The user's lightbox by id; NotFound for any other (another user's, unknown, malformed)."""
    found = db.session.get(Lightbox, lid) if (lid := fields.as_id(lightbox_id)) else None
    if found is None or not policy.is_authenticated(user) or found.user_id != policy.unproxied(user).id:
        raise NotFound("No such lightbox.")
    return found


def list_for(user: User) -> list[tuple[Lightbox, int]]:
    """The user's lightboxes (the default first, made if missing) with their item counts."""
    default_for(user)
    counts = (select(LightboxItem.lightbox_id, func.count().label("n"))
              .group_by(LightboxItem.lightbox_id).subquery())
    rows = db.session.execute(
        select(Lightbox, func.coalesce(counts.c.n, 0)).outerjoin(counts, counts.c.lightbox_id == Lightbox.id)
        .where(Lightbox.user_id == policy.unproxied(user).id)
        .order_by(Lightbox.is_default.desc(), Lightbox.name, Lightbox.id))
    return [(box, int(n)) for box, n in rows]


def count(lightbox: Lightbox | None) -> int:
    """How many items a lightbox holds (0 for none)."""
    if lightbox is None:
        return 0
    return db.session.scalar(select(func.count()).select_from(LightboxItem)
                             .where(LightboxItem.lightbox_id == lightbox.id)) or 0


def asset_ids(lightbox: Lightbox | None) -> set[int]:
    """The ids of the assets in a lightbox (the grids mark them), in one query."""
    if lightbox is None:
        return set()
    return set(db.session.scalars(select(LightboxItem.asset_id)
                                  .where(LightboxItem.lightbox_id == lightbox.id)))


@unit.use_case
def create(user: User, name: Any, note: Any = "") -> Lightbox:
    """Make a named lightbox."""
    user = policy.unproxied(user)
    name = fields.text(name, "name", NAME_LIMIT, required=True)
    note = fields.text(note, "note", NOTE_LIMIT)
    owned = db.session.scalar(select(func.count()).select_from(Lightbox).where(Lightbox.user_id == user.id))
    if owned >= MAX_LIGHTBOXES:
        raise ValidationError(N_("You have %(count)s lightboxes, the most one account may keep: "
                                 "delete one first.", count=owned), field="name")
    box = Lightbox(user_id=user.id, name=name, note=note, is_default=False)
    db.session.add(box)
    unit.commit(drain=False)
    return box


@unit.use_case
def update(user: User, lightbox: Lightbox, values: dict[str, Any]) -> Lightbox:
    """Rename a lightbox or change its note (only the keys given)."""
    get(user, lightbox.id)
    if "name" in values:
        lightbox.name = fields.text(values["name"], "name", NAME_LIMIT, required=True)
    if "note" in values:
        lightbox.note = fields.text(values["note"], "note", NOTE_LIMIT)
    unit.commit(drain=False)
    return lightbox


@unit.use_case
def remove_lightbox(user: User, lightbox: Lightbox) -> None:
    """Delete a lightbox, its items and its links (the default one comes back on next use)."""
    get(user, lightbox.id)
    db.session.delete(lightbox)
    unit.commit(drain=False)


@unit.use_case
def add(user: User, lightbox: Lightbox, asset_ids_in: Iterable[Any]) -> int:
    """Add assets the user may see, at the end; one already there stays where it is. Returns how many were new."""
    get(user, lightbox.id)
    ids = [fields.integer(i, "asset_id", minimum=1) for i in asset_ids_in]
    if not ids:
        raise ValidationError("Choose an item to add.", field="asset_id")
    if len(ids) > MAX_ITEMS:
        raise ValidationError(N_("Add at most %(limit)s items at once.", limit=MAX_ITEMS), field="asset_id")
    found = {a.id: a for a in db.session.scalars(select(Asset).where(Asset.id.in_(set(ids))))}
    for i in ids:
        if not policy.can_view_asset(user, found.get(i)):
            raise NotFound("No such item.", field="asset_id")
    present = asset_ids(lightbox)
    new = list(dict.fromkeys(i for i in ids if i not in present))
    if len(present) + len(new) > MAX_ITEMS:
        raise ValidationError(N_("A lightbox holds at most %(limit)s items.", limit=MAX_ITEMS), field="asset_id")
    last = db.session.scalar(select(func.max(LightboxItem.position))
                             .where(LightboxItem.lightbox_id == lightbox.id)) or 0
    for n, asset_id in enumerate(new, start=1):
        db.session.add(LightboxItem(lightbox_id=lightbox.id, asset_id=asset_id, position=last + n, note=""))
    lightbox.updated_at = utcnow()  # a change of items is a change of the lightbox (zip dates)
    try:
        unit.commit(drain=False)
    except IntegrityError:
        # The same add from two tabs at once: the other request put it there; adding is idempotent.
        return 0
    return len(new)


@unit.use_case
def remove(user: User, lightbox: Lightbox, asset_id: Any) -> bool:
    """Take an asset out (one no longer visible too); True if it was there."""
    get(user, lightbox.id)
    asset_id = fields.integer(asset_id, "asset_id", minimum=1)
    gone = db.session.execute(delete(LightboxItem).where(LightboxItem.lightbox_id == lightbox.id,
                                                         LightboxItem.asset_id == asset_id)).rowcount
    unit.commit(drain=False)
    db.session.expire(lightbox, ["items"])
    return bool(gone)


@unit.use_case
def reorder(user: User, lightbox: Lightbox, order: Any) -> list[int]:
    """Put the items in this order: every asset id of the lightbox, each once."""
    get(user, lightbox.id)
    ids = fields.id_list(order, "order")
    items = {item.asset_id: item for item in lightbox.items}
    if set(ids) != set(items):
        raise ValidationError("Send every item of the lightbox once, in the new order.", field="order")
    for position, asset_id in enumerate(ids, start=1):
        items[asset_id].position = position
    unit.commit(drain=False)
    db.session.expire(lightbox, ["items"])
    return ids


@unit.use_case
def move(user: User, lightbox: Lightbox, asset_id: Any, offset: Any) -> list[int]:
    """Move one item up (offset -1) or down (+1), for the buttons that work without JavaScript."""
    get(user, lightbox.id)
    asset_id = fields.integer(asset_id, "asset_id", minimum=1)
    offset = fields.integer(offset, "offset", minimum=-1, maximum=1)
    ids = [item.asset_id for item in lightbox.items]
    if asset_id not in ids:
        raise NotFound("That item is not in this lightbox.", field="asset_id")
    at = ids.index(asset_id)
    to = min(max(at + offset, 0), len(ids) - 1)
    ids.insert(to, ids.pop(at))
    return reorder(user, lightbox, ids)


@unit.use_case
def set_item_note(user: User, lightbox: Lightbox, asset_id: Any, note: Any) -> LightboxItem:
    """The collector's note on one item."""
    get(user, lightbox.id)
    asset_id = fields.integer(asset_id, "asset_id", minimum=1)
    item = next((i for i in lightbox.items if i.asset_id == asset_id), None)
    if item is None:
        raise NotFound("That item is not in this lightbox.", field="asset_id")
    item.note = fields.text(note, "note", ITEM_NOTE_LIMIT)
    unit.commit(drain=False)
    return item


def entries(viewer: Any, lightbox: Lightbox) -> list[Entry]:
    """The items in order, each with its asset only if this viewer may see it now."""
    items = list(db.session.scalars(
        select(LightboxItem).where(LightboxItem.lightbox_id == lightbox.id)
        .options(selectinload(LightboxItem.asset).selectinload(Asset.renditions),
                 selectinload(LightboxItem.asset).selectinload(Asset.work),
                 selectinload(LightboxItem.asset).joinedload(Asset.gallery))
        .order_by(LightboxItem.position, LightboxItem.id)))
    viewer = policy.unproxied(viewer)
    return [Entry(item, item.asset if policy.can_view_asset(viewer, item.asset) else None)
            for item in items]


def visible_assets(viewer: Any, lightbox: Lightbox) -> list[Asset]:
    """The assets of a lightbox this viewer may see, in its order (what a zip is made of)."""
    return [e.asset for e in entries(viewer, lightbox) if e.asset is not None]

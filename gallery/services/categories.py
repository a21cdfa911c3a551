"""Category administration: add, rename, reorder, merge (admins)."""
from __future__ import annotations

from typing import Any

from sqlalchemy import func, select, update

from gallery.exceptions import NotFound, ValidationError
from gallery.extensions import db
from gallery.models import Category, Gallery, User
from gallery.services import activity, fields, search, tallies, unit
from gallery.services.galleries import queue_galleries
from gallery.services.permissions import require_admin
from gallery.text import slugify


def list_categories() -> list[tuple[Category, int]]:
    """Every category in display order, with how many galleries (not trashed) it holds."""
    counts = dict(db.session.execute(
        select(Gallery.category_id, func.count()).where(Gallery.deleted_at.is_(None))
        .group_by(Gallery.category_id)).all())
    cats = db.session.scalars(select(Category).order_by(Category.position, Category.name))
    return [(c, counts.get(c.id, 0)) for c in cats]


@unit.use_case
def add_category(name: Any, user: User) -> Category:
    """Add a category at the end of the list."""
    require_admin(user)
    name = fields.text(name, "name", 120, required=True)
    _check_free(name)
    last = db.session.scalar(select(func.max(Category.position)))
    category = Category(name=name, slug=slugify(name, 120), position=(last or 0) + 1)
    db.session.add(category)
    db.session.flush()
    activity.record(user, "category.add", category_id=category.id, name=name)
    unit.commit()
    return category


@unit.use_case
def rename_category(category_id: int, name: Any, user: User) -> Category:
    """Rename a category; every asset filed under it is reindexed."""
    require_admin(user)
    category = _load(category_id)
    name = fields.text(name, "name", 120, required=True)
    if name == category.name:
        return category
    _check_free(name, exclude=category.id)
    old = category.name
    category.name, category.slug = name, slugify(name, 120)
    search.queue_category(category.id)
    activity.record(user, "category.rename", category_id=category.id, changes={"name": [old, name]})
    unit.commit()
    return category


@unit.use_case
def reorder_categories(ordered_ids: Any, user: User) -> list[int]:
    """Set category positions from an ordered list of every category id."""
    require_admin(user)
    ids = fields.id_list(ordered_ids, "order")
    cats = {c.id: c for c in db.session.scalars(select(Category))}
    if set(ids) != set(cats):
        raise ValidationError("The order must list every category exactly once.", field="order")
    for position, cid in enumerate(ids, start=1):
        cats[cid].position = position
    activity.record(user, "category.reorder", order=ids)
    unit.commit()
    return ids


def move_category(category_id: int, offset: int, user: User) -> list[int]:
    """Move one category up (-1) or down (+1): the keyboard-friendly reorder."""
    require_admin(user)
    ids = [c.id for c, _ in list_categories()]
    if category_id not in ids:
        raise NotFound("No such category.")
    index = ids.index(category_id)
    ids.insert(max(0, min(len(ids) - 1, index + offset)), ids.pop(index))
    return reorder_categories(ids, user)


@unit.use_case
def merge_categories(source_id: int, target_id: Any, user: User) -> Category:
    """Move every gallery of one category into another, reindex them, and remove the first."""
    require_admin(user)
    source = _load(source_id)
    target_id = fields.integer(target_id, "target", minimum=1)
    if target_id == source.id:
        raise ValidationError("Choose a different category to merge into.", field="target")
    target = _load(target_id)  # type: ignore[arg-type]
    gallery_ids = _gallery_ids(source.id)
    db.session.execute(update(Gallery).where(Gallery.category_id == source.id)
                       .values(category_id=target.id))
    tallies.note_categories(db.session, (source.id, target.id))
    queue_galleries(gallery_ids)
    for gid in gallery_ids:
        activity.record(user, "gallery.update", gallery_id=gid,
                        changes={"category_id": [source.id, target.id]}, via="category merge")
    activity.record(user, "category.merge", source=source.name, target=target.name,
                    galleries=len(gallery_ids))
    db.session.delete(source)
    unit.commit()
    db.session.expire_all()  # galleries loaded earlier still point at the old category
    return target


def _load(category_id: int) -> Category:
    category = db.session.get(Category, category_id)
    if category is None:
        raise NotFound("No such category.")
    return category


def _gallery_ids(category_id: int) -> list[int]:
    return list(db.session.scalars(select(Gallery.id).where(Gallery.category_id == category_id)))


def _check_free(name: str, exclude: int | None = None) -> None:
    query = select(Category.id).where(
        (func.lower(Category.name) == name.lower()) | (Category.slug == slugify(name, 120)))
    if exclude is not None:
        query = query.where(Category.id != exclude)
    if db.session.scalar(query) is not None:
        raise ValidationError("A category with this name already exists.", field="name")

"""Galleries: every create and edit (fields, cover, publish, editors' pick, order) and lookups."""
from __future__ import annotations

import datetime as dt
from typing import Any, Iterable, Mapping

from sqlalchemy import func, select

from gallery.countries import country_code
from gallery.exceptions import NotFound, ValidationError
from gallery.extensions import db
from gallery.i18n.service_messages import N_
from gallery.models import STATUSES, Asset, Category, Gallery, User
from gallery.services import activity, fields, search, translations, unit, work
from gallery.services.permissions import require_staff
from gallery.text import natural_key, slugify

GALLERY_FIELDS = ("title", "description", "category", "country", "credit", "date", "status",
                  "editors_pick", "pick_position", "cover_asset_id", "embargo_until", "licence",
                  "usage_terms", "restrictions", "language", "translations")
# Changes to these fields alter the search documents of every asset in the gallery.
INDEXED_FIELDS = {"title", "slug", "description", "category_id", "country_code", "credit", "date",
                  "status", "embargo_until", "licence", "usage_terms", "restrictions",
                  "language", "translations"}


@unit.use_case
def create_gallery(values: Mapping[str, Any], user: User | None, *, script: bool = False) -> Gallery:
    """Create a gallery (a draft unless told otherwise), log it and commit.

    script=True is the command line, demo data or a fixture: trusted, so no permission check
    and no activity entry (the log records what editors change).
    """
    if not script:
        require_staff(user)
    _reject_unknown(values, GALLERY_FIELDS)
    parsed = _parse_gallery(values)
    parsed.setdefault("language", translations.catalogue_language())
    parsed.setdefault("translations", {})
    if "title" not in parsed:
        raise ValidationError("A gallery needs a title.", field="title")
    if "category_id" not in parsed:
        raise ValidationError("Choose a category.", field="category")
    pick = parsed.get("editors_pick", False)
    gallery = Gallery(
        title=parsed["title"], slug=slugify(parsed["title"]),
        description=parsed.get("description", ""), credit=parsed.get("credit", ""),
        category_id=parsed["category_id"], country_code=parsed.get("country_code"),
        date=parsed.get("date"), status=parsed.get("status", "draft"), editors_pick=pick,
        embargo_until=parsed.get("embargo_until"), licence=parsed.get("licence", ""),
        usage_terms=parsed.get("usage_terms", ""), restrictions=parsed.get("restrictions", ""),
        pick_position=_pick_position(parsed) if pick else None,
        language=parsed["language"], translations=parsed["translations"],
        created_by_id=user.id if user is not None else None)
    db.session.add(gallery)
    if not script:
        db.session.flush()  # the activity entry needs the new gallery's id
        activity.record(user, "gallery.create", gallery_id=gallery.id, title=gallery.title)
    unit.commit()
    return gallery


def find_or_create_gallery(*, title: str, category: str | int, country: str | None = None,
                           user: User | None = None, **values: Any) -> tuple[Gallery, bool]:
    """The live gallery with this title, category and country, or a new one: (gallery, created).

    For scripts (command-line import): a new gallery is made with create_gallery(script=True).
    """
    cat = get_category(category)
    code = country_code(country) if country else None
    if country and code is None:
        raise ValidationError(N_("Unknown country: %(value)s", value=country), field="country")
    same_country = Gallery.country_code.is_(None) if code is None else Gallery.country_code == code
    found = db.session.scalar(
        select(Gallery).where(Gallery.title == (title or "").strip()[:300],
                              Gallery.category_id == cat.id, same_country,
                              Gallery.deleted_at.is_(None))
        .order_by(Gallery.id).limit(1))
    if found is not None:
        return found, False
    values = {"title": title, "category": cat.id, "country": code, **values}
    return create_gallery(values, user, script=True), True


@unit.use_case
def update_gallery(gallery_id: int, values: Mapping[str, Any], user: User) -> Gallery:
    """Change a gallery's fields (any of GALLERY_FIELDS), reindex its assets, log the change."""
    require_staff(user)
    _reject_unknown(values, GALLERY_FIELDS)
    gallery = load_gallery(gallery_id)
    parsed = _parse_gallery(values, gallery)
    if "cover_asset_id" in parsed and parsed["cover_asset_id"] is not None:
        cover = db.session.get(Asset, parsed["cover_asset_id"])
        if cover is None or cover.deleted_at is not None:
            raise NotFound("No such asset.")
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
    changes = activity.apply_changes(gallery, parsed)
    if not changes:
        return gallery
    if INDEXED_FIELDS & changes.keys():
        queue_galleries([gallery.id])
    recredit: list[int] = []
    if work.GALLERY_CREDIT_FIELDS & changes.keys():  # its items' served originals and proxies carry the credit line
        recredit = work.recredit(db.session.scalars(select(Asset).where(
            Asset.gallery_id == gallery.id, Asset.deleted_at.is_(None))))
    activity.record(user, _action(changes), gallery_id=gallery.id, changes=changes)
    unit.commit(look_at=recredit)
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


@unit.use_case
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
        search.queue_assets(ids)  # documents may sort by position
    unit.commit()
    return ids


ARRANGE_ORDERS = ("selection", "name", "date")


def arrange(gallery_id: int, ids: Any, order: str, user: User) -> list[int]:
    """Put some of a gallery's assets in the given order (or sorted), in the positions they hold.

    The upload page sends one upload's files once all are in (they arrive out of order), as
    selected (`selection`) or to be sorted by file name or date taken; a paged manage list sends
    one page after a drag. Only the positions these assets hold are shuffled: the rest stay put.
    """
    require_staff(user)
    gallery = load_gallery(gallery_id)
    order = fields.choice(order or "selection", ARRANGE_ORDERS, "order")
    wanted = fields.id_list(ids, "ids")
    found = {a.id: a for a in db.session.scalars(
        select(Asset).where(Asset.id.in_(wanted), Asset.gallery_id == gallery.id,
                            Asset.deleted_at.is_(None)))}
    if len(found) != len(set(wanted)):
        raise ValidationError("Some of these files are not in this gallery.", field="ids")
    chosen = [found[i] for i in wanted]
    if order == "name":
        chosen.sort(key=lambda a: natural_key(a.original_filename))
    elif order == "date":  # undated files after the dated ones, by name
        chosen.sort(key=lambda a: (a.date_taken is None, a.date_taken or dt.date.min,
                                   natural_key(a.original_filename)))
    # The places these assets hold in the gallery's order take them in the new order. The whole
    # gallery is numbered again: files uploaded side by side can share a position.
    listed = _ordered_assets(gallery.id)
    slots = iter(chosen)
    moved = []
    for position, asset in enumerate(listed, start=1):
        if asset.id in found:
            asset = next(slots)
        if asset.position != position:
            asset.position = position
            moved.append(asset.id)
    search.queue_assets(moved)  # documents may sort by position
    unit.commit()
    return [a.id for a in chosen]


def asset_ids(gallery_id: int, user: User) -> list[int]:
    """Every asset id of a gallery in order, drafts included, trash excluded (a bulk edit of all)."""
    require_staff(user)
    return list(db.session.scalars(
        select(Asset.id).where(Asset.gallery_id == load_gallery(gallery_id).id, Asset.deleted_at.is_(None))
        .order_by(Asset.position, Asset.id)))


def gallery_assets(gallery_id: int) -> list[Asset]:
    """A gallery's assets in order, drafts included, trash excluded."""
    return _ordered_assets(gallery_id)


def _ordered_assets(gallery_id: int) -> list[Asset]:
    return list(db.session.scalars(
        select(Asset).where(Asset.gallery_id == gallery_id, Asset.deleted_at.is_(None))
        .order_by(Asset.position, Asset.id)))


def _parse_gallery(values: Mapping[str, Any], gallery: Gallery | None = None) -> dict[str, Any]:
    """Model attribute values from form or JSON values; errors name the field."""
    out: dict[str, Any] = {}
    if "language" in values:
        out["language"] = translations.check_language(values["language"])
    language = out.get("language") or (gallery.language if gallery is not None
                                       else translations.catalogue_language())
    originals, translated = translations.parse(values, translations.GALLERY_FIELDS, language,
                                               gallery.translations if gallery is not None else None)
    if translated is not None:
        out["translations"] = translated
    values = {**values, **originals}
    if "title" in values and not isinstance(values["title"], Mapping):
        out["title"] = fields.text(values["title"], "title", 300, required=True)
    if "description" in values and not isinstance(values["description"], Mapping):
        out["description"] = fields.text(values["description"], "description", 20_000)
    if "credit" in values:
        out["credit"] = fields.text(values["credit"], "credit", 300)
    if "category" in values:
        if values["category"] in (None, ""):
            raise ValidationError("Choose a category.", field="category")
        out["category_id"] = get_category(values["category"]).id
    if "country" in values:
        out["country_code"] = fields.country(values["country"])
    if "date" in values:
        out["date"] = fields.date(values["date"], "date")
    if "status" in values:
        out["status"] = fields.choice(values["status"], STATUSES, "status")
    out.update(fields.schedule_fields(values))  # a gallery has no rights_expire_on: refused above
    out.update(fields.rights_fields(values))
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
            raise ValidationError(N_("Unknown field: %(name)s", name=name), field=name)


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


def load_gallery(gallery_id: int, *, trashed: bool | None = False) -> Gallery:
    """A gallery by id; trashed=False hides the trash, True wants it, None takes either."""
    gallery = db.session.get(Gallery, gallery_id)
    if gallery is None or (trashed is not None and (gallery.deleted_at is not None) != trashed):
        raise NotFound(N_("No such gallery.") if not trashed else N_("No such gallery in the trash."))
    return gallery


def get_category(value: str | int) -> Category:
    """Find a category by id, slug or name (case-insensitive)."""
    session = db.session
    if isinstance(value, int) or str(value).strip().isdigit():
        number = fields.as_id(value)  # ids only: "²" and 2**40 are no category's id
        found = session.get(Category, number) if number is not None else None
    else:
        text = str(value).strip()
        found = session.scalar(select(Category).where(
            (Category.slug == slugify(text)) | (func.lower(Category.name) == text.lower())))
    if found is None:
        raise ValidationError(N_("Unknown category: %(value)s", value=value), field="category")
    return found


def queue_galleries(gallery_ids: Iterable[int], operation: str = "upsert") -> None:
    """Queue every asset of the galleries for reindexing (their documents carry gallery fields)."""
    for gallery_id in sorted(set(gallery_ids)):
        search.queue_gallery(gallery_id, operation)

"""Read-only queries behind the browse pages and the JSON API, in a bounded number of queries."""
from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any, Generic, Mapping, Sequence, TypeVar

from sqlalchemy import Select, case, func, or_, select
from sqlalchemy.orm import contains_eager, selectinload

from gallery import clock, policy
from gallery.exceptions import ValidationError
from gallery.extensions import db
from gallery.i18n.service_messages import N_, term
from gallery.models import MEDIA_TYPES, Asset, Category, Country, Gallery, GalleryTally
from gallery.services import tallies, translations

T = TypeVar("T")
MAX_PAGE = 100_000


@dataclass
class Page(Generic[T]):
    """One page of results with what the pager needs."""

    items: list[T]
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        """Number of pages (at least 1, so 'page 1 of 1' reads right when empty)."""
        return max(1, math.ceil(self.total / self.per_page)) if self.per_page else 1


@dataclass
class Filters:
    """Gallery list filters, already checked against the database."""

    category: Category | None = None
    country: Country | None = None
    media_type: str | None = None
    notices: list[str] = field(default_factory=list)

    def args(self) -> dict[str, str]:
        """The filters as query arguments."""
        out: dict[str, str] = {}
        if self.category:
            out["category"] = self.category.slug
        if self.country:
            out["country"] = self.country.slug
        if self.media_type:
            out["type"] = self.media_type
        return out


def parse_page(value: Any, strict: bool = False) -> int:
    """A page number from a query string; bad values become 1 (or a ValidationError when strict)."""
    if value in (None, ""):
        return 1
    try:
        page = int(str(value).strip())
    except ValueError:
        page = 0
    if page < 1 or page > MAX_PAGE:
        if strict:
            raise ValidationError(N_("page must be a whole number from 1 to %(maximum)s.", maximum=MAX_PAGE),
                                  field="page")
        return 1
    return page


def parse_per_page(value: Any, default: int, maximum: int) -> int:
    """A page size from a query string, between 1 and the maximum."""
    if value in (None, ""):
        return default
    try:
        per_page = int(str(value).strip())
    except ValueError:
        per_page = 0
    if per_page < 1:
        raise ValidationError(N_("per_page must be a whole number from 1 to %(maximum)s.", maximum=maximum),
                              field="per_page")
    return min(per_page, maximum)


def parse_filters(args: Mapping[str, str], strict: bool = False) -> Filters:
    """Read category, country and type filters; unknown values are dropped with a notice (or raise)."""
    filters = Filters()
    slug = (args.get("category") or "").strip().lower()
    if slug:
        filters.category = db.session.scalar(select(Category).where(Category.slug == slug))
        if filters.category is None:
            _reject(filters, strict, "category", N_("There is no category “%(slug)s”.", slug=slug[:60]))
    code = (args.get("country") or "").strip().upper()
    if code:
        filters.country = db.session.get(Country, code) if len(code) == 3 and code.isalpha() else None
        if filters.country is None:
            _reject(filters, strict, "country",
                    N_("There is no country with the code “%(code)s” (use an ISO alpha-3 code such as YEM).",
                       code=code[:60]))
    media_type = (args.get("type") or "").strip().lower()
    if media_type:
        if media_type in MEDIA_TYPES:
            filters.media_type = media_type
        else:
            _reject(filters, strict, "type", N_("The type must be image, video or audio."))
    return filters


def _reject(filters: Filters, strict: bool, name: str, message: str) -> None:
    if strict:
        raise ValidationError(message, field=name)
    filters.notices.append(N_("%(problem)s The filter was ignored.", problem=term(message)))


def visible_galleries(user: Any) -> Select:
    """Galleries this user may see in lists: published ones, plus drafts for staff; never the trash."""
    query = select(Gallery).where(Gallery.deleted_at.is_(None))
    if not policy.is_staff(user):
        query = query.where(policy.public_gallery_clause())
    return query


def _filtered(query: Select, filters: Filters) -> Select:
    if filters.category is not None:
        query = query.where(Gallery.category_id == filters.category.id)
    if filters.country is not None:
        query = query.where(Gallery.country_code == filters.country.alpha3)
    if filters.media_type:
        query = query.where(getattr(Gallery, f"{filters.media_type}_count") > 0)
    return query


def list_galleries(user: Any, filters: Filters, page: int = 1, per_page: int = 24,
                   order: str = "latest") -> Page[Gallery]:
    """A page of visible galleries matching the filters, newest first (or by pick position)."""
    query = _filtered(visible_galleries(user), filters)
    total = _list_total(user, filters)
    if total is None:
        total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    if order == "picks":
        ordering = (Gallery.pick_position.is_(None), Gallery.pick_position, Gallery.id)
        query = query.where(Gallery.editors_pick.is_(True))
        ids = (query.with_only_columns(Gallery.id).order_by(*ordering)
               .offset((page - 1) * per_page).limit(per_page))
    else:
        ordering = (Gallery.created_at.desc(), Gallery.id.desc())
        ids = _seek(query.with_only_columns(Gallery.id), total, page, per_page)
    # The page's ids first, from ix_galleries_listing alone, then their rows: an OFFSET over the
    # rows themselves read every skipped gallery (200 ms for the last of 40,000).
    items = list(db.session.scalars(select(Gallery).where(Gallery.id.in_(ids)).order_by(*ordering)))
    return Page(items, page, per_page, total)


def _seek(ids: Select, total: int, page: int, per_page: int) -> Select:
    """The ids of a page of the newest-first list, read from the nearer end of the index.

    Pages past the middle walk the index from the oldest end, so the last page of 40,000
    galleries reads its own 24 entries, not the 39,976 before them.
    """
    offset = (page - 1) * per_page
    if offset * 2 <= total:
        return ids.order_by(Gallery.created_at.desc(), Gallery.id.desc()).offset(offset).limit(per_page)
    return (ids.order_by(Gallery.created_at, Gallery.id)
            .offset(max(0, total - offset - per_page)).limit(max(0, min(per_page, total - offset))))


def _list_total(user: Any, filters: Filters) -> int | None:
    """The list's total from the maintained tallies, or None where they cannot say (count live)."""
    category = filters.category.id if filters.category is not None else None
    country = filters.country.alpha3 if filters.country is not None else None
    if not policy.is_staff(user):
        return tallies.public_total(db.session, category, country, filters.media_type)
    if filters.media_type:
        return None  # staff lists count drafts' items too: not tallied
    return tallies.staff_total(db.session, category, country)


def editors_picks(user: Any, filters: Filters, limit: int = 8) -> list[Gallery]:
    """Editors' picks in pick order."""
    query = _filtered(visible_galleries(user), filters).where(Gallery.editors_pick.is_(True))
    query = query.order_by(Gallery.pick_position.is_(None), Gallery.pick_position, Gallery.id)
    return list(db.session.scalars(query.limit(limit)))


def related_galleries(user: Any, gallery: Gallery, limit: int = 4) -> list[Gallery]:
    """Other galleries of the same category, those of the same country first, newest first."""
    same_country = case((Gallery.country_code == gallery.country_code, 0), else_=1) \
        if gallery.country_code else case((Gallery.id.is_(None), 0), else_=1)
    query = (visible_galleries(user).where(Gallery.category_id == gallery.category_id, Gallery.id != gallery.id)
             .order_by(same_country, Gallery.date.desc().nulls_last(), Gallery.created_at.desc(), Gallery.id.desc())
             .limit(limit))
    return list(db.session.scalars(query))


def covers(user: Any, galleries: Sequence[Gallery]) -> dict[int, Asset]:
    """Card image of each gallery in two queries: its cover asset if visible, else its first asset."""
    ids = [g.id for g in galleries]
    if not ids:
        return {}
    query = select(
        Asset.id, Asset.gallery_id,
        func.row_number().over(
            partition_by=Asset.gallery_id,
            order_by=(case((Asset.id == Gallery.cover_asset_id, 0), else_=1), Asset.position, Asset.id),
        ).label("rank"),
    ).join(Gallery, Gallery.id == Asset.gallery_id).where(Asset.gallery_id.in_(ids),
                                                          policy.visible_asset_clause(user))
    ranked = query.subquery()
    first_ids = select(ranked.c.id).where(ranked.c.rank == 1)
    assets = db.session.scalars(
        select(Asset).where(Asset.id.in_(first_ids)).options(selectinload(Asset.renditions)))
    return {a.gallery_id: a for a in assets}


def _public_counts(key, *where) -> Any:
    """Published galleries counted per `key` column, as a subquery (key, n): the live count.

    Grouping the galleries first walks ix_galleries_listing once; joining categories to galleries
    and grouping after walked it once per category (1.2 s at 40,000 galleries). Used only while
    an embargo has fallen due and the schedule has not lifted it yet (services/tallies.py).
    """
    return (select(key.label("key"), func.count().label("n"))
            .where(policy.public_gallery_clause(), *where).group_by(key).subquery())


def category_counts() -> list[tuple[Category, int]]:
    """Every category with its number of published galleries, from the tallies in one query."""
    counted = tallies.grouped(GalleryTally.category_id)
    rows = db.session.execute(
        select(Category, func.coalesce(counted.c.n, 0), counted.c.due)
        .outerjoin(counted, counted.c.key == Category.id)
        .order_by(Category.position, Category.name)).all()
    if tallies.fresh(due for _c, _n, due in rows):
        return [(c, int(n)) for c, n, _due in rows]
    live = _public_counts(Gallery.category_id)
    rows = db.session.execute(
        select(Category, func.coalesce(live.c.n, 0))
        .outerjoin(live, live.c.key == Category.id)
        .order_by(Category.position, Category.name)).all()
    return [(c, n) for c, n in rows]


def country_counts(category: Category | None = None) -> list[tuple[Country, int]]:
    """Countries that have published galleries (optionally within a category), with counts."""
    where = [GalleryTally.category_id == category.id] if category is not None else []
    counted = tallies.grouped(GalleryTally.country_code, *where)
    rows = db.session.execute(select(Country, counted.c.n, counted.c.due)
                              .join(counted, counted.c.key == Country.alpha3)
                              .order_by(Country.name)).all()
    if tallies.fresh(due for _c, _n, due in rows):
        return [(c, int(n)) for c, n, _due in rows if n]
    live = _public_counts(Gallery.country_code,
                          *([Gallery.category_id == category.id] if category is not None else []))
    rows = db.session.execute(select(Country, live.c.n).join(live, live.c.key == Country.alpha3)
                              .order_by(Country.name)).all()
    return [(c, n) for c, n in rows]


def categories_in_country(country: Country) -> list[tuple[Category, int]]:
    """Categories that have published galleries in a country, with counts."""
    counted = tallies.grouped(GalleryTally.category_id, GalleryTally.country_code == country.alpha3)
    rows = db.session.execute(select(Category, counted.c.n, counted.c.due)
                              .join(counted, counted.c.key == Category.id)
                              .order_by(Category.position, Category.name)).all()
    if tallies.fresh(due for _c, _n, due in rows):
        return [(c, int(n)) for c, n, _due in rows if n]
    live = _public_counts(Gallery.category_id, Gallery.country_code == country.alpha3)
    rows = db.session.execute(select(Category, live.c.n).join(live, live.c.key == Category.id)
                              .order_by(Category.position, Category.name)).all()
    return [(c, n) for c, n in rows]


def get_category(slug: str) -> Category | None:
    """A category by its slug."""
    return db.session.scalar(select(Category).where(Category.slug == slug.lower()))


def get_country(code: str) -> Country | None:
    """A country by its alpha-3 code, any case."""
    code = (code or "").upper()
    if len(code) != 3 or not code.isalpha():
        return None
    return db.session.get(Country, code)


def get_gallery(user: Any, gallery_id: int) -> Gallery | None:
    """A gallery this user may browse, or None (trashed ones for no one: see manage's trash)."""
    found = db.session.get(Gallery, gallery_id)
    return found if policy.can_view_gallery(user, found) else None


def _visible_assets(user: Any, gallery_id: int) -> Select:
    return select(Asset).where(Asset.gallery_id == gallery_id, policy.visible_asset_clause(user))


def visible_count(user: Any, gallery: Gallery) -> int:
    """Number of assets of the gallery this user sees (denormalised for the public)."""
    if not policy.is_staff(user):
        return gallery.item_count  # public assets, kept by counts.refresh_counts
    return db.session.scalar(select(func.count()).select_from(
        _visible_assets(user, gallery.id).subquery())) or 0


def gallery_assets(user: Any, gallery: Gallery, page: int = 1, per_page: int = 60) -> Page[Asset]:
    """A page of the gallery's visible assets in position order, renditions loaded in one query."""
    total = visible_count(user, gallery)
    query = (_visible_assets(user, gallery.id).order_by(Asset.position, Asset.id)
             .offset((page - 1) * per_page).limit(per_page).options(selectinload(Asset.renditions)))
    return Page(list(db.session.scalars(query)), page, per_page, total)


def caption_grid(gallery: Gallery, ids: list[int], page: int, per_page: int) -> Page[Asset]:
    """A page of the caption grid (staff): every item of the gallery, or the ids just uploaded."""
    # Paged: one form of 608 items was 1.1 MB of HTML; each page saves its own items.
    query = select(Asset).where(Asset.gallery_id == gallery.id, Asset.deleted_at.is_(None))
    if ids:
        query = query.where(Asset.id.in_(ids))
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    items = db.session.scalars(query.order_by(Asset.position, Asset.id)
                               .offset((page - 1) * per_page).limit(per_page)
                               .options(selectinload(Asset.renditions)))
    return Page(list(items), page, per_page, total)


SINCE = {"week": 7, "month": 30}  # ?since= on the items page: days back


def recent_assets(user: Any, media_type: str | None, since_days: int | None, page: int = 1,
                  per_page: int = 60) -> Page[Asset]:
    """Items across every gallery this user sees, newest first (all videos, new this week...)."""
    query = (select(Asset).join(Gallery, Gallery.id == Asset.gallery_id)
             .where(policy.visible_asset_clause(user)))
    if not policy.is_staff(user):
        query = query.where(policy.public_gallery_clause())
    else:
        query = query.where(Gallery.deleted_at.is_(None))
    if media_type:
        query = query.where(Asset.media_type == media_type)
    if since_days:
        query = query.where(Asset.created_at >= clock.now() - dt.timedelta(days=since_days))
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    # The gallery comes with the row from the join: tiles read its language (translated texts).
    items = db.session.scalars(query.order_by(Asset.created_at.desc(), Asset.id.desc())
                               .offset((page - 1) * per_page).limit(per_page)
                               .options(selectinload(Asset.renditions), contains_eager(Asset.gallery)))
    return Page(list(items), page, per_page, total)


def get_asset(user: Any, asset_id: int) -> Asset | None:
    """An asset this user may see (with its gallery), or None."""
    found = db.session.scalar(select(Asset).where(Asset.id == asset_id)
                              .options(selectinload(Asset.renditions)))
    # can_view_asset also refuses the trash: it is managed in /manage/trash, never browsed.
    return found if policy.can_view_asset(user, found) else None


def heading(asset: Asset, index: int, page: str = "en") -> str:
    """The asset page's heading: the title (in the page's language if translated), else 'Photo 3 of <gallery>'."""
    # Not display_title: without a title it is the caption's start, shown again right below.
    title = translations.localized(asset, "title", page)
    return title or translations.Localized(asset.numbered_title(index), page, page)


def neighbours(user: Any, asset: Asset) -> tuple[Asset | None, Asset | None]:
    """Previous and next visible assets within the asset's gallery, by position."""
    base = _visible_assets(user, asset.gallery_id)
    before = or_(Asset.position < asset.position,
                 (Asset.position == asset.position) & (Asset.id < asset.id))
    after = or_(Asset.position > asset.position,
                (Asset.position == asset.position) & (Asset.id > asset.id))
    prev = db.session.scalar(base.where(before).order_by(Asset.position.desc(), Asset.id.desc()).limit(1))
    nxt = db.session.scalar(base.where(after).order_by(Asset.position, Asset.id).limit(1))
    return prev, nxt


def asset_index(user: Any, asset: Asset) -> int:
    """1-based position of the asset among the visible assets of its gallery."""
    before = or_(Asset.position < asset.position,
                 (Asset.position == asset.position) & (Asset.id < asset.id))
    query = _visible_assets(user, asset.gallery_id).where(before)
    return (db.session.scalar(select(func.count()).select_from(query.subquery())) or 0) + 1

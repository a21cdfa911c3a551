"""The staff dashboard's gallery list: search, filters, sort and pages over every gallery."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Mapping

from sqlalchemy import exists, func, select

from gallery.extensions import db
from gallery.i18n.names import N_
from gallery.models import STATUSES, Asset, AssetWork, Gallery, User
from gallery.services import tallies
from gallery.services.browsing import Page, parse_page
from gallery.services.permissions import require_staff

DIGITS = re.compile(r"[0-9]{1,9}")
# Labels are msgids (N_): the dashboard shows them in the page's language.
SORTS = {"updated": N_("Last updated"), "created": N_("Newest"), "title": N_("Title"), "size": N_("Most items")}


@dataclass
class DashboardQuery:
    """What the dashboard was asked for; anything unknown in the query string is dropped."""

    q: str = ""
    status: str = ""
    category: int | None = None
    country: str = ""
    owner: int | None = None
    failed: bool = False
    consent_unknown: bool = False
    sort: str = "updated"
    page: int = 1

    @classmethod
    def from_args(cls, args: Mapping[str, Any]) -> DashboardQuery:
        """Read the filters from a query string; bad values are ignored, never an error page."""
        def number(name: str) -> int | None:
            value = str(args.get(name) or "").strip()
            return int(value) if DIGITS.fullmatch(value) else None  # ASCII only: "²" is a digit too

        country = str(args.get("country") or "").strip().upper()
        return cls(q=str(args.get("q") or "").strip()[:200],
                   status=args.get("status") if args.get("status") in STATUSES else "",
                   category=number("category"),
                   country=country if len(country) == 3 and country.isalpha() else "",
                   owner=number("owner"),
                   failed=args.get("failed") == "1",
                   consent_unknown=args.get("consent") == "unknown",
                   sort=args.get("sort") if args.get("sort") in SORTS else "updated",
                   page=parse_page(args.get("page")))

    def args(self) -> dict[str, Any]:
        """The filters as query arguments (for the pager and the sort links)."""
        out = {"q": self.q, "status": self.status, "category": self.category, "country": self.country,
               "owner": self.owner, "failed": "1" if self.failed else None,
               "consent": "unknown" if self.consent_unknown else None,
               "sort": self.sort if self.sort != "updated" else None}
        return {k: v for k, v in out.items() if v not in (None, "")}


def listing(user: User, query: DashboardQuery, per_page: int) -> Page[tuple[Gallery, int]]:
    """A page of galleries (not in the trash) with their item counts, drafts and staff-only included."""
    require_staff(user)
    where = [Gallery.deleted_at.is_(None)]
    if query.q:
        words = query.q.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        where.append(func.lower(Gallery.title).like(f"%{words}%", escape="\\"))
    if query.status:
        where.append(Gallery.status == query.status)
    if query.category:
        where.append(Gallery.category_id == query.category)
    if query.country:
        where.append(Gallery.country_code == query.country)
    if query.owner:
        where.append(Gallery.created_by_id == query.owner)
    if query.failed:
        where.append(exists().where(AssetWork.state == "failed", AssetWork.asset_id == Asset.id,
                                    Asset.gallery_id == Gallery.id, Asset.deleted_at.is_(None)))
    if query.consent_unknown:
        where.append(exists().where(Asset.gallery_id == Gallery.id, Asset.consent == "unknown",
                                    Asset.deleted_at.is_(None)))
    order = {"updated": (Gallery.updated_at.desc(),), "created": (Gallery.created_at.desc(),),
             "title": (func.lower(Gallery.title),), "size": (Gallery.asset_count.desc(),)}[query.sort]
    if query.q or query.owner or query.failed or query.consent_unknown:
        total = db.session.scalar(select(func.count(Gallery.id)).where(*where)) or 0
    else:
        # Status, category and country alone: the maintained tallies say it without counting
        # every gallery (40,000 rows at the scale of issue 19).
        total = tallies.staff_total(db.session, query.category, query.country or None, query.status or None)
    # The page's ids first (from an index where the sort has one), then their rows; the item
    # counts are the galleries' own (counts.refresh_counts keeps asset_count).
    ids = (select(Gallery.id).where(*where).order_by(*order, Gallery.id.desc())
           .offset((query.page - 1) * per_page).limit(per_page))
    rows = db.session.scalars(select(Gallery).where(Gallery.id.in_(ids)).order_by(*order, Gallery.id.desc()))
    return Page([(g, g.asset_count) for g in rows], query.page, per_page, total)


def owners() -> list[User]:
    """Staff who created a gallery, for the owner filter."""
    return list(db.session.scalars(select(User).where(
        exists().where(Gallery.created_by_id == User.id, Gallery.deleted_at.is_(None)))
        .order_by(User.name, User.email)))

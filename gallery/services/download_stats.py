"""Download statistics for admins: per asset, gallery, user and month, as rows and CSV."""
from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, distinct, extract, func, select

from gallery import csvsafe
from gallery.exceptions import ValidationError
from gallery.extensions import db
from gallery.models import Asset, DownloadEvent, Gallery, User
from gallery.services import fields

GROUPS = ("asset", "gallery", "user", "month")
HEADERS = {
    "asset": ("asset id", "title", "gallery", "downloads", "users", "last download"),
    "gallery": ("gallery id", "gallery", "downloads", "assets", "users", "last download"),
    "user": ("user id", "email", "name", "organisation", "downloads", "last download"),
    "month": ("month", "downloads", "assets", "users"),
}


@dataclass(frozen=True)
class Period:
    """Days from `start` to `end`, both included (UTC, as the log is stored); None is open-ended."""

    start: dt.date | None = None
    end: dt.date | None = None

    @property
    def is_all(self) -> bool:
        """No bound at all: every download ever."""
        return self.start is None and self.end is None

    def slug(self) -> str:
        """The period for a file name: '', '-from-2024-01-01', '-2024-01-01-to-2024-01-31'."""
        if self.is_all:
            return ""
        if self.start and self.end:
            return f"-{self.start.isoformat()}-to-{self.end.isoformat()}"
        return f"-from-{self.start.isoformat()}" if self.start else f"-to-{self.end.isoformat()}"

    def where(self, query: Select) -> Select:
        """The query limited to downloads in the period."""
        if self.start is not None:
            query = query.where(DownloadEvent.created_at >= _midnight(self.start))
        if self.end is not None and self.end < dt.date.max:
            # Before the next midnight, so the whole last day counts.
            next_day = _midnight(self.end + dt.timedelta(days=1))
            query = query.where(DownloadEvent.created_at < next_day)
        return query


ALL_TIME = Period()


def parse_period(start: str | None, end: str | None) -> Period:
    """A Period from the from/to form values (YYYY-MM-DD, either may be empty)."""
    period = Period(fields.date(start, "from"), fields.date(end, "to"))
    if period.start and period.end and period.start > period.end:
        raise ValidationError("The “from” date must be on or before the “to” date.", field="to")
    return period


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time())


def totals(period: Period = ALL_TIME) -> dict[str, int]:
    """Headline figures: downloads, users and assets downloaded in the period."""
    row = db.session.execute(period.where(select(
        func.count(DownloadEvent.id), func.count(distinct(DownloadEvent.user_id)),
        func.count(distinct(DownloadEvent.asset_id))))).one()
    return {"downloads": row[0], "users": row[1], "assets": row[2]}


def rows(group: str, limit: int | None = None, period: Period = ALL_TIME) -> list[tuple[Any, ...]]:
    """Rows for one grouping in the period, busiest first (months newest first)."""
    if group not in GROUPS:
        raise ValueError(group)
    count = func.count(DownloadEvent.id).label("n")
    last = func.max(DownloadEvent.created_at)
    if group == "asset":
        query = (select(DownloadEvent.asset_id, Asset.title, Gallery.title, count,
                        func.count(distinct(DownloadEvent.user_id)), last)
                 .outerjoin(Asset, Asset.id == DownloadEvent.asset_id)
                 .outerjoin(Gallery, Gallery.id == DownloadEvent.gallery_id)
                 .group_by(DownloadEvent.asset_id, Asset.title, Gallery.title)
                 .order_by(count.desc(), DownloadEvent.asset_id))
    elif group == "gallery":
        query = (select(DownloadEvent.gallery_id, Gallery.title, count,
                        func.count(distinct(DownloadEvent.asset_id)),
                        func.count(distinct(DownloadEvent.user_id)), last)
                 .outerjoin(Gallery, Gallery.id == DownloadEvent.gallery_id)
                 .group_by(DownloadEvent.gallery_id, Gallery.title)
                 .order_by(count.desc(), DownloadEvent.gallery_id))
    elif group == "user":
        query = (select(DownloadEvent.user_id, User.email, User.name, User.organisation, count, last)
                 .outerjoin(User, User.id == DownloadEvent.user_id)
                 .group_by(DownloadEvent.user_id, User.email, User.name, User.organisation)
                 .order_by(count.desc(), DownloadEvent.user_id))
    else:
        year = extract("year", DownloadEvent.created_at).label("y")
        month = extract("month", DownloadEvent.created_at).label("m")
        query = (select(year, month, count, func.count(distinct(DownloadEvent.asset_id)),
                        func.count(distinct(DownloadEvent.user_id)))
                 .group_by(year, month).order_by(year.desc(), month.desc()))
    query = period.where(query)
    if limit:
        query = query.limit(limit)
    result = [tuple(r) for r in db.session.execute(query)]
    if group == "month":
        result = [(f"{int(r[0]):04d}-{int(r[1]):02d}",) + r[2:] for r in result]
    return result


def as_csv(group: str, period: Period = ALL_TIME) -> str:
    """Every row of a grouping in the period as CSV text with a header row."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(HEADERS[group])
    for row in rows(group, period=period):
        writer.writerow([_cell(v) for v in row])
    return buf.getvalue()


def _cell(value: Any) -> Any:
    """A CSV cell; text that a spreadsheet would run as a formula is quoted with an apostrophe."""
    if hasattr(value, "isoformat"):
        return value.isoformat(sep=" ", timespec="seconds")
    return csvsafe.cell(value)


def downloaders(asset_id: int) -> list[tuple[User | None, DownloadEvent]]:
    """Every download of one asset, newest first, with who took it (a withdrawal notice's list)."""
    query = (select(User, DownloadEvent).join(User, User.id == DownloadEvent.user_id, isouter=True)
             .where(DownloadEvent.asset_id == asset_id)
             .order_by(DownloadEvent.created_at.desc(), DownloadEvent.id.desc()))
    return [(row[0], row[1]) for row in db.session.execute(query)]

"""Download statistics for admins: per asset, gallery, user and month, as rows and CSV."""
from __future__ import annotations

import csv
import io
from typing import Any

from sqlalchemy import distinct, extract, func, select

from gallery.extensions import db
from gallery.models import Asset, DownloadEvent, Gallery, User

GROUPS = ("asset", "gallery", "user", "month")
HEADERS = {
    "asset": ("asset id", "title", "gallery", "downloads", "users", "last download"),
    "gallery": ("gallery id", "gallery", "downloads", "assets", "users", "last download"),
    "user": ("user id", "email", "name", "organisation", "downloads", "last download"),
    "month": ("month", "downloads", "assets", "users"),
}


def totals() -> dict[str, int]:
    """Headline figures: downloads, users and assets ever downloaded."""
    row = db.session.execute(select(
        func.count(DownloadEvent.id), func.count(distinct(DownloadEvent.user_id)),
        func.count(distinct(DownloadEvent.asset_id)))).one()
    return {"downloads": row[0], "users": row[1], "assets": row[2]}


def rows(group: str, limit: int | None = None) -> list[tuple[Any, ...]]:
    """Rows for one grouping, busiest first (months newest first)."""
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
    if limit:
        query = query.limit(limit)
    result = [tuple(r) for r in db.session.execute(query)]
    if group == "month":
        result = [(f"{int(r[0]):04d}-{int(r[1]):02d}",) + r[2:] for r in result]
    return result


def as_csv(group: str) -> str:
    """Every row of a grouping as CSV text with a header row."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(HEADERS[group])
    for row in rows(group):
        writer.writerow([_cell(v) for v in row])
    return buf.getvalue()


def _cell(value: Any) -> Any:
    """A CSV cell; text that a spreadsheet would run as a formula is quoted with an apostrophe."""
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value

"""What the sitemaps list: every public gallery page and every harvestable asset page, paged by id range.

Page n of a kind holds the rows whose id falls in [(n - 1) * size, n * size): at most `size` URLs,
stable page URLs, and each page is one range scan of the primary key (no OFFSET). The index
lists only the pages that have a public row, with the newest change in each.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import contains_eager

from gallery import policy
from gallery.extensions import db
from gallery.models import Asset, Gallery

KINDS = ("galleries", "assets")


def pages(size: int) -> list[tuple[str, int, dt.datetime | None]]:
    """(kind, page number, last change) of every page that lists something."""
    found: list[tuple[str, int, dt.datetime | None]] = []
    number = (Gallery.id // size + 1).label("n")
    for n, lastmod in db.session.execute(select(number, func.max(Gallery.updated_at))
                                         .where(policy.public_gallery_clause())
                                         .group_by(number).order_by(number)):
        found.append(("galleries", n, lastmod))
    number = (Asset.id // size + 1).label("n")
    for n, lastmod in db.session.execute(select(number, func.max(Asset.updated_at))
                                         .join(Gallery, Asset.gallery_id == Gallery.id)
                                         .where(policy.harvestable_clause())
                                         .group_by(number).order_by(number)):
        found.append(("assets", n, lastmod))
    return found


def _range(column, number: int, size: int):
    return column.between((number - 1) * size, number * size - 1)


def galleries(number: int, size: int) -> list[Gallery]:
    """The public galleries of page `number`."""
    return list(db.session.scalars(select(Gallery).where(
        _range(Gallery.id, number, size), policy.public_gallery_clause()).order_by(Gallery.id)))


def assets(number: int, size: int) -> list[Asset]:
    """The harvestable assets of page `number`, each with its gallery (one query)."""
    return list(db.session.scalars(
        select(Asset).join(Gallery, Asset.gallery_id == Gallery.id)
        .where(_range(Asset.id, number, size), policy.harvestable_clause())
        .options(contains_eager(Asset.gallery)).order_by(Asset.id)).unique())

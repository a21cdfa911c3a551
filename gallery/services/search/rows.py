"""A result page's rows read without the ORM: plain objects that read like the models.

A page of 24 results made about a hundred ORM objects (assets, their galleries, renditions) with
their change tracking, for rows nothing on the page changes: twice the time of reading them as
plain rows, whose attributes the policy, highlights and JSON then read faster too. One query reads
each asset's columns with its gallery's, the gallery's category and both countries, one more its
renditions; the policy, templates and JSON read them as they read the models (same attribute
names, the models' own properties). JSON columns come as text and are parsed when first read: a
page holds 96 of them and reads few (a result in its gallery's own language reads no translations).
"""
from __future__ import annotations

import json
from typing import Any

from sqlalchemy import JSON, Text, bindparam, cast, select

from gallery.models import Asset, AssetWork, Category, Country, Gallery, Rendition
from gallery.policy import REQUIRED_PIECES

RAW = "_json_"  # the prefix of a JSON column's text in a row (see _Json)


class _Json:
    """A JSON column read as text, parsed on first access and then kept as the attribute."""

    def __init__(self, name: str, empty: Any) -> None:
        self.name, self.empty = name, empty

    def __get__(self, row: Any, owner: type) -> Any:
        if row is None:
            return self
        raw = row.__dict__.get(RAW + self.name)
        # The usual values without the parser: most rows hold no translations and no extras.
        value = self.empty() if raw is None or raw in ("{}", "[]") else json.loads(raw)
        row.__dict__[self.name] = value  # an instance attribute: found before this from now on
        return value


class Row:
    """A table row's columns as attributes."""

    def __init__(self, columns: Any) -> None:
        self.__dict__.update(columns)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {getattr(self, 'id', getattr(self, 'alpha3', ''))}>"


class ResultCountry(Row):
    """A countries row."""

    slug = Country.slug


class ResultGallery(Row):
    """A galleries row with its category and country."""

    item_count = Gallery.item_count
    translations = _Json("translations", dict)


class ResultAsset(Row):
    """An assets row with its gallery, country, renditions and (video and audio) work."""

    display_title = Asset.display_title
    numbered_title = Asset.numbered_title
    staff_title = Asset.staff_title
    rendition = Asset.rendition
    translations = _Json("translations", dict)
    keywords = _Json("keywords", list)
    extra = _Json("extra", dict)


_ASSETS, _GALLERIES, _CATEGORIES = Asset.__table__, Gallery.__table__, Category.__table__
_ASSET_COUNTRY = Country.__table__.alias("asset_country")
_GALLERY_COUNTRY = Country.__table__.alias("gallery_country")
_TABLES = (_ASSETS, _GALLERIES, _CATEGORIES, _ASSET_COUNTRY, _GALLERY_COUNTRY)  # in a row's order


def _column(c: Any) -> Any:
    """A column as a result row reads it: JSON as its text (see _Json)."""
    return cast(c, Text).label(RAW + c.key) if isinstance(c.type, JSON) else c


_ROWS = (
    select(*(_column(c) for table in _TABLES for c in table.columns))
    .select_from(_ASSETS.join(_GALLERIES, _GALLERIES.c.id == _ASSETS.c.gallery_id)
                 .join(_CATEGORIES, _CATEGORIES.c.id == _GALLERIES.c.category_id)
                 .outerjoin(_ASSET_COUNTRY, _ASSET_COUNTRY.c.alpha3 == _ASSETS.c.country_code)
                 .outerjoin(_GALLERY_COUNTRY, _GALLERY_COUNTRY.c.alpha3 == _GALLERIES.c.country_code))
    .where(_ASSETS.c.id.in_(bindparam("ids", expanding=True)))
)
_RENDITIONS = select(Rendition.__table__).where(
    Rendition.__table__.c.asset_id.in_(bindparam("ids", expanding=True))).order_by(Rendition.__table__.c.id)
_WORK = select(AssetWork.__table__).where(AssetWork.__table__.c.asset_id.in_(bindparam("ids", expanding=True)))


def _slices() -> list[tuple[int, int, list[str]]]:
    """(first, end, column names) of each table's columns in a row of _ROWS."""
    out, start = [], 0
    for table in _TABLES:
        out.append((start, start + len(table.columns),
                    [(RAW if isinstance(c.type, JSON) else "") + c.key for c in table.columns]))
        start += len(table.columns)
    return out


_SLICES = _slices()
_ALPHA3 = [c.key for c in Country.__table__.columns].index("alpha3")


def load(session: Any, ids: list[int]) -> dict[int, ResultAsset]:
    """The assets of these ids (those that exist) by id, each with what a result shows of it."""
    if not ids:
        return {}
    (a0, a1, a_keys), (g0, g1, g_keys), (c0, c1, c_keys), (ac0, ac1, ac_keys), (gc0, gc1, gc_keys) = _SLICES
    galleries: dict[int, ResultGallery] = {}
    countries: dict[str, ResultCountry] = {}
    found: dict[int, ResultAsset] = {}
    for row in session.execute(_ROWS, {"ids": ids}).all():
        asset = ResultAsset(zip(a_keys, row[a0:a1]))
        gallery = galleries.get(asset.gallery_id)
        if gallery is None:
            gallery = galleries[asset.gallery_id] = ResultGallery(zip(g_keys, row[g0:g1]))
            gallery.category = Row(zip(c_keys, row[c0:c1]))
            gallery.country = _country(countries, gc_keys, row[gc0:gc1])
        asset.gallery = gallery
        asset.country = _country(countries, ac_keys, row[ac0:ac1])
        asset.renditions = []
        asset.work = []
        found[asset.id] = asset
    if found:
        for r in session.execute(_RENDITIONS, {"ids": list(found)}).mappings().all():
            found[r["asset_id"]].renditions.append(Row(r))
        # Only a video's or an audio's work decides whether it is public (policy.work_ready).
        waiting = [i for i, a in found.items() if REQUIRED_PIECES.get(a.media_type)]
        if waiting:
            for w in session.execute(_WORK, {"ids": waiting}).mappings().all():
                found[w["asset_id"]].work.append(Row(w))
    return found


def warm(conn: Any) -> None:
    """Run the statements once for no asset, as a web worker starts: SQLAlchemy compiles them
    then, not in the worker's first search with results (15-20 ms of it at a million assets)."""
    for statement in (_ROWS, _RENDITIONS, _WORK):
        conn.execute(statement, {"ids": [0]}).all()  # ids start at 1


def _country(seen: dict[str, ResultCountry], keys: list[str], values: tuple) -> ResultCountry | None:
    """The country of these columns (one object per country on a page), None for an outer join's NULLs."""
    code = values[_ALPHA3]
    if code is None:
        return None
    country = seen.get(code)
    if country is None:
        country = seen[code] = ResultCountry(zip(keys, values))
    return country

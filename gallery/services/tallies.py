"""Galleries counted per (category, country), recounted before each commit that touches them.

Category, country and list pages read these few hundred rows instead of counting 40,000
galleries. The counts are never adjusted by +1/-1: every transaction notes the (category,
country) pairs it touched (a gallery inserted, deleted, or changed in a column a count depends
on; a bulk update names its galleries or categories), and just before it commits those pairs
are counted again from the galleries themselves, under a lock on their categories' rows on
PostgreSQL, so the last transaction to commit counts what every earlier one left. An embargo
that passes changes no row until the schedule lifts it: until then a row's next_change is due,
and readers count live (counts_or_none returns None).
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from flask import Flask
from sqlalchemy import and_, case, delete, func, insert, literal_column, or_, select
from sqlalchemy.orm import Session

from gallery import clock, policy
from gallery.models import Category, Gallery, GalleryTally

# session.info keys of what the transaction touched, read just before it commits.
PAIRS, GALLERY_IDS, CATEGORY_IDS = "tally_pairs", "tally_galleries", "tally_categories"
# Gallery columns the counts depend on; a change to any other column leaves them alone.
COUNTED = ("category_id", "country_code", "status", "deleted_at", "embargo_until",
           "image_count", "video_count", "audio_count")
COLUMNS = ("galleries", "image_galleries", "video_galleries", "audio_galleries", "items",
           "drafts", "published")
BATCH = 200  # pairs recounted per statement

Pair = tuple[int, str]


def init_app(app: Flask) -> None:
    """Recount the pairs a transaction touched, in that transaction, on every commit path."""
    # A listener like oai_records': the schedule, workers and the CLI commit on their own.
    maker = app.extensions["db_sessionmaker"]
    _listen(maker)


def _listen(target: Any) -> None:
    from sqlalchemy import event

    event.listen(target, "after_flush", _after_flush)
    event.listen(target, "before_commit", _before_commit)
    event.listen(target, "after_soft_rollback", _forget)


def note_galleries(session: Session, gallery_ids: Iterable[int]) -> None:
    """Remember galleries changed by a bulk statement (their pair is read at commit)."""
    session.info.setdefault(GALLERY_IDS, set()).update(gallery_ids)


def note_categories(session: Session, category_ids: Iterable[int]) -> None:
    """Remember whole categories to recount (a merge moves every gallery of one to another)."""
    session.info.setdefault(CATEGORY_IDS, set()).update(category_ids)


def _pair(category_id: Any, country_code: Any) -> Pair | None:
    return None if category_id is None else (int(category_id), country_code or "")


def _after_flush(session: Session, _context) -> None:
    """Note the old and new pairs of every gallery this flush wrote in a counted column."""
    from sqlalchemy import inspect

    pairs: set[Pair] = session.info.setdefault(PAIRS, set())
    for obj in list(session.new) + list(session.deleted) + list(session.dirty):
        if not isinstance(obj, Gallery):
            continue
        state = inspect(obj)
        changed = obj in session.new or obj in session.deleted
        old_categories: set[Any] = set()
        old_countries: set[Any] = set()
        for name in COUNTED:
            history = state.attrs[name].history
            if history.has_changes():
                changed = True
                if name == "category_id":
                    old_categories.update(history.deleted)
                elif name == "country_code":
                    old_countries.update(history.deleted)
        for relation, olds, key in (("category", old_categories, "id"), ("country", old_countries, "alpha3")):
            history = state.attrs[relation].history
            if history.has_changes():
                changed = True
                olds.update(getattr(o, key) for o in history.deleted if o is not None)
        if changed:  # the pairs it left and the one it is in now
            old_categories.add(obj.category_id)
            old_countries.add(obj.country_code)
            pairs.update(p for c in old_categories for k in old_countries if (p := _pair(c, k)))


def _forget(session: Session, _previous) -> None:
    for key in (PAIRS, GALLERY_IDS, CATEGORY_IDS):
        session.info.pop(key, None)


def _before_commit(session: Session) -> None:
    if not any(session.info.get(key) for key in (PAIRS, GALLERY_IDS, CATEGORY_IDS)) and not (
            session.new or session.dirty or session.deleted):
        return
    session.flush()  # pending gallery changes reach _after_flush before the recount
    pairs: set[Pair] = session.info.pop(PAIRS, set())
    gallery_ids = session.info.pop(GALLERY_IDS, set())
    categories = session.info.pop(CATEGORY_IDS, set())
    if gallery_ids:
        ids = sorted(gallery_ids)
        for start in range(0, len(ids), BATCH * 5):
            pairs.update(_pair(c, k) for c, k in session.execute(
                select(Gallery.category_id, Gallery.country_code)
                .where(Gallery.id.in_(ids[start:start + BATCH * 5])).distinct()))
    if pairs or categories:
        recount(session, pairs, categories)


def _where(pairs: Iterable[Pair]) -> Any:
    """The galleries of these pairs (a country "" is no country)."""
    return or_(*(and_(Gallery.category_id == c,
                      Gallery.country_code == k if k else Gallery.country_code.is_(None))
                 for c, k in pairs))


def _counted(where: Any, now: dt.datetime) -> Any:
    """The tally rows of the galleries out of the trash matching `where`, grouped by pair."""
    public = policy.public_gallery_clause()

    def of(condition: Any, value: Any = 1) -> Any:
        return func.coalesce(func.sum(case((condition, value), else_=0)), 0)

    # A literal, not a bound "": PostgreSQL must see the same expression in SELECT and GROUP BY.
    country = func.coalesce(Gallery.country_code, literal_column("''"))
    return (select(Gallery.category_id, country,
                   of(public), of(and_(public, Gallery.image_count > 0)),
                   of(and_(public, Gallery.video_count > 0)), of(and_(public, Gallery.audio_count > 0)),
                   of(public, Gallery.image_count + Gallery.video_count + Gallery.audio_count),
                   of(Gallery.status == "draft"), of(Gallery.status == "published"),
                   func.min(case((and_(Gallery.status == "published", Gallery.embargo_until > now),
                                  Gallery.embargo_until))))
            .where(Gallery.deleted_at.is_(None), where)
            .group_by(Gallery.category_id, country))


def _rows(session: Session, query: Any) -> list[dict[str, Any]]:
    return [dict(zip(("category_id", "country_code", *COLUMNS, "next_change"), row))
            for row in session.execute(query)]


def recount(session: Session, pairs: Iterable[Pair], categories: Iterable[int] = ()) -> None:
    """Count these pairs (and every pair of these categories) again from the galleries."""
    pairs, categories = sorted(set(pairs)), sorted(set(categories))
    _lock(session, Category.id.in_({c for c, _k in pairs} | set(categories)))
    now = clock.now()
    rows: list[dict[str, Any]] = []
    if categories:
        session.execute(delete(GalleryTally).where(GalleryTally.category_id.in_(categories)))
        rows += _rows(session, _counted(Gallery.category_id.in_(categories), now))
        pairs = [p for p in pairs if p[0] not in categories]
    for start in range(0, len(pairs), BATCH):
        chunk = pairs[start:start + BATCH]
        session.execute(delete(GalleryTally).where(or_(*(
            and_(GalleryTally.category_id == c, GalleryTally.country_code == k) for c, k in chunk))))
        rows += _rows(session, _counted(_where(chunk), now))
    if rows:
        session.execute(insert(GalleryTally), rows)


def _lock(session: Session, which: Any) -> None:
    """Lock these categories' rows (PostgreSQL) for the rest of the transaction, in id order.

    The lock serialises recounts of the same pairs: the count that follows it runs after every
    transaction that recounted before this one committed, so it sees their changes. FOR NO KEY
    UPDATE, not FOR UPDATE: inserting a gallery takes a key-share lock on its category, and two
    such inserts must not deadlock when both recount.
    """
    session.execute(select(Category.id).where(which).order_by(Category.id).with_for_update(key_share=True))


def rebuild(session: Session) -> int:
    """Count every pair again from scratch (`gallery check --repair`, bulk-built catalogues)."""
    _lock(session, Category.id.is_not(None))
    session.execute(delete(GalleryTally))
    rows = _rows(session, _counted(Gallery.id.is_not(None), clock.now()))
    if rows:
        session.execute(insert(GalleryTally), rows)
    return len(rows)


@dataclass(frozen=True)
class Drift:
    """A pair whose stored counts differ from a fresh count."""

    category_id: int
    country_code: str
    stored: tuple[int, ...]
    counted: tuple[int, ...]


def drift(session: Session) -> list[Drift]:
    """Pairs whose stored counts differ from a fresh count (next_change aside: it only moves sooner)."""
    def table(rows: Iterable[dict[str, Any]]) -> dict[Pair, tuple[int, ...]]:
        return {(r["category_id"], r["country_code"]): tuple(int(r[c]) for c in COLUMNS) for r in rows}

    counted = table(_rows(session, _counted(Gallery.id.is_not(None), clock.now())))
    stored = table({c.key: getattr(t, c.key) for c in GalleryTally.__table__.columns}
                   for t in session.scalars(select(GalleryTally)))
    zero = (0,) * len(COLUMNS)
    # A stored row whose embargo fell due since is stale, not drifted: the schedule recounts it.
    due = {(t.category_id, t.country_code) for t in session.scalars(
        select(GalleryTally).where(GalleryTally.next_change <= clock.now()))}
    out = []
    for pair in sorted(set(counted) | set(stored)):
        have, want = stored.get(pair, zero), counted.get(pair, zero)
        if have != want and (pair not in due or have[5:] != want[5:]):
            out.append(Drift(pair[0], pair[1], have, want))
    return out


# Readers. Each returns None when a row it read has an embargo due (the caller counts live).

def _fresh(due: Any) -> bool:
    return due is None or due > clock.now()


def public_total(session: Session, category_id: int | None = None, country_code: str | None = None,
                 media_type: str | None = None) -> int | None:
    """Public galleries matching the filters, or None when an embargo fell due among them."""
    column = getattr(GalleryTally, f"{media_type}_galleries" if media_type else "galleries")
    return _total(session, column, category_id, country_code)


def staff_total(session: Session, category_id: int | None = None, country_code: str | None = None,
                status: str | None = None) -> int:
    """Galleries out of the trash matching the filters, drafts included (never stale)."""
    column = (GalleryTally.drafts + GalleryTally.published if not status
              else getattr(GalleryTally, "drafts" if status == "draft" else "published"))
    return _total(session, column, category_id, country_code, embargoes=False) or 0


def _total(session: Session, column: Any, category_id: int | None, country_code: str | None,
           embargoes: bool = True) -> int | None:
    query = select(func.coalesce(func.sum(column), 0), func.min(GalleryTally.next_change))
    if category_id is not None:
        query = query.where(GalleryTally.category_id == category_id)
    if country_code is not None:
        query = query.where(GalleryTally.country_code == country_code)
    total, due = session.execute(query).one()
    return int(total) if not embargoes or _fresh(due) else None


def grouped(key: Any, *where: Any) -> Any:
    """Public galleries per `key` column of the tally as a subquery (key, n, due).

    Keys with no public gallery are kept (n = 0): one of them may hold an embargo now due.
    """
    return (select(key.label("key"), func.sum(GalleryTally.galleries).label("n"),
                   func.min(GalleryTally.next_change).label("due"))
            .where(*where).group_by(key).subquery())


def fresh(dues: Iterable[Any]) -> bool:
    """Whether none of these next_change values fell due (the grouped counts can be used)."""
    return all(_fresh(d) for d in dues)

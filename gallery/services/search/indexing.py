"""Writing to the change log (queue_*) and bulk indexing (write_catalogue, write_all); sync.py follows the log, health.py checks it."""
from __future__ import annotations

from functools import partial
from types import SimpleNamespace
from typing import Iterable, Iterator

from flask import current_app
from sqlalchemy import func, insert, literal, select
from sqlalchemy.orm import Session
from whoosh import index

import gallery.services.search.store as store
from gallery.extensions import db
from gallery.models import Asset, Category, Country, Gallery, SearchOutbox, utcnow
from gallery.services import oai_records
from gallery.services.search import bulk
from gallery.services.search.schema import make_document

# The most documents per segment of a bulk build (SEARCH_SEGMENT_DOCS). A segment's postings are
# held in memory while it is built (an indexing process of `gallery reindex` held up to 1.1 GB of
# its own at 200,000). Fewer, bigger segments make every query cheaper (fewer lookups per term):
# a million documents make 6 on two processes (_part_starts; docs/benchmarks.md).
CHUNK_DOCS = 200_000


def index_root() -> str:
    """The configured index directory."""
    return current_app.config["SEARCH_INDEX_DIR"]


def session() -> Session:
    """A session of its own, so following the log never commits the caller's pending work."""
    return current_app.extensions["db_sessionmaker"]()


def queue_assets(asset_ids: Iterable[int], operation: str = "upsert") -> None:
    """Log the assets (edited, added, trashed) in the current transaction."""
    ids = list(asset_ids)
    db.session.add_all(SearchOutbox(asset_id=i, operation=operation) for i in ids)
    oai_records.note_assets(db.session, ids)  # their harvested records follow at the commit


def queue_gallery(gallery_id: int, operation: str = "upsert") -> None:
    """Log every asset of a gallery (rename, publish, move) in the current transaction."""
    _queue_from(select(Asset.id).where(Asset.gallery_id == gallery_id), operation)
    oai_records.note_gallery(db.session, gallery_id)


def queue_category(category_id: int, operation: str = "upsert") -> None:
    """Log every asset filed under a category (rename) in the current transaction."""
    _queue_from(select(Asset.id).join(Gallery, Asset.gallery_id == Gallery.id)
                .where(Gallery.category_id == category_id), operation)
    oai_records.note_category(db.session, category_id)


def _queue_from(ids_query, operation: str) -> None:
    # One INSERT ... SELECT: a category can hold tens of thousands of assets.
    db.session.flush()
    sub = ids_query.add_columns(literal(operation), literal(utcnow()))
    db.session.execute(insert(SearchOutbox).from_select(
        ["asset_id", "operation", "queued_at"], sub))


def write_all(ix: index.Index, assets: Iterable, procs: int = 1, chunk: int | None = None) -> int:
    """Add documents for assets given here, one segment per `chunk`, in up to `procs` forked processes.

    This process makes the documents (the next part while the others are indexed); the rebuild
    reads the database in the indexing processes instead (write_catalogue). Segments are never
    merged here: a merge copies every posting again in Python.
    """
    chunk = chunk or _configured_chunk()
    docs = (make_document(asset) for asset in assets)
    return bulk.write_parts(ix, _batches(docs, chunk), procs, {"codec": store.codec()}, store.writer(ix))


def write_catalogue(ix: index.Index, procs: int = 1, batch: int = 1000, chunk: int | None = None) -> int:
    """Index every asset of the database, at most `chunk` to a segment, each segment's assets read
    and made into documents in the process that indexes them (at most `procs` at a time).

    Nothing is handed from process to process, so each holds only its own segment's postings
    while it builds: at a million, 550 MB a process at 100,000 a segment, against 1.1 GB when this
    process made every document and handed them over (docs/benchmarks.md).
    """
    chunk = chunk or _configured_chunk()
    starts = _part_starts(chunk, procs)
    parts = [partial(_documents, batch, lo, hi) for lo, hi in zip(starts, [*starts[1:], None])]
    return bulk.write_parts(ix, parts, procs, {"codec": store.codec()}, store.writer(ix),
                            forked=partial(db.engine.dispose, close=False))


def _part_starts(chunk: int, procs: int = 1) -> list[int]:
    """The first asset id of each part, in id order: parts of at most `chunk` assets, as even as
    the ids allow, in a multiple of `procs` when there is more than one.

    Five parts of 200,000 on two processes took three rounds, the last with one process idle;
    six of 166,667 keep both busy to the end (a million: 690 -> 599 s, docs/benchmarks.md).
    """
    s = session()
    try:
        total = s.scalar(select(func.count()).select_from(Asset)) or 0
        if not total:
            return []
        parts = -(-total // chunk)
        if parts > 1 and procs > 1:
            parts = procs * -(-total // (procs * chunk))
        starts: list[int] = []
        found, at = s.scalar(select(Asset.id).order_by(Asset.id).limit(1)), 0
        for k in range(parts):
            rank = k * total // parts  # the part's first id's place: sizes differ by one at most
            if rank > at:
                found = s.scalar(select(Asset.id).where(Asset.id >= found).order_by(Asset.id)
                                 .offset(rank - at).limit(1))
                at = rank
            if found is None:  # assets removed since the count
                break
            starts.append(found)
        return starts
    finally:
        s.close()


def _documents(batch: int, first: int, end: int | None) -> Iterator[dict]:
    """The documents of the assets from id `first` up to `end` (excluded; None: the last)."""
    return (make_document(asset) for asset in iter_assets(batch, first, end))


def _batches(items: Iterable, size: int) -> Iterator[list]:
    batch: list = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _configured_chunk() -> int:
    try:
        return int(current_app.config.get("SEARCH_SEGMENT_DOCS", CHUNK_DOCS))
    except RuntimeError:  # outside an application (the benchmark)
        return CHUNK_DOCS


# What make_document reads, loaded as columns: building ORM objects for a million assets (and
# their galleries, categories and countries) cost more than indexing them.
ASSET_COLUMNS = ("id", "gallery_id", "country_code", "title", "caption", "alt_text", "translations",
                 "keywords", "credit", "creator", "city", "media_type", "status", "consent",
                 "deleted_at", "embargo_until", "rights_expire_on", "date_taken", "created_at")
GALLERY_COLUMNS = ("id", "category_id", "country_code", "title", "description", "language",
                   "translations", "status", "deleted_at", "embargo_until", "date")
GALLERIES_KEPT = 10_000  # assets come in id order, mostly gallery by gallery


def iter_assets(batch: int, first: int | None = None, end: int | None = None) -> Iterator[SimpleNamespace]:
    """Every asset (from id `first`, before id `end`) as a plain object with its gallery, category
    and country, in id order, `batch` rows per query."""
    s = session()
    try:
        categories = {r.id: SimpleNamespace(slug=r.slug, name=r.name)
                      for r in s.execute(select(Category.id, Category.slug, Category.name))}
        countries = {r.alpha3: SimpleNamespace(alpha3=r.alpha3, alpha2=r.alpha2, name=r.name,
                                               official_name=r.official_name)
                     for r in s.execute(select(Country.alpha3, Country.alpha2, Country.name,
                                               Country.official_name))}
        galleries: dict[int, SimpleNamespace] = {}
        columns = [getattr(Asset, c) for c in ASSET_COLUMNS]
        last = first - 1 if first is not None else 0
        while True:
            query = select(*columns).where(Asset.id > last)
            if end is not None:
                query = query.where(Asset.id < end)
            rows = s.execute(query.order_by(Asset.id).limit(batch)).all()
            if not rows:
                break
            missing = {r.gallery_id for r in rows} - galleries.keys()
            if missing:
                if len(galleries) > GALLERIES_KEPT:
                    galleries.clear()
                    missing = {r.gallery_id for r in rows}
                galleries.update(_galleries(s, missing, categories, countries))
            for r in rows:
                values = r._asdict()
                gallery_id, code = values.pop("gallery_id"), values.pop("country_code")
                yield SimpleNamespace(**values, gallery=galleries[gallery_id],
                                      country=countries.get(code) if code else None)
            last = rows[-1].id
            s.rollback()  # no transaction left open between batches
    finally:
        s.close()


def _galleries(s: Session, ids: set[int], categories: dict, countries: dict) -> dict[int, SimpleNamespace]:
    found = {}
    for r in s.execute(select(*(getattr(Gallery, c) for c in GALLERY_COLUMNS))
                       .where(Gallery.id.in_(ids))):
        values = r._asdict()
        category, code = values.pop("category_id"), values.pop("country_code")
        found[r.id] = SimpleNamespace(**values, category=categories[category],
                                      country=countries.get(code) if code else None)
    return found

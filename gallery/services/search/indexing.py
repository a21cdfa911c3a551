"""Writing to the change log (queue_*) and bulk indexing (write_all); sync.py follows the log, health.py checks it."""
from __future__ import annotations

from typing import Iterable

from flask import current_app
from sqlalchemy import insert, literal, select
from sqlalchemy.orm import Session, joinedload
from whoosh import index

import gallery.services.search.store as store
from gallery.extensions import db
from gallery.models import Asset, Gallery, SearchOutbox, utcnow
from gallery.services import oai_records
from gallery.services.search.schema import make_document

# Documents per segment of a bulk build (SEARCH_SEGMENT_DOCS). Whoosh's posting pool holds a whole
# segment in memory, about 45 KB per document per indexing process, and past its limit spills
# sorted runs to disk and merges them back in Python, which halves the speed: the limit is set
# from the chunk so it never spills. Fewer, bigger segments make every query cheaper (fewer
# lookups per term); 50,000 makes 20 segments of a million documents.
CHUNK_DOCS = 50_000
POOL_KB_PER_DOC = 64


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
    """Add documents for many assets, one segment per `chunk` documents and process (the bulk path).

    With procs > 1 each round of chunk x procs documents is split between that many processes,
    a segment each. Segments are never merged here: a merge copies every posting again in Python.
    """
    chunk = chunk or _configured_chunk()
    count = 0
    batch: list[dict] = []
    for asset in assets:
        batch.append(make_document(asset))
        if len(batch) >= chunk * procs:
            count += _write_segment(ix, batch, procs, chunk)
            batch = []
    if batch or not count:
        # Starting processes for a small remainder costs more than it saves.
        count += _write_segment(ix, batch, procs if len(batch) >= chunk else 1, chunk)
    return count


def _configured_chunk() -> int:
    try:
        return int(current_app.config.get("SEARCH_SEGMENT_DOCS", CHUNK_DOCS))
    except RuntimeError:  # outside an application (the benchmark)
        return CHUNK_DOCS


def _write_segment(ix: index.Index, docs: list[dict], procs: int, chunk: int) -> int:
    kwargs = {"procs": procs, "multisegment": True} if procs > 1 and len(docs) > 1 else {}
    limitmb = max(256, chunk * POOL_KB_PER_DOC // 1024)
    # No compound file: it would copy every byte once more; merge=False: big segments stay.
    writer = store.writer(ix, limitmb=limitmb, compound=False, **kwargs)
    try:
        for doc in docs:
            writer.add_document(**doc)
        writer.commit(merge=False)
    except BaseException:
        writer.cancel()
        raise
    return len(docs)


def iter_assets(batch: int):
    """Every asset with its gallery, in id order, `batch` rows per query."""
    s = session()
    try:
        last = 0
        while True:
            chunk = s.scalars(select(Asset).where(Asset.id > last).order_by(Asset.id)
                                    .limit(batch).options(joinedload(Asset.gallery))).unique().all()
            if not chunk:
                break
            yield from chunk
            last = chunk[-1].id
            s.expunge_all()
    finally:
        s.close()

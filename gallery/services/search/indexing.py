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

# Documents per segment in a bulk build: below the point where Whoosh's posting pool spills.
CHUNK_DOCS = 10_000


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


def write_all(ix: index.Index, assets: Iterable, procs: int = 1, chunk: int = CHUNK_DOCS) -> int:
    """Add documents for many assets, one commit per `chunk` documents (the bulk path).

    Whoosh's posting pool spills sorted runs to disk past its memory limit and merges them back
    in Python, which halves the speed; chunks of 10,000 documents per process never reach it.
    With procs > 1 each chunk is split between that many processes, a segment each.
    """
    count = 0
    batch: list[dict] = []
    for asset in assets:
        batch.append(make_document(asset))
        if len(batch) >= chunk * procs:
            count += _write_segment(ix, batch, procs)
            batch = []
    if batch or not count:
        # Starting processes for a small remainder costs more than it saves.
        count += _write_segment(ix, batch, procs if len(batch) >= chunk else 1)
    return count


def _write_segment(ix: index.Index, docs: list[dict], procs: int) -> int:
    kwargs = {"procs": procs, "multisegment": True} if procs > 1 and len(docs) > 1 else {}
    # No compound file: it would copy every byte once more; merge=False: big segments stay.
    writer = store.writer(ix, limitmb=512, compound=False, **kwargs)
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

"""Keeping the index in step with the database: outbox drain, full rebuild, drift check."""
from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from typing import Callable, Iterable

from flask import current_app
from sqlalchemy import delete, func, insert, literal, select
from sqlalchemy.orm import Session, joinedload
from whoosh import index
from whoosh.index import LockError

import gallery.services.search.store as store
from gallery.extensions import db
from gallery.models import Asset, Gallery, SearchOutbox, utcnow
from gallery.services.search.schema import make_document

# Documents per segment in a bulk build: below the point where Whoosh's posting pool spills.
CHUNK_DOCS = 10_000
# Test seam: called after the Whoosh commit and before the outbox rows are deleted.
_after_index_commit: Callable[[], None] | None = None


@dataclass
class DrainResult:
    """What one drain did: documents written, removed, rows left, and whether the lock was busy."""

    indexed: int = 0
    removed: int = 0
    remaining: int = 0
    busy: bool = False
    outdated: bool = False


@dataclass
class CheckReport:
    """Drift between the database and the index."""

    assets: int = 0
    documents: int = 0
    missing: list[int] = field(default_factory=list)
    orphans: list[int] = field(default_factory=list)
    backlog: int = 0
    stale_backlog: int = 0
    outdated: bool = False

    @property
    def clean(self) -> bool:
        """Current schema, no asset missing, no orphan, no outbox row older than the grace period."""
        return not (self.missing or self.orphans or self.stale_backlog or self.outdated)


def index_root() -> str:
    """The configured index directory."""
    return current_app.config["SEARCH_INDEX_DIR"]


def _session() -> Session:
    """A session of its own, so draining never commits the caller's pending work."""
    return current_app.extensions["db_sessionmaker"]()


def queue_assets(asset_ids: Iterable[int], operation: str = "upsert") -> None:
    """Queue the assets (edited, added, trashed) in the current transaction."""
    db.session.add_all(SearchOutbox(asset_id=i, operation=operation) for i in asset_ids)


def queue_gallery(gallery_id: int, operation: str = "upsert") -> None:
    """Queue every asset of a gallery (rename, publish, move) in the current transaction."""
    _queue_from(select(Asset.id).where(Asset.gallery_id == gallery_id), operation)


def queue_category(category_id: int, operation: str = "upsert") -> None:
    """Queue every asset filed under a category (rename) in the current transaction."""
    _queue_from(select(Asset.id).join(Gallery, Asset.gallery_id == Gallery.id)
                .where(Gallery.category_id == category_id), operation)


def _queue_from(ids_query, operation: str) -> None:
    # One INSERT ... SELECT: a category can hold tens of thousands of assets.
    db.session.flush()
    sub = ids_query.add_columns(literal(operation), literal(utcnow()))
    db.session.execute(insert(SearchOutbox).from_select(
        ["asset_id", "operation", "queued_at"], sub))


def after_commit() -> None:
    """Drain the outbox after a commit; a busy or broken index only leaves rows queued for later."""
    cfg = current_app.config
    try:
        drain(timeout=cfg.get("SEARCH_LOCK_TIMEOUT", 0.5), limit=cfg.get("SEARCH_DRAIN_LIMIT", 2000))
    except Exception:  # the database change is committed; `gallery check` shows what is behind
        current_app.logger.exception("search: could not drain the outbox; rows stay queued")


def drain(timeout: float = 0.5, limit: int | None = None, batch: int = 1000) -> DrainResult:
    """Write queued changes into the index, then delete those outbox rows; LockError means busy."""
    root = index_root()
    result = DrainResult()
    try:
        with store.writer_lock(root, timeout):
            if store.outdated(root):
                # Documents of the new schema do not fit the old index: they wait for the
                # rebuild `gallery init` (or `gallery reindex`) does.
                current_app.logger.warning("search: index schema outdated; run `gallery reindex`")
                result.outdated = True
            else:
                ix = store.open_locked(root)
                try:
                    _drain_locked(ix, result, limit, batch, timeout)
                finally:
                    ix.close()
    except LockError:
        result.busy = True
    session = _session()
    try:
        result.remaining = session.scalar(select(func.count()).select_from(SearchOutbox)) or 0
    finally:
        session.close()
    return result


def _drain_locked(ix: index.Index, result: DrainResult, limit: int | None, batch: int,
                  timeout: float) -> None:
    """Drain under the root writer lock; Whoosh's own lock of the version is waited for `timeout`."""
    session = _session()
    done = 0
    try:
        while limit is None or done < limit:
            size = batch if limit is None else min(batch, limit - done)
            rows = session.execute(select(SearchOutbox.id, SearchOutbox.asset_id)
                                   .order_by(SearchOutbox.id).limit(size)).all()
            if not rows:
                break
            asset_ids = sorted({r.asset_id for r in rows})
            assets = _load(session, asset_ids)
            # The caller's wait, not a fixed one: a request gives the configured short timeout
            # (whoever else holds this version's lock drains our rows with its own).
            writer = store.writer(ix, timeout=timeout)
            try:
                for aid in asset_ids:
                    asset = assets.get(aid)
                    if asset is None:
                        writer.delete_by_term("id", str(aid))
                        result.removed += 1
                    else:
                        writer.update_document(**make_document(asset))
                        result.indexed += 1
                writer.commit()
            except BaseException:
                writer.cancel()
                raise
            if _after_index_commit is not None:
                _after_index_commit()
            # Only now: a worker killed before this line leaves the rows for the next drain,
            # and indexing the same asset again is harmless.
            session.execute(delete(SearchOutbox).where(SearchOutbox.id.in_([r.id for r in rows])))
            session.commit()  # the drain's own session, not a use case's: see _session()
            session.expunge_all()
            done += len(rows)
    finally:
        session.close()


def _load(session: Session, asset_ids: list[int]) -> dict[int, Asset]:
    found = session.scalars(select(Asset).where(Asset.id.in_(asset_ids))
                            .options(joinedload(Asset.gallery))).unique().all()
    return {a.id: a for a in found}


def rebuild(procs: int = 1, batch: int = 1000, lock_timeout: float = 120.0) -> int:
    """Index every asset into a new version directory, swap it in atomically, then drain the outbox."""
    root = index_root()
    with store.writer_lock(root, lock_timeout):
        # Holding the lock, drains elsewhere wait and their rows stay queued for the new index.
        previous = store.current_name(root)
        name = store.new_version(root)
        ix = index.open_dir(os.path.join(root, name))
        count = write_all(ix, _iter_assets(batch), procs=procs)
        store.point_to(root, name)
        try:
            _drain_locked(ix, DrainResult(), None, batch, lock_timeout)
        finally:
            ix.close()
        # Keep the previous version one more round: other processes may still be reading it.
        store.remove_old_versions(root, {name} | ({previous} if previous else set()))
    return count


def rebuild_if_outdated() -> int | None:
    """Rebuild an index made with an older schema (after an upgrade); None when it is current."""
    return rebuild() if store.outdated(index_root()) else None


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


def _iter_assets(batch: int):
    session = _session()
    try:
        last = 0
        while True:
            chunk = session.scalars(select(Asset).where(Asset.id > last).order_by(Asset.id)
                                    .limit(batch).options(joinedload(Asset.gallery))).unique().all()
            if not chunk:
                break
            yield from chunk
            last = chunk[-1].id
            session.expunge_all()
    finally:
        session.close()


def check() -> CheckReport:
    """Compare asset ids in the database with document ids in the index and count the backlog."""
    grace = dt.timedelta(seconds=current_app.config.get("SEARCH_BACKLOG_GRACE", 60))
    session = _session()
    try:
        db_ids = set(session.scalars(select(Asset.id)))
        pending = set(session.scalars(select(SearchOutbox.asset_id)))
        backlog = session.scalar(select(func.count()).select_from(SearchOutbox)) or 0
        stale = session.scalar(select(func.count()).select_from(SearchOutbox)
                               .where(SearchOutbox.queued_at < utcnow() - grace)) or 0
    finally:
        session.close()
    with store.searcher_cache(index_root()).lease() as searcher:
        ix_ids = {int(f["id"]) for f in searcher.reader().all_stored_fields()}
    return CheckReport(assets=len(db_ids), documents=len(ix_ids),
                       outdated=store.outdated(index_root()),
                       missing=sorted(db_ids - ix_ids - pending),
                       orphans=sorted(ix_ids - db_ids - pending),
                       backlog=backlog, stale_backlog=stale)

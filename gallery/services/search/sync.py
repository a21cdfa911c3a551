"""This server's index follows the change log: apply from its cursor, rebuild, readiness, the sync loop."""
from __future__ import annotations

import os
import socket
import threading
from dataclasses import dataclass
from typing import Callable

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload
from whoosh import index
from whoosh.index import LockError

import gallery.services.search.changelog as changelog
import gallery.services.search.merging as merging
import gallery.services.search.store as store
from gallery.models import Asset, utcnow
from gallery.services.search.changelog import Cursor
from gallery.services.search.indexing import index_root, session, write_catalogue
from gallery.services.search.schema import make_document

# Test seam: called after a Whoosh commit and before the cursor file is written.
_after_index_commit: Callable[[], None] | None = None


@dataclass
class DrainResult:
    """What one pass did: documents written, removed, entries left, and why it could not run."""

    indexed: int = 0
    removed: int = 0
    remaining: int = 0
    busy: bool = False
    outdated: bool = False
    behind: bool = False     # the cursor is below the pruned part: only a rebuild helps
    rebuilt: int | None = None  # assets indexed by a rebuild this pass made
    pruned: int = 0


def server_name() -> str:
    """This server's name in the database: SEARCH_SERVER_NAME, or host name and index directory."""
    cfg = current_app.config
    return cfg.get("SEARCH_SERVER_NAME") or f"{socket.gethostname()}:{cfg['SEARCH_INDEX_DIR']}"


def writes_inline() -> bool:
    """True when the committing process applies the log itself (SEARCH_WRITER = "inline")."""
    return current_app.config.get("SEARCH_WRITER", "inline") != "sync"


def after_commit() -> None:
    """Inline writer: apply the log after a commit; a busy or broken index only leaves it for later.

    Sync writer: nothing here; this server's `gallery search-sync` (or worker) applies it.
    """
    if not writes_inline():
        return
    cfg = current_app.config
    try:
        drain(timeout=cfg.get("SEARCH_LOCK_TIMEOUT", 0.5), limit=cfg.get("SEARCH_DRAIN_LIMIT", 2000),
              merge_docs=merging.INLINE_MAX_DOCS)
    except Exception:  # the database change is committed; `gallery check` shows what is behind
        current_app.logger.exception("search: could not apply the change log; it waits for the next pass")


def drain(timeout: float = 0.5, limit: int | None = None, batch: int = 1000,
          rebuild_if_needed: bool = False,
          merge_docs: int = merging.BACKGROUND_MAX_DOCS) -> DrainResult:
    """Apply the log past this index's cursor (LockError: busy); rebuild first if asked and needed.

    merge_docs: segments under this size may be merged by the pass's commits (merging.py).
    """
    root = index_root()
    result = DrainResult()
    try:
        with store.writer_lock(root, timeout):
            name = store.current_name(root)
            missing = name is None or not os.path.isdir(os.path.join(root, name))
            if store.outdated(root) and not rebuild_if_needed:
                # Documents of the new schema do not fit the old index: they wait for the
                # rebuild `gallery init` (or `gallery reindex`) does.
                current_app.logger.warning("search: index schema outdated; run `gallery reindex`")
                result.outdated = True
            elif not missing and _behind(root, name) and not rebuild_if_needed:
                current_app.logger.warning("search: index behind the pruned change log; "
                                           "run `gallery reindex`")
                result.behind = True
            elif rebuild_if_needed and (missing or store.outdated(root) or _behind(root, name)):
                result.rebuilt = _rebuild_locked(root, procs=1, batch=batch, timeout=timeout)
            else:
                ix = store.open_locked(root)
                try:
                    _follow_locked(ix, root, store.current_name(root), result, limit, batch, timeout,
                                   merge_docs)
                finally:
                    ix.close()
            _maybe_prune(result)
    except LockError:
        result.busy = True
    result.remaining = pending().entries
    return result


def _behind(root: str, name: str) -> bool:
    s = session()
    try:
        return store.read_cursor(root, name).position < changelog.floor(s)
    finally:
        s.close()


def _follow_locked(ix: index.Index, root: str, name: str, result: DrainResult,
                   limit: int | None, batch: int, timeout: float,
                   merge_docs: int = merging.BACKGROUND_MAX_DOCS) -> Cursor:
    """Apply entries past the cursor in batches; the caller holds the root writer lock."""
    cursor = store.read_cursor(root, name)
    after = cursor.position
    done = 0
    s = session()
    try:
        while limit is None or done < limit:
            size = batch if limit is None else min(batch, limit - done)
            entries = changelog.read_after(s, after, size)
            if not entries:
                break
            todo = sorted({e.asset_id for e in entries if e.position not in cursor.applied})
            if todo:
                _apply(s, ix, todo, result, timeout, merge_docs)
                store.save_arrays(ix)  # the new segment's, here rather than in every reader
                if _after_index_commit is not None:
                    _after_index_commit()
            cursor = changelog.advance(cursor, entries, contiguous=after == cursor.position)
            store.write_cursor(root, name, cursor)
            s.commit()  # ends the read transaction: no snapshot held between batches
            s.expunge_all()
            after = entries[-1].position
            done += len(entries)
        _report(s, cursor)
    finally:
        s.close()
    return cursor


def _apply(s: Session, ix: index.Index, asset_ids: list[int], result: DrainResult,
           timeout: float, merge_docs: int) -> None:
    """Write each asset's current document, or remove it when the asset is gone: idempotent."""
    found = s.scalars(select(Asset).where(Asset.id.in_(asset_ids))
                      .options(joinedload(Asset.gallery))).unique().all()
    assets = {a.id: a for a in found}
    # The caller's wait, not a fixed one: a request gives the configured short timeout
    # (whoever else holds this version's lock applies our entries with its own).
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
        # Readers keep searching the segments they opened while this merges (store.py).
        writer.commit(mergetype=merging.policy(merge_docs))
    except BaseException:
        writer.cancel()
        raise


def _report(s: Session, cursor: Cursor) -> None:
    """Tell the database where this server's cursor is (each pass: also the server's heartbeat)."""
    changelog.report(s, server_name(), cursor, utcnow())


def _maybe_prune(result: DrainResult) -> None:
    """Prune the log when the last pruning (by any server) is older than SEARCH_LOG_PRUNE_SECONDS."""
    cfg = current_app.config
    s = session()
    try:
        now = utcnow()
        if changelog.prune_due(s, now, cfg["SEARCH_LOG_PRUNE_SECONDS"]):
            result.pruned = changelog.prune(s, now, cfg["SEARCH_LOG_RETENTION"]).deleted
    finally:
        s.close()


def rebuild(procs: int = 1, batch: int = 1000, lock_timeout: float = 120.0) -> int:
    """Index every asset into a new version, swap it in atomically, then follow the log from its start."""
    root = index_root()
    with store.writer_lock(root, lock_timeout):
        return _rebuild_locked(root, procs, batch, lock_timeout)


def _rebuild_locked(root: str, procs: int, batch: int, timeout: float) -> int:
    # The head is taken before the first asset is read: every change up to it is in what the
    # rebuild reads, and every later one is in the log past it.
    s = session()
    try:
        start = changelog.head(s)
    finally:
        s.close()
    previous = store.current_name(root)
    name = store.new_version(root)
    ix = index.open_dir(os.path.join(root, name))
    try:
        count = write_catalogue(ix, procs=procs, batch=batch)
        store.save_arrays(ix, procs)
        store.write_cursor(root, name, Cursor(start))
        store.point_to(root, name)  # index and cursor are swapped in together
        _follow_locked(ix, root, name, DrainResult(), None, batch, timeout)
    finally:
        ix.close()
    # Keep the previous version one more round: other processes may still be reading it.
    store.remove_old_versions(root, {name} | ({previous} if previous else set()))
    return count


def rebuild_if_outdated() -> int | None:
    """Rebuild an index made with an older schema (after an upgrade); None when it is current."""
    return rebuild() if store.outdated(index_root()) else None


def local_cursor() -> Cursor | None:
    """This server's cursor, from its current index version (None: no index)."""
    root = index_root()
    name = store.current_name(root)
    if name is None or not os.path.isdir(os.path.join(root, name)):
        return None
    return store.read_cursor(root, name)


def pending() -> changelog.Lag:
    """Entries this server's index has not applied yet (all of them when it has no index)."""
    cursor = local_cursor() or Cursor()
    s = session()
    try:
        return changelog.lag(s, cursor, utcnow())
    finally:
        s.close()


def follow(interval: float, stop: threading.Event, on_pass: Callable[[DrainResult], None] | None = None,
           once: bool = False) -> DrainResult:
    """The sync loop: a pass (rebuilding first when needed) every `interval` seconds until `stop`."""
    timeout = max(5.0, interval)
    while True:
        try:
            result = drain(timeout=timeout, rebuild_if_needed=True)
        except Exception:  # a database hiccup: log it and try again at the next pass
            if once:
                raise
            current_app.logger.exception("search sync: pass failed; trying again")
            result = DrainResult(busy=True)
        if on_pass is not None:
            on_pass(result)
        if once or stop.wait(interval):
            return result

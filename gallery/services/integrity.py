"""Rows, stored files and the search index in step, both ways: what `gallery check [--repair]` does.

A crash (a killed worker or CLI) can leave files without rows and temp files nobody removes; a
lost disk block or a careless `rm` can leave rows without files. check() finds every kind;
repair() removes what no row needs, remakes what can be made again from the original, and brings
the index up to date. A missing original cannot be remade: it is reported, and every route that
needs it answers 404 and logs it (require_original).
"""
from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy import func, select

from gallery import policy
from gallery.exceptions import GalleryError, NotFound, StorageError
from gallery.extensions import db
from gallery.models import Asset, Rendition, SearchOutbox
from gallery.services import jobs, renditions, search, served, storage, tallies, unit, work
from gallery.services.storage import Listed

# A temp file is written to as long as its write lasts: an hour without a write means it was
# abandoned (its mtime moves with every chunk).
TEMP_GRACE_SECONDS = 60 * 60
# An ingest stores each file before the row of its batch commits (INGEST_BATCH_SIZE files, up to
# 2 GB each: that can take more than an hour), so a file with no row is removed only after a day.
ORPHAN_GRACE_SECONDS = 24 * 60 * 60


@dataclass(frozen=True)
class Missing:
    """A file a row points at that is not in storage: whose, which one, and its key."""

    asset_id: int
    what: str  # "original", "served" or a rendition size
    key: str


@dataclass
class Report:
    """Everything out of step between the database, storage and the search index."""

    assets: int = 0
    renditions: int = 0
    files: int = 0
    missing_originals: list[Missing] = field(default_factory=list)
    missing_renditions: list[Missing] = field(default_factory=list)
    missing_served: list[Missing] = field(default_factory=list)
    orphans: list[Listed] = field(default_factory=list)
    stale_temp: list[Listed] = field(default_factory=list)
    tiles: int = 0  # cached IIIF tiles (derived: dropped freely)
    stale_tiles: list[Listed] = field(default_factory=list)  # tiles of files no asset has now
    search: search.CheckReport = field(default_factory=search.CheckReport)
    stuck_work: list[WorkItem] = field(default_factory=list)  # lease over: lost or killed
    failed_work: list[WorkItem] = field(default_factory=list)  # failed JOB_MAX_ATTEMPTS times
    tallies: list[tallies.Drift] = field(default_factory=list)  # category and country counts off

    @property
    def clean(self) -> bool:
        """Nothing missing or orphaned, no stale temp file, no stuck or failed work, counts and index in step."""
        return not (self.missing_originals or self.missing_renditions or self.missing_served
                    or self.orphans or self.stale_temp or self.stale_tiles or self.stuck_work
                    or self.failed_work or self.tallies) and self.search.clean


@dataclass(frozen=True)
class WorkItem:
    """A piece of an asset's background work that is stuck or failed, with its state and reason."""

    asset_id: int
    piece: str
    state: str
    attempts: int
    reason: str


@dataclass
class Repaired:
    """What repair() did, and what it could not do."""

    removed_orphans: int = 0
    removed_temp: int = 0
    removed_tiles: int = 0
    renditions: int = 0
    served: int = 0
    index: str = ""  # "rebuilt", "drained" or "" (nothing to do)
    requeued: int = 0  # assets whose work was queued again (stuck, failed, or a lost proxy)
    tallies: int = 0  # (category, country) count rows written again when they had drifted
    recent_orphans: list[str] = field(default_factory=list)  # too young to remove safely
    unrepairable: list[Missing] = field(default_factory=list)  # their original is missing
    failed: list[tuple[Missing, str]] = field(default_factory=list)


def check(now: float | None = None) -> Report:
    """Compare rows with stored files both ways, list stale temp files, and check the index."""
    now = time.time() if now is None else now
    assets = db.session.execute(select(Asset.id, Asset.storage_key, Asset.served_key)).all()
    rends = db.session.execute(select(Rendition.asset_id, Rendition.size, Rendition.storage_key)
                               .order_by(Rendition.asset_id, Rendition.size)).all()
    stored: dict[str, Listed] = {}
    temps: list[Listed] = list(storage.temp_listing())
    for folder in storage.STORED_FOLDERS:
        for found in storage.listing(folder):
            if storage.is_temp(found.key):
                temps.append(found)  # a served copy or rendition whose write never finished
            else:
                stored[found.key] = found
    report = Report(assets=len(assets), renditions=len(rends), files=len(stored))
    referenced: set[str] = set()
    for asset_id, key, served_key in sorted(assets):
        referenced.add(key)
        if key not in stored:
            report.missing_originals.append(Missing(asset_id, "original", key))
        if served_key is not None and served_key != key:
            referenced.add(served_key)
            if served_key not in stored:
                report.missing_served.append(Missing(asset_id, "served", served_key))
    for asset_id, size, key in rends:
        referenced.add(key)
        if key not in stored:
            report.missing_renditions.append(Missing(asset_id, size, key))
    report.orphans = sorted((f for k, f in stored.items() if k not in referenced), key=_by_key)
    report.stale_temp = sorted((t for t in temps if now - t.mtime > TEMP_GRACE_SECONDS),
                               key=_by_key)
    hashes = set(db.session.scalars(select(Asset.sha256)))
    for tile in storage.listing(storage.TILES_FOLDER):
        report.tiles += 1
        parts = tile.key.split("/")
        if len(parts) < 4 or parts[3] not in hashes:
            report.stale_tiles.append(tile)
    report.stale_tiles.sort(key=_by_key)
    report.search = search.check()
    report.stuck_work = [_item(w) for w in work.stuck()]
    report.failed_work = [_item(w) for w in work.failed()]
    report.tallies = tallies.drift(db.session)
    return report


def _item(row) -> WorkItem:
    return WorkItem(row.asset_id, row.piece, row.state, row.attempts, row.reason)


def repair(report: Report, now: float | None = None) -> Repaired:
    """Remove orphan and stale temp files, remake missing renditions and served copies, reindex, recount."""
    now = time.time() if now is None else now
    done = Repaired()
    for temp in report.stale_temp:
        if temp.key.startswith(storage.TMP_FOLDER + "/"):
            storage.remove_temp(temp.key)
        else:
            storage.remove_listed(temp.key)
        done.removed_temp += 1
    for tile in report.stale_tiles:
        storage.remove_listed(tile.key)  # a cache: a tile in use is made again on its next request
        done.removed_tiles += 1
    for orphan in report.orphans:
        # Young files may be an ingest's, written before its row commits; a row may also have
        # been committed since check() ran.
        if now - orphan.mtime <= ORPHAN_GRACE_SECONDS or _referenced(orphan.key):
            done.recent_orphans.append(orphan.key)
            continue
        storage.remove_listed(orphan.key)
        done.removed_orphans += 1
    lost = {m.asset_id for m in report.missing_originals}
    done.unrepairable.extend(report.missing_originals)
    by_asset: dict[int, list[Missing]] = defaultdict(list)
    for missing in report.missing_renditions + report.missing_served:
        by_asset[missing.asset_id].append(missing)
    for asset_id, wanted in sorted(by_asset.items()):
        if asset_id in lost:
            done.unrepairable.extend(wanted)
            continue
        for missing in wanted:
            _remake(asset_id, missing, done)
    done.index = _repair_index(report.search)
    done.requeued += _requeue(report)
    if report.tallies:
        done.tallies = tallies.rebuild(db.session)
        unit.commit(drain=False)
    return done


def _requeue(report: Report) -> int:
    """Failed pieces set pending again (attempts reset), stuck ones swept; their assets queued."""
    if not (report.stuck_work or report.failed_work):
        return 0
    ids = {w.asset_id for w in report.failed_work if work.retry(w.asset_id, w.piece)}
    db.session.commit()  # before queueing: a worker must find the rows pending
    ids.update(work.sweep())
    jobs.look_at(sorted(ids))
    return len(ids)


def require_original(asset: Asset) -> None:
    """Raise NotFound, and log it, when an asset's original is not in storage (nothing can be made)."""
    if storage.exists(asset.storage_key):
        return
    current_app.logger.error("asset %s: original file missing (%s); restore it from a backup "
                             "(`gallery check` lists every missing file)", asset.id, asset.storage_key)
    raise NotFound("The file of this item is missing; the problem has been logged.")


def _remake(asset_id: int, missing: Missing, done: Repaired) -> None:
    """Make one missing rendition or served copy again from the original, recording the outcome."""
    asset = db.session.get(Asset, asset_id)
    if asset is None:
        return  # deleted since check() ran: nothing to remake
    try:
        if missing.what == "served":
            served.ensure(asset)
            done.served += 1
        elif missing.what in policy.PROXY_SIZES:
            # A proxy is a transcode (minutes for a long video): the workers remake it, and the
            # asset waits unpublished meanwhile, as a new video does.
            work.mark(asset, ["proxy"])
            unit.commit(drain=False, look_at=[asset.id])
            done.requeued += 1
        else:
            renditions.ensure_rendition(asset, missing.what)
            done.renditions += 1
    except (GalleryError, OSError) as exc:
        db.session.rollback()
        done.failed.append((missing, getattr(exc, "message", None) or str(exc)))


def _repair_index(report: search.CheckReport) -> str:
    """Rebuild an index that is missing, of an older schema or below the pruned log; else log what drifted and apply it."""
    if report.outdated or report.no_index:
        search.rebuild()
        return "rebuilt"
    if not (report.missing or report.orphans or report.stale_backlog):
        return ""
    # An orphan id logged as an upsert is removed when applied: its asset is gone.
    db.session.add_all(SearchOutbox(asset_id=i) for i in report.missing + report.orphans)
    # Not unit.commit(): the pass below waits longer than after_commit() and must say when busy.
    db.session.commit()
    result = search.drain(timeout=30.0)
    if result.busy:
        raise StorageError("Another process holds the search index writer; run the repair again.")
    if result.behind:
        search.rebuild()
        return "rebuilt"
    return "brought up to date"


def _referenced(key: str) -> bool:
    """Whether any row points at this key now."""
    assets = select(func.count()).select_from(Asset).where(
        (Asset.storage_key == key) | (Asset.served_key == key))
    rends = select(func.count()).select_from(Rendition).where(Rendition.storage_key == key)
    return bool(db.session.scalar(assets) or db.session.scalar(rends))


def _by_key(found: Listed) -> str:
    """Sort key of a listed file: its key."""
    return found.key

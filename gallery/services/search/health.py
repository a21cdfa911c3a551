"""Is the index in step? Readiness of this server (/readyz), drift and every server's lag (`gallery check`)."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

import gallery.services.search.changelog as changelog
import gallery.services.search.store as store
from gallery.models import Asset, SearchOutbox, utcnow
from gallery.services.search.changelog import Cursor
from gallery.services.search.indexing import index_root, session
from gallery.services.search.sync import local_cursor, server_name, writes_inline


@dataclass
class Readiness:
    """Whether this server's index may serve searches (GET /readyz)."""

    ready: bool
    reason: str
    server: str
    lag_entries: int = 0
    lag_seconds: float = 0.0

    def as_json(self) -> dict:
        """The body of /readyz."""
        return {"ready": self.ready, "reason": self.reason, "server": self.server,
                "lag_entries": self.lag_entries, "lag_seconds": round(self.lag_seconds, 1)}


@dataclass
class CheckReport:
    """Drift between the database and this server's index, and every server's lag."""

    assets: int = 0
    documents: int = 0
    missing: list[int] = field(default_factory=list)
    orphans: list[int] = field(default_factory=list)
    backlog: int = 0
    stale_backlog: int = 0
    outdated: bool = False
    no_index: bool = False
    servers: list[changelog.ServerState] = field(default_factory=list)

    @property
    def behind(self) -> list[changelog.ServerState]:
        """Servers further behind than SEARCH_READY_LAG, or below the pruned log."""
        return [s for s in self.servers if s.behind]

    @property
    def clean(self) -> bool:
        """Current schema, no asset missing, no orphan, no old backlog, no server behind."""
        return not (self.missing or self.orphans or self.stale_backlog or self.outdated
                    or self.no_index or self.behind)


def readiness() -> Readiness:
    """Not ready while the index is missing, outdated, below the pruned log or too far behind."""
    name = server_name()
    cursor = local_cursor()
    if cursor is None:
        return Readiness(False, "no search index on this server yet (gallery reindex)", name)
    if store.outdated(index_root()):
        return Readiness(False, "search index of an older schema (gallery reindex)", name)
    s = session()
    try:
        if cursor.position < changelog.floor(s):
            return Readiness(False, "search index behind the pruned change log (rebuilding)", name)
        lag = changelog.lag(s, cursor, utcnow())
    except SQLAlchemyError:
        current_app.logger.exception("readyz: the database did not answer")
        return Readiness(False, "database unreachable", name)
    finally:
        s.close()
    limit = current_app.config["SEARCH_READY_LAG"]
    if lag.seconds > limit:
        return Readiness(False, f"search index {lag.seconds:.0f} s behind the change log "
                         f"(SEARCH_READY_LAG is {limit} s)", name, lag.entries, lag.seconds)
    return Readiness(True, "ok", name, lag.entries, lag.seconds)


def servers() -> list[changelog.ServerState]:
    """Every server following the change log with its lag, most behind first (the jobs page)."""
    s = session()
    try:
        return changelog.servers(s, utcnow(), current_app.config["SEARCH_READY_LAG"])
    finally:
        s.close()


def check() -> CheckReport:
    """Compare asset ids in the database with this server's index; count its backlog; list servers."""
    cfg = current_app.config
    grace = dt.timedelta(seconds=cfg.get("SEARCH_BACKLOG_GRACE", 60))
    cursor = local_cursor() or Cursor()
    unapplied = changelog.unapplied(cursor)
    now = utcnow()
    s = session()
    try:
        db_ids = set(s.scalars(select(Asset.id)))
        pending = set(s.scalars(select(SearchOutbox.asset_id).where(unapplied)))
        lag = changelog.lag(s, cursor, now)
        stale_count = s.scalar(select(func.count()).select_from(SearchOutbox)
                               .where(unapplied, SearchOutbox.queued_at < now - grace)) or 0
        servers = changelog.servers(s, now, cfg["SEARCH_READY_LAG"])
    finally:
        s.close()
    report = CheckReport(assets=len(db_ids), outdated=store.outdated(index_root()),
                         backlog=lag.entries, stale_backlog=stale_count, servers=servers)
    try:
        with store.searcher_cache(index_root()).lease(create=writes_inline()) as searcher:
            ix_ids = {int(f["id"]) for f in searcher.reader().all_stored_fields()}
    except store.IndexMissing:
        report.no_index = True
        ix_ids = set()
    report.documents = len(ix_ids)
    report.missing = sorted(db_ids - ix_ids - pending)
    report.orphans = sorted(ix_ids - db_ids - pending)
    return report

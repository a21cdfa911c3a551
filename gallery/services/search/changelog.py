"""The search change log in the database: reading past a cursor, the servers' cursors, pruning.

The log's order is a position (txid, id). PostgreSQL hands out sequence ids when a row is
inserted, not when its transaction commits, so a follower that passed id 11 could miss an id 10
committed a moment later. Each entry therefore carries its transaction's id, and a cursor only
passes entries whose transaction is older than every transaction still running in this
database: nothing can commit before them any more. Entries past that line are applied as soon as
they are visible and remembered in the cursor's `applied` set until the cursor reaches them.
On SQLite one writer runs at a time, so ids are in commit order and txid is always 0.
"""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field

from sqlalchemy import delete, func, literal_column, select, true, tuple_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gallery.models import SearchLogFloor, SearchOutbox, SearchServer

Position = tuple[int, int]
START: Position = (0, 0)
FLOOR_ID = 1
# PostgreSQL: the oldest transaction still running in this database when the statement took its
# snapshot, or the snapshot's end if none. Transaction ids are the whole cluster's: a transaction
# in another database (another application, a report) cannot write this log, so it must not hold
# the cursors back. The running ones come from the snapshot itself (what the statement sees);
# pg_stat_activity only says which of them belong elsewhere. What it cannot place (a prepared
# transaction, one the view does not show this role, one begun after the view was first read in
# this transaction: it is read once a transaction) counts as this database's: held back, never
# missed.
PG_XMIN = """coalesce(
  (select min(x)::text::bigint from pg_snapshot_xip(pg_current_snapshot()) as x
   where x::xid not in (select a.backend_xid from pg_stat_activity as a
                        where a.backend_xid is not null and a.datname <> current_database())),
  pg_snapshot_xmax(pg_current_snapshot())::text::bigint)"""


@dataclass(frozen=True)
class Cursor:
    """How far an index has applied the log: every entry up to `position`, and `applied` past it."""

    position: Position = START
    applied: frozenset[Position] = frozenset()

    def dumps(self) -> str:
        """The cursor file's JSON."""
        return json.dumps({"txid": self.position[0], "id": self.position[1],
                           "applied": _applied_list(self.applied)})

    @classmethod
    def loads(cls, data: str) -> Cursor:
        """Read a cursor file's JSON."""
        raw = json.loads(data)
        return cls((int(raw["txid"]), int(raw["id"])), _applied_set(raw.get("applied", [])))


def _applied_list(applied: frozenset[Position]) -> list[list[int]]:
    """A cursor's applied set as JSON holds it: [[txid, id], ...] in log order."""
    return sorted(list(p) for p in applied)


def _applied_set(raw: list) -> frozenset[Position]:
    """A cursor's applied set read from its JSON list."""
    return frozenset((int(t), int(i)) for t, i in raw)


@dataclass(frozen=True)
class Entry:
    """One log entry as a follower reads it; final: no transaction can commit an entry before it."""

    position: Position
    asset_id: int
    final: bool


@dataclass
class Lag:
    """Entries past a cursor not yet applied, and the age of the oldest (seconds)."""

    entries: int = 0
    seconds: float = 0.0


@dataclass
class ServerState:
    """A registered server as `gallery check` shows it."""

    name: str
    position: Position
    last_seen: dt.datetime
    lag: Lag = field(default_factory=Lag)
    behind: bool = False    # further behind than SEARCH_READY_LAG
    rebuild: bool = False   # its cursor is below the pruned part: it rebuilds on its next sync


@dataclass
class Pruned:
    """What one pruning did."""

    deleted: int = 0
    deregistered: list[str] = field(default_factory=list)
    floor: Position = START


def _position():
    return tuple_(SearchOutbox.txid, SearchOutbox.id)


def _final(session: Session):
    """True for entries whose transaction ended before this statement began."""
    if session.get_bind().dialect.name == "postgresql":
        return SearchOutbox.txid < literal_column(PG_XMIN)
    return true()


def read_after(session: Session, after: Position, limit: int) -> list[Entry]:
    """Up to `limit` visible entries past `after`, in log order (final ones come first)."""
    rows = session.execute(
        select(SearchOutbox.txid, SearchOutbox.id, SearchOutbox.asset_id,
               _final(session).label("final"))
        .where(_position() > tuple_(*after))
        .order_by(SearchOutbox.txid, SearchOutbox.id).limit(limit)).all()
    return [Entry((r.txid, r.id), r.asset_id, bool(r.final)) for r in rows]


def advance(cursor: Cursor, entries: list[Entry], contiguous: bool = True) -> Cursor:
    """The cursor after applying `entries`, read in log order.

    contiguous: they were read right after the cursor's position. Entries read after a later
    point (the end of a pass's previous batch, past entries that were not final) never move it:
    an entry in the gap may have become visible since that read, and it has not been applied.
    """
    position, applied, moving = cursor.position, set(cursor.applied), contiguous
    for entry in entries:
        if moving and entry.final:
            position = entry.position
        else:
            # A transaction older than this entry may still commit one before it: stay here and
            # remember it was applied, so it is not applied again when the cursor reaches it.
            moving = False
            applied.add(entry.position)
    return Cursor(position, frozenset(p for p in applied if p > position))


def floor(session: Session) -> Position:
    """Everything at or before this position has been pruned."""
    row = session.get(SearchLogFloor, FLOOR_ID)
    return (row.txid, row.entry_id) if row else START


def head(session: Session) -> Position:
    """Where a rebuild that starts reading the database now can set its cursor.

    The last final entry (or the floor): every change up to it is committed, so the rebuild's
    reads include it; anything committed later comes after it and is followed afterwards.
    """
    row = session.execute(select(SearchOutbox.txid, SearchOutbox.id).where(_final(session))
                          .order_by(SearchOutbox.txid.desc(), SearchOutbox.id.desc())
                          .limit(1)).first()
    return max((row.txid, row.id) if row else START, floor(session))


def unapplied(cursor: Cursor):
    """The condition on log entries past a cursor that it has not applied."""
    past = _position() > tuple_(*cursor.position)
    if not cursor.applied:
        return past
    return past & SearchOutbox.id.not_in(sorted(i for _, i in cursor.applied))


def lag(session: Session, cursor: Cursor | Position, now: dt.datetime) -> Lag:
    """Entries past a cursor that it has not applied, and the age of the oldest of them."""
    if not isinstance(cursor, Cursor):
        cursor = Cursor(cursor)
    count, oldest = session.execute(select(func.count(), func.min(SearchOutbox.queued_at))
                                    .where(unapplied(cursor))).one()
    return Lag(count or 0, max(0.0, (now - oldest).total_seconds()) if oldest else 0.0)


def report(session: Session, name: str, cursor: Cursor, now: dt.datetime) -> None:
    """Record (and register) a server's cursor, and commit."""
    values = {"cursor_txid": cursor.position[0], "cursor_id": cursor.position[1],
              "cursor_applied": json.dumps(_applied_list(cursor.applied)),
              "last_seen": now}
    for _ in range(2):
        if session.execute(update(SearchServer).where(SearchServer.name == name)
                           .values(**values)).rowcount:
            session.commit()
            return
        session.add(SearchServer(name=name, **values))
        try:
            session.commit()
            return
        except IntegrityError:  # registered by another process a moment ago: update it then
            session.rollback()


def servers(session: Session, now: dt.datetime, ready_lag: float) -> list[ServerState]:
    """Every registered server with its lag, most behind first."""
    low = floor(session)
    out = []
    for row in session.scalars(select(SearchServer).order_by(SearchServer.name)):
        position = (row.cursor_txid, row.cursor_id)
        # What it applied past its position (entries a running transaction keeps non-final) is
        # not lag.
        applied = _applied_set(json.loads(row.cursor_applied or "[]"))
        state = ServerState(row.name, position, row.last_seen,
                            lag(session, Cursor(position, applied), now))
        state.rebuild = position < low
        state.behind = state.rebuild or state.lag.seconds > ready_lag
        out.append(state)
    return sorted(out, key=lambda s: (-s.lag.seconds, s.name))


def prune_due(session: Session, now: dt.datetime, every: float) -> bool:
    """Whether the last pruning is older than `every` seconds (or never happened)."""
    row = session.get(SearchLogFloor, FLOOR_ID)
    return row is None or (now - row.pruned_at).total_seconds() >= every


def prune(session: Session, now: dt.datetime, retention: float) -> Pruned:
    """Deregister servers not seen within `retention`, then delete what every server passed or is older.

    Deleted entries are always a prefix of the log, up to the recorded floor, so a cursor below
    the floor knows it missed entries and rebuilds.
    """
    cutoff = now - dt.timedelta(seconds=retention)
    done = Pruned()
    stale = list(session.scalars(select(SearchServer.name).where(SearchServer.last_seen < cutoff)))
    if stale:
        session.execute(delete(SearchServer).where(SearchServer.name.in_(stale)))
        done.deregistered = stale
    slowest = session.execute(select(SearchServer.cursor_txid, SearchServer.cursor_id)
                              .order_by(SearchServer.cursor_txid, SearchServer.cursor_id)
                              .limit(1)).first()
    # Nobody registered: nothing is known to be passed, only age prunes.
    passed = (slowest.cursor_txid, slowest.cursor_id) if slowest else START
    old = session.execute(select(SearchOutbox.txid, SearchOutbox.id)
                          .where(SearchOutbox.queued_at < cutoff, _final(session))
                          .order_by(SearchOutbox.txid.desc(), SearchOutbox.id.desc())
                          .limit(1)).first()
    done.floor = max(passed, (old.txid, old.id) if old else START, floor(session))
    done.deleted = session.execute(delete(SearchOutbox).where(
        _position() <= tuple_(*done.floor))).rowcount or 0
    if session.get(SearchLogFloor, FLOOR_ID) is None:
        session.add(SearchLogFloor(id=FLOOR_ID, txid=done.floor[0], entry_id=done.floor[1],
                                   pruned_at=now))
    else:
        # Only ever up, in SQL: a server pruning at the same moment may have raised it already.
        where = SearchLogFloor.id == FLOOR_ID
        session.execute(update(SearchLogFloor).where(
            where, tuple_(SearchLogFloor.txid, SearchLogFloor.entry_id) < tuple_(*done.floor))
            .values(txid=done.floor[0], entry_id=done.floor[1]))
        session.execute(update(SearchLogFloor).where(where).values(pruned_at=now))
    try:
        session.commit()
    except IntegrityError:  # another server pruned at the same moment: its floor stands
        session.rollback()
    return done

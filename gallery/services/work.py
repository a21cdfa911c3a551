"""The derived work of each asset (asset_work rows): which pieces it needs, doing them, retries, the sweeper's choice.

The database holds the truth; a queue message (services/jobs.py) only says "look at asset N".
look_at() claims each due piece with one conditional UPDATE (so two workers never both run it),
does it idempotently (renditions.ensure_rendition and served.ensure settle their own races), and
records ready, or pending again with a backoff, or failed after JOB_MAX_ATTEMPTS with the reason.
"""
from __future__ import annotations

import datetime as dt
import logging
import statistics
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy import and_, func, or_, select, update

from gallery import policy
from gallery.exceptions import GalleryError
from gallery.extensions import db
from gallery.i18n.service_messages import N_
from gallery.models import Asset, AssetWork, utcnow
from gallery.services import counts, oai_records, proxies, renditions, served

log = logging.getLogger(__name__)

# The pieces of work each media type gets after ingest. "proxy" (services/proxies.py) is also in
# policy.REQUIRED_PIECES: a video or audio file is public only once its proxy is ready.
PIECES: dict[str, tuple[str, ...]] = {"image": ("large", "served"), "video": ("served", "proxy"),
                                      "audio": ("served", "proxy")}


class Stopped(BaseException):
    """Raised in a job process told to stop (SIGTERM): the piece in hand goes back to pending.

    A BaseException, so no `except Exception` on the way records it as the piece's failure.
    """


PROGRESS_SECONDS = 3.0  # how often a running piece writes its progress at most (tests set 0)


def _large(asset: Asset) -> None:
    renditions.ensure_rendition(asset, "large")


def _served(asset: Asset) -> None:
    served.ensure(asset)


def _proxy(asset: Asset) -> None:
    proxies.make(asset, progress=_progress(asset.id, "proxy"))


def _credits(asset: Asset) -> None:
    served.recredit(asset)
    if asset.media_type in ("video", "audio"):
        proxies.recredit(asset)


def _progress(asset_id: int, piece: str) -> Callable[[float], None]:
    """A progress callback that records the fraction done at most every PROGRESS_SECONDS."""
    last = [-PROGRESS_SECONDS]

    def report(fraction: float) -> None:
        at = time.monotonic()
        if at - last[0] < PROGRESS_SECONDS:
            return
        last[0] = at
        # Its own connection and short transaction: the worker's session must not commit half
        # a piece, and staff see the figure while the piece runs. Only while this worker holds it.
        with db.engine.begin() as conn:
            conn.execute(update(AssetWork).where(
                AssetWork.asset_id == asset_id, AssetWork.piece == piece, AssetWork.state == "running"
            ).values(progress=round(min(max(fraction, 0.0), 1.0), 3)))

    return report


# piece -> the idempotent function that makes it (safe to run twice or concurrently).
MAKERS: dict[str, Callable[[Asset], None]] = {"large": _large, "served": _served, "proxy": _proxy,
                                              "credits": _credits}
# Pieces marked only by an edit, never at ingest, and invisible on tiles until they fail: the
# asset is whole and public meanwhile (its served original and proxies carry the previous
# credits until the piece is ready).
ON_EDIT = ("credits",)
# What credits_for reads: an edit of one of these re-writes the credits inside the served
# original and the proxies.
RIGHTS_FIELDS = frozenset({"licence", "usage_terms", "restrictions"})
CREDIT_FIELDS = frozenset({"title", "caption", "creator", "credit", "copyright", "date_taken", "keywords",
                           "city", "country", "country_code", "translations"}) | RIGHTS_FIELDS
GALLERY_CREDIT_FIELDS = frozenset({"credit", "date", "country", "country_code", "language"}) | RIGHTS_FIELDS


def now() -> dt.datetime:
    """The clock every state change reads (naive UTC); tests move it by replacing this function."""
    return utcnow()


def _seconds(key: str) -> dt.timedelta:
    return dt.timedelta(seconds=current_app.config[key])


def mark(asset: Asset, pieces: Iterable[str] | None = None, *, at: dt.datetime | None = None) -> list[str]:
    """Mark pieces of an asset pending (new rows, or reset ones) in the caller's transaction.

    Their lease starts now: if no worker has started them when it ends (a lost message), the
    sweeper queues them again. Returns the pieces marked.
    """
    at = at or now()
    wanted = list(PIECES.get(asset.media_type, ()) if pieces is None else pieces)
    rows = {w.piece: w for w in asset.work}
    for piece in wanted:
        row = rows.get(piece)
        if row is None:
            row = AssetWork(piece=piece)
            asset.work.append(row)
        row.state, row.attempts, row.reason, row.not_before = "pending", 0, "", None
        row.lease_until, row.started_at, row.finished_at, row.updated_at = (
            at + _seconds("JOB_LEASE_SECONDS"), None, None, at)
    return wanted


def recredit(assets: Iterable[Asset], *, at: dt.datetime | None = None) -> list[int]:
    """Mark the "credits" piece of those assets with a served copy or a proxy to rewrite (caller commits, then looks at the ids returned)."""
    ids = []
    for asset in assets:
        if asset.served_key is not None or (asset.media_type in ("video", "audio") and any(
                asset.rendition(s) is not None for s in proxies.SIZES)):
            mark(asset, ["credits"], at=at)
            ids.append(asset.id)
    return ids


def needed(asset: Asset) -> list[str]:
    """The pieces of the asset's media type not made yet (ingest made the served copy already, say)."""
    made = {"served": asset.served_key is not None,
            "large": any(r.size == "large" for r in asset.renditions), "proxy": proxies.made(asset)}
    return [p for p in PIECES.get(asset.media_type, ()) if not made.get(p, False)]


def retry(asset_id: int, piece: str, *, at: dt.datetime | None = None) -> bool:
    """Set a failed piece pending again with its attempts reset (the caller commits); False if it is not failed."""
    at = at or now()
    done = db.session.execute(update(AssetWork).where(
        AssetWork.asset_id == asset_id, AssetWork.piece == piece, AssetWork.state == "failed"
    ).values(state="pending", attempts=0, reason="", lease_until=at + _seconds("JOB_LEASE_SECONDS"),
             not_before=None, started_at=None, finished_at=None, updated_at=at))
    return bool(done.rowcount)


def _due(at: dt.datetime):
    """Pieces a worker may take now: pending (its retry wait over), or running past its lease (a dead worker)."""
    waited = or_(AssetWork.not_before.is_(None), AssetWork.not_before <= at)
    return or_(and_(AssetWork.state == "pending", waited),
               and_(AssetWork.state == "running", _lapsed(at)))


def _lapsed(at: dt.datetime):
    return or_(AssetWork.lease_until.is_(None), AssetWork.lease_until <= at)


def _lost(at: dt.datetime):
    """Pieces whose lease is over: the message was lost, the worker died, or a retry is due."""
    return and_(AssetWork.state.in_(("pending", "running")), _lapsed(at))


def look_at(asset_id: int, *, at: dt.datetime | None = None) -> dict[str, str]:
    """Do the asset's due pieces, each claimed first; returns piece -> state for those it tried."""
    at = at or now()
    pieces = db.session.scalars(select(AssetWork.piece).where(
        AssetWork.asset_id == asset_id, _due(at)).order_by(AssetWork.id)).all()
    out: dict[str, str] = {}
    for piece in pieces:
        claimed = False
        try:
            claimed = _claim(asset_id, piece, at)
            if claimed:
                out[piece] = _do(asset_id, piece, at)
        except Stopped:
            db.session.rollback()
            if claimed:
                _release(asset_id, piece)
            raise
    return out


def _release(asset_id: int, piece: str) -> None:
    """Put a piece this worker holds back to pending, due now, its attempt not counted (a stopped job)."""
    at = now()
    db.session.execute(update(AssetWork).where(
        AssetWork.asset_id == asset_id, AssetWork.piece == piece, AssetWork.state == "running"
    ).values(state="pending", attempts=AssetWork.attempts - 1,
             lease_until=at, started_at=None, progress=None, updated_at=at))
    db.session.commit()


def _claim(asset_id: int, piece: str, at: dt.datetime) -> bool:
    """Take a due piece with one conditional UPDATE: only one of racing workers gets rowcount 1."""
    # Not unit.commit(): a state change of derived work, which no search document holds, and the
    # claim must be visible to other workers before the work starts.
    claimed = db.session.execute(update(AssetWork).where(
        AssetWork.asset_id == asset_id, AssetWork.piece == piece, _due(at)
    ).values(state="running", attempts=AssetWork.attempts + 1, started_at=at, finished_at=None,
             not_before=None, progress=None,
             lease_until=at + _seconds("JOB_LEASE_SECONDS"), updated_at=at)).rowcount
    db.session.commit()
    return bool(claimed)


def _do(asset_id: int, piece: str, started: dt.datetime) -> str:
    """Make one claimed piece and record how it went."""
    asset = db.session.get(Asset, asset_id)
    maker = MAKERS.get(piece)
    try:
        if asset is None:
            return "gone"
        if maker is None:
            raise GalleryError(N_("No worker knows how to make “%(piece)s”.", piece=piece))
        maker(asset)
        gallery_id = asset.gallery_id
        # A required piece now ready makes the asset public: its gallery's counts change with it.
        recount = piece in policy.REQUIRED_PIECES.get(asset.media_type, ())
    except Exception as exc:  # any failure is recorded on the piece, for staff to see
        db.session.rollback()
        reason = exc.message if isinstance(exc, GalleryError) else f"{type(exc).__name__}: {exc}"
        log.warning("asset %s piece %s failed: %s", asset_id, piece, reason)
        return _failed(asset_id, piece, reason[:2000])
    _set(asset_id, piece, state="ready", reason="", lease_until=None, finished_at=now(),
         recount=gallery_id if recount else None)
    return "ready"


def _failed(asset_id: int, piece: str, reason: str) -> str:
    """Pending again after a backoff (the sweeper queues it when due), or failed for good."""
    at = now()
    attempts = db.session.scalar(select(AssetWork.attempts).where(
        AssetWork.asset_id == asset_id, AssetWork.piece == piece)) or 0
    if attempts >= current_app.config["JOB_MAX_ATTEMPTS"]:
        _set(asset_id, piece, state="failed", reason=reason, lease_until=None, finished_at=at)
        return "failed"
    wait = current_app.config["JOB_RETRY_SECONDS"] * 2 ** max(attempts - 1, 0)
    # The sweeper queues it when the wait is over (its lease ends then too).
    retry_at = at + dt.timedelta(seconds=wait)
    _set(asset_id, piece, state="pending", reason=reason, finished_at=at, not_before=retry_at,
         lease_until=retry_at)
    return "pending"


def _set(asset_id: int, piece: str, *, recount: int | None = None, **values) -> None:
    """Record the outcome of a piece this worker holds (still running: a sweeper did not take it back).

    recount: a gallery whose public counts this outcome changes, refreshed in the same
    transaction so the counts never disagree with the rows.
    """
    done = db.session.execute(update(AssetWork).where(
        AssetWork.asset_id == asset_id, AssetWork.piece == piece, AssetWork.state == "running"
    ).values(updated_at=now(), **values)).rowcount
    if done and recount is not None:
        counts.refresh_counts([recount])
        # Now public: its harvested record is written at this commit.
        oai_records.note_assets(db.session, [asset_id])
    db.session.commit()


def sweep(*, at: dt.datetime | None = None, limit: int = 1000) -> list[int]:
    """Assets with lost or due work (lease over); their leases restart now. The caller queues them."""
    at = at or now()
    rows = db.session.execute(select(AssetWork.id, AssetWork.asset_id).where(_lost(at))
                              .order_by(AssetWork.id).limit(limit)).all()
    if not rows:
        return []
    # Conditional again: a worker that claimed one meanwhile keeps it.
    db.session.execute(update(AssetWork).where(AssetWork.id.in_([r.id for r in rows]), _lost(at))
                       .values(state="pending", lease_until=at + _seconds("JOB_LEASE_SECONDS"),
                               updated_at=at))
    db.session.commit()
    return sorted({r.asset_id for r in rows})


def next_due_in(*, at: dt.datetime | None = None) -> float | None:
    """Seconds until the earliest unfinished piece is due (0 if one is), None if nothing is unfinished."""
    at = at or now()
    unfinished = AssetWork.state.in_(("pending", "running"))
    if db.session.scalar(select(AssetWork.id).where(unfinished, AssetWork.lease_until.is_(None)).limit(1)):
        return 0.0
    soonest = db.session.scalar(select(func.min(AssetWork.lease_until)).where(unfinished))
    return None if soonest is None else max((soonest - at).total_seconds(), 0.0)


def stuck(*, at: dt.datetime | None = None) -> list[AssetWork]:
    """Pieces whose lease is over: a message lost or a worker killed (what `gallery check` reports)."""
    return list(db.session.scalars(select(AssetWork).where(_lost(at or now())).order_by(AssetWork.id)))


def failed() -> list[AssetWork]:
    """Pieces that failed JOB_MAX_ATTEMPTS times, newest first."""
    return list(db.session.scalars(select(AssetWork).where(AssetWork.state == "failed")
                                   .order_by(AssetWork.updated_at.desc(), AssetWork.id)))


def states_of(asset_ids: Iterable[int]) -> dict[int, str]:
    """asset id -> "failed" or "processing" for those with work not ready (one query, for grids)."""
    ids = list(asset_ids)
    out: dict[int, str] = {}
    if not ids:
        return out
    for asset_id, state in db.session.execute(select(AssetWork.asset_id, AssetWork.state).where(
            AssetWork.asset_id.in_(ids), AssetWork.state != "ready",
            or_(AssetWork.piece.not_in(ON_EDIT), AssetWork.state == "failed"))):
        out[asset_id] = "failed" if state == "failed" or out.get(asset_id) == "failed" else "processing"
    return out


@dataclass
class Overview:
    """What /manage/jobs shows: counts per piece and state, running and failed pieces, timings."""

    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    running: list[AssetWork] = field(default_factory=list)
    failed: list[AssetWork] = field(default_factory=list)
    stuck: int = 0
    timings: dict[str, dict[str, float]] = field(default_factory=dict)  # piece -> n, median, p95 (s)


def overview(*, at: dt.datetime | None = None, recent: int = 1000) -> Overview:
    """The state of all work, with median and p95 durations of each piece's most recent runs."""
    at = at or now()
    out = Overview()
    counts: dict[str, dict[str, int]] = defaultdict(dict)
    for piece, state, n in db.session.execute(select(AssetWork.piece, AssetWork.state, func.count())
                                              .group_by(AssetWork.piece, AssetWork.state)):
        counts[piece][state] = n
    out.counts = dict(counts)
    out.running = list(db.session.scalars(select(AssetWork).where(AssetWork.state == "running")
                                          .order_by(AssetWork.started_at).limit(100)))
    out.failed = failed()[:200]
    out.stuck = len(stuck(at=at))
    for piece in out.counts:
        spans = db.session.execute(select(AssetWork.started_at, AssetWork.finished_at).where(
            AssetWork.piece == piece, AssetWork.state == "ready", AssetWork.started_at.is_not(None),
            AssetWork.finished_at.is_not(None)).order_by(AssetWork.finished_at.desc()).limit(recent)).all()
        seconds = sorted((f - s).total_seconds() for s, f in spans)
        if seconds:
            p95 = seconds[min(len(seconds) - 1, int(round(0.95 * (len(seconds) - 1))))]
            out.timings[piece] = {"n": len(seconds), "median": statistics.median(seconds), "p95": p95}
    return out

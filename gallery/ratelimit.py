"""Failure counters shared by every worker: in the database by default, in Redis when configured.

A counter counts hits in a fixed window that starts with its first hit. The limiter's clock is
`Limiter.clock` (seconds since the epoch), so tests move time instead of waiting.
"""
from __future__ import annotations

import hashlib
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from flask import Flask, current_app
from sqlalchemy import case, delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine

from gallery.models import RateLimit

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Count:
    """A counter: hits in the current window, when the window ends and when the last hit was."""

    count: int
    ends: float
    last: float


NOTHING = Count(0, 0.0, 0.0)


class Backend(Protocol):
    """Where counters live; every change is one atomic step, whatever the number of workers."""

    def hit(self, key: str, window: int, now: float) -> Count:
        """Add one to a counter (a new window when the last one ended); return it."""

    def undo(self, key: str) -> None:
        """Take one hit back (an attempt that turned out to be right)."""

    def peek(self, key: str, now: float) -> Count:
        """The counter as it is, without counting."""

    def delete(self, key: str) -> None:
        """Forget a counter."""


class DatabaseBackend:
    """Counters in the app's database: one upsert per hit, so workers and servers share them."""

    def __init__(self, engine: Callable[[], Engine]) -> None:
        self.engine = engine
        self.table = RateLimit.__table__

    @staticmethod
    def _key(key: str) -> str:
        # Hashed: the table never stores the emails and addresses it counts.
        return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()

    def hit(self, key: str, window: int, now: float) -> Count:
        """Add one to a counter (a new window when the last one ended); return it."""
        engine, table = self.engine(), self.table
        insert = pg_insert if engine.dialect.name == "postgresql" else sqlite_insert
        stmt = insert(table).values(key=self._key(key), count=1, window_ends=now + window,
                                    last_at=now)
        # One statement: the row is locked while it is read and written, so two workers that
        # fail at the same moment count two, never one.
        ended = table.c.window_ends <= now
        stmt = stmt.on_conflict_do_update(index_elements=[table.c.key], set_={
            "count": case((ended, 1), else_=table.c.count + 1),
            "window_ends": case((ended, stmt.excluded.window_ends), else_=table.c.window_ends),
            "last_at": stmt.excluded.last_at,
        }).returning(table.c.count, table.c.window_ends, table.c.last_at)
        with engine.begin() as conn:
            row = conn.execute(stmt).one()
            # Ended windows are dead weight; failures are rare, so clearing them here is cheap.
            conn.execute(delete(table).where(table.c.window_ends < now))
        return Count(row.count, row.window_ends, row.last_at)

    def undo(self, key: str) -> None:
        """Take one hit back (an attempt that turned out to be right)."""
        table = self.table
        with self.engine().begin() as conn:
            conn.execute(table.update().where(table.c.key == self._key(key), table.c.count > 0)
                         .values(count=table.c.count - 1))

    def peek(self, key: str, now: float) -> Count:
        """The counter as it is, without counting."""
        table = self.table
        with self.engine().connect() as conn:
            row = conn.execute(select(table.c.count, table.c.window_ends, table.c.last_at)
                               .where(table.c.key == self._key(key))).one_or_none()
        if row is None or row.window_ends <= now:
            return NOTHING
        return Count(row.count, row.window_ends, row.last_at)

    def delete(self, key: str) -> None:
        """Forget a counter."""
        with self.engine().begin() as conn:
            conn.execute(delete(self.table).where(self.table.c.key == self._key(key)))


# KEYS[1] counter; ARGV: now, window end for a new window, seconds to keep the key.
_HIT = """
local ends = tonumber(redis.call('HGET', KEYS[1], 'ends') or '0')
if ends <= tonumber(ARGV[1]) then
  redis.call('HSET', KEYS[1], 'count', 0, 'ends', ARGV[2])
  redis.call('EXPIRE', KEYS[1], ARGV[3])
end
local count = redis.call('HINCRBY', KEYS[1], 'count', 1)
redis.call('HSET', KEYS[1], 'last', ARGV[1])
return {count, redis.call('HGET', KEYS[1], 'ends')}
"""
_UNDO = """
if tonumber(redis.call('HGET', KEYS[1], 'count') or '0') > 0 then
  redis.call('HINCRBY', KEYS[1], 'count', -1)
end
"""


class RedisBackend:
    """Counters in Redis hashes, shared by every worker process and server."""

    def __init__(self, url: str) -> None:
        import redis  # only deployments with RATELIMIT_REDIS_URL load the client

        self.client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self.errors = (redis.RedisError,)
        self._hit = self.client.register_script(_HIT)
        self._undo = self.client.register_script(_UNDO)

    def hit(self, key: str, window: int, now: float) -> Count:
        """Add one to a counter (a new window when the last one ended); return it."""
        try:
            count, ends = self._hit(keys=[key], args=[repr(now), repr(now + window), window + 1])
        except self.errors as exc:
            return self._down(exc)
        return Count(int(count), float(ends), now)

    def undo(self, key: str) -> None:
        """Take one hit back (an attempt that turned out to be right)."""
        try:
            self._undo(keys=[key])
        except self.errors as exc:
            self._down(exc)

    def peek(self, key: str, now: float) -> Count:
        """The counter as it is, without counting."""
        try:
            count, ends, last = self.client.hmget(key, ["count", "ends", "last"])
        except self.errors as exc:
            return self._down(exc)
        if count is None or ends is None or float(ends) <= now:
            return NOTHING
        return Count(int(count), float(ends), float(last or 0))

    def delete(self, key: str) -> None:
        """Forget a counter."""
        try:
            self.client.delete(key)
        except self.errors as exc:
            self._down(exc)

    @staticmethod
    def _down(exc: Exception) -> Count:
        # Redis down must not lock everyone out of the site: log loudly and let the attempt through.
        logger.error("Rate limiter: Redis unavailable (%s); not limiting", exc)
        return NOTHING


def _seconds(delta: float) -> int:
    """Whole seconds to wait, rounded up; 0 when nothing is left."""
    return max(0, math.ceil(delta - 1e-9))


class Limiter:
    """Limits on failures: a strict count per window, and a growing delay."""

    def __init__(self, backend: Backend, prefix: str = "gallery:rl:",
                 clock: Callable[[], float] = time.time) -> None:
        self.backend = backend
        self.prefix = prefix
        self.clock = clock

    def fail(self, key: str, window: int) -> int:
        """Count one failure; return the count in this window."""
        return self.backend.hit(self.prefix + key, window, self.clock()).count

    def take(self, key: str, limit: int, window: int) -> int:
        """Count an attempt before making it; seconds to wait (and not counted) when over the limit.

        Counting first makes the limit exact when many workers try at the same moment: each
        attempt gets its own number, and only the first `limit` of a window go ahead.
        """
        now = self.clock()
        found = self.backend.hit(self.prefix + key, window, now)
        if found.count <= limit:
            return 0
        self.backend.undo(self.prefix + key)
        return max(1, _seconds(found.ends - now))

    def give_back(self, key: str) -> None:
        """Take back an attempt counted by take() that was not a failure."""
        self.backend.undo(self.prefix + key)

    def delay(self, key: str, free: int, longest: int) -> int:
        """Seconds to wait under a growing delay: after `free` failures, 1, 2, 4 ... `longest` s."""
        now = self.clock()
        found = self.backend.peek(self.prefix + key, now)
        if found.count < free:
            return 0
        wait = min(longest, 2 ** min(found.count - free, 32))
        return _seconds(found.last + wait - now)

    def reset(self, key: str) -> None:
        """Forget the failures of a key (after a success)."""
        self.backend.delete(self.prefix + key)


def init_app(app: Flask) -> None:
    """Create the app's limiter: Redis when RATELIMIT_REDIS_URL is set, else the database."""
    url = app.config.get("RATELIMIT_REDIS_URL")
    backend: Backend = (RedisBackend(url) if url
                        else DatabaseBackend(lambda: app.extensions["db_engine"]))
    app.extensions["ratelimit"] = Limiter(backend, app.config.get("RATELIMIT_KEY_PREFIX",
                                                                  "gallery:rl:"))


def limiter() -> Limiter:
    """The current app's limiter."""
    return current_app.extensions["ratelimit"]

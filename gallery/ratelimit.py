"""Fixed-window counters for failed attempts: in memory by default, in Redis when configured."""
from __future__ import annotations

import logging
import threading
import time
from typing import Protocol

from flask import Flask, current_app

logger = logging.getLogger(__name__)


class Backend(Protocol):
    """Where counters live."""

    def incr(self, key: str, window: int) -> tuple[int, int]:
        """Add one to a counter; return (count, seconds until the window ends)."""

    def peek(self, key: str) -> tuple[int, int]:
        """Return (count, seconds until the window ends) without counting."""

    def delete(self, key: str) -> None:
        """Forget a counter."""


class MemoryBackend:
    """Counters in this process: right for one process, lost on restart."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._data: dict[str, tuple[int, float]] = {}

    def incr(self, key: str, window: int) -> tuple[int, int]:
        """Add one to a counter; return (count, seconds until the window ends)."""
        now = time.monotonic()
        with self._lock:
            self._purge(now)
            count, ends = self._data.get(key, (0, now + window))
            if ends <= now:  # the old window is over: start a new one
                count, ends = 0, now + window
            self._data[key] = (count + 1, ends)
            return count + 1, max(1, int(ends - now + 0.999))

    def peek(self, key: str) -> tuple[int, int]:
        """Return (count, seconds until the window ends) without counting."""
        now = time.monotonic()
        with self._lock:
            count, ends = self._data.get(key, (0, now))
            if ends <= now:
                return 0, 0
            return count, max(1, int(ends - now + 0.999))

    def delete(self, key: str) -> None:
        """Forget a counter."""
        with self._lock:
            self._data.pop(key, None)

    def _purge(self, now: float) -> None:
        # Drop ended windows now and then, so memory stays bounded under a spray of addresses.
        if len(self._data) > 10_000:
            self._data = {k: v for k, v in self._data.items() if v[1] > now}


class RedisBackend:
    """Counters in Redis, shared by every worker process and server."""

    def __init__(self, url: str) -> None:
        import redis

        self.client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self.errors = (redis.RedisError,)

    def incr(self, key: str, window: int) -> tuple[int, int]:
        """Add one to a counter; return (count, seconds until the window ends)."""
        try:
            pipe = self.client.pipeline()
            pipe.incr(key)
            pipe.expire(key, window, nx=True)
            pipe.ttl(key)
            count, _, ttl = pipe.execute()
        except self.errors as exc:
            return self._down(exc)
        return int(count), max(1, int(ttl))

    def peek(self, key: str) -> tuple[int, int]:
        """Return (count, seconds until the window ends) without counting."""
        try:
            pipe = self.client.pipeline()
            pipe.get(key)
            pipe.ttl(key)
            count, ttl = pipe.execute()
        except self.errors as exc:
            return self._down(exc)
        if count is None or ttl == -2:
            return 0, 0
        return int(count), max(1, int(ttl))

    def delete(self, key: str) -> None:
        """Forget a counter."""
        try:
            self.client.delete(key)
        except self.errors as exc:
            self._down(exc)

    @staticmethod
    def _down(exc: Exception) -> tuple[int, int]:
        # Redis down must not lock everyone out of the site: log loudly and let the attempt through.
        logger.error("Rate limiter: Redis unavailable (%s); not limiting", exc)
        return 0, 0


class Limiter:
    """Allow `limit` failures per `window` seconds for each key."""

    def __init__(self, backend: Backend, prefix: str = "gallery:rl:") -> None:
        self.backend = backend
        self.prefix = prefix

    def retry_after(self, key: str, limit: int) -> int:
        """Seconds to wait before trying again, 0 when allowed."""
        count, ttl = self.backend.peek(self.prefix + key)
        return ttl if count >= limit else 0

    def fail(self, key: str, window: int) -> int:
        """Count one failure; return the count in this window."""
        return self.backend.incr(self.prefix + key, window)[0]

    def reset(self, key: str) -> None:
        """Forget the failures of a key (after a success)."""
        self.backend.delete(self.prefix + key)


def init_app(app: Flask) -> None:
    """Create the app's limiter: Redis when RATELIMIT_REDIS_URL is set, else memory."""
    url = app.config.get("RATELIMIT_REDIS_URL")
    backend: Backend = RedisBackend(url) if url else MemoryBackend()
    app.extensions["ratelimit"] = Limiter(backend, app.config.get("RATELIMIT_KEY_PREFIX",
                                                                  "gallery:rl:"))


def limiter() -> Limiter:
    """The current app's limiter."""
    return current_app.extensions["ratelimit"]

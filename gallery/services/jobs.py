"""The job queue: "look at asset N" messages, run by RQ workers on Redis or by an embedded thread.

With REDIS_URL set, web processes only enqueue (RQ, queues "default" and "low") and
`gallery worker` runs the jobs. Without it (embedded mode) a background thread of the app process
runs the same job, started lazily; it sweeps when it starts and while work is due, and stops
when nothing is left unfinished. Either way the database (services/work.py) holds the truth: a
lost message costs a lease, never the work.
"""
from __future__ import annotations

import atexit
import collections
import contextlib
import logging
import os
import signal
import threading
import time
import weakref
from collections.abc import Iterable

from flask import Flask, current_app
from redis import Redis
from redis.exceptions import RedisError
from rq import Queue, Worker
from rq.worker import WorkerStatus

from gallery.extensions import db
from gallery.services import digests, schedule, work

log = logging.getLogger(__name__)

QUEUES = ("default", "low")  # low: work after ingest (large); default: replace, retries, sweeps
JOB = "gallery.services.jobs.run_job"  # what a message calls, by import path
_connections: dict[str, Redis] = {}
_worker_app: Flask | None = None  # the app a `gallery worker` process runs jobs in


def init_app(app: Flask) -> None:
    """Embedded mode: start the thread with the first request, so work a stopped process left is done."""
    if app.config.get("REDIS_URL") or not app.config.get("JOB_THREAD", True):
        return

    @app.before_request
    def _start_embedded() -> None:
        runner = embedded(app)
        if not runner.started_once:
            runner.start()


def look_at(asset_ids: Iterable[int], queue: str = "default") -> None:
    """Queue "look at asset N" for each asset; call after the commit that marked their pieces.

    A queue that cannot be reached is logged, not raised: the pieces stay pending in the
    database and the sweeper queues them when their lease ends.
    """
    ids = list(dict.fromkeys(asset_ids))
    if not ids:
        return
    url = current_app.config.get("REDIS_URL")
    if not url:
        embedded(current_app._get_current_object()).put(ids)
        return
    try:
        q = Queue(queue, connection=redis_for(url))
        timeout = int(current_app.config["JOB_LEASE_SECONDS"])
        for asset_id in ids:
            # result_ttl=0: the outcome lives in asset_work, not in Redis. The job timeout equals
            # the lease, so a job is never still running when the sweeper hands its piece on.
            q.enqueue(JOB, asset_id, job_timeout=timeout, result_ttl=0, failure_ttl=24 * 3600)
    except RedisError as exc:
        log.warning("could not queue assets %s (%s); the sweeper will", ids, exc)


def redis_for(url: str) -> Redis:
    """One Redis client per URL per process (it holds a connection pool)."""
    if url not in _connections:
        _connections[url] = Redis.from_url(url)
    return _connections[url]


def queue_lengths() -> dict[str, int] | None:
    """Messages waiting per queue, or None in embedded mode (or when Redis cannot be reached)."""
    url = current_app.config.get("REDIS_URL")
    if not url:
        return None
    try:
        return {name: Queue(name, connection=redis_for(url)).count for name in QUEUES}
    except RedisError:
        return None


def sweep() -> list[int]:
    """Queue again the assets whose work was lost or is due for a retry, apply the schedule, send digests."""
    schedule.apply_due()
    if digests.anything_due():
        digests.send_due()
    ids = work.sweep()
    look_at(ids)
    return ids


def wait_idle(timeout: float = 60.0) -> bool:
    """Embedded mode: wait until this app's queued jobs are done (True), or timeout (False).

    With JOB_THREAD off the queued jobs run here, in the caller. With Redis there is nothing
    local to wait for: True at once.
    """
    if current_app.config.get("REDIS_URL"):
        return True
    return embedded(current_app._get_current_object()).wait_idle(timeout)


def run_job(asset_id: int) -> dict[str, str]:
    """The job a message runs in a `gallery worker` process: look at the asset's due pieces."""
    app = _worker_app
    if app is None:
        raise RuntimeError("run_job runs in a `gallery worker` process (jobs.serve)")
    # The worker forwards its stop signal here (_Worker.request_stop): the piece in hand is put
    # back pending for the sweeper, its temp files removed, and the worker exits in seconds
    # rather than after a transcode of minutes.
    signal.signal(signal.SIGTERM, _stop_job)
    try:
        with app.app_context():
            # RQ forks a process per job: connections inherited from the worker are not ours to use.
            db.engine.dispose(close=False)
            return work.look_at(asset_id)  # the context's teardown closes the session
    except work.Stopped:
        return {"stopped": "put back pending"}
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _stop_job(signum, frame) -> None:
    """SIGTERM in a job process: stop the job where it is (once; its clean-up is not interrupted)."""
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    raise work.Stopped()


def serve(app: Flask, queues: list[str]) -> None:
    """Run one RQ worker on these queues until it is told to stop (the body of a worker process)."""
    global _worker_app
    _worker_app = app
    connection = redis_for(app.config["REDIS_URL"])
    _Worker(queues, connection=connection).work(with_scheduler=False, logging_level="WARNING")


class _Worker(Worker):
    """RQ's forking worker without its command channel (which we do not use).

    RQ's pub/sub thread waits up to 60 s for a message it will never get, and the worker joins
    it on shutdown: a stopped `gallery worker` hung for up to a minute (rq 2.x, redis-py 8).
    """

    def subscribe(self) -> None:
        """No command channel: stop workers with SIGTERM (warm) or SIGKILL (the sweeper recovers)."""

    def request_stop(self, signum, frame) -> None:
        """Warm shutdown that does not wait for a long job: the job process is told to put its piece back.

        RQ's own warm shutdown waits for the job to finish, and a video's proxy takes minutes.
        The job process runs in a session of its own, so a signal to the worker's group misses it.
        """
        if self.get_state() == WorkerStatus.BUSY and self.horse_pid:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.horse_pid, signal.SIGTERM)
        super().request_stop(signum, frame)


def embedded(app: Flask) -> Embedded:
    """This app's embedded runner (one per app object)."""
    runner = app.extensions.get("gallery_jobs")
    if runner is None:
        runner = app.extensions.setdefault("gallery_jobs", Embedded(app))
    return runner


class Embedded:
    """The in-process queue of one app: a deque of asset ids and one background thread."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.queue: collections.deque[int] = collections.deque()
        self.busy = False
        self.cond = threading.Condition()
        self.thread: threading.Thread | None = None
        self.started_once = False

    def put(self, ids: list[int]) -> None:
        """Queue ids; start the thread if it is not running (JOB_THREAD on)."""
        with self.cond:
            self.queue.extend(ids)
            self.cond.notify_all()
        if self.app.config.get("JOB_THREAD", True):
            self.start()

    def start(self) -> None:
        """Start the thread unless it runs."""
        with self.cond:
            if self.thread is not None and self.thread.is_alive():
                return
            self.started_once = True
            self.thread = threading.Thread(target=self._loop, name="gallery-jobs", daemon=True)
            self.thread.start()
        _exiting.add(self)

    def wait_idle(self, timeout: float) -> bool:
        """Until the queue is empty and no job runs; without the thread, run the queue here."""
        if not self.app.config.get("JOB_THREAD", True):
            while self.queue:  # in the caller's session: it is not ours to close
                self._run(self.queue.popleft(), remove=False)
            return True
        deadline = time.monotonic() + timeout
        with self.cond:
            while self.queue or self.busy:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self.cond.wait(left)
        return True

    def _loop(self) -> None:
        with self.app.app_context():
            self._sweep()
            while True:
                asset_id = self._next()
                if asset_id is None:
                    return
                try:
                    self._run(asset_id)
                finally:
                    with self.cond:
                        self.busy = False
                        self.cond.notify_all()

    def _next(self) -> int | None:
        """The next id to look at; sweeps while waiting for due work; None when nothing is unfinished."""
        while True:
            with self.cond:
                if self.queue:
                    self.busy = True
                    return self.queue.popleft()
            try:
                delay = work.next_due_in()
            except Exception:  # a database gone (a test's temp dir): nothing more to do here
                log.exception("embedded jobs: cannot read the work table")
                delay = None
            finally:
                db.session.close()
            with self.cond:
                if self.queue:
                    continue
                if delay is None:
                    self.thread = None
                    self.cond.notify_all()
                    return None
                if delay > 0:
                    self.cond.wait(min(delay, self.app.config["JOB_SWEEP_SECONDS"]))
                if self.queue:
                    continue
            if not self._sweep() and delay <= 0:
                with self.cond:  # due work nobody can take (held elsewhere): look again later
                    self.cond.wait(self.app.config["JOB_SWEEP_SECONDS"])

    def _sweep(self) -> list[int]:
        try:
            ids = work.sweep()
        except Exception:
            log.exception("embedded jobs: sweep failed")
            return []
        finally:
            db.session.close()
        with self.cond:
            self.queue.extend(i for i in ids if i not in self.queue)
        return ids

    def _run(self, asset_id: int, remove: bool = True) -> None:
        try:
            work.look_at(asset_id)
        except Exception:  # the piece's state says what happened; the thread goes on
            log.exception("embedded jobs: asset %s", asset_id)
            db.session.rollback()
        finally:
            if remove:
                db.session.close()


_exiting: weakref.WeakSet[Embedded] = weakref.WeakSet()


@atexit.register
def _finish_queued() -> None:
    """A CLI command (import-folder) or a stopping server finishes what it queued before it exits."""
    for runner in list(_exiting):
        if runner.queue or runner.busy:
            with runner.app.app_context():
                runner.wait_idle(timeout=600)

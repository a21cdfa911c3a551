"""`gallery worker`: RQ worker processes on REDIS_URL's queues, and the sweeper that re-queues lost work."""
from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time

import click
from flask import current_app

from gallery.extensions import db
from gallery.services import jobs, search

STOP_SIGNALS = {signal.SIGTERM, signal.SIGINT}
STOP_GRACE_SECONDS = 10.0  # a warm stop longer than this (a job that ignores it) becomes a cold one


@click.command("worker")
@click.option("--queues", default=",".join(jobs.QUEUES), show_default=True,
              help="Comma-separated queues, in the order they are served.")
@click.option("--concurrency", type=click.IntRange(1, 64), default=1, show_default=True,
              help="Worker processes (each runs one job at a time).")
def worker_command(queues: str, concurrency: int) -> None:
    """Run the background jobs: N worker processes, a sweep every JOB_SWEEP_SECONDS, and the search sync.

    With SEARCH_WRITER = "sync" one more process follows the search change log into this
    server's index (what `gallery search-sync` does), restarted like the workers if it dies.
    """
    if not current_app.config.get("REDIS_URL"):
        raise click.ClickException("REDIS_URL is not set: without it the jobs run inside the app "
                                   "process (embedded mode) and no worker is needed.")
    names = [q.strip() for q in queues.split(",") if q.strip()]
    unknown = [q for q in names if q not in jobs.QUEUES]
    if unknown or not names:
        raise click.BadParameter(f"queues are {', '.join(jobs.QUEUES)}", param_hint="--queues")
    app = current_app._get_current_object()
    nice = int(app.config.get("JOB_WORKER_NICE") or 0)
    if nice > 0:
        # Before forking, so every job inherits it: a transcode takes whatever CPU the web
        # workers leave, and a page view never waits behind it (bench/load.py).
        os.nice(nice)
    # Fork (not spawn): a child starts from this process's app. The children are forked before
    # this process opens a database connection; each job disposes inherited pools anyway.
    ctx = multiprocessing.get_context("fork")
    stop = threading.Event()

    def start() -> multiprocessing.process.BaseProcess:
        return _fork(ctx, "gallery-worker", jobs.serve, app, names)

    def start_sync() -> multiprocessing.process.BaseProcess:
        return _fork(ctx, "gallery-search-sync", _search_sync, app)

    procs = [start() for _ in range(concurrency)]
    syncing = not search.sync.writes_inline()
    if syncing:
        procs.append(start_sync())
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    click.echo(f"{concurrency} worker(s) on {', '.join(names)}; sweeping every "
               f"{app.config['JOB_SWEEP_SECONDS']} s" + ("; following the search change log."
                                                        if syncing else "."))
    try:
        while not stop.is_set():
            try:
                ids = jobs.sweep()
                if ids:
                    click.echo(f"Sweeper: queued {len(ids)} asset(s) again.")
            except Exception as exc:  # a database or Redis hiccup: try again at the next sweep
                click.echo(f"Sweeper failed: {exc}", err=True)
                db.session.rollback()
            finally:
                # No transaction held while waiting: its locks would stall a migration's DDL.
                db.session.close()
            # A worker process that died (killed, out of memory) is replaced; not once told to
            # stop: the stop signal sent to the whole group during a slow sweep has already ended
            # the children, and a new one would never get it (a stopped worker once ran on).
            if not stop.is_set():
                procs = [p if p.is_alive() else start_sync() if p.name == "gallery-search-sync"
                         else start() for p in procs]
            stop.wait(app.config["JOB_SWEEP_SECONDS"])
    finally:
        _stop_all(procs)


def _fork(ctx, name: str, target, *args) -> multiprocessing.process.BaseProcess:
    """Start a child process whose stop signals are never lost.

    A forked child inherits this process's Python handlers (which only set this process's stop
    flag): a SIGTERM between the fork and the child's own handlers would be swallowed. The
    signals are blocked over the fork, and the child sets them back to their default action
    before it unblocks them: until it installs its handlers, a stop signal simply ends it.
    """
    signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    try:
        proc = ctx.Process(target=_child, args=(target, *args), name=name, daemon=False)
        proc.start()
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)
    return proc


def _child(target, *args) -> None:
    """The body of a forked child: default stop signals, then the target (which installs its own)."""
    for sig in STOP_SIGNALS:
        signal.signal(sig, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)
    target(*args)


def _stop_all(procs: list[multiprocessing.process.BaseProcess]) -> None:
    """Stop the children within seconds: warm (a running job is put back pending), then cold, then killed."""
    for proc in procs:
        proc.terminate()  # RQ's warm shutdown: its job process abandons the job (jobs.run_job)
    deadline = time.monotonic() + STOP_GRACE_SECONDS
    for proc in procs:
        proc.join(max(0.0, deadline - time.monotonic()))
    late = [p for p in procs if p.is_alive()]
    for proc in late:
        proc.terminate()  # a second SIGTERM, past RQ's 1 s: cold shutdown, its job process killed
    for proc in late:
        proc.join(5)
        if proc.is_alive():
            proc.kill()
            proc.join()


def _search_sync(app) -> None:
    """The worker's search sync process: follow the change log until SIGTERM."""
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    with app.app_context():
        db.engine.dispose(close=False)  # forked: never share the parent's connections
        search.follow(app.config["SEARCH_SYNC_INTERVAL"], stop)

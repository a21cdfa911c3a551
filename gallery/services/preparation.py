"""The CPU work of ingesting one spooled file (probe, renditions), and the pool that runs it.

The work runs in the ingest process or in a pool worker (`ingest_many(..., workers=N)`), so it imports
gallery.formats and plain-Python helpers only: no Flask, no database, no other service. The config
values it needs come in as a plain dict (settings()); it writes no file: moving files into storage
and writing rows is the caller's work. The served, location-free copy with its credits is made
later by the "served" piece of background work (services/served.py).
"""
from __future__ import annotations

import contextlib
import importlib.machinery
import multiprocessing
import os
import select
import sys
import threading
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any, Iterator, Mapping

from gallery.countries import country_code
from gallery.exceptions import TooLarge
from gallery.formats import probe
from gallery.formats.imaging import Rendered
from gallery.formats.probe import Probed
from gallery.formats.renditions import make_renditions
from gallery.i18n.service_messages import N_, term
from gallery.text import human_bytes

# What probe and the renditions read from the app's config; settings() copies just these.
CONFIG_KEYS = ("MAX_IMAGE_BYTES", "MAX_VIDEO_BYTES", "MAX_IMAGE_PIXELS", "RENDITION_SIZES",
               "RENDITIONS_AT_INGEST", "JPEG_QUALITY")
CHUNK = 1024 * 1024


@dataclass
class Prepared:
    """What one file is and what was made from it, waiting to be stored and recorded."""

    probed: Probed
    renditions: list[Rendered]


class PoolFailure(RuntimeError):
    """The pool gave no result for a file (a worker died or hung): the import stops, cleaned up."""


class Pool:
    """A process pool for prepare(), its workers started from a clean fork server.

    forkserver, not fork: the ingest process holds an open database connection (SQLite must not
    be carried across a fork) and may run threads (the search writer, background jobs), whose locks
    a fork could copy held. The fork server is a fresh process that loads only this module
    (gallery.formats, Pillow; PyAV on first use), so a worker starts in milliseconds and shares
    nothing with the ingest. Both forkserver and spawn run the parent's __main__ script again in
    each new worker (the `gallery` script imports the web app), so all workers are started at once
    here, with that step skipped (_main_not_rerun).
    """

    def __init__(self, workers: int, config: dict[str, Any]) -> None:
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload([__name__])  # and not __main__
        self.config = config
        self.executor = ProcessPoolExecutor(workers, mp_context=ctx, initializer=exit_with,
                                            initargs=(os.getpid(),))
        with _main_not_rerun():
            # ProcessPoolExecutor starts a worker per submit until it has them all.
            for _ in range(workers):
                self.executor.submit(os.getpid)

    def submit(self, path: str, label: str, size: int) -> Future:
        """Start preparing one spooled file; the future's result is prepare()'s."""
        return self.executor.submit(prepare, path, label, size, self.config)

    def close(self, abort: bool) -> None:
        """Shut the pool down; on abort, stop the workers now, so none writes after the clean-up."""
        if not abort:
            self.executor.shutdown(wait=True)
            return
        # ProcessPoolExecutor cannot stop a running task (Python 3.14 adds terminate_workers());
        # its process table is private, read before shutdown() drops it.
        processes = list((getattr(self.executor, "_processes", None) or {}).values())
        self.executor.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            process.terminate()
        for process in processes:
            process.join(timeout=10)


@contextlib.contextmanager
def _main_not_rerun() -> Iterator[None]:
    """While workers start, name __main__ as a module the child skips, not as a script it re-runs.

    multiprocessing re-runs a __main__ that was started as a script (no __spec__) in every child,
    but skips one whose spec is named "__main__" (spawn._fixup_main_from_name).
    """
    main = sys.modules["__main__"]
    if getattr(main, "__spec__", None) is not None:
        yield  # started with -m: children skip a "*.__main__" already
        return
    main.__spec__ = importlib.machinery.ModuleSpec("__main__", None)
    try:
        yield
    finally:
        main.__spec__ = None


def result(future: Future, label: str, timeout: float) -> Prepared:
    """A pool task's result, its refusal (raised), or PoolFailure when a worker hung or died."""
    try:
        return future.result(timeout=timeout)
    except FutureTimeout:
        raise PoolFailure(f"{label}: no result from the preparation pool after {timeout:.0f} s; "
                          "the import stopped.") from None
    except BrokenProcessPool as exc:
        raise PoolFailure(f"{label}: a worker of the preparation pool stopped ({exc}); "
                          "the import stopped.") from exc


def exit_with(pid: int) -> None:
    """Pool worker initializer: end this worker as soon as process pid (the ingest) ends.

    A worker waits on a queue the ingest feeds; killed with SIGKILL, the ingest never closes it,
    and its workers (and the fork server they keep alive) would wait forever.
    """
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        os._exit(1)  # ended before this worker started

    def wait() -> None:
        select.select([fd], [], [])  # readable once pid has exited
        os._exit(1)

    threading.Thread(target=wait, name="exit-with-ingest", daemon=True).start()


def settings(config: Mapping[str, Any], ingest_sizes: dict[str, int]) -> dict[str, Any]:
    """The config values the preparation needs, as plain data a worker process can receive."""
    return {**{key: config[key] for key in CONFIG_KEYS}, "INGEST_SIZES": dict(ingest_sizes)}


def prepare(path: str, label: str, size: int, config: Mapping[str, Any]) -> Prepared:
    """Probe a spooled file and make its ingest renditions (a pool task).

    Raises UnsupportedMedia or TooLarge naming the file; those pickle, so a pool hands them back.
    """
    return finish(path, examine(path, label, size, config), config)


def examine(path: str, label: str, size: int, config: Mapping[str, Any]) -> Probed:
    """What the file is by its bytes; refuse anything not on the allowlist or over its limit."""
    probed = probe.probe(path, label, config, country_code)
    key = "MAX_IMAGE_BYTES" if probed.media_type == "image" else "MAX_VIDEO_BYTES"
    if size > config[key]:  # the spool only enforced the largest of the limits
        raise TooLarge(N_("%(kind)s files may be at most %(limit)s.", kind=term(probed.media_type),
                          limit=human_bytes(config[key])))
    return probed


def finish(path: str, probed: Probed, config: Mapping[str, Any]) -> Prepared:
    """The renditions made at ingest (thumb and preview)."""
    made = make_renditions(path, probed, config["INGEST_SIZES"], config["JPEG_QUALITY"],
                           config["MAX_IMAGE_PIXELS"])
    probed.frame = None  # a decoded picture neither pickles cheaply nor is needed any more
    return Prepared(probed, made)



def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass

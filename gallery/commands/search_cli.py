"""CLI commands of the search index: reindex (full or pending) and search-sync; `gallery check` is check_cli."""
from __future__ import annotations

import os
import signal
import threading
import time

import click
from flask import current_app
from whoosh.index import LockError

from gallery.services import search


@click.command("reindex")
@click.option("--pending", is_flag=True, help="Only apply the change log past this index's cursor.")
@click.option("--procs", type=click.IntRange(1, 16), default=None,
              help="Indexing processes for a full rebuild (default: the cores, at most 4).")
def reindex_command(pending: bool, procs: int | None) -> None:
    """Rebuild the search index into a new directory and swap it in, or apply pending changes."""
    procs = procs or min(os.cpu_count() or 1, 4)

    start = time.perf_counter()
    try:
        if pending:
            result = search.drain(timeout=30.0)
            if result.outdated:
                raise click.ClickException("The index was built with an older search schema: "
                                           "run `gallery reindex` (or `gallery init`).")
            if result.behind:
                raise click.ClickException("The index is behind the pruned change log: "
                                           "run `gallery reindex`.")
            if result.busy:
                raise click.ClickException("Another process holds the index writer; try again.")
            click.echo(f"Applied the change log: {result.indexed} indexed, {result.removed} "
                       f"removed, {result.remaining} still pending.")
            return
        count = search.rebuild(procs=procs)
    except LockError as exc:
        raise click.ClickException("Another process holds the index writer; try again.") from exc
    click.echo(f"Indexed {count} assets in {time.perf_counter() - start:.1f} s.")


@click.command("search-sync")
@click.option("--once", is_flag=True, help="Apply what the log holds now, then exit.")
@click.option("--interval", type=click.FloatRange(0.05, 3600), default=None,
              help="Seconds between passes (default: SEARCH_SYNC_INTERVAL).")
def search_sync_command(once: bool, interval: float | None) -> None:
    """Follow the search change log into this server's index (rebuilding it first when needed)."""
    interval = interval or current_app.config["SEARCH_SYNC_INTERVAL"]
    stop = threading.Event()
    if not once:
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
        click.echo(f"Following the search change log every {interval} s into "
                   f"{current_app.config['SEARCH_INDEX_DIR']}.")
    try:
        result = search.follow(interval, stop, on_pass=_echo_pass, once=once)
    except LockError as exc:
        raise click.ClickException("Another process holds the index writer; try again.") from exc
    if once and result.busy:
        raise click.ClickException("Another process holds the index writer; try again.")
    if once:
        click.echo(f"Index up to date with the change log ({result.remaining} pending).")


def _echo_pass(result: search.DrainResult) -> None:
    """One line for a pass that did something."""
    if result.rebuilt is not None:
        click.echo(f"Rebuilt the index: {result.rebuilt} assets.")
    if result.indexed or result.removed or result.pruned:
        click.echo(f"Applied: {result.indexed} indexed, {result.removed} removed, "
                   f"{result.remaining} pending; {result.pruned} log entries pruned.")

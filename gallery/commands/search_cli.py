"""CLI command of the search index: reindex (full or pending); `gallery check` is check_cli."""
from __future__ import annotations

import os
import time

import click
from whoosh.index import LockError

from gallery.services import search


@click.command("reindex")
@click.option("--pending", is_flag=True, help="Only drain the search outbox into the index.")
@click.option("--procs", type=click.IntRange(1, 16), default=None,
              help="Indexing processes for a full rebuild (default: the cores, at most 4).")
def reindex_command(pending: bool, procs: int | None) -> None:
    """Rebuild the search index into a new directory and swap it in, or drain pending changes."""
    procs = procs or min(os.cpu_count() or 1, 4)

    start = time.perf_counter()
    try:
        if pending:
            result = search.drain(timeout=30.0)
            if result.outdated:
                raise click.ClickException("The index was built with an older search schema: "
                                           "run `gallery reindex` (or `gallery init`).")
            if result.busy:
                raise click.ClickException("Another process holds the index writer; try again.")
            click.echo(f"Drained the outbox: {result.indexed} indexed, {result.removed} removed, "
                       f"{result.remaining} still queued.")
            return
        count = search.rebuild(procs=procs)
    except LockError as exc:
        raise click.ClickException("Another process holds the index writer; try again.") from exc
    click.echo(f"Indexed {count} assets in {time.perf_counter() - start:.1f} s.")

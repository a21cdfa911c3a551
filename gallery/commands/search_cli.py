"""CLI commands of the search index: reindex (full or pending) and check."""
from __future__ import annotations

import time

import click
from whoosh.index import LockError


@click.command("reindex")
@click.option("--pending", is_flag=True, help="Only drain the search outbox into the index.")
@click.option("--procs", type=click.IntRange(1, 16), default=None,
              help="Indexing processes for a full rebuild (default: the cores, at most 4).")
def reindex_command(pending: bool, procs: int | None) -> None:
    """Rebuild the search index into a new directory and swap it in, or drain pending changes."""
    import os

    from gallery.services import search

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


@click.command("check")
def check_command() -> None:
    """Report drift between the database and the search index; exit 1 if there is any."""
    from gallery.services import search

    report = search.check()
    click.echo(f"Search index: {report.documents} documents for {report.assets} assets; "
               f"outbox backlog {report.backlog} ({report.stale_backlog} older than the grace period).")
    if report.outdated:
        click.echo("The index was built with an older search schema: run `gallery reindex`.")
    if report.missing:
        click.echo(f"Assets missing from the index ({len(report.missing)}): "
                   f"{_sample(report.missing)}")
    if report.orphans:
        click.echo(f"Index entries for assets no longer in the database ({len(report.orphans)}): "
                   f"{_sample(report.orphans)}")
    if not report.clean:
        click.echo("Drift found: run `gallery reindex --pending`, or `gallery reindex` to rebuild.")
        raise SystemExit(1)
    click.echo("Search index is in step with the database.")


def _sample(ids: list[int], n: int = 20) -> str:
    text = ", ".join(str(i) for i in ids[:n])
    return text + (", ..." if len(ids) > n else "")

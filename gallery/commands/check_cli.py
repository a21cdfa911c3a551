"""`gallery check [--repair]`: the database, stored files and the search index compared both ways."""
from __future__ import annotations

import click

from gallery.services import integrity, storage

SHOWN = 20  # paths or ids printed per kind; the count is always complete


@click.command("check")
@click.option("--repair", is_flag=True, help="Remove orphan and stale temp files, remake missing "
              "renditions and served copies, bring the search index up to date, queue "
              "stuck and failed background work again, and recount the category and country counts.")
def check_command(repair: bool) -> None:
    """Report missing files, orphan files, stale temp files, count and index drift; exit 1 if any."""
    report = integrity.check()
    _print_report(report)
    if repair:
        _print_repaired(integrity.repair(report))
        click.echo("After the repair:")
        report = integrity.check()
        _print_report(report)
    if not report.clean:
        hint = "" if repair else " Run `gallery check --repair`."
        if report.missing_originals:
            hint += " Missing originals cannot be remade: restore them from a backup."
        click.echo(f"Out of step.{hint}")
        raise SystemExit(1)
    click.echo("Database, stored files and search index are in step.")


def _print_report(report: integrity.Report) -> None:
    """One line with a count per kind, then the first paths or ids of each."""
    click.echo(f"Database: {report.assets} assets, {report.renditions} renditions; "
               f"{report.files} stored files in {storage.backend().url}.")
    _kind("Missing originals", [f"asset {m.asset_id}: {m.key}" for m in report.missing_originals])
    _kind("Missing renditions", [f"asset {m.asset_id} {m.what}: {m.key}"
                                 for m in report.missing_renditions])
    _kind("Missing served copies", [f"asset {m.asset_id}: {m.key}" for m in report.missing_served])
    _kind("Orphan files (no row)", [f.key for f in report.orphans])
    _kind("Stale temp files (older than an hour)", [f.key for f in report.stale_temp])
    click.echo(f"IIIF tile cache: {report.tiles} tiles.")
    _kind("Cached tiles of files no asset has any more", [f.key for f in report.stale_tiles])
    s = report.search
    click.echo(f"Search index: {s.documents} documents for {s.assets} assets; "
               f"change log backlog {s.backlog} ({s.stale_backlog} older than the grace period).")
    if s.no_index:
        click.echo("This server has no search index: run `gallery reindex`.")
    _servers(s)
    if s.outdated:
        click.echo("The index was built with an older search schema: run `gallery reindex`.")
    _kind("Assets missing from the index", [str(i) for i in s.missing])
    _kind("Index entries for assets no longer in the database", [str(i) for i in s.orphans])
    _kind("Stuck background work (lease over: lost message or killed worker)",
          [f"asset {w.asset_id} {w.piece}: {w.state}, {w.attempts} attempt(s)" for w in report.stuck_work])
    _kind("Failed background work", [f"asset {w.asset_id} {w.piece}: {w.reason}"
                                     for w in report.failed_work])
    _kind("Category and country counts out of step (stored, then counted)",
          [f"category {d.category_id}, country {d.country_code or '-'}: {d.stored} != {d.counted}"
           for d in report.tallies])


def _servers(s) -> None:
    """Each server following the change log: cursor, lag in entries and seconds, flagged when behind."""
    click.echo(f"Search servers: {len(s.servers)} registered, {len(s.behind)} behind")
    for server in s.servers:
        flag = (" BEHIND THE PRUNED LOG: rebuilds on its next sync" if server.rebuild
                else " BEHIND" if server.behind else "")
        click.echo(f"  {server.name}: cursor {server.position[0]}/{server.position[1]}, "
                   f"lag {server.lag.entries} entries, {server.lag.seconds:.0f} s; last seen "
                   f"{server.last_seen:%Y-%m-%d %H:%M:%S} UTC{flag}")


def _print_repaired(done: integrity.Repaired) -> None:
    """What the repair did and what it left."""
    click.echo(f"Repair: {done.removed_orphans} orphan files and {done.removed_temp} temp files "
               f"removed; {done.renditions} renditions and {done.served} served copies remade"
               + (f"; search index {done.index}" if done.index else "")
               + (f"; background work of {done.requeued} asset(s) queued again." if done.requeued else "."))
    if done.tallies:
        click.echo(f"Category and country counts recounted: {done.tallies} rows.")
    if done.removed_tiles:
        click.echo(f"Cached tiles of files that are gone removed: {done.removed_tiles}.")
    _kind("Left: files with no row younger than a day (an import may not have committed yet)",
          done.recent_orphans, always=False)
    _kind("Cannot be remade: the original is missing",
          [f"asset {m.asset_id} {m.what}: {m.key}" for m in done.unrepairable], always=False)
    _kind("Failed", [f"asset {m.asset_id} {m.what}: {why}" for m, why in done.failed], always=False)


def _kind(title: str, items: list[str], always: bool = True) -> None:
    """'Title: N' and up to SHOWN items below it."""
    if not items and not always:
        return
    click.echo(f"{title}: {len(items)}")
    for item in items[:SHOWN]:
        click.echo(f"  {item}")
    if len(items) > SHOWN:
        click.echo(f"  ... and {len(items) - SHOWN} more")

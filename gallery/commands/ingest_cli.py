"""`gallery import` and `gallery import-folder`: files in through the one ingest service."""
from __future__ import annotations

import os
import sys
from collections import Counter
from typing import Callable, Iterator

import click
from flask import current_app

from gallery.exceptions import GalleryError, ValidationError
from gallery.services import archives, galleries, ingest, jobs, manifest
from gallery.services.ingest import IngestItem, IngestResult, parse_date
from gallery.services.preparation import PoolFailure
from gallery.text import clean_label


def available_cpus() -> int:
    """CPUs this process may run on (its affinity, which a container or taskset may narrow)."""
    return len(os.sched_getaffinity(0))


workers_option = click.option(
    "--workers", type=click.IntRange(min=1), default=available_cpus, show_default="the CPUs available",
    help="Processes that probe and render files in parallel; 1 does it all in this process.")


# How long an import waits for the work it queued (embedded mode: served copies, video proxies).
BACKGROUND_WAIT_SECONDS = 600.0


def _import_sizes() -> tuple[str, ...]:
    """The renditions an import makes in its pool (RENDITIONS_AT_IMPORT): large too."""
    return tuple(current_app.config["RENDITIONS_AT_IMPORT"])


def _finish_background_work() -> None:
    """Embedded mode: the import ends once its queued work is done, so what it reports is ready."""
    if not jobs.wait_idle(BACKGROUND_WAIT_SECONDS):
        click.echo("Background work (served copies, video proxies) is still running; the "
                   "gallery finishes it when it next starts (see /manage/jobs).")


@click.command("import")
@click.argument("manifest_path", metavar="MANIFEST.json", type=click.Path(dir_okay=False))
@workers_option
def import_command(manifest_path: str, workers: int) -> None:
    """Import the galleries and files a JSON manifest describes; exit status 1 if any is rejected."""
    try:
        specs = manifest.load(manifest_path)
    except manifest.ManifestError as exc:
        for problem in exc.problems:
            click.echo(f"{manifest_path}: {problem}", err=True)
        raise click.ClickException("nothing was imported: fix the manifest and run it again.") from exc
    with Reporter(sum(len(spec.assets) for spec in specs)) as report:
        for spec in specs:
            gallery = _gallery(title=spec.title, category=spec.category, country=spec.country,
                               description=spec.description, credit=spec.credit, date=spec.date,
                               status=spec.status, editors_pick=spec.editors_pick,
                               embargo_until=spec.embargo_until, language=spec.language,
                               translations=spec.translations, **spec.rights)
            items = manifest_items(spec, report.advance)
            report.results(ingest.ingest_many(gallery, items, workers=workers, sizes=_import_sizes()))
    _finish_background_work()
    click.get_current_context().exit(report.exit_code())


@click.command("import-folder")
@click.argument("folder", type=click.Path(exists=True, file_okay=False))
@click.option("--gallery", "title", required=True, help="Gallery title (an existing gallery with "
              "the same title, category and country is added to).")
@click.option("--category", required=True, help="Category name or slug.")
@click.option("--country", default=None, help="ISO 3166 code or country name.")
@click.option("--credit", default="", help="Credit for files that carry none.")
@click.option("--description", default="", help="Gallery description.")
@click.option("--date", "date_text", default=None, help="Gallery date, YYYY-MM-DD.")
@click.option("--status", type=click.Choice(["draft", "published"]), default="draft",
              show_default=True, help="Status of a new gallery.")
@workers_option
def import_folder_command(folder: str, title: str, category: str, country: str | None, credit: str,
                          description: str, date_text: str | None, status: str, workers: int) -> None:
    """Import every photo, video, audio file and zip under FOLDER; captions from embedded metadata."""
    try:
        date = parse_date(date_text, "date") if date_text else None
    except ValidationError as exc:
        raise click.BadParameter(exc.message, param_hint="--date") from exc
    files = folder_files(folder)
    with Reporter(len(files)) as report:
        gallery = _gallery(title=title, category=category, country=country, credit=credit,
                           description=description, date=date, status=status)
        report.results(ingest.ingest_many(gallery, folder_items(folder, files, report.advance),
                                          workers=workers, sizes=_import_sizes()))
    _finish_background_work()
    click.get_current_context().exit(report.exit_code())


def folder_files(root: str) -> list[tuple[str, str]]:
    """(path, path relative to root) of every file to import, sorted, without hidden files or junk."""
    found = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and not archives.is_junk(d + "/x"))
        for name in sorted(files):
            rel = os.path.relpath(os.path.join(folder, name), root)
            if name.startswith(".") or archives.is_junk(rel):
                continue
            found.append((os.path.join(folder, name), rel))
    return found


def folder_items(root: str, files: list[tuple[str, str]],
                 advance: Callable[[], None]) -> Iterator[IngestItem]:
    """Ingest items of a folder's files (zips unpacked), calling advance() after each file."""
    for path, rel in files:
        yield from _file_items(path, rel, {}, root)
        advance()


def manifest_items(spec: manifest.GallerySpec, advance: Callable[[], None]) -> Iterator[IngestItem]:
    """Ingest items of a manifest gallery's files, with their explicit fields."""
    for asset in spec.assets:
        yield from _file_items(asset.path, asset.file, asset.fields)
        advance()


def _file_items(path: str, rel: str, fields: dict, root: str | None = None) -> Iterator[IngestItem]:
    label = clean_label(rel)
    real = os.path.realpath(path)
    if root is not None and not real.startswith(os.path.realpath(root) + os.sep):
        yield IngestItem(rel, label=label, error=GalleryError("a link pointing outside the folder."))
        return
    try:
        fh = open(real, "rb")
    except OSError as exc:
        yield IngestItem(rel, label=label, error=GalleryError(f"cannot read the file: {exc.strerror}."))
        return
    with fh:
        yield from archives.expand(os.path.basename(real), fh, fields, label=label)


def _gallery(**values):
    """Find or create the target gallery, telling which."""
    try:
        gallery, created = galleries.find_or_create_gallery(**values)
    except GalleryError as exc:
        raise click.ClickException(exc.message) from exc
    click.echo(f"Gallery {gallery.id} '{gallery.title}': "
               f"{'created' if created else 'adding to the existing gallery'}.")
    return gallery


class Reporter:
    """One line per file, a progress bar when stdout is a terminal, and a summary."""

    def __init__(self, total: int) -> None:
        self.counts: Counter[str] = Counter()
        tty = sys.stdout.isatty()
        self.bar = click.progressbar(length=total, label="Importing", file=sys.stdout) \
            if tty and total else None

    def __enter__(self) -> Reporter:
        if self.bar is not None:
            self.bar.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        if self.bar is not None:
            self.bar.__exit__(*exc)
        if exc[0] is None:
            c = self.counts
            click.echo(f"Imported {c['accepted']}, duplicates {c['duplicate']}, "
                       f"rejected {c['rejected']}.")

    def advance(self) -> None:
        """One more file read."""
        if self.bar is not None:
            self.bar.update(1)

    def results(self, results: Iterator[IngestResult]) -> None:
        """Print each result as it comes."""
        try:
            for result in results:
                self.counts[result.status] += 1
                line = self.line(result)
                # Clear the bar's line first so outcomes and the bar do not run together.
                click.echo(("\r\x1b[K" if self.bar is not None else "") + line)
                if self.bar is not None:
                    self.bar.render_progress()
        except PoolFailure as exc:
            # Batches committed so far stay; running the command again skips them as duplicates.
            raise click.ClickException(f"{exc} Files imported so far are kept; run the command "
                                       "again to add the rest.") from exc

    @staticmethod
    def line(result: IngestResult) -> str:
        """The outcome of one file in one line."""
        if result.status == "accepted":
            return f"accepted   {result.filename} -> asset {result.asset.id}"
        if result.status == "duplicate":
            return f"duplicate  {result.filename} (already asset {result.existing_id})"
        return f"rejected   {result.reason}"

    def exit_code(self) -> int:
        """1 if anything was rejected."""
        return 1 if self.counts["rejected"] else 0

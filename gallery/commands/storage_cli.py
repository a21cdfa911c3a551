"""`gallery storage migrate --to URL`: copy every stored file to another store, verified; switch nothing."""
from __future__ import annotations

import click
from flask import current_app

from gallery.exceptions import GalleryError
from gallery.services import storage, storage_migration
from gallery.text import human_bytes


@click.group("storage")
def storage_group() -> None:
    """Where originals, renditions, served copies and proxies are stored."""


@storage_group.command("migrate")
@click.option("--to", "target_url", required=True, metavar="STORAGE_URL",
              help="file:///absolute/dir or s3://bucket/prefix")
@click.option("--endpoint-url", default=None, help="S3 endpoint of the target (default: S3_ENDPOINT_URL).")
@click.option("--region", default=None, help="S3 region of the target (default: S3_REGION).")
@click.option("--limit", type=click.IntRange(1), default=None,
              help="Stop after copying this many files (run again to go on).")
def migrate_command(target_url: str, endpoint_url: str | None, region: str | None, limit: int | None) -> None:
    """Copy every stored file to STORAGE_URL and verify its SHA-256; resumable; switches nothing."""
    cfg = current_app.config
    endpoint_url = endpoint_url or cfg.get("S3_ENDPOINT_URL")
    region = region or cfg.get("S3_REGION")
    try:
        storage.check_url(target_url)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--to") from None
    target = storage.open_store(target_url, cfg["UPLOAD_DIR"], endpoint_url, region)
    click.echo(f"Copying from {storage.backend().url} to {target.url}.")

    def progress(n: int, done: storage_migration.Outcome, item: storage_migration.Item, state: str) -> None:
        if state != "present" or n % 500 == 0 or n == done.total:
            click.echo(f"[{n}/{done.total}] {state} {item.key}")

    try:
        done = storage_migration.migrate(target, progress, limit)
    except GalleryError as exc:
        raise click.ClickException(exc.message) from None
    finally:
        target.close()
    click.echo(f"{done.copied} copied ({human_bytes(done.bytes_copied)}), {done.present} already there "
               f"and verified, {len(done.failed)} failed, of {done.total} files.")
    for item, reason in done.failed:
        click.echo(f"  failed: {item.key} ({item.what}): {reason}")
    if done.stopped:
        click.echo(f"Stopped after {limit} copies: run the same command again to go on. Nothing was switched.")
        return
    if not done.complete:
        click.echo("Not every file is in the target: nothing was switched. Fix the failures and run again.")
        raise SystemExit(1)
    setting = [f"STORAGE_URL = {target_url!r}"]
    if target_url.startswith("s3://"):
        setting += [f"S3_ENDPOINT_URL = {endpoint_url!r}", f"S3_REGION = {region!r}"]
    click.echo("Every file is in the target and verified. Nothing was switched: to use it, stop "
               "uploads, run this command once more (it copies what came in meanwhile), then set "
               "these in instance/config.py (or as GALLERY_* environment variables) and restart every "
               "process:")
    for line in setting:
        click.echo(f"    {line}")

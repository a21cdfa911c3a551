"""`gallery recredit`: rewrite the credits inside served originals and proxies made before a writer knew their format."""
from __future__ import annotations

import click

from gallery.exceptions import GalleryError
from gallery.services import jobs, recrediting

# How long the command waits for the work it queued (embedded mode), like an import.
BACKGROUND_WAIT_SECONDS = 600.0


@click.command("recredit")
@click.option("--gallery", "gallery_id", type=click.IntRange(min=1), default=None,
              help="Only the assets of this gallery (its id).")
@click.option("--media-type", type=click.Choice(["image", "video", "audio"]), default=None,
              help="Only assets of this type.")
@click.option("--dry-run", is_flag=True, help="Print how many assets would be queued; change nothing.")
def recredit_command(gallery_id: int | None, media_type: str | None, dry_run: bool) -> None:
    """Queue the "credits" piece for every asset with a served copy or proxy (or a gallery's, or a type's)."""
    try:
        if dry_run:
            n = recrediting.count(gallery_id=gallery_id, media_type=media_type)
            click.echo(f"Would queue the credits of {n} asset{'' if n == 1 else 's'} (dry run: nothing changed).")
            return
        n = recrediting.recredit_all(gallery_id=gallery_id, media_type=media_type)
    except GalleryError as exc:
        raise click.ClickException(str(exc.message)) from exc
    click.echo(f"Queued the credits of {n} asset{'' if n == 1 else 's'}; only files whose credits differ "
               "are rewritten.")
    # Embedded mode: the command ends once the work is done (a worker does it when REDIS_URL is set).
    if not jobs.wait_idle(BACKGROUND_WAIT_SECONDS):
        click.echo("The credits are still being rewritten; the gallery finishes when it next starts "
                   "(see /manage/jobs).")

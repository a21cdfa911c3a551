"""Editorial commands: API tokens, emptying the trash, the saved searches' daily e-mail."""
from __future__ import annotations

import click
from flask import current_app

from gallery.exceptions import GalleryError
from gallery.services import apitokens, digests, trash


@click.command("create-token")
@click.argument("email")
@click.option("--name", default="API token", show_default=True, help="What the token is for.")
@click.option("--scope", type=click.Choice(["editor", "download"]), default=None,
              help="editor (staff only) or download; default: editor for staff, "
                   "download for members.")
def create_token_command(email: str, name: str, scope: str | None) -> None:
    """Create an API token for an account and print it once."""

    try:
        row, token = apitokens.create_token_for_email(email, name, scope)
    except GalleryError as exc:
        raise click.ClickException(exc.message) from exc
    click.echo(f"Token {row.id} “{row.name}” for {row.user.email} (shown only once):", err=True)
    click.echo(token)


@click.command("empty-trash")
@click.option("--older-than-days", type=int, default=None,
              help="Only items trashed more than N days ago (default: TRASH_RETENTION_DAYS).")
@click.option("--all", "everything", is_flag=True, help="Everything in the trash, however recent.")
def empty_trash_command(older_than_days: int | None, everything: bool) -> None:
    """Delete trashed galleries and assets for good, with their files."""
    days = None if everything else (older_than_days if older_than_days is not None
                                     else current_app.config["TRASH_RETENTION_DAYS"])
    galleries, assets = trash.empty_trash(None, days)
    click.echo(f"Deleted {galleries} galleries and {assets} assets for good.")


@click.command("send-digests")
def send_digests_command() -> None:
    """Send the saved searches' daily e-mails that are due (for cron; workers also do it)."""
    sent = digests.send_due()
    click.echo(f"Sent {sent} saved-search e-mail{'' if sent == 1 else 's'}.")

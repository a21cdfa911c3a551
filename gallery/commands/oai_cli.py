"""`gallery oai-rebuild`: every OAI-PMH record checked against the catalogue as it stands."""
from __future__ import annotations

import click

from gallery.extensions import db
from gallery.services import oai_records


@click.command("oai-rebuild")
def oai_rebuild_command() -> None:
    """Bring every OAI-PMH record up to date (after changing PUBLISH_UNKNOWN_CONSENT, or rows changed by hand)."""
    changed = oai_records.rebuild(db.session)
    click.echo(f"OAI-PMH records: {changed} written, restamped or marked deleted.")

"""The `gallery` commands (also reachable as `flask --app gallery ...`); app.main is the console script."""
from __future__ import annotations

import os
import sys

import click
from flask import Flask, current_app
from sqlalchemy.engine import make_url

from gallery import demo, migrate
from gallery.commands import (
    check_cli,
    credits_cli,
    editorial_cli,
    ingest_cli,
    oai_cli,
    search_cli,
    storage_cli,
    worker_cli,
)
from gallery.exceptions import GalleryError
from gallery.extensions import db
from gallery.services import accounts, counts, reference, search, sitetext, unit


def init_app(app: Flask) -> None:
    """Register the commands on the app's CLI group."""
    for command in (init_command, create_user_command, demo_command, ingest_cli.import_command,
                    ingest_cli.import_folder_command, search_cli.reindex_command,
                    search_cli.search_sync_command,
                    check_cli.check_command, editorial_cli.create_token_command,
                    editorial_cli.empty_trash_command, editorial_cli.send_digests_command,
                    worker_cli.worker_command, credits_cli.recredit_command,
                    storage_cli.storage_group, oai_cli.oai_rebuild_command):
        app.cli.add_command(command)


@click.command("init")
def init_command() -> None:
    """Create the instance folder, migrate the database to head, add categories and countries."""
    initialise()


def initialise() -> None:
    """The work of `gallery init`: folders, migrations, reference data, default site texts."""
    for key in ("UPLOAD_DIR", "SEARCH_INDEX_DIR"):
        os.makedirs(current_app.config[key], exist_ok=True)
    migrate.upgrade(current_app)
    cats, countries = reference.seed(db.session)
    sitetext.seed_defaults(db.session)
    # Public counts depend on PUBLISH_UNKNOWN_CONSENT: recount in case the setting changed.
    counts.refresh_all_counts()
    unit.commit(drain=False)  # the index is checked just below
    click.echo(f"Database ready at {_safe_url(current_app.config['DATABASE_URL'])}: "
               f"{cats} categories and {countries} countries added.")
    rebuilt = search.rebuild_if_outdated()
    if rebuilt is not None:
        click.echo(f"Search index rebuilt for the new search schema: {rebuilt} assets.")


@click.command("demo")
def demo_command() -> None:
    """Run init if needed, then add demo galleries, photos, editors' picks and demo accounts."""
    initialise()
    demo.run()


@click.command("create-user")
@click.argument("email")
@click.option("--role", type=click.Choice(["member", "editor", "admin"]), default="member",
              show_default=True)
@click.option("--name", default="", help="Display name.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def create_user_command(email: str, role: str, name: str, password_stdin: bool) -> None:
    """Create an account; the password comes from a prompt, or stdin with --password-stdin."""

    if password_stdin or not sys.stdin.isatty():
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = accounts.create_user(email=email, password=password, role=role, name=name)
    except GalleryError as exc:
        raise click.ClickException(exc.message) from exc
    click.echo(f"Created {user.role} {user.email}.")


def _safe_url(url: str) -> str:
    """A database URL without its password, for printing."""
    return make_url(url).render_as_string(hide_password=True)

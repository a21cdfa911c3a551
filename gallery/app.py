"""The Flask application factory: config, extensions, blueprints, error pages and the CLI."""
from __future__ import annotations

import os
import secrets
from typing import Any

from flask import Flask
from flask.cli import FlaskGroup

from gallery import (
    auth_loader,
    auth_tokens,
    cli,
    errors,
    inputs,
    ratelimit,
    security,
    templating,
)
from gallery import config as default_config
from gallery.extensions import csrf, db, login_manager
from gallery.i18n import setup as i18n
from gallery.services import credits, digests, jobs, oai_records, schedule, storage, tallies
from gallery.views import register_blueprints


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the app: defaults, instance config, GALLERY_* environment, test config."""
    root = default_config.ROOT
    instance_path = os.environ.get("GALLERY_INSTANCE_PATH", os.path.join(root, "instance"))
    app = Flask(
        "gallery",  # the package's name, so the logger and root path stay those of `gallery`
        instance_path=instance_path,
        instance_relative_config=True,
        template_folder=os.path.join(root, "templates"),
    )
    app.config.from_object(default_config)
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env("GALLERY")
    if test_config:
        app.config.update(test_config)
    _finish_config(app)

    db.init_app(app)
    oai_records.init_app(app)  # harvested records follow every commit that changes them
    tallies.init_app(app)  # category and country counts follow every commit that changes them
    login_manager.init_app(app)
    csrf.init_app(app)
    auth_loader.init_app(app)
    auth_tokens.init_app(app)
    ratelimit.init_app(app)
    templating.init_app(app)
    i18n.init_app(app)  # after templating: its date and size filters speak the page's language
    security.init_app(app)
    inputs.init_app(app)  # before the blueprints: it bounds their <int:...> URL parts
    errors.init_app(app)
    jobs.init_app(app)  # embedded mode: the background thread starts with the first request
    schedule.init_app(app)  # embargoes lifted and rights expired, if no worker did it yet
    digests.init_app(app)  # saved searches' daily e-mail, if no worker sends it
    register_blueprints(app)
    cli.init_app(app)
    return app


def main() -> None:
    """Entry point of the `gallery` console script."""
    FlaskGroup(create_app=create_app, help="Manage the media gallery.").main()


def _finish_config(app: Flask) -> None:
    """Fill in derived settings: database URL, absolute paths and the secret key."""
    os.makedirs(app.instance_path, exist_ok=True)
    if not app.config.get("DATABASE_URL"):
        db_path = os.path.join(app.instance_path, "gallery.sqlite")
        app.config["DATABASE_URL"] = f"sqlite:///{db_path}"
    for key in ("UPLOAD_DIR", "SEARCH_INDEX_DIR"):
        app.config[key] = os.path.abspath(os.path.join(default_config.ROOT, app.config[key]))
    if app.config.get("SEARCH_WRITER") not in ("inline", "sync"):
        raise ValueError(f"SEARCH_WRITER must be \"inline\" or \"sync\", not {app.config.get('SEARCH_WRITER')!r}")
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret(app.instance_path)
    if app.config.get("SERVE_FILES_WITH") not in storage.SERVE_MODES:
        raise ValueError("SERVE_FILES_WITH must be None, 'x-accel-redirect' or 'x-sendfile', "
                         f"not {app.config['SERVE_FILES_WITH']!r}.")
    storage.check_url(app.config.get("STORAGE_URL"))
    credits.check_templates(app.config)


def _instance_secret(instance_path: str) -> str:
    """Read the instance's secret key, creating it (mode 0600) on first run."""
    path = os.path.join(instance_path, "SECRET_KEY")
    try:
        with open(path, encoding="ascii") as fh:
            return fh.read().strip()
    except FileNotFoundError:
        key = secrets.token_hex(32)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another worker created it a moment ago
            return _instance_secret(instance_path)
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            fh.write(key)
        return key

"""Blueprints, one per area."""
from __future__ import annotations

from flask import Flask

from gallery.views import (
    admin_users,
    api,
    api_editor,
    api_ingest,
    api_lightboxes,
    auth,
    browse,
    download,
    download_admin,
    feeds,
    iiif,
    lightboxes,
    manage,
    media,
    oai,
    press_kits,
    search,
    sitemaps,
    tokens,
    upload,
)


def register_blueprints(app: Flask) -> None:
    """Register every blueprint of the app."""
    for module in (browse, media, api, auth, admin_users, search, api_editor, manage, tokens,
    oai,
    press_kits,
        app.register_blueprint(module.bp)

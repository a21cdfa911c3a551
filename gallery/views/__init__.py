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
    embed,
    feeds,
    iiif,
    lightboxes,
    manage,
    media,
    oai,
    press_kits,
    saved,
    search,
    sitemaps,
    tokens,
    upload,
)


def register_blueprints(app: Flask) -> None:
    """Register every blueprint of the app."""
    for module in (browse, media, api, auth, admin_users, search, api_editor, manage, tokens,
                   upload, api_ingest, download, download_admin, feeds, iiif, lightboxes,
                   press_kits, api_lightboxes, oai, sitemaps, saved, embed):
        app.register_blueprint(module.bp)

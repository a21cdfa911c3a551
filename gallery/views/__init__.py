"""Blueprints, one per area."""
from __future__ import annotations

from flask import Flask


def register_blueprints(app: Flask) -> None:
    """Register every blueprint of the app."""
    from gallery.views import admin_users, api, api_editor, auth, browse, manage, media, search, tokens

    app.register_blueprint(browse.bp)
    app.register_blueprint(media.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(auth.bp)
    app.register_blueprint(admin_users.bp)
    app.register_blueprint(search.bp)
    app.register_blueprint(api_editor.bp)
    app.register_blueprint(manage.bp)
    app.register_blueprint(tokens.bp)

    from gallery.views import api_ingest, upload

    app.register_blueprint(upload.bp)
    app.register_blueprint(api_ingest.bp)

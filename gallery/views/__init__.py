"""Blueprints, one per area."""
from __future__ import annotations

from flask import Flask


def register_blueprints(app: Flask) -> None:
    """Register every blueprint of the app."""
    from gallery.views import api, api_editor, browse, manage, media, tokens

    app.register_blueprint(browse.bp)
    app.register_blueprint(media.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(api_editor.bp)
    app.register_blueprint(manage.bp)
    app.register_blueprint(tokens.bp)

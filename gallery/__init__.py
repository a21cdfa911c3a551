"""The gallery: `create_app` builds the web app (gallery/app.py); `gallery.formats` needs none of it."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the Flask app (gallery.app.create_app); the target of `flask --app gallery` and wsgi.py."""
    # Imported on call, not at the top: `import gallery.formats` (a worker that only reads and
    # writes files) runs this package's __init__ and must not load Flask, the models or the views.
    from gallery.app import create_app as build

    return build(test_config)

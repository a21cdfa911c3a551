"""Extensions created unbound and bound to an app in init_app()."""
from __future__ import annotations

from flask_login import LoginManager
from flask_wtf import CSRFProtect

from gallery.db import Database


class BearerAwareCSRFProtect(CSRFProtect):
    """CSRF protection that exempts API requests authenticated by a bearer token (never cookies)."""

    def protect(self, apply_exemptions: bool = False):
        """Check the token unless gallery.auth_tokens says the request cannot be forged."""
        from flask import current_app, request

        from gallery.auth_tokens import csrf_exempt

        if request.method in current_app.config["WTF_CSRF_METHODS"] and csrf_exempt():
            return None
        return super().protect(apply_exemptions=apply_exemptions)


db = Database()
login_manager = LoginManager()
csrf = BearerAwareCSRFProtect()

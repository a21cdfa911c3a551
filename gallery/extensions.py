"""Extensions created unbound and bound to an app in init_app()."""
from __future__ import annotations

from flask_login import LoginManager
from flask_wtf import CSRFProtect

from gallery.db import Database


class BearerAwareCSRFProtect(CSRFProtect):
    """CSRF protection that exempts API requests authenticated by a bearer token (never cookies)."""

    def protect(self):
        """Check the token unless gallery.auth_tokens says the request cannot be forged."""
        from gallery.auth_tokens import csrf_exempt

        if csrf_exempt():
            return None
        return super().protect()


db = Database()
login_manager = LoginManager()
csrf = BearerAwareCSRFProtect()

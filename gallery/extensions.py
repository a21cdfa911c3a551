"""Extensions created unbound and bound to an app in init_app()."""
from __future__ import annotations

from typing import Callable

from flask import current_app, request
from flask_login import LoginManager
from flask_wtf import CSRFProtect as BaseCSRFProtect

from gallery.db import Database


class CSRFProtect(BaseCSRFProtect):
    """Flask-WTF's CSRF check, skipped for the requests a rule says no browser can forge.

    The rule belongs to whoever authenticates such requests (`gallery.auth_tokens` gives it in its
    init_app); until one is given, every request is checked.
    """

    def __init__(self) -> None:
        super().__init__()
        self._unforgeable: Callable[[], bool] = lambda: False

    def exempt_unforgeable(self, rule: Callable[[], bool]) -> None:
        """Skip the check for unsafe requests for which rule() is true."""
        self._unforgeable = rule

    def protect(self, apply_exemptions: bool = False):
        """Check the token unless the request cannot be forged."""
        if request.method in current_app.config["WTF_CSRF_METHODS"] and self._unforgeable():
            return None
        return super().protect(apply_exemptions=apply_exemptions)


db = Database()
login_manager = LoginManager()
csrf = CSRFProtect()

"""Extensions created unbound and bound to an app in init_app()."""
from __future__ import annotations

from flask_login import LoginManager
from flask_wtf import CSRFProtect

from gallery.db import Database

db = Database()
login_manager = LoginManager()
csrf = CSRFProtect()

"""Flask-Login user loading: sessions carry the user id and the user's session token."""
from __future__ import annotations

from flask import Flask, g, request
from flask_login import current_user
from sqlalchemy import select

from gallery.extensions import db, login_manager
from gallery.i18n import locale
from gallery.models import User
from gallery.services import accounts, fields


def init_app(app: Flask) -> None:
    """Configure the login manager."""
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please log in to continue."
    login_manager.user_loader(load_user)

    @app.before_request
    def forget_cached_user() -> None:
        # An app context can outlive one request (tests, CLI-driven clients): always load the
        # user from this request's own session, never from an earlier request's cache.
        g.pop("_login_user", None)

    @app.before_request
    def remember_language() -> None:
        # A logged-in user's explicit choice (a /fr/ URL, the header's switcher) becomes the
        # language of their mail; written only when it changes, and unprefixed pages never look.
        code = request.environ.get(locale.PREFIX_KEY)
        if request.endpoint == "set_language":
            code = (request.view_args or {}).get("code")
        if code in locale.LANGUAGES and current_user.is_authenticated and current_user.language != code:
            accounts.set_language(current_user._get_current_object(), code)


def load_user(session_id: str) -> User | None:
    """Load an active user whose session token still matches (it changes with the password)."""
    user_id, _, token = session_id.partition(":")
    number = fields.as_id(user_id)
    if number is None:
        return None
    # populate_existing: compare with the row as it is now, not a copy this session loaded earlier
    # (another process may have ended the sessions since).
    user = db.session.scalar(select(User).where(User.id == number)
                             .execution_options(populate_existing=True))
    if user is None or not user.active or user.session_token != token:
        return None
    return user

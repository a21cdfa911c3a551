"""Flask-Login user loading: sessions carry the user id and the user's session token."""
from __future__ import annotations

from flask import Flask, g
from sqlalchemy import select

from gallery.extensions import db, login_manager
from gallery.models import User
from gallery.services import fields


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

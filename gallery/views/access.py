"""Access helpers for views: the role gate and its decorators, and the safe `next` redirect target."""
from __future__ import annotations

from functools import wraps
from typing import Any, Callable
from urllib.parse import urlsplit

from flask.typing import ResponseReturnValue
from flask_login import current_user

from gallery import policy
from gallery.errors import bearer_challenge, error_response, wants_json
from gallery.extensions import login_manager

LOG_IN_OR_TOKEN = "Log in, or send Authorization: Bearer <token>."


def refuse_unless(allowed: Callable[[Any], bool]) -> ResponseReturnValue | None:
    """None when the current user passes allowed; else the refusal.

    Anonymous visitors go to the login page (a 401 asking for a token under /api/); users
    without the role get 403.
    """
    if not current_user.is_authenticated:
        return bearer_challenge(LOG_IN_OR_TOKEN) if wants_json() else login_manager.unauthorized()
    if not allowed(current_user):
        return error_response(403)
    return None


def role_required(allowed: Callable[[Any], bool]) -> Callable[[Callable], Callable]:
    """A view decorator that lets through only the users allowed(user) accepts."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args, **kwargs):
            refusal = refuse_unless(allowed)
            return view(*args, **kwargs) if refusal is None else refusal

        return wrapped

    return decorator


admin_required = role_required(policy.is_admin)
staff_required = role_required(policy.is_staff)


def safe_next(target: str | None) -> str | None:
    """The target when it is a path on this site, else None (no open redirects)."""
    if not target or len(target) > 2000:
        return None
    # Browsers drop tabs and newlines and read "\" as "/": "/\\evil" or "/\t/evil" leave the site.
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in target) or "\\" in target:
        return None
    if not target.startswith("/") or target.startswith("//"):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target

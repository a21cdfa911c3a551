"""Bearer-token login for the API, the CSRF exemption that goes with it, and token scopes."""
from __future__ import annotations

from flask import Flask, Request, g, request
from flask_login import current_user

from gallery.extensions import login_manager
from gallery.models import User


def init_app(app: Flask) -> None:
    """Let Flask-Login load users from `Authorization: Bearer <token>` when no session user exists."""
    login_manager.request_loader(load_user_from_request)
    app.before_request(enforce_scope)


def bearer_token(req: Request) -> str | None:
    """The token of an `Authorization: Bearer ...` header, if any."""
    header = req.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def load_user_from_request(req: Request) -> User | None:
    """Flask-Login request loader: the owner of a live bearer token."""
    from gallery.services import apitokens

    token = bearer_token(req)
    if token is None:
        return None
    found = apitokens.user_for_token(token)
    if found is None:
        return None
    user, row = found
    g.api_token_id = row.id  # marks the request as bearer-authenticated (see csrf_exempt)
    return user


def csrf_exempt() -> bool:
    """Skip the CSRF check for requests no cookie can forge.

    A bearer-authenticated request cannot be sent cross-site by a browser, and an API request with
    no user at all is refused with 401 by the view. A session (cookie) user is always checked:
    Flask-Login prefers the session, so such requests never get the bearer mark.
    """
    if not request.path.startswith("/api/"):
        return False
    authenticated = current_user.is_authenticated  # loads the user: session first, then bearer
    return (authenticated and "api_token_id" in g) or not authenticated


def enforce_scope():
    """Refuse a download token anywhere but read-only API requests (listing, search, download)."""
    from gallery.errors import error_response
    from gallery.services import apitokens

    token = bearer_token(request)
    if token is None or apitokens.scope_of(token) != "download":
        return None
    if request.method in ("GET", "HEAD") and request.path.startswith("/api/"):
        return None
    # Only when the token is what authenticated the request: a session user is judged by role.
    if not (current_user.is_authenticated and "api_token_id" in g):
        return None
    return error_response(403, "This is a download token: it may only read the API and download "
                               "files. Editing needs an editor token.")

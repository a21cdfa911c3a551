"""Bearer-token login for the API, the CSRF exemption that goes with it, and token scopes."""
from __future__ import annotations

from flask import Flask, Request, Response, g, request
from flask_login import current_user

from gallery.errors import bearer_challenge, error_response
from gallery.extensions import csrf, login_manager
from gallery.models import User
from gallery.services import apitokens

BEARER_KEY = "gallery.bearer"
# Where a download token may read: the API, and the download routes (a gallery zip is a download).
TOKEN_READ_PATHS = ("/api/", "/download/")
# Where a download token may also write: its owner's own lightboxes (nothing of the catalogue).
TOKEN_LIGHTBOX_PATH = "/api/lightboxes"
INVALID_TOKEN = ("This Bearer token is not valid: it is unknown, revoked or malformed, or its "
                 "account is closed. Send Authorization: Bearer <token> with a live token from "
                 "/account/tokens, or no Authorization header to browse as a visitor.")


def init_app(app: Flask) -> None:
    """Let Flask-Login load users from `Authorization: Bearer <token>` when no session user exists."""
    login_manager.request_loader(load_user_from_request)
    csrf.exempt_unforgeable(csrf_exempt)
    # First in line: a dead token is a 401 before the CSRF check or any view sees the request.
    app.before_request_funcs.setdefault(None, []).insert(0, refuse_dead_token)
    app.before_request(enforce_scope)


def bearer_token(req: Request) -> str | None:
    """The token of an `Authorization: Bearer ...` header, if any."""
    header = req.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def claims_bearer(req: Request) -> bool:
    """Whether the request says it is authenticated by a bearer token (even an empty one)."""
    return req.headers.get("Authorization", "").strip().partition(" ")[0].lower() == "bearer"


def refuse_dead_token() -> Response | None:
    """401 for a request whose bearer token is not live, rather than treating it as anonymous.

    A script whose token was revoked must learn so, not silently get the public view. Other
    schemes (a proxy's Basic authentication) are not ours to judge and pass through.
    """
    if not claims_bearer(request):
        return None
    token = bearer_token(request)
    found = apitokens.user_for_token(token) if token else None
    # Kept in the WSGI environ, which belongs to this request alone, for the request loader.
    request.environ[BEARER_KEY] = found
    if found is not None:
        return None
    return bearer_challenge(INVALID_TOKEN, "invalid_token")


def load_user_from_request(req: Request) -> User | None:
    """Flask-Login request loader: the owner of a live bearer token."""
    token = bearer_token(req)
    if token is None:
        return None
    # refuse_dead_token has looked the token up already: no second query.
    found = (req.environ[BEARER_KEY] if BEARER_KEY in req.environ
             else apitokens.user_for_token(token))
    if found is None:
        return None
    user, row = found
    g.api_token_id = row.id  # marks the request as bearer-authenticated (see csrf_exempt)
    return user


def csrf_exempt() -> bool:
    """The one CSRF rule: skip the check for API requests no cookie can forge, check all others.

    A bearer-authenticated request cannot be sent cross-site by a browser, and an API request with
    no user at all is refused with 401 by the view. A session (cookie) user is always checked:
    Flask-Login prefers the session, so such requests never get the bearer mark.
    """
    if not request.path.startswith("/api/"):
        return False
    authenticated = current_user.is_authenticated  # loads the user: session first, then bearer
    return (authenticated and "api_token_id" in g) or not authenticated


def enforce_scope():
    """Refuse a download token anywhere but reading the API, downloading and its owner's lightboxes."""
    token = bearer_token(request)
    if token is None or apitokens.scope_of(token) != "download":
        return None
    if request.method in ("GET", "HEAD") and request.path.startswith(TOKEN_READ_PATHS):
        return None
    if request.path == TOKEN_LIGHTBOX_PATH or request.path.startswith(TOKEN_LIGHTBOX_PATH + "/"):
        return None
    # Only when the token is what authenticated the request: a session user is judged by role.
    if not (current_user.is_authenticated and "api_token_id" in g):
        return None
    return error_response(403, "This is a download token: it may only read the API and download "
                               "files. Editing needs an editor token.")

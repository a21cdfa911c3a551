"""Personal API tokens: shown once, stored as SHA-256, revocable.

Two scopes, told apart by the token's prefix (which the stored hash covers, so it cannot be
changed): editor tokens (`gal_`) act with their owner's role on every API route; download tokens
(`gald_`), the only kind members get, may only read the API and download files.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from flask import current_app
from sqlalchemy import select

from gallery.exceptions import Forbidden, NotFound, ValidationError
from gallery.extensions import db
from gallery.i18n.service_messages import N_
from gallery.models import ApiToken, User, utcnow
from gallery.services import accounts, activity, fields, unit

PREFIX = "gal_"
DOWNLOAD_PREFIX = "gald_"
SCOPES = {"editor": PREFIX, "download": DOWNLOAD_PREFIX}


def hash_token(token: str) -> str:
    """The SHA-256 hex digest stored for a token (tokens are random, so no salt is needed)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def scope_of(token: str) -> str | None:
    """'editor' or 'download' from a token's prefix, or None for text that is no token of ours."""
    for scope, prefix in SCOPES.items():
        if token.startswith(prefix):
            return scope
    return None


def create_token(owner: User, name: str, acting_user: User | None,
                 scope: str | None = None) -> tuple[ApiToken, str]:
    """Make a token; returns the row and the token text, shown only once.

    Editors and admins get editor tokens unless they ask for a download one; members only ever
    get download tokens. acting_user None is the command line, which runs with the server's
    authority.
    """
    if acting_user is not None and acting_user.id != owner.id and not acting_user.is_admin:
        raise Forbidden("You may only create tokens for yourself.")
    if not owner.active:
        raise ValidationError("API tokens are for active accounts.", field="email")
    scope = scope or ("editor" if owner.is_staff else "download")
    if scope not in SCOPES:
        raise ValidationError("Scope must be editor or download.", field="scope")
    if scope == "editor" and not owner.is_staff:
        raise ValidationError("Editor tokens are for editors and admins; members get download "
                              "tokens.", field="scope")
    name = fields.text(name, "name", 100) or "API token"
    token = SCOPES[scope] + secrets.token_urlsafe(32)
    row = ApiToken(user_id=owner.id, name=name, token_hash=hash_token(token), scope=scope)
    db.session.add(row)
    db.session.flush()
    activity.record(acting_user or owner, "token.create", token_id=row.id, name=name, scope=scope)
    unit.commit(drain=False)
    return row, token


def create_token_for_email(email: str, name: str, scope: str | None = None) -> tuple[ApiToken, str]:
    """Command-line form of create_token."""
    owner = db.session.scalar(select(User).where(User.email == accounts.normalise_email(email)))
    if owner is None:
        raise ValidationError(N_("No account for %(email)s.", email=email), field="email")
    return create_token(owner, name, None, scope)


def revoke_token(token_id: int, user: User) -> ApiToken:
    """Revoke one of the user's tokens (admins may revoke anyone's)."""
    row = db.session.get(ApiToken, token_id)
    if row is None or (row.user_id != user.id and not user.is_admin):
        raise NotFound("No such token.")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        activity.record(user, "token.revoke", token_id=row.id, name=row.name)
        unit.commit(drain=False)
    return row


def list_tokens(user: User) -> list[ApiToken]:
    """The user's tokens, live ones first, newest first."""
    return list(db.session.scalars(select(ApiToken).where(ApiToken.user_id == user.id)
                                   .order_by(ApiToken.revoked_at.is_not(None),
                                             ApiToken.created_at.desc(), ApiToken.id.desc())))


def user_for_token(token: str) -> tuple[User, ApiToken] | None:
    """The active user a live token belongs to, or None; records when it was last used."""
    if scope_of(token) is None or len(token) > 200:
        return None
    row = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(token)))
    if row is None or row.revoked_at is not None or not row.user.active:
        return None
    now = utcnow()
    touch = dt.timedelta(seconds=current_app.config["API_TOKEN_TOUCH_SECONDS"])
    if row.last_used_at is None or now - row.last_used_at > touch:
        # Written at most every few minutes, so busy scripts do not write on every call.
        row.last_used_at = now
        unit.commit(drain=False)
    return row.user, row

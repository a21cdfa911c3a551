"""API tokens on the account page: list, create (shown once), revoke."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from gallery import policy
from gallery.exceptions import GalleryError
from gallery.i18n.service_messages import translate
from gallery.services import apitokens
from gallery.views.access import refuse_unless, safe_next

bp = Blueprint("tokens", __name__, url_prefix="/account/tokens")


@bp.before_request
def logged_in_only():
    """Every account may hold tokens (members: download tokens); anonymous visitors log in."""
    return refuse_unless(policy.is_authenticated)


@bp.app_template_global()
def api_tokens_for(user) -> list:
    """The user's API tokens, for the account page's token section."""
    return apitokens.list_tokens(user) if policy.is_authenticated(user) else []


@bp.get("/")
def index():
    """The user's API tokens and the form to create one."""
    return render_template("tokens/index.html")


@bp.post("/")
def create():
    """Create a token and show it once; only its hash is kept."""
    try:
        row, token = apitokens.create_token(current_user, request.form.get("name", ""), current_user,
                                            request.form.get("scope") or None)
    except GalleryError as exc:
        flash(translate(exc.message), "error")
        return redirect(url_for("tokens.index"))
    response = render_template("tokens/created.html", row=row, token=token,
                               scope=apitokens.scope_of(token))
    return response, 200, {"Cache-Control": "no-store"}


@bp.post("/<int:token_id>/revoke")
def revoke(token_id: int):
    """Revoke a token: it stops working at once."""
    apitokens.revoke_token(token_id, current_user)
    flash(_("Token revoked."), "success")
    return redirect(safe_next(request.form.get("next")) or url_for("tokens.index"))

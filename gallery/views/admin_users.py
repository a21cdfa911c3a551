"""Admin: the user list, roles and activation."""
from __future__ import annotations

import smtplib

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user

from gallery.exceptions import GalleryError
from gallery.i18n import locale
from gallery.i18n.service_messages import N_, translate
from gallery.i18n.terms import term
from gallery.services import accounts, mail
from gallery.views.access import admin_required
from gallery.views.auth_forms import ActiveForm, RoleForm

bp = Blueprint("admin_users", __name__, url_prefix="/admin/users")


@bp.get("/")
@admin_required
def index():
    """Users, searchable by email, name or organisation, filtered by status and role."""
    page = min(max(request.args.get("page", 1, type=int) or 1, 1), 1_000_000)
    query = request.args.get("q", "")[:200]
    status = request.args.get("status", "")
    role = request.args.get("role", "")
    result = accounts.list_users(query=query, status=status, role=role, page=page,
                                 per_page=current_app.config["USERS_PER_PAGE"])
    if page > result.pages:
        abort(404)
    return render_template("admin_users/index.html", result=result, q=query, status=status, role=role)


@bp.post("/<int:user_id>/role")
@admin_required
def set_role(user_id: int):
    """Change a user's role."""
    user = accounts.get_user(user_id)
    form = RoleForm()
    if not form.validate_on_submit():
        abort(400, N_("Choose one of the roles."))
    try:
        accounts.set_role(current_user, user, form.role.data)
    except GalleryError as exc:
        flash(translate(exc.message), "error")
        return redirect(_back(), 303)
    flash(_("%(email)s is now %(role)s.", email=user.email, role=term(user.role)), "info")
    return redirect(_back(), 303)


@bp.post("/<int:user_id>/active")
@admin_required
def set_active(user_id: int):
    """Activate or deactivate an account; a newly approved user is told by email."""
    user = accounts.get_user(user_id)
    form = ActiveForm()
    if not form.validate_on_submit() or form.active.data not in ("1", "0"):
        abort(400, N_("Say whether the account should be active."))
    active = form.active.data == "1"
    try:
        approved = accounts.set_active(current_user, user, active)
    except GalleryError as exc:
        flash(translate(exc.message), "error")
        return redirect(_back(), 303)
    if active:
        _tell_activated(user, approved)
    flash(_("%(email)s is active.", email=user.email) if active
          else _("%(email)s is deactivated.", email=user.email), "info")
    return redirect(_back(), 303)


def _tell_activated(user, approved: bool) -> None:
    """Email the user that they can log in now, in their language (English when they have none)."""
    lang = accounts.mail_language(user)
    site, link = current_app.config["SITE_NAME"], locale.external_url_in(lang, "auth.login")
    with force_locale(lang):
        subject = _("Your account is approved") if approved else _("Your account is active again")
        body = _("Hello %(name)s,\n\nYour account at %(site)s is active: you can log in at %(link)s\n",
                 name=user.name or user.email, site=site, link=link)
    try:
        mail.send_mail(current_app.config, user.email, subject, body)
    except (OSError, smtplib.SMTPException):
        current_app.logger.exception("Could not send mail to %s", user.email)
        flash(_("The account is active, but the email to its owner could not be sent."), "error")


def _back() -> str:
    """Back to the list with the same search and page."""
    args = {k: v for k in ("q", "status", "role", "page") if (v := request.args.get(k))}
    return url_for("admin_users.index", **args)

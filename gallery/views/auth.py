"""Accounts: register, log in and out, the account page, forgotten passwords."""
from __future__ import annotations

import smtplib

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from gallery.errors import error_response
from gallery.exceptions import GalleryError
from gallery.i18n import locale
from gallery.i18n.names import N_
from gallery.i18n.service_messages import translate
from gallery.ratelimit import limiter
from gallery.services import accounts, mail, sitetext
from gallery.views.access import safe_next
from gallery.views.auth_forms import (
    ChangePasswordForm,
    ForgotForm,
    LoginForm,
    ProfileForm,
    RegisterForm,
    ResetForm,
)

bp = Blueprint("auth", __name__)

BAD_LOGIN = "Wrong email or password."


@bp.errorhandler(413)
def too_large(exc):
    """Say what was too large: account forms have no uploads."""
    return error_response(413, N_("That form was too large to send. Passwords and names may be long, "
                                  "but not that long."))


def current_terms_version() -> int:
    """The version of the terms of use in force (the site text's version, else 1)."""
    text = sitetext.get_text("terms")
    return text.version if text is not None else 1


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Log in with email and password; failures slow the account down and limit the address."""
    form = LoginForm()
    target = safe_next(request.args.get("next") or form.next.data)
    if current_user.is_authenticated and request.method == "GET":
        return redirect(target or url_for("browse.index"))
    if not form.validate_on_submit():
        return render_template("auth/login.html", form=form, next=target,
                               registration=current_app.config["REGISTRATION_MODE"]), \
            400 if request.method == "POST" else 200
    config = current_app.config
    pair, address = _limit_keys(form.email.data)
    window = config["LOGIN_FAILURE_WINDOW"]
    # This account from this address slows down; other addresses (its owner's) are not affected.
    wait = limiter().delay(pair, config["LOGIN_SLOWDOWN_AFTER"], config["LOGIN_SLOWDOWN_LONGEST"])
    # The address gets a strict number of attempts, counted before the password is checked.
    wait = wait or limiter().take(address, config["LOGIN_MAX_FAILURES_PER_ADDRESS"], window)
    if wait:
        return _too_many(wait)
    user = accounts.authenticate(form.email.data, form.password.data)
    if user is None:
        limiter().fail(pair, window)
        form.password.errors.append(BAD_LOGIN)
        return render_template("auth/login.html", form=form, next=target, error=BAD_LOGIN,
                               registration=config["REGISTRATION_MODE"]), 401
    limiter().give_back(address)  # the right password is not a failure
    if not user.active:
        if config["REGISTRATION_MODE"] == "open" and accounts.unconfirmed(user):
            flash(_("This account is not active yet: follow the link in the email we sent when you "
                    "registered. No email? Register again with the same address for a new link."),
                  "error")
        else:
            flash(_("This account is not active. New accounts are activated by an administrator; "
                    "you will get an email when yours is."), "error")
        return render_template("auth/login.html", form=form, next=target,
                               registration=config["REGISTRATION_MODE"]), 403
    limiter().reset(pair)
    _start_session(user, remember=form.remember.data)
    accounts.record_login(user)
    return redirect(target or url_for("browse.index"))


def _limit_keys(email: str) -> tuple[str, str]:
    """Rate-limit keys: this account (by email, known or not) from this address, and the address."""
    remote = request.remote_addr or "-"
    return f"login:pair:{remote}:{accounts.normalise_email(email)}", f"login:address:{remote}"


def _take_for_address(action: str, limit_setting: str) -> int:
    """Count one request of this kind from the client address; seconds to wait when over its limit."""
    return limiter().take(f"{action}:address:{request.remote_addr or '-'}",
                          current_app.config[limit_setting], current_app.config["LOGIN_FAILURE_WINDOW"])


def _too_many(wait: int, what: str = N_("failed log-in attempts")):
    """A 429 page that says when to try again."""
    minutes = -(-wait // 60)
    when = (ngettext("%(num)s minute", "%(num)s minutes", minutes) if wait >= 60
            else ngettext("%(num)s second", "%(num)s seconds", wait))
    body, status = error_response(429, _("Too many %(what)s. Try again in %(when)s.", what=_(what), when=when))
    return body, status, {"Retry-After": str(wait)}


def _start_session(user, remember: bool) -> None:
    """A fresh session for the user: nothing from before the login carries over."""
    session.clear()
    login_user(user)
    # "Remember me" is a long-lived session cookie, so there is one cookie to secure, not two.
    session.permanent = bool(remember)


@bp.post("/logout")
def logout():
    """Log out (POST only, with a CSRF token): this session and every copy of its cookie end."""
    if current_user.is_authenticated:
        # Clearing the cookie is not enough: a copy of it would still work, so change the token.
        accounts.end_sessions(current_user._get_current_object())
    logout_user()
    session.clear()
    flash(_("You are logged out."), "info")
    return redirect(url_for("browse.index"))


@bp.route("/register", methods=["GET", "POST"])
def register():
    """Register; the answer is the same whether the address has an account or not.

    Open mode: a mailed link activates the account. Approval mode: an admin does. A known
    address changes nothing; its owner is told by mail instead.
    """
    mode = current_app.config["REGISTRATION_MODE"]
    if mode == "closed":
        if request.method == "POST":
            abort(403, "Registration is closed. Ask the media team for an account.")
        return render_template("auth/register.html", form=None, mode=mode)
    form = RegisterForm()
    if form.validate_on_submit():
        # Every registration sends a mail (to the address, its owner or the admins): counted per
        # client address before anything is sent, so the form cannot be used to flood mailboxes.
        wait = _take_for_address("register", "REGISTRATION_MAX_PER_ADDRESS")
        if wait:
            return _too_many(wait, N_("registrations from this address"))
        try:
            result = accounts.register(
                email=form.email.data, password=form.password.data, name=form.name.data,
                organisation=form.organisation.data or "", terms_version=current_terms_version(),
                takeover=(mode == "open"), language=locale.current())
        except GalleryError as exc:
            getattr(form, exc.field or "email", form.email).errors.append(translate(exc.message))
        else:
            if result.known:
                _tell_owner_of_attempt(result.user)
            elif mode == "approval":
                _notify_admins_of(result.user)
            else:
                _send_confirmation(result.user)
            return render_template("auth/pending.html", mode=mode,
                                   email=accounts.normalise_email(form.email.data))
    status = 400 if request.method == "POST" else 200
    return render_template("auth/register.html", form=form, mode=mode), status


@bp.route("/register/confirm/<token>", methods=["GET", "POST"])
def confirm(token: str):
    """Activate a new account from the mailed link (a button, so mail scanners activate nothing)."""
    secret = current_app.config["SECRET_KEY"]
    max_age = current_app.config["REGISTRATION_CONFIRM_MAX_AGE"]
    try:
        accounts.user_from_confirm_token(token, secret, max_age)
        if request.method == "POST":
            user = accounts.confirm_account(token, secret, max_age)
        else:
            return render_template("auth/confirm.html")
    except GalleryError as exc:
        return render_template("auth/confirm.html", message=translate(exc.message)), 400
    _start_session(user, remember=False)
    accounts.record_login(user)
    flash(_("Welcome! Your account is ready."), "info")
    return redirect(url_for("auth.account"))


def _send_confirmation(user) -> None:
    """Mail the link that activates a new account (in its language: the page it registered on)."""
    token = accounts.make_confirm_token(user, current_app.config["SECRET_KEY"])
    lang = accounts.mail_language(user)
    link = locale.external_url_in(lang, "auth.confirm", token=token)
    hours = current_app.config["REGISTRATION_CONFIRM_MAX_AGE"] / 3600
    with force_locale(lang):
        _send(user.email, _("Confirm your account"),
              _("Someone (hopefully you) registered at %(site)s with this address.\n\n"
                "Activate the account here (the link works once, for %(hours)s hours):\n%(link)s\n\n"
                "If it was not you, ignore this message: nothing happens without the link.\n",
                site=current_app.config["SITE_NAME"], hours=f"{hours:g}", link=link))


def _tell_owner_of_attempt(user) -> None:
    """Tell an account's owner (in their language) that someone registered with their address; change nothing."""
    lang = accounts.mail_language(user)
    login = locale.external_url_in(lang, "auth.login")
    forgot = locale.external_url_in(lang, "auth.forgot_password")
    with force_locale(lang):
        _send(user.email, _("Someone tried to register with your address"),
              _("Someone (perhaps you) tried to register at %(site)s with this address, which already "
                "has an account. Nothing was changed.\n\nIf it was you, log in at %(login)s\nor "
                "choose a new password at %(forgot)s\n\nIf it was not you, ignore this message.\n",
                site=current_app.config["SITE_NAME"], login=login, forgot=forgot))


def _notify_admins_of(user) -> None:
    """Tell the admins (each in their language) a new account waits for approval."""
    for admin in accounts.list_users(role="admin", status="active", per_page=20).users:
        lang = accounts.mail_language(admin)
        link = locale.external_url_in(lang, "admin_users.index", status="inactive")
        with force_locale(lang):
            _send(admin.email, _("A new account waits for approval"),
                  _("%(name)s <%(email)s> (%(organisation)s) registered.\n"
                    "Approve or refuse it here: %(link)s\n",
                    name=user.name, email=user.email,
                    organisation=user.organisation or _("no organisation"), link=link))


def _send(to: str, subject: str, body: str) -> bool:
    """Send a mail; a mail server failure is logged, never shown as an error page."""
    try:
        mail.send_mail(current_app.config, to, subject, body)
    except (OSError, smtplib.SMTPException):
        current_app.logger.exception("Could not send mail to %s", to)
        return False
    return True


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account():
    """The member's own page: profile and password (other areas add their own sections)."""
    profile = ProfileForm(prefix="profile", obj=current_user)
    if request.method == "GET" and current_user.language is None:
        profile.language.data = locale.current()  # what they read now, until they choose
    password = ChangePasswordForm(prefix="password")
    action = request.form.get("action")
    if action == "profile" and profile.validate_on_submit():
        language = profile.language.data or None
        accounts.update_profile(current_user, name=profile.name.data,
                                organisation=profile.organisation.data or "", language=language)
        if language is None:
            flash(_("Your profile is saved."), "info")
            return redirect(url_for("auth.account"))
        # The site follows the choice: this page's /fr/ prefix would otherwise undo it.
        with force_locale(language):
            flash(_("Your profile is saved."), "info")
        return locale.set_language(language, "/account")
    if action == "password" and password.validate_on_submit():
        try:
            accounts.change_password(current_user, password.current_password.data,
                                     password.new_password.data)
        except GalleryError as exc:
            getattr(password, exc.field or "new_password").errors.append(translate(exc.message))
        else:
            # The new session token ends every other session; this one carries on with it.
            _start_session(current_user._get_current_object(), remember=session.permanent)
            flash(_("Your password is changed. Other devices have been logged out."), "info")
            return redirect(url_for("auth.account"))
    status = 400 if request.method == "POST" else 200
    return render_template("auth/account.html", profile=profile, password=password), status


@bp.post("/account/logout-everywhere")
@login_required
def logout_everywhere():
    """End every session of the account, on every device, this one included."""
    accounts.end_sessions(current_user._get_current_object())
    logout_user()
    session.clear()
    flash(_("You are logged out on every device. Log in again to continue here."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/password/forgot", methods=["GET", "POST"])
def forgot_password():
    """Ask for a reset link by email; the answer is the same whether the account exists or not."""
    form = ForgotForm()
    if form.validate_on_submit():
        wait = _take_for_address("reset", "PASSWORD_RESET_MAX_PER_ADDRESS")
        if wait:
            return _too_many(wait, N_("password reset requests"))
        user = accounts.find_by_email(form.email.data)
        if user is not None and user.active:
            token = accounts.make_reset_token(user, current_app.config["SECRET_KEY"])
            # In the account's language (English when it has none), not the page's: the page
            # may be anyone's.
            lang = accounts.mail_language(user)
            link = locale.external_url_in(lang, "auth.reset_password", token=token)
            hours = current_app.config["PASSWORD_RESET_MAX_AGE"] / 3600
            with force_locale(lang):
                _send(user.email, _("Reset your password"),
                      _("Someone (hopefully you) asked to reset the password of your account.\n\n"
                        "Choose a new password here (the link works once, for %(hours)s hour(s)):\n"
                        "%(link)s\n\nIf it was not you, ignore this message.\n",
                        hours=f"{hours:g}", link=link))
        return render_template("auth/forgot_sent.html", email=form.email.data)
    return render_template("auth/forgot.html", form=form), 400 if request.method == "POST" else 200


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    """Choose a new password from an emailed link."""
    secret, max_age = current_app.config["SECRET_KEY"], current_app.config["PASSWORD_RESET_MAX_AGE"]
    try:
        accounts.user_from_reset_token(token, secret, max_age)
    except GalleryError as exc:
        return render_template("auth/reset_invalid.html", message=translate(exc.message)), 400
    form = ResetForm()
    if form.validate_on_submit():
        try:
            accounts.reset_password(token, form.password.data, secret, max_age)
        except GalleryError as exc:
            return render_template("auth/reset_invalid.html", message=translate(exc.message)), 400
        logout_user()
        session.clear()
        flash(_("Your password is changed. Log in with the new one."), "info")
        return redirect(url_for("auth.login"))
    return render_template("auth/reset.html", form=form), 400 if request.method == "POST" else 200

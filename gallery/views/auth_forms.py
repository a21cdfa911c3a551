"""Forms of the accounts pages (Flask-WTF: every form carries a CSRF token)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    PasswordField,
    SelectChoice,
    SelectField,
    StringField,
)
from wtforms.validators import AnyOf, DataRequired, EqualTo, Length, Optional

from gallery.i18n.locale import LANGUAGES
from gallery.models import ROLES
from gallery.services.accounts import MIN_PASSWORD

# No maximum on passwords: any length works (the request size is capped instead).
TOO_SHORT = _l("The password needs at least %(num)s characters.", num=MIN_PASSWORD)
NEW_PASSWORD = [DataRequired(), Length(min=MIN_PASSWORD, message=TOO_SHORT)]
MISMATCH = _l("The passwords do not match.")


class LoginForm(FlaskForm):
    """Email, password and "remember me"."""

    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired()])
    remember = BooleanField(_l("Keep me logged in on this device"))
    next = HiddenField()


class RegisterForm(FlaskForm):
    """A new account: who you are, a password and the terms of use."""

    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    organisation = StringField(_l("Organisation"), validators=[Length(max=200)])
    password = PasswordField(_l("Password"), validators=NEW_PASSWORD)
    confirm = PasswordField(_l("Repeat the password"),
                            validators=[DataRequired(), EqualTo("password", MISMATCH)])
    accept_terms = BooleanField(_l("I accept the terms of use"),
                                validators=[DataRequired(_l("Please accept the terms of use."))])


class ProfileForm(FlaskForm):
    """Name, organisation and language (of the site and of the mail sent to the user)."""

    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    organisation = StringField(_l("Organisation"), validators=[Length(max=200)])
    # Each language by its own name, as the header's switcher shows it; left out, it stays as it is.
    language = SelectField(_l("Language"), validators=[Optional()],
                           choices=[SelectChoice(code, name) for code, name in LANGUAGES.items()])


class ChangePasswordForm(FlaskForm):
    """The current password and a new one, twice."""

    current_password = PasswordField(_l("Current password"), validators=[DataRequired()])
    new_password = PasswordField(_l("New password"), validators=NEW_PASSWORD)
    confirm = PasswordField(_l("Repeat the new password"),
                            validators=[DataRequired(), EqualTo("new_password", MISMATCH)])


class ForgotForm(FlaskForm):
    """The email of the account whose password was forgotten."""

    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])


class ResetForm(FlaskForm):
    """A new password, twice."""

    password = PasswordField(_l("New password"), validators=NEW_PASSWORD)
    confirm = PasswordField(_l("Repeat the new password"),
                            validators=[DataRequired(), EqualTo("password", MISMATCH)])


class RoleForm(FlaskForm):
    """An admin changes a user's role."""

    role = StringField(_l("Role"), validators=[DataRequired(), AnyOf(ROLES)])


class ActiveForm(FlaskForm):
    """An admin activates or deactivates an account."""

    active = HiddenField()

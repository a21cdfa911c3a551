"""Accounts: create users and check passwords. (Built out in the accounts issue.)"""
from __future__ import annotations

import secrets

from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from gallery.extensions import db
from gallery.models import ROLES, User
from gallery.services.errors import ValidationError

MIN_PASSWORD = 8


def normalise_email(email: str) -> str:
    """Emails compare case-insensitively."""
    return (email or "").strip().lower()


def create_user(*, email: str, password: str, role: str = "member", name: str = "",
                organisation: str = "", active: bool = True) -> User:
    """Create an account with a scrypt password hash."""
    email = normalise_email(email)
    if "@" not in email or len(email) > 254:
        raise ValidationError("Enter a valid email address.", field="email")
    if role not in ROLES:
        raise ValidationError(f"Role must be one of {', '.join(ROLES)}.", field="role")
    if len(password or "") < MIN_PASSWORD:
        raise ValidationError(f"The password needs at least {MIN_PASSWORD} characters.",
                              field="password")
    if db.session.scalar(select(func.count()).select_from(User).where(User.email == email)):
        raise ValidationError("An account with this email already exists.", field="email")
    user = User(email=email, name=name, organisation=organisation, role=role, active=active,
                password_hash=generate_password_hash(password, method="scrypt"),
                session_token=secrets.token_hex(16))
    db.session.add(user)
    db.session.commit()
    return user


def check_password(user: User, password: str) -> bool:
    """Whether the password matches the user's hash."""
    return check_password_hash(user.password_hash, password)

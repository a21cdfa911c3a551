"""Accounts: create users, check passwords, change them, terms acceptance, roles and activation."""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, or_, select
from werkzeug.security import check_password_hash, generate_password_hash

from gallery.exceptions import Forbidden, NotFound, ValidationError
from gallery.extensions import db
from gallery.i18n.locale import DEFAULT, LANGUAGES
from gallery.i18n.service_messages import N_
from gallery.models import ROLES, User
from gallery.services import unit

MIN_PASSWORD = 8


def _utcnow() -> dt.datetime:
    """Naive UTC, as the models store it."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


# Invisible characters that make one address look like another: zero-width space, non-joiner and
# joiner, word joiner, byte-order mark, soft hyphen.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"))
# Scripts that are written together: Japanese mixes kana with Han, Korean mixes Hangul with Han.
_SCRIPT_FAMILY = {"HIRAGANA": "CJK", "KATAKANA": "CJK", "HANGUL": "CJK", "BOPOMOFO": "CJK",
                  "HALFWIDTH": "CJK", "FULLWIDTH": "CJK", "IDEOGRAPHIC": "CJK"}


def normalise_email(email: str) -> str:
    """The one spelling of an address: NFKC, no invisible characters, trimmed, lower-case."""
    email = unicodedata.normalize("NFKC", email or "").translate(_INVISIBLE)
    return email.strip().lower()


def _scripts(text: str) -> set[str]:
    """The writing systems of the letters in the text (digits and punctuation belong to all)."""
    found = set()
    for char in text:
        if unicodedata.category(char).startswith("L"):
            script = unicodedata.name(char, "UNKNOWN").split(" ", 1)[0]
            found.add(_SCRIPT_FAMILY.get(script, script))
    return found


def check_email(email: str) -> None:
    """Refuse what is not an address, and parts that mix scripts (a Cyrillic "а" in "admin")."""
    local, _, domain = email.rpartition("@")
    if (not local or not domain or len(email) > 254
            or any(c.isspace() or not c.isprintable() for c in email)):
        raise ValidationError("Enter a valid email address.", field="email")
    for part in [local, *domain.split(".")]:
        scripts = sorted(_scripts(part))
        if len(scripts) > 1:
            names = " and ".join(script.title() for script in scripts)
            raise ValidationError(N_(
                "“%(part)s” mixes letters of different alphabets (%(alphabets)s), as look-alike "
                "addresses do. Type the address again, each part in one alphabet.",
                part=part, alphabets=names), field="email")


def hash_password(password: str) -> str:
    """A scrypt hash; scrypt takes passwords of any length (no 72-byte cut as in bcrypt)."""
    return generate_password_hash(password, method="scrypt")


def check_password_strength(password: str, field: str = "password") -> None:
    """Refuse passwords that are too short; there is no upper limit."""
    if len(password or "") < MIN_PASSWORD:
        raise ValidationError(N_("The password needs at least %(minimum)s characters.", minimum=MIN_PASSWORD),
                              field=field)


def _check_new_account(email: str, password: str, role: str, name: str,
                       organisation: str) -> None:
    """Refuse what a new account cannot have (the email is already normalised)."""
    check_email(email)
    if role not in ROLES:
        raise ValidationError(N_("Role must be one of %(roles)s.", roles=", ".join(ROLES)), field="role")
    check_password_strength(password)
    if len(name) > 200 or len(organisation) > 200:
        raise ValidationError("Names are limited to 200 characters.", field="name")


def create_user(*, email: str, password: str, role: str = "member", name: str = "",
                organisation: str = "", active: bool = True,
                terms_version: int | None = None, language: str | None = None) -> User:
    """Create an account with a scrypt password hash (terms accepted when a version is given)."""
    email = normalise_email(email)
    _check_new_account(email, password, role, name, organisation)
    language = _check_language(language) if language is not None else None
    if find_by_email(email) is not None:
        raise ValidationError("An account with this email already exists.", field="email")
    user = User(email=email, name=name.strip(), organisation=organisation.strip(), role=role,
                active=active, password_hash=hash_password(password),
                session_token=secrets.token_hex(16), language=language)
    if terms_version is not None:
        user.terms_version = terms_version
        user.terms_accepted_at = _utcnow()
    db.session.add(user)
    unit.commit(drain=False)
    return user


@dataclass
class Registration:
    """What a registration did; `known` means the address had an account and nothing changed."""

    user: User
    known: bool


def unconfirmed(user: User) -> bool:
    """An account that was never active: it waits for its owner's confirmation or an admin."""
    return not user.active and user.last_login_at is None


def register(*, email: str, password: str, name: str, organisation: str,
             terms_version: int, takeover: bool, language: str | None = None) -> Registration:
    """Register an inactive account; the caller answers the same whether the address was known.

    A known address keeps its account untouched and its owner gets told. With `takeover` (open
    registration, where the mailed link activates the account), an account whose link was never
    followed takes the new details: only the address's owner can follow the new link, so whoever
    registered the address first cannot keep it from them. `language` (the page's) becomes the
    new account's: its activation mail and later mail speak it.
    """
    email = normalise_email(email)
    _check_new_account(email, password, "member", name, organisation)
    user = find_by_email(email)
    if user is None:
        return Registration(create_user(email=email, password=password, name=name,
                                        organisation=organisation, active=False,
                                        terms_version=terms_version, language=language), known=False)
    password_hash = hash_password(password)  # as slow as a new account: timing tells nothing
    if not (takeover and unconfirmed(user)):
        return Registration(user, known=True)
    user.name, user.organisation = name.strip(), organisation.strip()
    user.password_hash = password_hash  # earlier links die: they name the old hash
    user.terms_version, user.terms_accepted_at = terms_version, _utcnow()
    if language is not None:
        user.language = _check_language(language)
    unit.commit(drain=False)
    return Registration(user, known=False)


CONFIRM_SALT = "gallery.confirm-email"


def make_confirm_token(user: User, secret_key: str) -> str:
    """A signed, timestamped link token that activates this registration (and no later one)."""
    return _make_link_token(user, secret_key, CONFIRM_SALT)


def user_from_confirm_token(token: str, secret_key: str, max_age: int) -> User:
    """The unconfirmed account a confirmation link names, if the link is genuine and current."""
    user = _user_from_link_token(
        token, secret_key, CONFIRM_SALT, max_age,
        expired=N_("This link has expired. Register again to get a new one."),
        invalid=N_("This link is not valid. Register again to get a new one."))
    if user is None or not unconfirmed(user):
        raise ValidationError("This link has already been used, or a newer one was sent. "
                              "Log in, or register again to get a new link.")
    return user


def confirm_account(token: str, secret_key: str, max_age: int) -> User:
    """Activate the account a confirmation link names; the link works once."""
    user = user_from_confirm_token(token, secret_key, max_age)
    user.active = True
    unit.commit(drain=False)
    return user


def find_by_email(email: str) -> User | None:
    """The account with this email, if any."""
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


def get_user(user_id: int) -> User:
    """The account with this id, or NotFound."""
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound("There is no such account.")
    return user


def check_password(user: User, password: str) -> bool:
    """Whether the password matches the user's hash."""
    return check_password_hash(user.password_hash, password)


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    """A hash to verify against when the email is unknown, so both cases take as long."""
    return hash_password(secrets.token_hex(16))


def authenticate(email: str, password: str) -> User | None:
    """The user when email and password match, else None; unknown emails cost a hash check too."""
    user = find_by_email(email)
    if user is None:
        check_password_hash(_dummy_hash(), password)
        return None
    return user if check_password(user, password) else None


def record_login(user: User) -> None:
    """Remember when the user last logged in."""
    user.last_login_at = _utcnow()
    unit.commit(drain=False)


def set_password(user: User, password: str) -> None:
    """Set a new password and a new session token, which logs out every session."""
    check_password_strength(password)
    user.password_hash = hash_password(password)
    end_sessions(user)


def end_sessions(user: User) -> None:
    """End every session of the account, on every device, copied cookies included.

    Each session carries the token it was opened with (User.get_id) and the loader compares it
    with the row on every request, so a new token makes every earlier session anonymous.
    """
    user.session_token = secrets.token_hex(16)
    unit.commit(drain=False)


def change_password(user: User, current: str, new: str) -> None:
    """Change the password after checking the current one."""
    if not check_password(user, current):
        raise ValidationError("The current password is not correct.", field="current_password")
    set_password(user, new)


def update_profile(user: User, *, name: str, organisation: str, language: str | None = None) -> None:
    """Change the display name, organisation and (when given) language."""
    if len(name) > 200 or len(organisation) > 200:
        raise ValidationError("Names are limited to 200 characters.", field="name")
    user.name = name.strip()
    user.organisation = organisation.strip()
    if language is not None:
        user.language = _check_language(language)
    unit.commit(drain=False)


def _check_language(code: str) -> str:
    if code not in LANGUAGES:
        raise ValidationError(N_("Language must be one of %(languages)s.", languages=", ".join(LANGUAGES)),
                              field="language")
    return code


def set_language(user: User, code: str) -> bool:
    """Remember the interface language the user chose; writes only when it changes (True then)."""
    code = _check_language(code)
    if user.language == code:
        return False
    user.language = code
    unit.commit(drain=False)
    return True


def mail_language(user: User, fallback: str = DEFAULT) -> str:
    """The language of mail to this user: the one they chose, else fallback (English unless told)."""
    return user.language if user.language in LANGUAGES else fallback


def accept_terms(user: User, version: int) -> None:
    """Record that the user accepted this version of the terms of use, now."""
    user.terms_version = version
    user.terms_accepted_at = _utcnow()
    unit.commit(drain=False)


def password_fingerprint(user: User) -> str:
    """A short digest of the current password hash: reset links die once the password changes."""
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:20]


def fingerprint_matches(user: User, fingerprint: str) -> bool:
    """Constant-time comparison of a reset link's fingerprint with the user's current one."""
    return hmac.compare_digest(password_fingerprint(user), str(fingerprint))


RESET_SALT = "gallery.password-reset"


def make_reset_token(user: User, secret_key: str) -> str:
    """A signed, timestamped reset token naming the user and their current password hash."""
    return _make_link_token(user, secret_key, RESET_SALT)


def user_from_reset_token(token: str, secret_key: str, max_age: int) -> User:
    """The user a reset token names, if it is genuine, recent and still unused."""
    user = _user_from_link_token(token, secret_key, RESET_SALT, max_age,
                                 expired=N_("This reset link has expired. Ask for a new one."),
                                 invalid=N_("This reset link is not valid. Ask for a new one."))
    if user is None or not user.active:
        raise ValidationError("This reset link has already been used. Ask for a new one.")
    return user


def _make_link_token(user: User, secret_key: str, salt: str) -> str:
    """A mailed link's token: the user and their password fingerprint, signed and timestamped."""
    return URLSafeTimedSerializer(secret_key, salt=salt).dumps(
        {"id": user.id, "fp": password_fingerprint(user)})


def _user_from_link_token(token: str, secret_key: str, salt: str, max_age: int, *,
                          expired: str, invalid: str) -> User | None:
    """The user a link token names while their password is unchanged; None when used up."""
    # The fingerprint changes with the password hash: a new password (or a new registration,
    # which sets one) makes every earlier link of either kind stop working.
    try:
        data = URLSafeTimedSerializer(secret_key, salt=salt).loads(token, max_age=max_age)
    except SignatureExpired as exc:
        raise ValidationError(expired) from exc
    except BadSignature as exc:
        raise ValidationError(invalid) from exc
    user = db.session.get(User, data.get("id")) if isinstance(data, dict) else None
    if user is None or not fingerprint_matches(user, data.get("fp", "")):
        return None
    return user


def reset_password(token: str, password: str, secret_key: str, max_age: int) -> User:
    """Set a new password from a reset link; the link stops working once used."""
    user = user_from_reset_token(token, secret_key, max_age)
    set_password(user, password)
    return user


# --- Administration -------------------------------------------------------------------------

@dataclass
class UserPage:
    """One page of the user list."""

    users: list[User]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        """Number of pages (at least one)."""
        return max(1, -(-self.total // self.per_page))


def list_users(*, query: str = "", status: str = "", role: str = "", page: int = 1,
               per_page: int = 50) -> UserPage:
    """Users matching a search on email, name or organisation, newest first, one page."""
    stmt = select(User)
    query = (query or "").strip()
    if query:
        like = f"%{_escape_like(query.lower())}%"
        stmt = stmt.where(or_(func.lower(User.email).like(like, escape="\\"),
                              func.lower(User.name).like(like, escape="\\"),
                              func.lower(User.organisation).like(like, escape="\\")))
    if status == "active":
        stmt = stmt.where(User.active.is_(True))
    elif status == "inactive":
        stmt = stmt.where(User.active.is_(False))
    if role in ROLES:
        stmt = stmt.where(User.role == role)
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    page = max(1, page)
    users = db.session.scalars(stmt.order_by(User.created_at.desc(), User.id.desc())
                               .limit(per_page).offset((page - 1) * per_page)).all()
    return UserPage(list(users), total, page, per_page)


def _escape_like(text: str) -> str:
    """Make % and _ match themselves in a LIKE pattern."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def set_role(admin: User, user: User, role: str) -> None:
    """An admin changes another user's role (never their own, so an admin always remains)."""
    if role not in ROLES:
        raise ValidationError(N_("Role must be one of %(roles)s.", roles=", ".join(ROLES)), field="role")
    if not admin.is_admin:
        raise Forbidden("Only admins change roles.")
    if user.id == admin.id and role != user.role:
        raise Forbidden("You cannot change your own role.")
    if role == user.role:
        return
    user.role = role
    # Open sessions carry what the old role allowed (forms, CSRF-protected pages): end them.
    end_sessions(user)


def set_active(admin: User, user: User, active: bool) -> bool:
    """An admin activates or deactivates another account; returns True when it was pending."""
    if not admin.is_admin:
        raise Forbidden("Only admins activate accounts.")
    if user.id == admin.id and not active:
        raise Forbidden("You cannot deactivate your own account.")
    was_pending = not user.active and user.last_login_at is None and active
    user.active = active
    if not active:
        end_sessions(user)
    unit.commit(drain=False)
    return was_pending

"""Accounts: log in and out, registration modes, the account page, password reset."""
from __future__ import annotations

import logging
import re

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import select

from gallery.extensions import db
from gallery.models import SiteText, User
from tests.conftest import PASSWORD


def soup(response) -> BeautifulSoup:
    """Parse a response body."""
    return BeautifulSoup(response.data, "html.parser")


def nav_links(client) -> list[str]:
    """The texts of the main navigation, as a visitor sees them."""
    page = soup(client.get("/"))
    return [el.get_text(strip=True) for el in page.select(".site-nav a, .site-nav button")]


# --- Log in and out ----------------------------------------------------------------------

def test_login_fixture_logs_in_and_nav_shows_account(client, make_user, login):
    user = make_user()
    response = login(user)
    assert response.status_code == 302 and response.headers["Location"] == "/"
    links = nav_links(client)
    assert "Account" in links and "Log out" in links and "Log in" not in links
    assert db.session.get(User, user.id).last_login_at is not None


def test_login_page_has_form(client):
    page = soup(client.get("/login"))
    form = page.select_one("form.auth-form")
    assert form["method"] == "post"
    assert {i["name"] for i in form.select("input")} >= {"email", "password", "remember"}
    assert page.select_one("a[href='/password/forgot']")


def test_email_is_case_insensitive(client, make_user, login):
    user = make_user(email="Ana@Example.org")
    assert login("  ANA@example.ORG ", PASSWORD).status_code == 302
    assert "Account" in nav_links(client)
    assert user.email == "ana@example.org"


def test_same_message_for_wrong_password_and_unknown_email(client, make_user, login):
    user = make_user()
    wrong = login(user, "not the password")
    unknown = login("nobody@example.org", "not the password")
    assert wrong.status_code == unknown.status_code == 401
    msg_wrong = soup(wrong).select_one(".form-error").get_text()
    msg_unknown = soup(unknown).select_one(".form-error").get_text()
    assert msg_wrong == msg_unknown == "Wrong email or password."
    assert "Log in" in nav_links(client)


def test_unknown_email_is_checked_against_a_dummy_hash(client, monkeypatch):
    from gallery.services import accounts

    seen = []
    real = accounts.check_password_hash
    monkeypatch.setattr(accounts, "check_password_hash", lambda h, p: seen.append(h) or real(h, p))
    client.post("/login", data={"email": "ghost@example.org", "password": "whatever it is"})
    assert len(seen) == 1 and seen[0].startswith("scrypt:")


def test_logout_is_post_only_and_ends_the_session(client, make_user, login):
    login(make_user())
    assert client.get("/logout").status_code == 405
    response = client.post("/logout")
    assert response.status_code == 302
    assert "Log in" in nav_links(client)
    assert client.get("/account").status_code == 302


def test_remember_me_makes_a_lasting_cookie(client, make_user):
    user = make_user()
    forgetful = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert "Expires=" not in forgetful.headers["Set-Cookie"]
    client.post("/logout")
    remembered = client.post("/login", data={"email": user.email, "password": PASSWORD,
                                             "remember": "y"})
    assert "Expires=" in remembered.headers["Set-Cookie"]


def test_next_local_path_is_followed(client, make_user):
    user = make_user()
    response = client.post("/login?next=/account%3Ftab%3D1",
                           data={"email": user.email, "password": PASSWORD})
    assert response.headers["Location"] == "/account?tab=1"


def test_next_is_carried_by_the_form(client, make_user):
    page = soup(client.get("/login?next=/account"))
    assert page.select_one("input[name=next]")["value"] == "/account"
    user = make_user()
    response = client.post("/login", data={"email": user.email, "password": PASSWORD,
                                           "next": "/account"})
    assert response.headers["Location"] == "/account"


@pytest.mark.parametrize("target", [
    "//evil.example/", "https://evil.example/", "http:evil.example", "/\\evil.example",
    "\\\\evil.example", "javascript:alert(1)", "/\t/evil.example", "/\n/evil.example",
    "/%0d%0aSet-Cookie:x=1\r\n", " //evil.example", "evil.example", "///evil.example",
    "/foo\x01bar", "\x7f/evil",
])
def test_next_rejects_anything_but_a_local_path(client, make_user, target):
    user = make_user()
    response = client.post("/login", query_string={"next": target},
                           data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_login_required_redirects_with_next(client):
    response = client.get("/account")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_inactive_user_cannot_log_in(client, make_user, login):
    user = make_user(active=False)
    response = login(user)
    assert response.status_code == 403
    assert "not active" in soup(response).select_one(".flash-error").get_text()
    assert "Log in" in nav_links(client)


def test_deactivated_user_is_logged_out_at_once(client, make_user, login):
    from gallery.services import accounts

    admin = make_user("admin")
    user = make_user()
    login(user)
    assert client.get("/account").status_code == 200
    accounts.set_active(admin, user, False)
    assert client.get("/account").status_code == 302


def test_very_long_password_works(client, app, caplog):
    long_password = "ü" * 10_000
    with caplog.at_level(logging.WARNING, logger="gallery.mail"):
        response = client.post("/register", data={
            "name": "Long", "email": "long@example.org", "organisation": "",
            "password": long_password, "confirm": long_password, "accept_terms": "y"})
    assert response.status_code == 200
    assert client.post(confirm_link(caplog)).status_code == 302
    client.post("/logout")
    assert client.post("/login", data={"email": "long@example.org",
                                       "password": long_password}).status_code == 302
    client.post("/logout")
    assert client.post("/login", data={"email": "long@example.org",
                                       "password": long_password[:-1]}).status_code == 401


def test_huge_login_body_is_refused_with_413(client):
    response = client.post("/login", data={"email": "a@example.org", "password": "x" * 2_000_000})
    assert response.status_code == 413
    assert "form was too large" in soup(response).select_one(".lead").get_text()


# --- Registration ------------------------------------------------------------------------

def register(client, **fields):
    data = {"name": "Ana Lima", "email": "ana@example.org", "organisation": "Radio Norte",
            "password": "a good long password", "confirm": "a good long password",
            "accept_terms": "y"}
    data.update(fields)
    return client.post("/register", data=data)


def confirm_link(caplog) -> str:
    """The activation path from the mail written to the log."""
    match = re.search(r"http://localhost(/register/confirm/\S+)", caplog.text)
    assert match, caplog.text
    return match.group(1)


def test_register_open_mails_a_link_that_logs_in_and_records_terms(client, app, login, caplog):
    db.session.add(SiteText(key="terms", title="Terms of use", body="Be nice.", version=3))
    db.session.commit()
    with caplog.at_level(logging.WARNING, logger="gallery.mail"):
        response = register(client)
    assert response.status_code == 200
    assert "We sent an email to ana@example.org" in soup(response).select_one(".pending").get_text()
    assert "To: ana@example.org" in caplog.text and "Subject: Confirm your account" in caplog.text
    user = db.session.scalar(select(User).where(User.email == "ana@example.org"))
    assert (user.name, user.organisation, user.role, user.active) == ("Ana Lima", "Radio Norte",
                                                                       "member", False)
    assert user.terms_version == 3 and user.terms_accepted_at is not None
    assert user.password_hash.startswith("scrypt:")
    # Before the link: no log-in, and the page says why.
    denied = login("ana@example.org", "a good long password")
    assert denied.status_code == 403
    assert "follow the link in the email" in soup(denied).select_one(".flash-error").get_text()
    link = confirm_link(caplog)
    button = soup(client.get(link)).select_one("form#confirm-form button")
    assert button.get_text(strip=True) == "Activate my account"
    assert db.session.get(User, user.id).active is False  # opening the link activates nothing
    response = client.post(link)
    assert response.status_code == 302 and response.headers["Location"] == "/account"
    page = soup(client.get("/account"))
    assert page.select_one(".account-email").get_text() == "ana@example.org"
    assert "Version 3" in page.select_one(".account-terms").get_text()
    client.post("/logout")
    used = client.post(link)
    assert used.status_code == 400
    assert "already been used" in soup(used).select_one(".confirm-invalid").get_text()
    assert login("ana@example.org", "a good long password").status_code == 302


def test_register_terms_version_defaults_to_one(client):
    register(client)
    user = db.session.scalar(select(User).where(User.email == "ana@example.org"))
    assert user.terms_version == 1


@pytest.mark.parametrize("fields, field, message", [
    ({"accept_terms": ""}, "accept_terms", "Please accept the terms of use."),
    ({"confirm": "something else"}, "confirm", "The passwords do not match."),
    ({"password": "short", "confirm": "short"}, "password", "at least 8 characters"),
    ({"email": "not-an-email"}, "email", "valid email"),
    ({"name": ""}, "name", "This field is required."),
])
def test_register_validation(client, fields, field, message):
    response = register(client, **fields)
    assert response.status_code == 400
    error = soup(response).select_one(f"#{field}-error")
    assert message in error.get_text()
    assert db.session.scalar(select(User).where(User.email == "ana@example.org")) is None


def test_register_known_email_changes_nothing(client, make_user):
    user = make_user(email="ana@example.org", name="The Owner")
    response = register(client, email="ANA@example.org", name="Someone Else")
    assert response.status_code == 200
    assert db.session.get(User, user.id).name == "The Owner"
    assert client.post("/login", data={"email": "ana@example.org",
                                       "password": PASSWORD}).status_code == 302


def test_register_approval_mode(client, app, make_user, login, caplog):
    app.config["REGISTRATION_MODE"] = "approval"
    make_user("admin", email="boss@example.org")
    with caplog.at_level(logging.WARNING, logger="gallery.mail"):
        response = register(client)
    assert response.status_code == 200
    assert "waiting for approval" in soup(response).select_one(".pending").get_text()
    assert "To: boss@example.org" in caplog.text
    user = db.session.scalar(select(User).where(User.email == "ana@example.org"))
    assert user.active is False
    denied = login("ana@example.org", "a good long password")
    assert denied.status_code == 403
    assert "Log in" in nav_links(client)


def test_register_closed_mode(client, app):
    app.config["REGISTRATION_MODE"] = "closed"
    page = soup(client.get("/register"))
    assert page.select_one(".registration-closed").get_text().startswith("Registration is closed")
    assert page.select_one("form.auth-form") is None
    assert "Register" not in nav_links(client)
    response = register(client)
    assert response.status_code == 403
    assert "Registration is closed" in soup(response).select_one(".lead").get_text()
    assert db.session.scalar(select(User).where(User.email == "ana@example.org")) is None


# --- Account page --------------------------------------------------------------------------

def test_account_profile_update(client, make_user, login):
    user = make_user(name="Old")
    login(user)
    response = client.post("/account", data={"action": "profile", "profile-name": "New Name",
                                              "profile-organisation": "Agency"})
    assert response.status_code == 302
    page = soup(client.get("/account"))
    assert page.select_one("#profile-name")["value"] == "New Name"
    assert db.session.get(User, user.id).organisation == "Agency"


def test_change_password_logs_out_other_sessions(app, make_user):
    user = make_user()
    here, elsewhere = app.test_client(), app.test_client()
    for c in (here, elsewhere):
        c.post("/login", data={"email": user.email, "password": PASSWORD})
        assert c.get("/account").status_code == 200
    response = here.post("/account", data={
        "action": "password", "password-current_password": PASSWORD,
        "password-new_password": "a brand new password", "password-confirm": "a brand new password"})
    assert response.status_code == 302
    assert here.get("/account").status_code == 200
    assert elsewhere.get("/account").status_code == 302
    assert elsewhere.post("/login", data={"email": user.email,
                                          "password": PASSWORD}).status_code == 401
    assert elsewhere.post("/login", data={"email": user.email,
                                          "password": "a brand new password"}).status_code == 302


def test_change_password_needs_the_current_one(client, make_user, login):
    user = make_user()
    login(user)
    response = client.post("/account", data={
        "action": "password", "password-current_password": "wrong password",
        "password-new_password": "a brand new password", "password-confirm": "a brand new password"})
    assert response.status_code == 400
    assert "not correct" in soup(response).select_one("#password-current_password-error").get_text()
    assert db.session.get(User, user.id).password_hash == user.password_hash


# --- Forgotten password --------------------------------------------------------------------

def reset_link(caplog) -> str:
    """The reset path from the mail written to the log."""
    match = re.search(r"http://localhost(/password/reset/\S+)", caplog.text)
    assert match, caplog.text
    return match.group(1)


def test_forgotten_password_flow(client, make_user, login, caplog):
    user = make_user()
    with caplog.at_level(logging.WARNING, logger="gallery.mail"):
        response = client.post("/password/forgot", data={"email": user.email})
    assert response.status_code == 200
    assert "If an active account uses" in soup(response).select_one(".reset-sent").get_text()
    assert f"To: {user.email}" in caplog.text
    link = reset_link(caplog)
    assert client.get(link).status_code == 200
    response = client.post(link, data={"password": "my new password", "confirm": "my new password"})
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert login(user, "my new password").status_code == 302
    client.post("/logout")
    # Single use: the link names the old password hash.
    used = client.get(link)
    assert used.status_code == 400
    assert "already been used" in soup(used).select_one(".reset-invalid").get_text()
    assert client.post(link, data={"password": "another password", "confirm": "another password"}
                       ).status_code == 400
    assert login(user, "my new password").status_code == 302


def test_forgotten_password_unknown_email_looks_the_same(client, caplog):
    with caplog.at_level(logging.WARNING, logger="gallery.mail"):
        response = client.post("/password/forgot", data={"email": "nobody@example.org"})
    assert response.status_code == 200
    assert soup(response).select_one(".reset-sent")
    assert "reset" not in caplog.text.lower()


def test_reset_link_expires(client, make_user, caplog, monkeypatch):
    import time

    user = make_user()
    with caplog.at_level(logging.WARNING, logger="gallery.mail"):
        client.post("/password/forgot", data={"email": user.email})
    link = reset_link(caplog)
    later = time.time() + 3601
    monkeypatch.setattr("itsdangerous.timed.time.time", lambda: later)
    response = client.get(link)
    assert response.status_code == 400
    assert "expired" in soup(response).select_one(".reset-invalid").get_text()


def test_reset_link_tampered(client, make_user):
    response = client.get("/password/reset/not-a-real-token")
    assert response.status_code == 400
    assert "not valid" in soup(response).select_one(".reset-invalid").get_text()


def test_mail_goes_through_smtp_when_configured(app, make_user, monkeypatch):
    from gallery.services import mail

    sent = []

    class FakeSMTP:
        def __init__(self, host, port, timeout):
            sent.append(("connect", host, port))

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def starttls(self):
            sent.append(("starttls",))

        def login(self, user, password):
            sent.append(("login", user, password))

        def send_message(self, msg):
            sent.append(("send", msg["To"], msg["Subject"], msg.get_content()))

    monkeypatch.setattr(mail.smtplib, "SMTP", FakeSMTP)
    app.config.update(MAIL_SERVER="smtp.example.org", MAIL_PORT=587, MAIL_USE_TLS=True,
                      MAIL_USERNAME="u", MAIL_PASSWORD="p")
    user = make_user()
    app.test_client().post("/password/forgot", data={"email": user.email})
    assert sent[:3] == [("connect", "smtp.example.org", 587), ("starttls",), ("login", "u", "p")]
    assert sent[3][1:3] == (user.email, "Reset your password")
    assert "/password/reset/" in sent[3][3]


def test_mail_server_failure_is_not_a_500(app, make_user, monkeypatch):
    from gallery.services import mail

    def refuse(*args, **kwargs):
        raise ConnectionRefusedError("no server")

    monkeypatch.setattr(mail.smtplib, "SMTP", refuse)
    app.config["MAIL_SERVER"] = "127.0.0.1"
    user = make_user()
    response = app.test_client().post("/password/forgot", data={"email": user.email})
    assert response.status_code == 200

"""Sessions end for real: a copied session cookie stops working after logout and account changes."""
from __future__ import annotations

import logging
import re

import pytest
from bs4 import BeautifulSoup

from gallery import create_app
from gallery.extensions import db
from gallery.models import User
from tests.conftest import PASSWORD

NEW_PASSWORD = "a brand new password"


def soup(response) -> BeautifulSoup:
    """Parse a response body."""
    return BeautifulSoup(response.data, "html.parser")


def logged_in(app, user, remember: bool = False):
    """A client logged in through the form, and a copy of its session cookie."""
    client = app.test_client()
    data = {"email": user.email, "password": PASSWORD}
    if remember:
        data["remember"] = "y"
    assert client.post("/login", data=data).status_code == 302
    assert client.get("/account").status_code == 200
    return client, client.get_cookie("session").value


def replay(app, cookie: str):
    """A new client (another browser, an attacker) that presents a copied session cookie."""
    client = app.test_client()
    client.set_cookie("session", cookie)
    return client


def is_anonymous(client) -> bool:
    """The account page sends the visitor to the login form."""
    response = client.get("/account")
    return response.status_code == 302 and response.headers["Location"].startswith("/login")


@pytest.mark.parametrize("remember", [False, True])
def test_logout_ends_a_copied_session(app, make_user, remember):
    user = make_user()
    client, cookie = logged_in(app, user, remember=remember)
    assert not is_anonymous(replay(app, cookie))
    assert client.post("/logout").status_code == 302
    assert is_anonymous(client)
    assert is_anonymous(replay(app, cookie))
    # Logging in again works and makes a new, working session.
    assert not is_anonymous(logged_in(app, user)[0])


def test_password_change_ends_copied_sessions(app, make_user):
    user = make_user()
    client, cookie = logged_in(app, user)
    response = client.post("/account", data={
        "action": "password", "password-current_password": PASSWORD,
        "password-new_password": NEW_PASSWORD, "password-confirm": NEW_PASSWORD})
    assert response.status_code == 302
    assert not is_anonymous(client)  # the session that changed it carries on
    assert is_anonymous(replay(app, cookie))


def test_password_reset_ends_copied_sessions(app, make_user, caplog):
    user = make_user()
    _, cookie = logged_in(app, user)
    other = app.test_client()
    with caplog.at_level(logging.WARNING, logger="gallery.mail"):
        other.post("/password/forgot", data={"email": user.email})
    link = re.search(r"http://localhost(/password/reset/\S+)", caplog.text).group(1)
    assert other.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}).status_code == 302
    assert is_anonymous(replay(app, cookie))


def test_role_change_ends_copied_sessions(app, make_user):
    admin, user = make_user("admin"), make_user("editor")
    _, cookie = logged_in(app, user)
    staff, _ = logged_in(app, admin)
    response = staff.post(f"/admin/users/{user.id}/role", data={"role": "member"})
    assert response.status_code == 303
    assert db.session.get(User, user.id).role == "member"
    assert is_anonymous(replay(app, cookie))


def test_saving_the_same_role_keeps_sessions(app, make_user):
    admin, user = make_user("admin"), make_user("editor")
    _, cookie = logged_in(app, user)
    staff, _ = logged_in(app, admin)
    assert staff.post(f"/admin/users/{user.id}/role", data={"role": "editor"}).status_code == 303
    assert not is_anonymous(replay(app, cookie))


def test_deactivation_ends_copied_sessions(app, make_user):
    admin, user = make_user("admin"), make_user()
    _, cookie = logged_in(app, user, remember=True)
    staff, _ = logged_in(app, admin)
    assert staff.post(f"/admin/users/{user.id}/active", data={"active": "0"}).status_code == 303
    assert is_anonymous(replay(app, cookie))
    # Reactivated, the old cookie still does not come back to life.
    assert staff.post(f"/admin/users/{user.id}/active", data={"active": "1"}).status_code == 303
    assert is_anonymous(replay(app, cookie))


def test_log_out_everywhere_ends_other_clients(app, make_user):
    """The account page's button, submitted as a browser does it (CSRF on), ends every session."""
    user = make_user()
    secure = create_app({**{k: app.config[k] for k in ("DATABASE_URL", "UPLOAD_DIR",
                                                         "SEARCH_INDEX_DIR")},
                         "TESTING": True, "SECRET_KEY": "test-secret", "WTF_CSRF_ENABLED": True})
    laptop, laptop_cookie = logged_in(app, user, remember=True)
    phone = secure.test_client()
    token = soup(phone.get("/login")).select_one("input[name=csrf_token]")["value"]
    assert phone.post("/login", data={"email": user.email, "password": PASSWORD,
                                      "csrf_token": token}).status_code == 302
    form = soup(phone.get("/account")).select_one("form#sessions-form")
    assert form.select_one("button").get_text(strip=True) == "Log out everywhere"
    fields = {i["name"]: i.get("value", "") for i in form.select("input[name]")}
    # Without the form's CSRF token nothing happens.
    assert phone.post(form["action"], data={}).status_code == 400
    assert not is_anonymous(laptop)
    response = phone.post(form["action"], data=fields)
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert "logged out on every device" in soup(phone.get("/login")).get_text()
    assert is_anonymous(phone)
    assert is_anonymous(laptop)
    assert is_anonymous(replay(app, laptop_cookie))
    secure.extensions["db_engine"].dispose()

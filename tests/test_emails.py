"""Email addresses: one spelling per address, look-alikes refused, registration reveals nothing."""
from __future__ import annotations

import logging
import re

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import func, select

from gallery import create_app
from gallery.extensions import db
from gallery.models import User
from gallery.services import accounts
from tests.conftest import PASSWORD

CYRILLIC_A = "\u0430"
MIXED = f"admin@ex{CYRILLIC_A}mple.org"


def soup(response) -> BeautifulSoup:
    """Parse a response body."""
    return BeautifulSoup(response.data, "html.parser")


def register(client, email: str, **fields):
    """Post the registration form as a browser fills it."""
    data = {"name": "Ana Lima", "email": email, "organisation": "Radio Norte",
            "password": "a good long password", "confirm": "a good long password",
            "accept_terms": "y"}
    data.update(fields)
    return client.post("/register", data=data)


def accounts_named(email: str) -> int:
    """How many accounts use this exact stored address."""
    return db.session.scalar(select(func.count()).select_from(User).where(User.email == email))


@pytest.mark.parametrize("typed", [
    "ad\u200bmin@example.org",        # zero-width space
    "ad\u200cmin@exam\u200dple.org",  # zero-width non-joiner and joiner
    "\ufeffadmin@example.org",        # byte-order mark
    "ad\u00admin@example.org",        # soft hyphen
    "ad\u2060min@example.org",        # word joiner
    "\uff21dmin@\uff25xample.org",    # fullwidth letters (NFKC)
    "  ADMIN@Example.ORG ",
])
def test_invisible_and_compatibility_characters_name_the_same_account(client, make_user, typed):
    make_user("admin", email="admin@example.org")
    assert accounts.normalise_email(typed) == "admin@example.org"
    response = client.post("/login", data={"email": typed, "password": PASSWORD})
    assert response.status_code == 302
    assert soup(client.get("/account")).select_one(".account-email").get_text() == "admin@example.org"


def test_invisible_characters_do_not_make_a_second_account(client, make_user):
    make_user(email="admin@example.org")
    register(client, "ad\u200bmin@example.org")
    assert db.session.scalar(select(func.count()).select_from(User)
                             .where(User.email.like("%min@example.org"))) == 1


@pytest.mark.parametrize("email, part", [
    (MIXED, f"ex{CYRILLIC_A}mple"),
    (f"{CYRILLIC_A}dmin@example.org", f"{CYRILLIC_A}dmin"),
    ("p\u0430ypal@example.org", "p\u0430ypal"),
    ("jo\u03bfhn@example.org", "jo\u03bfhn"),  # Greek omicron
])
def test_mixed_script_addresses_are_refused_at_registration(client, email, part):
    response = register(client, email)
    assert response.status_code == 400
    message = soup(response).select_one("#email-error").get_text()
    assert f"“{part}” mixes letters of different alphabets" in message
    assert db.session.scalar(select(func.count()).select_from(User)) == 0


def test_mixed_script_addresses_are_refused_by_the_cli(runner):
    result = runner.invoke(args=["create-user", MIXED, "--password-stdin"],
                           input="a good long password\n")
    assert result.exit_code != 0
    assert "mixes letters of different alphabets (Cyrillic and Latin)" in result.output
    assert accounts_named(MIXED) == 0


def test_cli_stores_the_normalised_address(runner):
    result = runner.invoke(args=["create-user", "Ed\u200bitor@Example.org", "--role", "editor",
                                 "--password-stdin"], input="a good long password\n")
    assert result.exit_code == 0, result.output
    assert "Created editor editor@example.org." in result.output
    assert accounts_named("editor@example.org") == 1


@pytest.mark.parametrize("email", ["josé@exämple.org", "иван@пример.рф", "山田たろう@例え.jp",
                                   "o'brien+news@example.co.uk"])
def test_single_script_addresses_are_welcome(app, email):
    user = accounts.create_user(email=email, password=PASSWORD)
    assert user.email == email


def test_reset_request_finds_the_account_through_invisible_characters(client, make_user, caplog):
    make_user(email="admin@example.org")
    with caplog.at_level(logging.WARNING, logger="gallery.mail"):
        client.post("/password/forgot", data={"email": "ad\u200bmin@example.org"})
    assert "To: admin@example.org" in caplog.text and "/password/reset/" in caplog.text


def registration_answer(app, email: str, caplog) -> tuple[int, str, str]:
    """Register as a browser does (CSRF on): status, body without the CSRF token, and the mail."""
    secure = create_app({**{k: app.config[k] for k in ("DATABASE_URL", "UPLOAD_DIR",
                                                       "SEARCH_INDEX_DIR", "REGISTRATION_MODE")},
                         "TESTING": True, "SECRET_KEY": "test-secret", "WTF_CSRF_ENABLED": True})
    client = secure.test_client()
    form = soup(client.get("/register")).select_one("form.auth-form")
    data = {i["name"]: i.get("value", "") for i in form.select("input[name]")}
    data.update(name="Ana Lima", email=email, organisation="Radio Norte",
                password="a good long password", confirm="a good long password", accept_terms="y")
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="gallery.mail"):
        response = client.post(form["action"], data=data)
    body = re.sub(r'name="csrf_token" value="[^"]*"', "", response.get_data(as_text=True))
    secure.extensions["db_engine"].dispose()
    return response.status_code, body, caplog.text


@pytest.mark.parametrize("mode", ["open", "approval"])
def test_registration_answers_known_and_new_addresses_alike(app, make_user, caplog, mode):
    app.config["REGISTRATION_MODE"] = mode
    make_user("admin", email="boss@example.org")
    owner = make_user(email="known@example.org", name="The Owner")
    known = registration_answer(app, "Kn\u200bown@example.org", caplog)
    new = registration_answer(app, "known@example.net", caplog)
    assert known[0] == new[0] == 200
    assert known[1].replace("known@example.org", "EMAIL") == new[1].replace("known@example.net",
                                                                            "EMAIL")
    # The owner of the known address is told; nothing about the account changed.
    assert "To: known@example.org" in known[2]
    assert "Subject: Someone tried to register with your address" in known[2]
    assert "log in at http://localhost/login" in known[2] and "/password/forgot" in known[2]
    assert "/register/confirm/" not in known[2]
    assert db.session.get(User, owner.id).name == "The Owner"
    assert accounts_named("known@example.org") == 1
    # The new address gets its activation link (open) or the admins hear of it (approval).
    assert ("To: known@example.net" if mode == "open" else "To: boss@example.org") in new[2]


def test_first_registrant_cannot_keep_an_address_from_its_owner(client, login, caplog):
    """Someone registers the victim's address first; the victim registers and gets the account."""
    with caplog.at_level(logging.WARNING, logger="gallery.mail"):
        register(client, "victim@example.org", password="the squatter's pw",
                 confirm="the squatter's pw", name="Squatter")
    squatter_link = re.search(r"http://localhost(/register/confirm/\S+)", caplog.text).group(1)
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="gallery.mail"):
        assert register(client, "victim@example.org").status_code == 200
    assert "To: victim@example.org" in caplog.text and "Confirm your account" in caplog.text
    link = re.search(r"http://localhost(/register/confirm/\S+)", caplog.text).group(1)
    assert client.post(squatter_link).status_code == 400  # the earlier link died
    assert client.post(link).status_code == 302
    client.post("/logout")
    assert login("victim@example.org", "the squatter's pw").status_code == 401
    assert login("victim@example.org", "a good long password").status_code == 302
    assert db.session.scalar(select(User.name).where(User.email == "victim@example.org")) == "Ana Lima"

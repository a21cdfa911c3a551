"""Email addresses: one spelling per address, look-alikes refused, registration reveals nothing."""
from __future__ import annotations

import logging

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import func, select

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

"""Admin user management: list, search, pages, roles, activation, self-protection, access."""
from __future__ import annotations

import logging

import pytest
from bs4 import BeautifulSoup

from gallery.extensions import db
from gallery.models import User
from tests.conftest import PASSWORD


def soup(response) -> BeautifulSoup:
    """Parse a response body."""
    return BeautifulSoup(response.data, "html.parser")


def emails(response) -> list[str]:
    """The emails listed on a user page, in order."""
    return [td.get_text() for td in soup(response).select("tr.user-row td.email")]


@pytest.fixture
def admin(make_user, login):
    """An admin, logged in."""
    user = make_user("admin", email="admin@example.org", name="Ada Admin")
    login(user)
    return user


def test_anonymous_is_sent_to_login(client):
    response = client.get("/admin/users/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")
    assert client.post("/admin/users/1/role", data={"role": "admin"}).status_code == 302


@pytest.mark.parametrize("role", ["member", "editor"])
def test_members_and_editors_get_403(client, make_user, login, role):
    user = make_user(role)
    victim = make_user()
    login(user)
    assert client.get("/admin/users/").status_code == 403
    assert client.post(f"/admin/users/{user.id}/role", data={"role": "admin"}).status_code == 403
    assert client.post(f"/admin/users/{victim.id}/active", data={"active": "0"}).status_code == 403
    db.session.refresh(user)
    db.session.refresh(victim)
    assert user.role == role and victim.active


def test_admin_sees_the_list_and_nav_link(client, admin, make_user):
    make_user(email="zoe@example.org", name="Zoe", organisation="Radio Sur")
    page = soup(client.get("/admin/users/"))
    assert page.select_one(".site-nav a[href='/admin/users/']").get_text() == "Users"
    rows = {r.select_one(".email").get_text(): r for r in page.select("tr.user-row")}
    assert set(rows) == {"admin@example.org", "zoe@example.org"}
    assert rows["zoe@example.org"].select_one(".organisation").get_text() == "Radio Sur"
    assert page.select_one(".result-count").get_text() == "2 users"
    # No role or activation form for yourself.
    assert rows["admin@example.org"].select_one("form") is None
    assert rows["zoe@example.org"].select_one("form.role-form select option[selected]")["value"] == "member"


@pytest.mark.parametrize("query, expected", [
    ("zoe", ["zoe@example.org"]),
    ("RADIO", ["zoe@example.org", "li@example.org"]),
    ("Sur", ["zoe@example.org"]),
    ("Mwangi", ["kim@example.org"]),
    ("100%", []),
    ("nobody", []),
])
def test_search_by_email_name_or_organisation(client, admin, make_user, query, expected):
    make_user(email="kim@example.org", name="Kim Mwangi", organisation="Daily Nation")
    make_user(email="li@example.org", name="Li", organisation="Radio Norte")
    make_user(email="zoe@example.org", name="Zoe", organisation="Radio Sur")
    response = client.get("/admin/users/", query_string={"q": query})
    assert sorted(emails(response)) == sorted(expected)
    if not expected:
        assert soup(response).select_one("td.empty").get_text() == "No users match."


def test_filter_by_status_and_role(client, admin, make_user):
    make_user(email="waiting@example.org", active=False)
    make_user("editor", email="ed@example.org")
    assert emails(client.get("/admin/users/?status=inactive")) == ["waiting@example.org"]
    assert emails(client.get("/admin/users/?role=editor")) == ["ed@example.org"]
    row = soup(client.get("/admin/users/?status=inactive")).select_one("tr.user-row")
    assert row.select_one(".status-name").get_text() == "waiting for approval"
    assert row.select_one("form.active-form button").get_text() == "Activate"


def test_pagination(client, app, admin, make_user):
    app.config["USERS_PER_PAGE"] = 3
    for n in range(6):
        make_user(email=f"u{n}@example.org")
    first = soup(client.get("/admin/users/"))
    assert len(first.select("tr.user-row")) == 3
    assert first.select_one(".pagination [aria-current=page]").get_text() == "Page 1"
    next_href = first.select_one(".pagination a[rel=next]")["href"]
    seen = set(emails(client.get("/admin/users/")))
    seen |= set(emails(client.get(next_href)))
    seen |= set(emails(client.get("/admin/users/?page=3")))
    assert len(seen) == 7
    assert client.get("/admin/users/?page=4").status_code == 404
    assert client.get("/admin/users/?page=abc").status_code == 200
    assert client.get("/admin/users/?page=-3").status_code == 200
    assert client.get("/admin/users/?page=99999999999999999999999").status_code == 404


def test_change_role(client, admin, make_user):
    user = make_user()
    response = client.post(f"/admin/users/{user.id}/role?q=member", data={"role": "editor"})
    assert response.status_code == 303
    assert response.headers["Location"] == "/admin/users/?q=member"
    db.session.refresh(user)
    assert user.role == "editor"
    page = soup(client.get(response.headers["Location"]))
    assert f"{user.email} is now editor." in page.select_one(".flash").get_text()


def test_bad_role_is_refused(client, admin, make_user):
    user = make_user()
    assert client.post(f"/admin/users/{user.id}/role", data={"role": "owner"}).status_code == 400
    db.session.refresh(user)
    assert user.role == "member"


def test_unknown_user_is_404(client, admin):
    assert client.post("/admin/users/9999/role", data={"role": "editor"}).status_code == 404


def test_admin_cannot_demote_or_deactivate_themselves(client, admin):
    response = client.post(f"/admin/users/{admin.id}/role", data={"role": "member"},
                           follow_redirects=True)
    assert "cannot change your own role" in soup(response).select_one(".flash-error").get_text()
    response = client.post(f"/admin/users/{admin.id}/active", data={"active": "0"},
                           follow_redirects=True)
    assert "cannot deactivate your own account" in soup(response).select_one(".flash-error").get_text()
    db.session.refresh(admin)
    assert admin.role == "admin" and admin.active


def test_deactivate_logs_the_user_out_and_blocks_login(app, client, admin, make_user):
    user = make_user()
    theirs = app.test_client()
    theirs.post("/login", data={"email": user.email, "password": PASSWORD})
    assert theirs.get("/account").status_code == 200
    assert client.post(f"/admin/users/{user.id}/active", data={"active": "0"}).status_code == 303
    assert theirs.get("/account").status_code == 302
    assert theirs.post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 403
    row = soup(client.get("/admin/users/?status=inactive")).select_one("tr.user-row")
    assert row.select_one(".status-name").get_text() == "inactive"


def test_approving_a_registration_tells_the_user(app, client, admin, caplog):
    app.config["REGISTRATION_MODE"] = "approval"
    newcomer = app.test_client()
    password = "a good long password"
    newcomer.post("/register", data={"name": "New", "email": "new@example.org", "password": password,
                                     "confirm": password, "accept_terms": "y"})
    user = db.session.query(User).filter_by(email="new@example.org").one()
    assert not user.active
    with caplog.at_level(logging.WARNING, logger="gallery.mail"):
        assert client.post(f"/admin/users/{user.id}/active", data={"active": "1"}).status_code == 303
    assert "To: new@example.org" in caplog.text and "Your account is approved" in caplog.text
    assert newcomer.post("/login", data={"email": "new@example.org",
                                         "password": password}).status_code == 302


def test_active_form_needs_a_value(client, admin, make_user):
    user = make_user()
    assert client.post(f"/admin/users/{user.id}/active", data={"active": "maybe"}).status_code == 400
    db.session.refresh(user)
    assert user.active

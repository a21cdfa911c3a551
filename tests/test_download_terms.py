"""Terms of use: accepted before the first download, asked again when a new version is published."""
from __future__ import annotations

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import select

from gallery.extensions import db
from gallery.models import DownloadEvent, SiteText


@pytest.fixture
def photo(make_gallery, make_asset):
    return make_asset(make_gallery(title="Lodwar"), size=(1600, 1000))


def accept(client, next_url, **extra):
    page = BeautifulSoup(client.get(f"/terms/accept?next={next_url}").data, "html.parser")
    form = page.select_one("form.accept-form")
    data = {i["name"]: i.get("value", "") for i in form.select("input[type=hidden]")}
    data.update(accept="yes", **extra)
    return client.post(form["action"], data=data)


def test_first_download_asks_for_terms_then_works(client, make_user, login_as, photo):
    user = login_as(make_user("member"))
    url = f"/download/assets/{photo.id}/large"
    with client.get(url) as r:
        assert r.status_code == 302
        assert r.headers["Location"] == f"/terms/accept?next=/download/assets/{photo.id}/large"
    page = BeautifulSoup(client.get(r.headers["Location"]).data, "html.parser")
    assert page.select_one("h1").get_text() == "Terms of use"
    assert page.select_one(".site-text-body").get_text(strip=True)
    assert [o["value"] for o in page.select("select[name=use] option")] == [
        "", "Press", "Web", "Print", "TV", "Internal", "Other"]
    with accept(client, url, use="TV") as r:
        assert r.status_code == 302 and r.headers["Location"] == url
    db.session.refresh(user)
    assert user.terms_version == 1 and user.terms_accepted_at is not None
    with client.get(url) as r:
        assert r.status_code == 200 and r.data[:2] == b"\xff\xd8"
    assert db.session.scalars(select(DownloadEvent.intended_use)).one() == "TV"


def test_asset_page_points_to_terms_before_acceptance(client, make_user, login_as, photo):
    login_as(make_user("member"))
    page = BeautifulSoup(client.get(f"/assets/{photo.id}").data, "html.parser")
    link = page.select_one(".download-terms a")
    assert link["href"] == f"/terms/accept?next=/assets/{photo.id}"
    assert page.select(".download-size") == []


def test_unticked_box_is_refused(client, make_user, login_as):
    user = login_as(make_user("member"))
    with client.post("/terms/accept", data={"next": "/", "version": "1"}) as r:
        assert r.status_code == 400
        assert BeautifulSoup(r.data, "html.parser").select_one(".form-error").get_text() == \
            "Tick the box to accept the terms of use."
    db.session.refresh(user)
    assert user.terms_version is None


def test_new_version_asks_again(client, make_user, login_as, photo):
    from gallery.services import terms

    user = make_user("member")
    terms.accept(user)
    login_as(user)
    url = f"/download/assets/{photo.id}/preview"
    with client.get(url) as r:
        assert r.status_code == 200
    db.session.merge(SiteText(key="terms", title="Terms of use", body="New **rules**.", version=2))
    db.session.commit()
    with client.get(url) as r:
        assert r.status_code == 302 and r.headers["Location"].startswith("/terms/accept")
    page = BeautifulSoup(client.get("/terms/accept").data, "html.parser")
    assert page.select_one(".site-text-body strong").get_text() == "rules"
    with accept(client, "/") as r:
        assert r.status_code == 302
    db.session.refresh(user)
    assert user.terms_version == 2
    with client.get(url) as r:
        assert r.status_code == 200


def test_stale_version_in_form_is_refused(client, make_user, login_as):
    user = login_as(make_user("member"))
    db.session.merge(SiteText(key="terms", title="Terms", body="x", version=3))
    db.session.commit()
    with client.post("/terms/accept", data={"accept": "yes", "version": "2", "next": "/"}) as r:
        assert r.status_code == 400
    db.session.refresh(user)
    assert user.terms_version is None


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "/\\evil.example"])
def test_next_must_be_local(client, make_user, login_as, target):
    login_as(make_user("member"))
    with client.post("/terms/accept", data={"accept": "yes", "version": "1", "next": target}) as r:
        assert r.status_code == 302 and r.headers["Location"] == "/"


def test_anonymous_is_sent_to_log_in(client):
    with client.get("/terms/accept") as r:
        assert r.status_code == 302 and r.headers["Location"].startswith("/login?next=")


def test_staff_download_without_accepting(client, make_user, login_as, photo):
    login_as(make_user("editor"))
    with client.get(f"/download/assets/{photo.id}/original") as r:
        assert r.status_code == 200

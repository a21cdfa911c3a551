"""Web upload for staff: new gallery form, files (plain form and script), zips, caption grid."""
from __future__ import annotations

import io

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import func, select

from gallery.extensions import db
from gallery.models import Asset, Gallery, SearchOutbox
from gallery.services import search
from tests.conftest import image_bytes, stored_files, zip_bytes


def page(response) -> BeautifulSoup:
    return BeautifulSoup(response.data, "html.parser")


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def editor(make_user, login_as):
    return login_as(make_user("editor"))


@pytest.mark.parametrize("url", ["/manage/upload", "/manage/galleries/1/upload",
                                 "/manage/galleries/1/captions"])
def test_anonymous_visitors_are_sent_to_log_in(client, make_gallery, url):
    make_gallery()
    response = client.get(url)
    assert response.status_code == 302 and response.location.startswith("/login")
    with client.post("/manage/galleries/1/upload",
                     data={"files": (io.BytesIO(image_bytes()), "a.jpg")}) as posted:
        assert posted.status_code == 302
    assert count(Asset) == 0


@pytest.mark.parametrize("url", ["/manage/upload", "/manage/galleries/1/upload",
                                 "/manage/galleries/1/captions"])
def test_members_are_forbidden(client, make_gallery, make_user, login_as, url):
    make_gallery()
    login_as(make_user("member"))
    assert client.get(url).status_code == 403
    posted = client.post("/manage/galleries/1/upload",
                         data={"files": (io.BytesIO(image_bytes()), "a.jpg")})
    assert posted.status_code == 403 and count(Asset) == 0


def test_new_upload_creates_the_gallery_with_batch_metadata(client, editor):
    form = page(client.get("/manage/upload"))
    assert form.select_one("select[name=category] option").get_text() == "Crisis Response"
    assert form.select_one("select[name=country] option[value=KEN]").get_text() == "Kenya"
    category = form.select_one("select[name=category] option:-soup-contains('Health')")["value"]
    response = client.post("/manage/upload", data={
        "title": "Measles campaign", "description": "Door to door.", "category": category,
        "country": "KEN", "credit": "Health team", "date": "2023-05-01", "status": "draft"})
    gallery = db.session.scalar(select(Gallery))
    assert response.status_code == 302
    assert response.location == f"/manage/galleries/{gallery.id}/upload"
    assert (gallery.title, gallery.category.name, gallery.country_code, gallery.credit,
            gallery.status, gallery.created_by_id) == (
        "Measles campaign", "Health", "KEN", "Health team", "draft", editor.id)
    upload_page = page(client.get(response.location))
    assert upload_page.select_one("input[type=file][name=files]").has_attr("multiple")
    assert upload_page.select_one("form#upload-form")["enctype"] == "multipart/form-data"
    assert upload_page.select_one("script[src$='js/upload.js']") is not None


def test_new_upload_form_errors_are_shown(client, editor):
    response = client.post("/manage/upload", data={"title": "", "category": "1", "date": "soon"})
    assert response.status_code == 400 and count(Gallery) == 0
    errors = [e.get_text() for e in page(response).select(".field-error")]
    assert any("required" in e for e in errors) and any("date" in e.lower() for e in errors)


def test_plain_form_posts_many_files_and_shows_results(client, editor, make_gallery, app):
    gallery = make_gallery()
    dup = image_bytes(color=(5, 150, 5))
    client.post(f"/manage/galleries/{gallery.id}/upload", data={"files": (io.BytesIO(dup), "first.jpg")})
    existing = db.session.scalar(select(Asset.id))
    response = client.post(f"/manage/galleries/{gallery.id}/upload", data={"files": [
        (io.BytesIO(image_bytes(color=(200, 5, 5))), "a.jpg"),
        (io.BytesIO(image_bytes(color=(5, 5, 200), fmt="PNG")), "b.png"),
        (io.BytesIO(dup), "again.jpg"),
        (io.BytesIO(b"<svg/>"), "logo.svg"),
    ]})
    assert response.status_code == 200
    items = page(response).select(".upload-list .upload-item")
    assert [i["class"][1] for i in items] == ["is-accepted", "is-accepted", "is-duplicate", "is-rejected"]
    a_id = db.session.scalar(select(Asset.id).where(Asset.original_filename == "a.jpg"))
    assert items[0].select_one("a")["href"] == f"/assets/{a_id}"
    assert items[2].select_one("a")["href"] == f"/assets/{existing}"
    assert "logo.svg: SVG images are not accepted" in items[3].get_text()
    summary = page(response).select_one(".upload-summary").get_text()
    assert summary == "2 added, 1 already in the catalogue, 1 refused."
    captions = page(response).select_one("a.btn-primary")["href"]
    assert captions.startswith(f"/manage/galleries/{gallery.id}/captions?ids=")
    assert count(Asset) == 3


def test_script_style_single_file_post_answers_json(client, editor, make_gallery):
    gallery = make_gallery()
    url = f"/manage/galleries/{gallery.id}/upload"
    headers = {"Accept": "application/json"}
    data = image_bytes()
    first = client.post(url, data={"files": (io.BytesIO(data), "one.jpg")}, headers=headers)
    [result] = first.get_json()["results"]
    assert result["status"] == "accepted" and result["asset_url"] == f"/assets/{result['asset_id']}"
    with client.get(result["thumb_url"]) as thumb:
        assert thumb.status_code == 200 and thumb.mimetype == "image/jpeg"
    again = client.post(url, data={"files": (io.BytesIO(data), "one-again.jpg")}, headers=headers)
    [dup] = again.get_json()["results"]
    assert dup["status"] == "duplicate" and dup["existing_url"] == result["asset_url"]
    bad = client.post(url, data={"files": (io.BytesIO(b"MZ\x90\x00"), "setup.exe")}, headers=headers)
    assert bad.get_json()["results"][0]["status"] == "rejected"
    empty = client.post(url, data={}, headers=headers)
    assert empty.status_code == 400 and empty.get_json()["error"]["field"] == "files"


def test_zip_upload_reports_each_entry(client, editor, make_gallery, app):
    gallery = make_gallery()
    archive = zip_bytes({"a.jpg": image_bytes(color=(1, 99, 1)), "notes.txt": b"hello",
                         "__MACOSX/._a.jpg": b"junk"})
    response = client.post(f"/manage/galleries/{gallery.id}/upload",
                           data={"files": (io.BytesIO(archive), "shoot.zip")},
                           headers={"Accept": "application/json"})
    results = response.get_json()["results"]
    assert [(r["filename"], r["status"]) for r in results] == [
        ("shoot.zip/a.jpg", "accepted"), ("shoot.zip/notes.txt", "rejected")]
    hostile = zip_bytes({"../../evil.jpg": image_bytes(color=(7, 7, 7))})
    response = client.post(f"/manage/galleries/{gallery.id}/upload",
                           data={"files": (io.BytesIO(hostile), "evil.zip")})
    item = page(response).select_one(".upload-item.is-rejected")
    assert "evil.zip: entry '../../evil.jpg' points outside" in item.get_text()
    assert count(Asset) == 1 and len([f for f in stored_files(app) if f.startswith("originals/")]) == 1


def test_csrf_token_is_required_and_the_header_works(app, client, editor, make_gallery):
    gallery = make_gallery()
    app.config["WTF_CSRF_ENABLED"] = True
    url = f"/manage/galleries/{gallery.id}/upload"
    refused = client.post(url, data={"files": (io.BytesIO(image_bytes()), "a.jpg")},
                          headers={"Accept": "application/json"})
    assert refused.status_code == 400 and count(Asset) == 0
    token = page(client.get(url)).select_one("#upload-form input[name=csrf_token]")["value"]
    accepted = client.post(url, data={"files": (io.BytesIO(image_bytes()), "a.jpg")},
                           headers={"Accept": "application/json", "X-CSRFToken": token})
    assert accepted.status_code == 200 and accepted.get_json()["results"][0]["status"] == "accepted"


def test_caption_grid_prefills_and_saves_everything_at_once(client, editor, make_gallery, make_asset,
                                                           monkeypatch):
    gallery = make_gallery()
    one = make_asset(gallery, caption="Old caption", credit="Old credit", keywords=["a", "b"])
    two = make_asset(gallery, title="Second")
    other = make_asset(gallery)
    db.session.query(SearchOutbox).delete()
    db.session.commit()
    drains = []
    monkeypatch.setattr(search, "after_commit", lambda: drains.append(1))
    url = f"/manage/galleries/{gallery.id}/captions?ids={one.id},{two.id}"
    grid = page(client.get(url))
    rows = grid.select(".caption-grid > li")
    assert [int(r["data-asset-id"]) for r in rows] == [one.id, two.id]
    assert grid.select_one(f"textarea[name='{one.id}-caption']").get_text() == "Old caption"
    assert grid.select_one(f"input[name='{one.id}-keywords']")["value"] == "a, b"
    assert grid.select_one(f"input[name='{two.id}-title']")["value"] == "Second"
    data = {f"{a.id}-{k}": "" for a in (one, two) for k in ("title", "caption", "credit", "keywords", "alt_text")}
    data.update({f"{one.id}-caption": "New caption", f"{one.id}-keywords": "water, pump, water",
                 f"{two.id}-alt_text": "A pump", f"{two.id}-title": "Second"})
    response = client.post(url, data=data)
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Asset, one.id).caption == "New caption"
    assert db.session.get(Asset, one.id).keywords == ["water", "pump"]
    assert db.session.get(Asset, one.id).credit == ""
    assert db.session.get(Asset, two.id).alt_text == "A pump"
    assert sorted(db.session.scalars(select(SearchOutbox.asset_id))) == [one.id, two.id]
    assert drains == [1]
    assert db.session.get(Asset, other.id).caption == ""
    flash = page(client.get(response.location)).select_one(".flash-success").get_text()
    assert flash == "Saved: 2 files changed."


def test_caption_grid_error_saves_nothing(client, editor, make_gallery, make_asset):
    gallery = make_gallery()
    one, two = make_asset(gallery), make_asset(gallery)
    response = client.post(f"/manage/galleries/{gallery.id}/captions", data={
        f"{one.id}-caption": "Fine", f"{two.id}-caption": "Also fine", f"{two.id}-title": "x" * 301})
    assert response.status_code == 400
    html = page(response)
    assert "Nothing was saved" in html.select_one(".notice-error").get_text()
    assert html.select_one(f"input[name='{two.id}-title']")["aria-invalid"] == "true"
    assert html.select_one(f"textarea[name='{one.id}-caption']").get_text() == "Fine"
    db.session.expire_all()
    assert db.session.get(Asset, one.id).caption == ""


def test_caption_grid_handles_more_fields_than_the_default_form_limit(client, editor, make_gallery,
                                                                      make_asset, app):
    gallery = make_gallery()
    assets = [make_asset(gallery, size=(40, 30)) for _ in range(3)]
    app.config["MAX_FORM_PARTS"] = 5  # the grid raises its own limit
    data = {f"{a.id}-{k}": "x" for a in assets for k in ("title", "caption", "credit", "keywords", "alt_text")}
    response = client.post(f"/manage/galleries/{gallery.id}/captions", data=data)
    assert response.status_code == 302
    db.session.expire_all()
    assert all(db.session.get(Asset, a.id).caption == "x" for a in assets)

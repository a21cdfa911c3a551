"""POST /api/galleries/<id>/assets: JSON upload for editors."""
from __future__ import annotations

import io

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import func, select

from gallery.extensions import db
from gallery.models import Asset
from tests.conftest import image_bytes, stored_files


def count() -> int:
    return db.session.scalar(select(func.count()).select_from(Asset))


@pytest.fixture
def editor(make_user, login_as):
    return login_as(make_user("editor"))


def post(client, gallery_id, data=None, filename="photo.jpg", headers=None, **fields):
    body = dict(fields)
    if data is not None:
        body["file"] = (io.BytesIO(data), filename)
    return client.post(f"/api/galleries/{gallery_id}/assets", data=body, headers=headers or {})


def test_created_asset_is_returned(client, editor, make_gallery):
    gallery = make_gallery(credit="Gallery credit")
    response = post(client, gallery.id, image_bytes(size=(1600, 1200)), caption="A clinic queue.",
                    keywords="health, clinic", country="UGA", date_taken="2023-04-05")
    assert response.status_code == 201
    body = response.get_json()
    assert body["caption"] == "A clinic queue." and body["keywords"] == ["health", "clinic"]
    assert body["country"]["code"] == "UGA" and body["date_taken"] == "2023-04-05"
    assert body["credit"] == "Gallery credit" and body["gallery_id"] == gallery.id
    assert body["renditions"]["thumb"]["width"] == 400
    assert response.headers["Location"] == body["url"] == f"http://localhost/assets/{body['id']}"
    assert db.session.get(Asset, body["id"]).uploaded_by_id == editor.id


def test_duplicate_is_409_with_the_existing_id(client, editor, make_gallery):
    gallery = make_gallery()
    data = image_bytes()
    first = post(client, gallery.id, data).get_json()
    again = post(client, gallery.id, data, filename="copy.jpg")
    assert again.status_code == 409
    error = again.get_json()["error"]
    assert error["existing_id"] == first["id"] and error["existing_url"] == first["url"]
    assert count() == 1


@pytest.mark.parametrize("data, fields, status, field, message", [
    (b"<svg xmlns='http://www.w3.org/2000/svg'/>", {}, 415, "file", "SVG images are not accepted"),
    (image_bytes(), {"date_taken": "last week"}, 400, "date_taken", "date_taken must be a date"),
    (image_bytes(), {"country": "Narnia"}, 400, "country", "Unknown country: Narnia"),
    (None, {"caption": "no file"}, 400, "file", "multipart field named 'file'"),
])
def test_refusals_name_the_field(client, editor, make_gallery, app, data, fields, status, field, message):
    response = post(client, make_gallery().id, data, **fields)
    assert response.status_code == status
    error = response.get_json()["error"]
    assert error["field"] == field and message in error["message"]
    assert count() == 0 and stored_files(app) == []


def test_too_large_is_413(client, editor, make_gallery, app):
    data = image_bytes()
    app.config.update(MAX_IMAGE_BYTES=len(data) - 1)
    response = post(client, make_gallery().id, data)
    assert response.status_code == 413 and "at most" in response.get_json()["error"]["message"]
    assert stored_files(app) == []


def test_unknown_gallery_is_404(client, editor):
    response = post(client, 999, image_bytes())
    assert response.status_code == 404 and response.get_json()["error"]["status"] == 404


def test_anonymous_is_401_and_members_403(client, make_gallery, make_user, login_as):
    gallery = make_gallery()
    anonymous = post(client, gallery.id, image_bytes())
    assert anonymous.status_code == 401 and anonymous.get_json()["error"]["status"] == 401
    login_as(make_user("member"))
    member = post(client, gallery.id, image_bytes())
    assert member.status_code == 403 and member.get_json()["error"]["status"] == 403
    assert count() == 0


def test_session_requests_need_the_csrf_header(app, client, editor, make_gallery):
    gallery = make_gallery()
    app.config["WTF_CSRF_ENABLED"] = True
    refused = post(client, gallery.id, image_bytes())
    assert refused.status_code == 400 and "error" in refused.get_json()
    assert count() == 0
    html = BeautifulSoup(client.get(f"/manage/galleries/{gallery.id}/upload").data, "html.parser")
    token = html.select_one("input[name=csrf_token]")["value"]
    accepted = post(client, gallery.id, image_bytes(), headers={"X-CSRFToken": token})
    assert accepted.status_code == 201

"""The editor API: bearer tokens and sessions, 401/403, validation errors, CSRF only for cookies."""
from __future__ import annotations

import hashlib

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import select

from gallery.exceptions import ValidationError
from gallery.extensions import db
from gallery.models import ApiToken, Asset, Gallery
from gallery.services import apitokens
from tests.conftest import bearer


@pytest.fixture
def token(editor):
    """A live token of the editor."""
    return apitokens.create_token(editor, "tests", editor)[1]


@pytest.fixture
def routes(make_gallery, make_asset):
    """One request of each editor route, as (method, path, json)."""
    gallery = make_gallery(title="API target")
    asset = make_asset(gallery)
    return [
        ("post", "/api/galleries", {"title": "New", "category": "Health"}),
        ("patch", f"/api/galleries/{gallery.id}", {"title": "Renamed"}),
        ("post", f"/api/galleries/{gallery.id}/order", {"order": [asset.id]}),
        ("patch", f"/api/assets/{asset.id}", {"caption": "New caption"}),
        ("delete", f"/api/assets/{asset.id}", None),
        ("delete", f"/api/galleries/{gallery.id}", None),
    ]


def test_every_route_needs_credentials_and_staff(client, routes, make_user, member):
    member_token = "gal_" + "x" * 43
    for method, path, body in routes:
        response = getattr(client, method)(path, json=body)
        assert response.status_code == 401, path
        assert response.json["error"]["status"] == 401
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        assert getattr(client, method)(path, json=body, headers=bearer(member_token)).status_code == 401
    with pytest.raises(ValidationError, match="Editor tokens are for editors"):
        apitokens.create_token(member, "no", member, "editor")
    db.session.rollback()
    download_token = apitokens.create_token(member, "downloads", member)[1]
    for method, path, body in routes:
        response = getattr(client, method)(path, json=body, headers=bearer(download_token))
        assert response.status_code == 403, path
    with client.session_transaction() as sess:
        sess["_user_id"] = member.get_id()
    for method, path, body in routes:
        response = getattr(client, method)(path, json=body)
        assert response.status_code == 403, path
        assert response.json["error"]["status"] == 403


def test_every_route_works_for_an_editor_token(client, routes, token):
    expected = {"post": (200, 201), "patch": (200,), "delete": (204,)}
    for method, path, body in routes:
        response = getattr(client, method)(path, json=body, headers=bearer(token))
        assert response.status_code in expected[method], (path, response.json)


def test_create_and_patch_gallery(client, token, make_gallery):
    response = client.post("/api/galleries", headers=bearer(token), json={
        "title": "Relocation flights", "category": "Movement Assistance", "country": "AF",
        "date": "2023-09-01", "description": "Flights home."})
    assert response.status_code == 201
    body = response.json
    assert (body["status"], body["country"]["code"], body["category"]["name"]) == (
        "draft", "AFG", "Movement Assistance")
    assert response.headers["Location"].endswith(f"/api/galleries/{body['id']}")
    patched = client.patch(f"/api/galleries/{body['id']}", headers=bearer(token),
                           json={"status": "published", "editors_pick": True, "pick_position": 3})
    assert patched.status_code == 200
    assert (patched.json["status"], patched.json["editors_pick"], patched.json["pick_position"]) == (
        "published", True, 3)


@pytest.mark.parametrize("path_kind, body, field", [
    ("gallery", {"title": ""}, "title"),
    ("gallery", {"country": "Narnia"}, "country"),
    ("gallery", {"status": 3}, "status"),
    ("gallery", {"unknown": 1}, "unknown"),
    ("asset", {"consent": "yes"}, "consent"),
    ("asset", {"sensitive": "sometimes"}, "sensitive"),
    ("asset", {"gallery_id": 999999}, "gallery_id"),
    ("asset", {"date_taken": "2024-13-40"}, "date_taken"),
    ("order", {"order": [1, 1]}, "order"),
    ("order", {"order": "1,2"}, "order"),
    ("create", {"category": "Health"}, "title"),
    ("create", {"title": "No category"}, "category"),
])
def test_validation_errors_name_the_field(client, token, make_gallery, make_asset, path_kind, body, field):
    gallery = make_gallery()
    asset = make_asset(gallery, caption="Unchanged")
    method, path = {"gallery": ("patch", f"/api/galleries/{gallery.id}"),
                    "asset": ("patch", f"/api/assets/{asset.id}"),
                    "order": ("post", f"/api/galleries/{gallery.id}/order"),
                    "create": ("post", "/api/galleries")}[path_kind]
    response = getattr(client, method)(path, json=body, headers=bearer(token))
    assert response.status_code == 400
    assert response.json["error"]["field"] == field
    db.session.expire_all()
    assert db.session.get(Asset, asset.id).caption == "Unchanged"


def test_body_must_be_a_json_object(client, token, make_gallery):
    gallery = make_gallery()
    response = client.patch(f"/api/galleries/{gallery.id}", data="title=x", headers=bearer(token))
    assert response.status_code == 400 and response.json["error"]["field"] == "body"


def test_missing_things_are_404(client, token):
    assert client.patch("/api/galleries/99999", json={"title": "x"}, headers=bearer(token)).status_code == 404
    assert client.delete("/api/assets/99999", headers=bearer(token)).status_code == 404


def test_patch_asset_moves_and_edits_in_one_call(client, token, make_gallery, make_asset):
    source, target = make_gallery(title="S"), make_gallery(title="T")
    asset = make_asset(source)
    response = client.patch(f"/api/assets/{asset.id}", headers=bearer(token),
                            json={"caption": "Moved", "gallery_id": target.id, "keywords": ["a", "b"]})
    assert response.status_code == 200
    assert (response.json["gallery_id"], response.json["caption"], response.json["keywords"]) == (
        target.id, "Moved", ["a", "b"])
    db.session.expire_all()
    assert (db.session.get(Gallery, source.id).image_count, db.session.get(Gallery, target.id).image_count) == (0, 1)


def test_deleted_and_draft_material_disappears_from_public_pages(client, token, make_gallery, make_asset,
                                                                search_ids):
    gallery = make_gallery(title="Going away")
    asset, draft = make_asset(gallery, caption="lorry convoy"), make_asset(gallery, caption="lorry depot")
    assert search_ids("lorry") == {asset.id, draft.id}
    assert client.patch(f"/api/assets/{draft.id}", json={"status": "draft"}, headers=bearer(token)).status_code == 200
    anonymous = client.application.test_client()
    assert anonymous.get(f"/assets/{draft.id}").status_code == 404
    assert anonymous.get(f"/assets/{asset.id}").status_code == 200
    assert search_ids("lorry") == {asset.id}
    assert client.delete(f"/api/assets/{asset.id}", headers=bearer(token)).status_code == 204
    assert anonymous.get(f"/assets/{asset.id}").status_code == 404
    assert search_ids("lorry") == set()
    assert client.delete(f"/api/galleries/{gallery.id}", headers=bearer(token)).status_code == 204
    assert anonymous.get(f"/galleries/{gallery.id}-{gallery.slug}").status_code == 404
    assert client.patch(f"/api/galleries/{gallery.id}", json={"title": "x"}, headers=bearer(token)).status_code == 404
    assert search_ids("lorry") == set()


def test_tokens_are_stored_hashed_and_revocable(client, editor, make_gallery):
    gallery = make_gallery()
    row, token = apitokens.create_token(editor, "laptop", editor)
    stored = db.session.scalar(select(ApiToken).where(ApiToken.id == row.id))
    assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in (stored.token_hash, stored.name)
    ok = client.patch(f"/api/galleries/{gallery.id}", json={"credit": "A"}, headers=bearer(token))
    assert ok.status_code == 200
    assert db.session.get(ApiToken, row.id).last_used_at is not None
    apitokens.revoke_token(row.id, editor)
    revoked = client.patch(f"/api/galleries/{gallery.id}", json={"credit": "B"}, headers=bearer(token))
    assert revoked.status_code == 401


def test_token_of_deactivated_user_stops_working(client, editor, token, make_gallery):
    gallery = make_gallery()
    editor.active = False
    db.session.commit()
    assert client.patch(f"/api/galleries/{gallery.id}", json={"credit": "A"}, headers=bearer(token)).status_code == 401


def test_create_token_command_prints_token_once(runner, client, editor, member, make_gallery):
    gallery = make_gallery()
    result = runner.invoke(args=["create-token", editor.email.upper(), "--name", "import script"])
    assert result.exit_code == 0, result.output
    token = result.stdout.strip().splitlines()[-1]
    assert token.startswith("gal_")
    row = db.session.scalar(select(ApiToken).where(ApiToken.name == "import script"))
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert client.patch(f"/api/galleries/{gallery.id}", json={"credit": "CLI"},
                        headers=bearer(token)).status_code == 200
    refused = runner.invoke(args=["create-token", member.email, "--scope", "editor"])
    assert refused.exit_code != 0 and "editors and admins" in refused.output
    download = runner.invoke(args=["create-token", member.email])
    assert download.exit_code == 0 and download.stdout.strip().splitlines()[-1].startswith("gald_")
    missing = runner.invoke(args=["create-token", "nobody@example.org"])
    assert missing.exit_code != 0 and "No account" in missing.output


@pytest.fixture
def csrf_on(app):
    app.config["WTF_CSRF_ENABLED"] = True
    yield
    app.config["WTF_CSRF_ENABLED"] = False


def csrf_token_from(client, gallery):
    page = BeautifulSoup(client.get(f"/manage/galleries/{gallery.id}").data, "html.parser")
    return page.select_one("input[name=csrf_token]")["value"]


def test_csrf_required_for_session_but_not_for_bearer(client, csrf_on, editor, login_as, make_gallery, make_asset):
    gallery = make_gallery()
    make_asset(gallery)
    other = client.application.test_client()
    row, token = apitokens.create_token(editor, "script", editor)
    # Bearer: no CSRF token needed.
    assert other.patch(f"/api/galleries/{gallery.id}", json={"credit": "bearer"},
                       headers=bearer(token)).status_code == 200
    # Session cookie: refused without the CSRF header, accepted with it.
    login_as(editor)
    refused = client.patch(f"/api/galleries/{gallery.id}", json={"credit": "cookie"})
    assert refused.status_code == 400 and refused.json["error"]["status"] == 400
    db.session.expire_all()
    assert db.session.get(Gallery, gallery.id).credit == "bearer"
    # A cookie session never becomes exempt by adding a bearer header.
    mixed = client.patch(f"/api/galleries/{gallery.id}", json={"credit": "mixed"}, headers=bearer(token))
    assert mixed.status_code == 400
    csrf = csrf_token_from(client, gallery)
    accepted = client.patch(f"/api/galleries/{gallery.id}", json={"credit": "cookie"},
                            headers={"X-CSRFToken": csrf})
    assert accepted.status_code == 200 and accepted.json["credit"] == "cookie"
    # Forms still need their token.
    assert client.post(f"/manage/galleries/{gallery.id}/status", data={"status": "draft"}).status_code == 400
    # No credentials at all: 401, not a CSRF error.
    assert client.application.test_client().post("/api/galleries", json={"title": "x"}).status_code == 401

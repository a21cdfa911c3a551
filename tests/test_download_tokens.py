"""Download tokens: any account downloads through the API with a bearer token, under the same rules."""
from __future__ import annotations

import io
import zipfile

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import select

from gallery.extensions import db
from gallery.models import ApiToken, DownloadEvent
from gallery.services import apitokens, approvals, terms
from tests.conftest import bearer


@pytest.fixture
def photo(make_gallery, make_asset):
    return make_asset(make_gallery(title="Shelters"), caption="A shelter roof.")


@pytest.fixture
def member_token(member):
    terms.accept(member)
    return apitokens.create_token(member, "downloads", member)[1]


def events() -> list[DownloadEvent]:
    return list(db.session.scalars(select(DownloadEvent)))


def test_member_creates_a_download_token_on_the_tokens_page(client, member, login_as):
    login_as(member)
    page = BeautifulSoup(client.get("/account/tokens/").data, "html.parser")
    assert page.select_one("form.create-token") is not None
    assert page.select_one("#token-scope") is None  # members have one kind only
    created = client.post("/account/tokens/", data={"name": "Newsroom script"})
    assert created.status_code == 200 and created.headers["Cache-Control"] == "no-store"
    shown = BeautifulSoup(created.data, "html.parser")
    assert shown.select_one("#new-token").get_text().startswith("gald_")
    assert "download token" in shown.select_one(".token-scope").get_text()
    refused = client.post("/account/tokens/", data={"name": "Sneaky", "scope": "editor"})
    assert refused.status_code == 302
    assert db.session.scalar(select(ApiToken).where(ApiToken.name == "Sneaky")) is None


def test_anonymous_visitors_log_in_for_tokens(client):
    assert client.get("/account/tokens/").headers["Location"].startswith("/login")


def test_token_download_is_logged_via_api(app, client, member, member_token, photo):
    with client.get(f"/api/assets/{photo.id}/download?size=large&use=press",
                    headers=bearer(member_token)) as r:
        assert r.status_code == 200 and r.data[:2] == b"\xff\xd8"
        assert r.headers["Content-Disposition"].startswith("attachment")
    (event,) = events()
    assert (event.user_id, event.asset_id, event.size, event.via, event.intended_use) == (
        member.id, photo.id, "large", "api", "Press")
    assert "Set-Cookie" not in r.headers  # a bearer request makes no session


@pytest.mark.parametrize("token", ["gald_" + "x" * 43, "gal_nope", "nonsense", ""])
def test_bad_token_is_401_json(client, photo, token):
    with client.get(f"/api/assets/{photo.id}/download", headers=bearer(token)) as r:
        assert r.status_code == 401
        assert r.json["error"]["status"] == 401 and "Bearer" in r.json["error"]["message"]
        assert r.headers["WWW-Authenticate"].startswith("Bearer")
    assert events() == []


def test_revoked_token_is_401(client, member, member_token, photo):
    row = db.session.scalar(select(ApiToken).where(ApiToken.user_id == member.id))
    apitokens.revoke_token(row.id, member)
    with client.get(f"/api/assets/{photo.id}/download", headers=bearer(member_token)) as r:
        assert r.status_code == 401 and r.json["error"]["status"] == 401


def test_terms_not_accepted_is_a_clear_json_error(client, make_user, photo):
    fresh = make_user("member")
    token = apitokens.create_token(fresh, "dl", fresh)[1]
    with client.get(f"/api/assets/{photo.id}/download", headers=bearer(token)) as r:
        assert r.status_code == 403
        message = r.json["error"]["message"]
        assert "terms of use" in message and "http://localhost/terms/accept" in message
    assert events() == []


def test_sensitive_asset_needs_an_approval(client, editor, member, member_token, photo):
    photo.sensitive = True
    db.session.commit()
    url = f"/api/assets/{photo.id}/download?size=preview"
    with client.get(url, headers=bearer(member_token)) as r:
        assert r.status_code == 403 and "approval" in r.json["error"]["message"]
    request = approvals.request_approval(member, photo, "Feature story")
    approvals.decide(request.id, "approved", editor)
    with client.get(url, headers=bearer(member_token)) as r:
        assert r.status_code == 200
    assert [e.via for e in events()] == ["api"]


def test_draft_asset_is_404_for_a_member_token(client, member_token, make_gallery, make_asset):
    draft = make_asset(make_gallery(status="draft"))
    with client.get(f"/api/assets/{draft.id}/download", headers=bearer(member_token)) as r:
        assert r.status_code == 404 and r.json["error"]["status"] == 404


def test_member_token_cannot_use_the_editor_api(client, member_token, photo):
    gallery_id = photo.gallery_id
    for method, path, body in (("post", "/api/galleries", {"title": "x", "category": "Health"}),
                               ("patch", f"/api/galleries/{gallery_id}", {"title": "x"}),
                               ("delete", f"/api/assets/{photo.id}", None)):
        response = getattr(client, method)(path, json=body, headers=bearer(member_token))
        assert response.status_code == 403, path
        assert response.json["error"]["status"] == 403
    db.session.expire_all()
    assert photo.deleted_at is None


def test_download_token_stays_download_only_for_staff(client, editor, photo):
    token = apitokens.create_token(editor, "fetcher", editor, "download")[1]
    assert token.startswith("gald_")
    assert client.get(f"/api/assets/{photo.id}/download?size=preview",
                      headers=bearer(token)).status_code == 200
    refused = client.patch(f"/api/assets/{photo.id}", json={"caption": "x"}, headers=bearer(token))
    assert refused.status_code == 403 and "download token" in refused.json["error"]["message"]
    # It downloads on the download routes too, and opens nothing else (pages, forms).
    with client.get(f"/download/assets/{photo.id}/preview", headers=bearer(token)) as r:
        assert r.status_code == 200 and r.data[:2] == b"\xff\xd8"
    assert client.get("/manage/", headers=bearer(token)).status_code == 403
    assert client.post(f"/download/assets/{photo.id}/preview", headers=bearer(token)).status_code == 403


def test_download_token_takes_a_gallery_zip(client, member, member_token, photo):
    with client.get(f"/download/galleries/{photo.gallery_id}.zip?size=preview&use=web",
                    headers=bearer(member_token)) as r:
        assert r.status_code == 200 and r.mimetype == "application/zip"
        with zipfile.ZipFile(io.BytesIO(r.data)) as archive:
            assert len([n for n in archive.namelist() if n.endswith(".jpg")]) == 1
    assert [(e.user_id, e.asset_id, e.via) for e in events()] == [(member.id, photo.id, "zip")]


def test_gallery_zip_refusals_to_a_token_say_why_in_json(client, make_user, member_token, photo):
    fresh = make_user("member")
    token = apitokens.create_token(fresh, "dl", fresh)[1]
    with client.get(f"/download/galleries/{photo.gallery_id}.zip", headers=bearer(token)) as r:
        assert r.status_code == 403 and "terms of use" in r.json["error"]["message"]
    with client.get(f"/download/galleries/{photo.gallery_id}.zip?size=huge",
                    headers=bearer(member_token)) as r:
        assert r.status_code == 400 and "Choose one of these sizes" in r.json["error"]["message"]
    with client.get(f"/download/galleries/{photo.gallery_id}.zip", headers=bearer("gald_" + "x" * 43)) as r:
        assert r.status_code == 401
    assert events() == []


def test_member_token_reads_the_api(client, member_token, photo):
    listing = client.get(f"/api/assets/{photo.id}", headers=bearer(member_token))
    assert listing.status_code == 200 and listing.json["asset"]["id"] == photo.id


def test_no_csrf_for_bearer_downloads(app, client, member_token, photo):
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        with client.get(f"/api/assets/{photo.id}/download", headers=bearer(member_token)) as r:
            assert r.status_code == 200
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


def test_token_list_shows_each_tokens_kind(client, editor, login_as):
    apitokens.create_token(editor, "Uploader", editor, "editor")
    apitokens.create_token(editor, "Fetcher", editor, "download")
    login_as(editor)
    page = BeautifulSoup(client.get("/account/tokens/").data, "html.parser")
    rows = {r.select("td")[0].get_text(): r.select("td")[1].get_text()
            for r in page.select("tr.token-row")}
    assert rows == {"Uploader": "Editor", "Fetcher": "Download"}

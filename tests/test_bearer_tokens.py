"""A request that sends a bearer token that is not live gets a 401, never the anonymous view."""
from __future__ import annotations

import pytest
from bs4 import BeautifulSoup

from gallery.services import accounts, apitokens, terms
from tests.conftest import bearer


@pytest.fixture
def photo(make_gallery, make_asset):
    return make_asset(make_gallery(title="Shelters"), caption="A shelter roof.")


@pytest.fixture
def tokens(member, editor):
    """A live download token, a revoked one, and a live editor token."""
    terms.accept(member)
    live = apitokens.create_token(member, "live", member)[1]
    row, revoked = apitokens.create_token(member, "old", member)
    apitokens.revoke_token(row.id, member)
    return {"live": live, "revoked": revoked, "editor": apitokens.create_token(editor, "e", editor)[1]}


def assert_401_json(response) -> None:
    assert response.status_code == 401
    assert response.json["error"]["status"] == 401
    assert "not valid" in response.json["error"]["message"]
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


@pytest.mark.parametrize("path", ["/api/galleries", "/api/categories", "/api/search?q=roof",
                                  "/api/openapi.json"])
def test_revoked_token_is_401_on_the_read_api(client, tokens, photo, path):
    assert_401_json(client.get(path, headers=bearer(tokens["revoked"])))
    assert client.get(path).status_code == 200  # without the header: the public view


def test_revoked_token_is_401_on_the_api_download(client, tokens, photo):
    with client.get(f"/api/assets/{photo.id}/download?size=large", headers=bearer(tokens["revoked"])) as r:
        assert_401_json(r)


@pytest.mark.parametrize("token", ["gald_" + "x" * 43, "gal_" + "y" * 43, "nonsense", "", "gal_\x00"])
def test_unknown_or_malformed_token_is_401(client, photo, token):
    assert_401_json(client.get("/api/galleries", headers=bearer(token)))
    assert_401_json(client.get(f"/api/assets/{photo.id}", headers=bearer(token)))


def test_token_of_a_deactivated_account_is_401(client, admin, member, tokens):
    accounts.set_active(admin, member, False)
    assert_401_json(client.get("/api/galleries", headers=bearer(tokens["live"])))


def test_revoked_token_on_a_page_is_a_401_page(client, tokens, photo):
    r = client.get("/galleries", headers=bearer(tokens["revoked"]))
    assert r.status_code == 401 and r.mimetype == "text/html"
    assert r.headers["WWW-Authenticate"].startswith("Bearer")
    page = BeautifulSoup(r.data, "html.parser")
    assert "not valid" in page.select_one(".error-page .lead").get_text()


def test_a_session_does_not_hide_a_revoked_token(client, member, tokens, login_as):
    login_as(member)
    assert_401_json(client.get("/api/galleries", headers=bearer(tokens["revoked"])))
    assert client.get("/api/galleries").status_code == 200


def test_live_tokens_still_work(client, tokens, photo, make_gallery):
    draft = make_gallery(title="Draft only", status="draft")
    r = client.get("/api/galleries", headers=bearer(tokens["live"]))
    assert r.status_code == 200 and "WWW-Authenticate" not in r.headers
    with client.get(f"/api/assets/{photo.id}/download?size=large&use=press",
                    headers=bearer(tokens["live"])) as r:
        assert r.status_code == 200 and r.data[:2] == b"\xff\xd8"
    # An editor token sees drafts, as the editor's session does.
    listed = client.get("/api/galleries", headers=bearer(tokens["editor"])).json["galleries"]
    assert draft.id in [g["id"] for g in listed]
    edited = client.patch(f"/api/galleries/{draft.id}", json={"credit": "B"},
                          headers=bearer(tokens["editor"]))
    assert edited.status_code == 200


def test_other_authorization_schemes_are_not_judged(client, photo):
    # A proxy's Basic authentication reaches the app too: it is not a token of ours.
    r = client.get("/api/galleries", headers={"Authorization": "Basic dXNlcjpwYXNz"})
    assert r.status_code == 200


def test_revoked_token_is_401_before_the_csrf_check(app, tokens, photo):
    from gallery import create_app

    config = {key: app.config[key] for key in ("DATABASE_URL", "UPLOAD_DIR", "SEARCH_INDEX_DIR")}
    other = create_app({**config, "TESTING": True, "SECRET_KEY": "test-secret",
                        "WTF_CSRF_ENABLED": True})
    try:
        client = other.test_client()
        assert_401_json(client.post("/api/galleries", json={"title": "X"},
                                    headers=bearer(tokens["revoked"])))
        r = client.post("/manage/upload", data={"title": "X"}, headers=bearer(tokens["revoked"]))
        assert r.status_code == 401
    finally:
        other.extensions["db_engine"].dispose()


def test_a_proxy_basic_header_does_not_skip_the_upload_csrf_check(app, editor, make_gallery):
    import io

    from gallery import create_app
    from tests.conftest import image_bytes

    gallery = make_gallery()
    config = {key: app.config[key] for key in ("DATABASE_URL", "UPLOAD_DIR", "SEARCH_INDEX_DIR")}
    other = create_app({**config, "TESTING": True, "SECRET_KEY": "test-secret",
                        "WTF_CSRF_ENABLED": True})
    try:
        client = other.test_client()
        with client.session_transaction() as session:
            session["_user_id"] = editor.get_id()
        # What a cross-site form sends when the browser holds Basic credentials for the site.
        r = client.post(f"/api/galleries/{gallery.id}/assets",
                        data={"file": (io.BytesIO(image_bytes()), "forged.jpg")},
                        headers={"Authorization": "Basic dXNlcjpwYXNz"})
        assert r.status_code == 400 and "form" in r.json["error"]["message"].lower()
    finally:
        other.extensions["db_engine"].dispose()

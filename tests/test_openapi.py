"""The OpenAPI document: valid, complete for every /api rule, and true to the real responses."""
from __future__ import annotations

import io
import re

import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate

from gallery.services import apitokens
from tests.conftest import bearer, image_bytes

IGNORED_METHODS = {"HEAD", "OPTIONS"}


def rule_to_path(rule: str) -> str:
    """Flask's /api/galleries/<int:gallery_id> as OpenAPI's /api/galleries/{gallery_id}."""
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule)


@pytest.fixture
def doc(client):
    with client.get("/api/openapi.json") as response:
        assert response.status_code == 200
        return response.json


def test_document_is_valid_openapi_31(doc):
    validate(doc)
    assert doc["openapi"].startswith("3.1")


def test_every_api_rule_is_documented_and_nothing_else(app, doc):
    served = {(rule_to_path(r.rule), m.lower()) for r in app.url_map.iter_rules()
              if r.rule.startswith("/api/") for m in r.methods - IGNORED_METHODS}
    documented = {(path, method) for path, ops in doc["paths"].items() for method in ops
                  if method in ("get", "post", "put", "patch", "delete")}
    assert served - documented == set(), "routes missing from gallery/openapi.py"
    assert documented - served == set(), "documented routes that do not exist"


def test_every_api_rule_has_a_written_description(app):
    from gallery import openapi

    written = {(p, m) for section in openapi.PATH_SECTIONS for p, ops in section().items() for m in ops}
    assert openapi.served_operations() - written == set(), "add the route to gallery/openapi.py"


class Checker:
    """Checks responses against the document and remembers which operations were exercised."""

    def __init__(self, doc):
        self.doc = doc
        self.seen: set[tuple[str, str]] = set()

    def schema_for(self, path: str, method: str, status: int):
        responses = self.doc["paths"][path][method]["responses"]
        assert str(status) in responses, f"{method.upper()} {path} answered an undocumented {status}"
        response = responses[str(status)]
        if "$ref" in response:
            response = self.doc["components"]["responses"][response["$ref"].rsplit("/", 1)[-1]]
        return response.get("content", {}).get("application/json", {}).get("schema")

    def __call__(self, response, path: str, method: str) -> None:
        self.seen.add((path, method))
        schema = self.schema_for(path, method, response.status_code)
        if schema is None:
            if response.status_code >= 300:
                assert not response.data, f"{method} {path}: body where none is documented"
            return
        assert response.is_json, f"{method} {path}: not JSON"
        validator = Draft202012Validator({**schema, "components": self.doc["components"]})
        errors = sorted(validator.iter_errors(response.json), key=lambda e: e.path)
        assert not errors, f"{method} {path} {response.status_code}: {errors[0].message}"


def test_real_responses_match_the_documented_schemas(client, doc, editor, member, make_gallery, make_asset):
    check = Checker(doc)
    token = apitokens.create_token(editor, "openapi", editor)[1]
    auth = {"Authorization": f"Bearer {token}"}
    gallery = make_gallery(title="Schema gallery")
    other = make_gallery(title="Other gallery")
    asset, second = make_asset(gallery, caption="A caption"), make_asset(gallery)

    def call(method, path, template, **kwargs):
        with getattr(client, method)(path, **kwargs) as response:
            check(response, template, method)
            return response

    g, a = "/api/galleries/{gallery_id}", "/api/assets/{asset_id}"
    ops = {(p, m) for p, o in doc["paths"].items() for m in o}
    call("get", "/api/openapi.json", "/api/openapi.json")
    # Read-only catalogue and search (other areas' routes, when the app has them).
    if ("/api/galleries", "get") in ops:
        call("get", "/api/galleries", "/api/galleries")
        call("get", "/api/galleries?page=abc", "/api/galleries")
    if (g, "get") in ops:
        call("get", f"/api/galleries/{gallery.id}", g)
        call("get", "/api/galleries/999999", g)
    if (a, "get") in ops:
        call("get", f"/api/assets/{asset.id}", a)
        call("get", "/api/assets/999999", a)
    for path in ("/api/categories", "/api/countries"):
        if (path, "get") in ops:
            call("get", path, path)
    if ("/api/search", "get") in ops:
        assert call("get", "/api/search?q=caption", "/api/search").json["total"] == 1
    if (g + "/assets", "post") in ops:
        def upload(name, color):
            return {"file": (io.BytesIO(image_bytes(color=color)), name), "caption": "Uploaded"}
        call("post", f"/api/galleries/{gallery.id}/assets", g + "/assets", headers=auth,
             data=upload("new.jpg", (9, 9, 9)), content_type="multipart/form-data")
        call("post", f"/api/galleries/{gallery.id}/assets", g + "/assets", headers=auth,
             data=upload("again.jpg", (9, 9, 9)), content_type="multipart/form-data")
        call("post", f"/api/galleries/{gallery.id}/assets", g + "/assets", headers=auth,
             data={"caption": "no file"}, content_type="multipart/form-data")
        call("post", f"/api/galleries/{gallery.id}/assets", g + "/assets",
             data=upload("anon.jpg", (8, 8, 8)), content_type="multipart/form-data")
    if (a + "/download", "get") in ops:
        # Staff may always download; anonymous callers are told to log in.
        assert call("get", f"/api/assets/{asset.id}/download?size=preview", a + "/download",
                    headers=auth).status_code == 200
        assert call("get", f"/api/assets/{asset.id}/download", a + "/download").status_code == 401
        call("get", "/api/assets/999999/download", a + "/download", headers=auth)
        # A member's download token: terms not accepted yet, then a bad intended use.
        member_auth = {"Authorization": "Bearer " + apitokens.create_token(member, "dl", member)[1]}
        assert call("get", f"/api/assets/{asset.id}/download", a + "/download",
                    headers=member_auth).status_code == 403
        assert call("get", f"/api/assets/{asset.id}/download?use=nonsense", a + "/download",
                    headers=auth).status_code == 400
    # Editor API: success, validation error, no credentials, not found.
    created = call("post", "/api/galleries", "/api/galleries", headers=auth,
                   json={"title": "Made by the API", "category": "Health", "country": "KEN"})
    assert created.status_code == 201
    call("post", "/api/galleries", "/api/galleries", headers=auth, json={"title": ""})
    call("post", "/api/galleries", "/api/galleries", json={"title": "x"})
    call("patch", f"/api/galleries/{gallery.id}", g, headers=auth, json={"date": "2024-01-02"})
    call("patch", f"/api/galleries/{gallery.id}", g, headers=auth, json={"date": "soon"})
    call("patch", "/api/galleries/999999", g, headers=auth, json={"title": "x"})
    call("post", f"/api/galleries/{gallery.id}/order", g + "/order", headers=auth,
         json={"order": [second.id, asset.id]})
    call("post", f"/api/galleries/{gallery.id}/order", g + "/order", headers=auth, json={"order": []})
    call("post", f"/api/galleries/{gallery.id}/arrange", g + "/arrange", headers=auth,
         json={"ids": [second.id, asset.id], "order": "name"})
    call("post", f"/api/galleries/{gallery.id}/arrange", g + "/arrange", headers=auth,
         json={"ids": [second.id], "order": "sideways"})
    call("patch", f"/api/assets/{asset.id}", a, headers=auth,
         json={"caption": "New", "country": "UGA", "date_taken": "2023-05-06", "sensitive": True})
    call("patch", f"/api/assets/{asset.id}", a, headers=auth, json={"consent": "perhaps"})
    call("patch", f"/api/assets/{asset.id}", a, headers=auth, json={"gallery_id": other.id})
    call("delete", f"/api/assets/{second.id}", a, headers=auth)
    call("delete", f"/api/assets/{second.id}", a, headers=auth)
    call("delete", f"/api/galleries/{other.id}", g, headers=auth)
    call("delete", f"/api/galleries/{other.id}", g)
    # Members are refused with the documented 403 body.
    member_client = client.application.test_client()
    with member_client.session_transaction() as sess:
        sess["_user_id"] = member.get_id()
    with member_client.patch(f"/api/galleries/{gallery.id}", json={"title": "x"}) as response:
        check(response, g, "patch")
        assert response.status_code == 403

    # Lightboxes (issue 16): a member's own, with a download token (which may manage them).
    lb, lbi = "/api/lightboxes", "/api/lightboxes/{lightbox_id}"
    if (lb, "get") in ops:
        mine = {"Authorization": "Bearer " + apitokens.create_token(member, "lb", member)[1]}
        kept = make_asset(gallery, caption="Kept for a lightbox")
        call("get", lb, lb, headers=mine)
        call("get", lb, lb)
        made = call("post", lb, lb, headers=mine, json={"name": "Press picks", "note": "For Monday"})
        assert made.status_code == 201
        box = made.json["lightbox"]["id"]
        call("post", lb, lb, headers=mine, json={"name": ""})
        call("get", f"{lb}/{box}", lbi, headers=mine)
        call("get", f"{lb}/999999", lbi, headers=mine)
        call("patch", f"{lb}/{box}", lbi, headers=mine, json={"name": "Renamed"})
        call("patch", f"{lb}/{box}", lbi, headers=mine, json={"note": "x" * 5000})
        added = call("post", f"{lb}/{box}/items", lbi + "/items", headers=mine,
                     json={"asset_ids": [kept.id]})
        assert added.json["lightbox"]["items"][0]["asset"]["id"] == kept.id
        call("post", f"{lb}/{box}/items", lbi + "/items", headers=mine, json={"asset_ids": [999999]})
        call("post", f"{lb}/{box}/order", lbi + "/order", headers=mine, json={"order": [kept.id]})
        call("post", f"{lb}/{box}/order", lbi + "/order", headers=mine, json={"order": [1, 1]})
        call("delete", f"{lb}/{box}/items/{kept.id}", lbi + "/items/{asset_id}", headers=mine)
        call("delete", f"{lb}/999999/items/{kept.id}", lbi + "/items/{asset_id}", headers=mine)
        call("delete", f"{lb}/{box}", lbi, headers=mine)
        call("delete", f"{lb}/{box}", lbi, headers=mine)

    documented = {(p, m) for p, ops in doc["paths"].items() for m in ops}
    assert documented - check.seen == set(), "documented operations without a response check"


def test_reading_and_ingest_answer_the_one_documented_asset(client, doc, editor, make_gallery):
    """GET /api/assets/<id> and the ingest POST give the Asset schema, key for key and type for type."""
    schema = doc["components"]["schemas"]["Asset"]
    ingest = doc["paths"]["/api/galleries/{gallery_id}/assets"]["post"]["responses"]["201"]
    assert ingest["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Asset"}
    validator = Draft202012Validator({**schema, "components": doc["components"]})
    auth = bearer(apitokens.create_token(editor, "shape", editor)[1])
    gallery = make_gallery(title="Shape gallery")
    with client.post(f"/api/galleries/{gallery.id}/assets", headers=auth, data={
            "file": (io.BytesIO(image_bytes()), "shape.jpg"), "country": "UGA"}) as response:
        assert response.status_code == 201
        posted = response.json
    with client.get(f"/api/assets/{posted['id']}", headers=auth) as response:
        read = response.json["asset"]
    for body in (posted, read):
        assert not list(validator.iter_errors(body))
        assert set(schema["required"]) <= set(body) <= set(schema["properties"])
        assert body["country"]["code"] == "UGA"
    assert set(posted) - set(read) == {"consent", "original_filename", "sha256"}
    assert {k: v for k, v in posted.items() if k in read} == read

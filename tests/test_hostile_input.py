"""Hostile input: huge ids, NUL bytes, lone surrogates and bad encodings are a 404 or a 400, never a 500."""
from __future__ import annotations

import io
import itertools
import json
import re
from pathlib import Path
from urllib.parse import quote

import pytest

from tests.conftest import image_bytes

BIG = 99999999999  # past PostgreSQL's integer (2**31 - 1)
NUL = "a\x00b"
BAD_UTF8 = "%ED%A0%80"  # the UTF-8 bytes of a lone surrogate, percent-encoded
SURROGATE_JSON = '"\\ud800"'  # a lone surrogate written as JSON allows
NUMERIC = re.compile(r"id|page|position|version|asset|gallery|year|target|order|from|to")
SOURCE = Path(__file__).resolve().parent.parent / "gallery"
# Form fields of the WTForms forms (their names are not spelled as request.form.get("...")).
FORM_FIELDS = ("email", "password", "remember", "next", "name", "organisation", "confirm",
               "accept_terms", "current_password", "new_password", "role", "active", "title",
               "caption", "description", "credit", "creator", "copyright", "keywords", "city",
               "country", "category", "date", "date_taken", "alt_text", "status", "consent",
               "sensitive", "use", "reason", "decision", "scope", "target", "order", "ids",
               "asset_ids", "gallery_id", "cover_asset_id", "pick_position", "editors_pick",
               "direction", "version", "accept", "body", "q", "page", "per_page", "asset", "gallery",
               "size", "type", "year", "sort", "view", "from", "to", "by", "format",
               # OAI-PMH arguments (/oai reads them all as pairs)
               "verb", "metadataPrefix", "identifier", "set", "until", "resumptionToken")


def input_names() -> list[str]:
    """Every query or form argument the app reads, found in its source, and the form fields."""
    pattern = re.compile(r"(?:args|form|values)(?:\.get|\.getlist)?[(\[]\"(\w+)\"")
    names = set(FORM_FIELDS)
    for path in SOURCE.rglob("*.py"):
        names.update(pattern.findall(path.read_text(encoding="utf-8")))
    return sorted(names)


@pytest.fixture
def world(app, make_gallery, make_asset, make_user, editor, admin, member):
    """A published gallery with an asset, and one of each kind of thing a URL can name."""
    from gallery.extensions import db
    from gallery.services import apitokens, saved_searches

    gallery = make_gallery()
    asset = make_asset(gallery, caption="Water point")
    row, _token = apitokens.create_token(member, "script", member)
    from gallery.services import lightbox_links, lightboxes

    box = lightboxes.create(editor, "Hostile picks")
    lightboxes.add(editor, box, [asset.id])
    link, _link_token = lightbox_links.create(editor, box, "presskit", sizes=["preview"])
    saved = saved_searches.save(member, "Water", {"q": "water"}, email_daily=True)
    db.session.commit()
    return {
        "asset_id": asset.id, "gallery_id": gallery.id, "user_id": member.id,
        "category_id": gallery.category_id, "token_id": row.id, "approval_id": 1,
        "item_id": asset.id, "slug": gallery.category.slug, "code": "KEN",
        "gallery_ref": f"{gallery.id}-{gallery.slug}", "size": "preview", "kind": "asset", "action": "restore",
        "key": "terms", "token": "not-a-reset-token", "filename": "css/gallery.css", "number": 1,
        "region": "full", "rotation": "0", "quality_format": "default.jpg",  # IIIF image requests
        "editor": editor, "admin": admin, "lightbox_id": box.id, "link_id": link.id,
        "saved_id": saved.id,
    }


def path_variants(rule, base: dict) -> list[str]:
    """The rule's URL with real values, then with each part replaced by each hostile value."""
    def build(values: dict) -> str:
        url = rule.rule
        for name, value in values.items():
            url = re.sub(rf"<(?:[^:<>]+:)?{name}>", value, url)
        return url

    real = {name: quote(str(base[name]), safe="/") for name in rule.arguments}
    urls = [build(real)]
    for name, converter in rule._converters.items():
        if type(converter).__name__ == "IntegerConverter" or hasattr(converter, "num_convert"):
            hostile = [str(BIG), "0", str(2**31), str(2**63)]
            if getattr(converter, "signed", False):
                hostile.append("-1")
        else:
            # Numbers too: some text parts start with an id ("<id>-<slug>" gallery addresses).
            hostile = [quote(NUL), BAD_UTF8, f"{BIG}-x", f"{2**63}-x", quote("²-x")]
        urls.extend(build({**real, name: value}) for value in hostile)
    return urls


def query_variants(names: list[str]) -> list[str]:
    """Query strings giving every argument a huge number, a NUL, bad UTF-8, -1, 0 and "²", and
    the numeric ones more digits than int() reads."""
    variants = []
    for value in (str(BIG), quote(NUL), BAD_UTF8, "-1", "0", str(2**63), quote("²")):
        variants.append("&".join(f"{name}={value}" for name in names))
    numeric = [name for name in names if NUMERIC.search(name)]
    variants.append("&".join(f"{name}={'9' * 4301}" for name in numeric))
    return variants


def body_variants(names: list[str]) -> list[dict]:
    """Request bodies: forms with huge numbers and NULs, a multipart upload with a NUL file name,
    and JSON with lone surrogates, NULs and huge ids in every field."""
    variants: list[dict] = [
        {"data": {name: str(BIG) for name in names}},
        {"data": {name: str(2**63) for name in names}},
        {"data": {name: NUL for name in names}},
        {"data": {name: "²" for name in names}},  # a digit to str.isdigit(), not to int()
        {"data": {**{name: NUL for name in names},
                  "file": (io.BytesIO(image_bytes()), "photo\x00.jpg")},
         "content_type": "multipart/form-data"},
    ]
    for value in (SURROGATE_JSON, json.dumps(NUL), str(BIG), f"[{BIG}]", "-1"):
        text = "{" + ", ".join(f'"{name}": {value}' for name in names) + "}"
        variants.append({"data": text, "content_type": "application/json"})
    variants.append({"data": '{"caption": "ok", "\\udc80": 1}', "content_type": "application/json"})
    variants.append({"data": b'{"caption": "\xed\xa0\x80"}', "content_type": "application/json"})
    variants.append({"data": "[" * 100_000, "content_type": "application/json"})  # too deep to parse
    return variants


DESTRUCTIVE = ("delete", "logout", "empty", "revoke", "active", "role", "trash", "merge", "move")


def requests_for(app, base: dict) -> list[tuple[str, str, dict]]:
    """(method, url, request kwargs) for every route, every method, every hostile value."""
    names = input_names()
    queries = query_variants(names)
    bodies = body_variants(names)
    plan = []
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            urls = path_variants(rule, base)
            for url in urls:
                plan.append((method, url, {}))
            for query in queries:
                plan.append((method, f"{urls[0]}?{query}", {}))
            if method != "GET":
                for body in bodies:
                    plan.append((method, urls[0], body))
    # Requests that change or remove things go last, so the others still find them.
    return sorted(plan, key=lambda p: (p[0] == "DELETE" or any(w in p[1] for w in DESTRUCTIVE)))


@pytest.mark.parametrize("role", ["anonymous", "editor", "admin"])
def test_no_route_answers_5xx_to_hostile_input(app, world, role):
    """Every route, every method, every hostile value: a 4xx (or the page), never a 5xx."""
    from flask import g

    user = world.get(role)
    client = app.test_client()
    addresses = (f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}" for n in itertools.count(1))
    failures = []
    for method, url, kwargs in requests_for(app, world):
        if user is not None:
            with client.session_transaction() as session:  # the logout route ends it: log in again
                session["_user_id"] = user.get_id()
        g.pop("_login_user", None)
        data = kwargs.get("data")
        if isinstance(data, dict) and "file" in data:  # each request needs a fresh stream
            kwargs = {**kwargs, "data": {**data, "file": (io.BytesIO(image_bytes()), "photo\x00.jpg")}}
        what = f"{method} {url[:120]} {str(data or '')[:70]}"
        try:
            # One address per request, so the login rate limit never hides what comes after it.
            response = client.open(url, method=method, environ_base={"REMOTE_ADDR": next(addresses)},
                                   **kwargs)
        except Exception as exc:  # noqa: BLE001  raised past the error handlers: a 500 in production
            failures.append(f"{what} -> {type(exc).__name__}: {exc}")
            continue
        with response:  # file responses hold their file open until closed
            if response.status_code >= 500:
                failures.append(f"{what} -> {response.status_code}")
            else:
                _check_error_shape(url, response)
    assert not failures, f"{len(failures)} requests answered 5xx:\n" + "\n".join(failures)


def _check_error_shape(url: str, response) -> None:
    """A 4xx answers JSON under /api/ and /iiif/ and an HTML page elsewhere, as every other error does."""
    if response.status_code < 400 or response.status_code in (405,):
        return
    if url.startswith(("/api/", "/iiif/", "/oembed")):
        body = response.get_json(silent=True)
        assert body and set(body["error"]) >= {"status", "message"}, (url, response.data[:200])
    elif not url.startswith("/static/"):
        assert response.mimetype == "text/html", (url, response.status_code, response.mimetype)


# --- What a visitor or a script sees ------------------------------------------------------------

def _page_message(response) -> str:
    """The message of an HTML error page."""
    from bs4 import BeautifulSoup

    return BeautifulSoup(response.data, "html.parser").select_one(".error-page .lead").get_text()


@pytest.mark.parametrize("path", [
    f"/assets/{BIG}", f"/media/{BIG}/thumb.jpg", f"/media/{BIG}/original",
    f"/download/assets/{BIG}/large", f"/download/galleries/{BIG}.zip", f"/galleries/{BIG}-water",
    "/galleries/%C2%B2-water", f"/assets/{2**31}", "/assets/0",
])
def test_ids_no_row_can_have_are_an_html_404(client, path):
    with client.get(path) as r:
        assert r.status_code == 404 and r.mimetype == "text/html"
        assert "nothing here" in _page_message(r)


@pytest.mark.parametrize("path", [f"/api/galleries/{BIG}", f"/api/assets/{BIG}",
                                  f"/api/assets/{BIG}/download", f"/api/assets/{2**31}"])
def test_ids_no_row_can_have_are_a_json_404(client, path):
    r = client.get(path)
    assert r.status_code == 404 and r.json["error"]["status"] == 404


def test_staff_pages_with_huge_ids_are_404(client, editor, login_as):
    login_as(editor)
    for path in (f"/manage/galleries/{BIG}", f"/manage/assets/{BIG}/edit",
                 f"/manage/galleries/{BIG}/captions"):
        assert client.get(path).status_code == 404, path
    assert client.post(f"/manage/galleries/{BIG}/status").status_code == 404


@pytest.mark.parametrize("path, field", [
    ("/galleries?category=%00", "category"), ("/search?q=a%00", "q"),
    ("/galleries?page=1&country=KEN%00", "country"), ("/?type=%00image", "type"),
])
def test_nul_in_a_filter_is_a_400_page_naming_it(client, make_gallery, path, field):
    make_gallery()
    r = client.get(path)
    assert r.status_code == 400 and r.mimetype == "text/html"
    assert f"query argument “{field}”" in _page_message(r) and "NUL" in _page_message(r)


def test_nul_in_an_api_filter_is_a_json_400_naming_the_field(client):
    r = client.get("/api/galleries?category=health%00")
    assert r.status_code == 400
    assert r.json["error"]["field"] == "category" and "NUL" in r.json["error"]["message"]


def test_nul_in_the_login_email_is_a_400_and_nobody_is_logged_in(client, member):
    r = client.post("/login", data={"email": member.email + "\x00", "password": "x"})
    assert r.status_code == 400 and "form field “email”" in _page_message(r)
    assert client.get("/account").status_code == 302  # still anonymous: sent to log in


def test_lone_surrogate_in_the_editor_api_is_a_400_and_nothing_changes(client, editor, make_gallery,
                                                                       make_asset):
    from gallery.extensions import db
    from gallery.services import apitokens

    asset = make_asset(make_gallery(), caption="Before")
    token = apitokens.create_token(editor, "t", editor)[1]
    r = client.patch(f"/api/assets/{asset.id}", data='{"caption": "\\ud800 after"}',
                     content_type="application/json", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 400
    assert r.json["error"]["field"] == "caption" and "surrogate" in r.json["error"]["message"]
    db.session.expire_all()
    assert asset.caption == "Before"


def test_json_nested_too_deep_is_a_400(client, editor, login_as):
    login_as(editor)
    r = client.post("/api/galleries", data="[" * 100_000, content_type="application/json")
    assert r.status_code == 400 and r.json["error"]["field"] == "body"


def test_json_posted_to_a_page_form_is_415(client, member):
    r = client.post("/login", json={"email": member.email, "password": 5, "next": 7})
    assert r.status_code == 415 and "form posts" in _page_message(r)


@pytest.mark.parametrize("query", ["asset=%C2%B2", f"asset={BIG}", "asset=abc"])
def test_bad_ticked_ids_in_a_zip_request_are_a_400_naming_them(client, member, make_gallery, query):
    from gallery.services import terms

    terms.accept(member)
    gallery = make_gallery()
    client.post("/login", data={"email": member.email, "password": "correct horse battery staple"})
    with client.get(f"/download/galleries/{gallery.id}.zip?{query}") as r:
        assert r.status_code == 400 and "Asset" in _page_message(r)


@pytest.mark.parametrize("form", [{"gallery_id": "²"}, {"gallery_id": str(BIG)}])
def test_bad_ids_in_staff_forms_are_field_errors(client, editor, login_as, make_gallery, make_asset,
                                                 form):
    from gallery.extensions import db

    asset = make_asset(make_gallery())
    home = asset.gallery_id
    login_as(editor)
    r = client.post(f"/manage/assets/{asset.id}/move", data=form)
    assert r.status_code < 500
    db.session.expire_all()
    assert asset.gallery_id == home


def test_activity_of_a_trashed_gallery_links_back_to_the_trash(client, editor, admin, login_as,
                                                               make_gallery, make_asset):
    from bs4 import BeautifulSoup

    from gallery.services import trash

    gallery = make_gallery(title="Binned")
    asset = make_asset(gallery)
    trash.trash_gallery(gallery.id, editor)
    login_as(admin)
    for path in (f"/manage/galleries/{gallery.id}/activity", f"/manage/assets/{asset.id}/activity"):
        r = client.get(path)
        assert r.status_code == 200, path
        hrefs = [a["href"] for a in BeautifulSoup(r.data, "html.parser").select("a[href]")]
        assert "/manage/trash" in hrefs


def test_whole_number_parsing_is_ascii_and_bounded():
    from gallery.exceptions import ValidationError
    from gallery.services import fields

    assert fields.integer("2147483647", "n") == 2**31 - 1
    for bad in ("2147483648", "²", "١", "9" * 5000, str(BIG)):
        with pytest.raises(ValidationError):
            fields.integer(bad, "n")
    assert [fields.as_id(v) for v in ("12", 12, "0", "²", str(BIG), True, None)] == [
        12, 12, None, None, None, None, None]


def test_nul_in_a_header_the_app_reads_is_a_400(client, editor, login_as):
    login_as(editor)
    r = client.post("/api/galleries", json={"title": "X"}, headers={"X-CSRFToken": "abc\x00"})
    assert r.status_code == 400 and r.json["error"]["field"] == "X-CSRFToken"

"""Consent (issue 11, item 3): withheld never reaches the public; unknown follows a setting."""
from __future__ import annotations

import io
import zipfile

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import select

from gallery.extensions import db
from gallery.models import DownloadEvent, Gallery
from gallery.services import assets, galleries, terms


def soup(client, path: str, status: int = 200) -> BeautifulSoup:
    """GET a page, check its status, parse it."""
    with client.get(path) as response:
        assert response.status_code == status, (path, response.status_code)
        return BeautifulSoup(response.data, "html.parser")


def tile_ids(page: BeautifulSoup, scope: str = ".asset-grid") -> list[int]:
    """Asset ids of the tiles (or result rows) on a page, in order."""
    return [int(el["data-asset-id"]) for el in page.select(f"{scope} [data-asset-id]")]


def json_of(client, path: str, status: int = 200) -> dict:
    """GET a JSON answer and check its status."""
    with client.get(path) as response:
        assert response.status_code == status, (path, response.status_code)
        return response.get_json()


@pytest.fixture
def world(make_gallery, make_asset, make_user):
    """A published gallery: a well, a withheld child's portrait (the cover), a queue."""
    editor = make_user("editor")
    gallery = make_gallery(title="Water in Kakuma", category="Health")
    first = make_asset(gallery, caption="Borehole in Lodwar at dawn.")
    withheld = make_asset(gallery, caption="Portrait of a schoolgirl holding a jerrycan.")
    last = make_asset(gallery, caption="Queue at the borehole.")
    assets.update_asset(withheld.id, {"consent": "withheld"}, editor)
    galleries.set_cover(gallery.id, withheld.id, editor)
    return {"gallery": gallery, "first": first, "withheld": withheld, "last": last, "editor": editor}


@pytest.fixture(params=["anonymous", "member"])
def visitor(request, make_user, login_as):
    """Each public role in turn: nobody logged in, then a member who accepted the terms."""
    if request.param == "member":
        member = make_user("member")
        terms.accept(member)
        login_as(member)
    return request.param


def test_withheld_asset_is_absent_from_public_pages(client, world, visitor):
    gallery, withheld, first, last = world["gallery"], world["withheld"], world["first"], world["last"]
    page = soup(client, f"/galleries/{gallery.id}-{gallery.slug}")
    assert tile_ids(page) == [first.id, last.id]
    assert page.select_one(".gallery-count").get_text() == "2 items"
    assert not page.select(".badge-consent")
    soup(client, f"/assets/{withheld.id}", 404)
    with client.get(f"/media/{withheld.id}/thumb.jpg") as thumb:
        assert thumb.status_code == 404
    # Previous / next skip it, and the position counts only what the visitor sees.
    before = soup(client, f"/assets/{first.id}")
    assert before.select_one("a.asset-next")["href"] == f"/assets/{last.id}"
    after = soup(client, f"/assets/{last.id}")
    assert after.select_one("a.asset-prev")["href"] == f"/assets/{first.id}"
    assert after.select_one(".asset-position").get_text() == "2 of 2"
    # Cards on the home and category pages: counts and cover leave it out.
    for path in ("/", f"/categories/{gallery.category.slug}"):
        home = soup(client, path)
        card = next(c for c in home.select(".card") if c.select_one(".card-title").get_text() == gallery.title)
        assert card.select_one(".card-meta span").get_text() == "2 photos", path
        assert card.select_one(".card-media img")["src"].split("?")[0] == f"/media/{first.id}/thumb.jpg", path


def test_withheld_asset_is_absent_from_the_api_search_and_zip(client, world, visitor):
    gallery, withheld, first, last = world["gallery"], world["withheld"], world["first"], world["last"]
    body = json_of(client, f"/api/galleries/{gallery.id}")
    assert [a["id"] for a in body["assets"]] == [first.id, last.id]
    assert body["pagination"]["total"] == 2
    assert body["gallery"]["counts"]["total"] == 2
    assert body["gallery"]["cover"]["asset_id"] == first.id
    listed = json_of(client, "/api/galleries")["galleries"]
    assert [g["counts"]["image"] for g in listed if g["id"] == gallery.id] == [2]
    json_of(client, f"/api/assets/{withheld.id}", 404)
    found = json_of(client, "/api/search?q=schoolgirl")
    assert (found["total"], found["results"]) == (0, [])
    assert {r["id"] for r in json_of(client, "/api/search?q=borehole")["results"]} == {first.id, last.id}
    page = soup(client, "/search?q=schoolgirl")
    assert tile_ids(page, "main") == []
    if visitor == "member":
        with client.get(f"/download/galleries/{gallery.id}.zip?size=preview") as r:
            assert r.status_code == 200
            names = zipfile.ZipFile(io.BytesIO(r.data)).namelist()
        assert len(names) == 3  # two photos and captions.csv
        logged = set(db.session.scalars(select(DownloadEvent.asset_id)))
        assert logged == {first.id, last.id}
        with client.get(f"/download/galleries/{gallery.id}.zip?size=preview&asset={withheld.id}") as r:
            assert r.status_code == 302  # back to the gallery with a message, nothing served
    else:
        with client.get(f"/download/galleries/{gallery.id}.zip?size=preview") as r:
            assert r.status_code == 302 and "/login" in r.headers["Location"]


def test_staff_see_withheld_and_unknown_consent_marked(client, world, login_as):
    gallery, withheld, first = world["gallery"], world["withheld"], world["first"]
    assets.update_asset(first.id, {"consent": "obtained"}, world["editor"])
    login_as(world["editor"])
    page = soup(client, f"/galleries/{gallery.id}-{gallery.slug}")
    assert tile_ids(page) == [first.id, withheld.id, world["last"].id]
    badges = {int(t["data-asset-id"]): [b.get_text() for b in t.select(".tile-consent .badge")]
              for t in page.select(".asset-grid .tile")}
    assert badges == {first.id: [], withheld.id: ["Consent withheld"],
                      world["last"].id: ["Consent unknown"]}
    asset_page = soup(client, f"/assets/{withheld.id}")
    assert asset_page.select_one("h1 .badge-consent-withheld").get_text() == "Consent withheld"
    manage = soup(client, f"/manage/galleries/{gallery.id}")
    assert manage.select_one(f"#asset-{withheld.id} .badge-consent-withheld").get_text() == "Consent withheld"
    assert manage.select_one(f"#asset-{first.id} .badge-consent") is None
    edit = soup(client, f"/manage/assets/{withheld.id}/edit")
    assert edit.select_one("input[name=consent][checked]")["value"] == "withheld"
    results = soup(client, "/search?q=schoolgirl")
    assert tile_ids(results, "main") == [withheld.id]


def _form_data(form) -> dict[str, str]:
    """What a browser sends for a form: every named input, checked boxes and radios only."""
    data: dict[str, str] = {}
    for el in form.select("input[name], textarea[name], select[name]"):
        kind = el.get("type", "text")
        if el.name == "input" and kind in ("checkbox", "radio") and not el.has_attr("checked"):
            continue
        if el.name == "textarea":
            data[el["name"]] = el.get_text()
        elif el.name == "select":
            chosen = el.select_one("option[selected]") or el.select_one("option")
            data[el["name"]] = chosen.get("value", chosen.get_text()) if chosen else ""
        else:
            data[el["name"]] = el.get("value", "on")
    return data


def test_withholding_consent_in_the_edit_form_hides_the_asset_at_once(client, make_gallery, make_asset,
                                                                      make_user, login_as):
    gallery = make_gallery(title="Shelter in Goma")
    keep = make_asset(gallery, caption="Tents after the rain.")
    hide = make_asset(gallery, caption="Family portrait inside the tent.")
    login_as(make_user("editor"))
    page = soup(client, f"/manage/assets/{hide.id}/edit")
    data = _form_data(page.select_one("form.asset-form"))
    data["consent"] = "withheld"
    with client.post(f"/manage/assets/{hide.id}/edit", data=data) as r:
        assert r.status_code == 302
    client.get("/logout")
    login_as(make_user("member"))
    assert tile_ids(soup(client, f"/galleries/{gallery.id}-{gallery.slug}")) == [keep.id]
    assert json_of(client, "/api/search?q=portrait")["total"] == 0
    assert db.session.get(Gallery, gallery.id).image_count == 1


def test_unknown_consent_follows_the_setting(app, client, runner, make_gallery, make_asset, make_user,
                                             login_as):
    editor = make_user("editor")
    gallery = make_gallery(title="Clinic in Marsabit")
    cleared = make_asset(gallery, caption="Nurse weighing a baby.")
    unknown = make_asset(gallery, caption="Mother waiting with a baby.")
    assets.update_asset(cleared.id, {"consent": "not_needed"}, editor)
    assert tile_ids(soup(client, f"/galleries/{gallery.id}-{gallery.slug}")) == [cleared.id, unknown.id]
    app.config["PUBLISH_UNKNOWN_CONSENT"] = False
    result = runner.invoke(args=["init"])  # recounts the galleries for the new setting
    assert result.exit_code == 0, result.output
    page = soup(client, f"/galleries/{gallery.id}-{gallery.slug}")
    assert tile_ids(page) == [cleared.id]
    assert page.select_one(".gallery-count").get_text() == "1 item"
    soup(client, f"/assets/{unknown.id}", 404)
    assert {r["id"] for r in json_of(client, "/api/search?q=baby")["results"]} == {cleared.id}
    assert [a["id"] for a in json_of(client, f"/api/galleries/{gallery.id}")["assets"]] == [cleared.id]
    login_as(editor)
    staff = soup(client, f"/galleries/{gallery.id}-{gallery.slug}")
    assert tile_ids(staff) == [cleared.id, unknown.id]
    tile = staff.select_one(f".tile[data-asset-id='{unknown.id}']")
    assert tile.select_one(".tile-consent .badge-consent-unknown").get_text() == "Consent unknown"

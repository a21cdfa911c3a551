"""The read-only JSON API: shapes, filters, pagination, errors, and no drafts for the public."""
from __future__ import annotations

import datetime as dt

import pytest

from gallery.extensions import db
from gallery.services import counts

GALLERY_FIELDS = {"id", "title", "slug", "description", "credit", "date", "status", "editors_pick",
                  "pick_position", "category", "country", "counts", "cover", "url", "api_url",
                  "created_at", "updated_at", "embargo_until", "rights", "language", "translations"}
ASSET_FIELDS = {"id", "gallery_id", "position", "media_type", "status", "title", "display_title",
                "caption", "alt_text", "credit", "creator", "copyright", "keywords", "city",
                "country", "date_taken", "mime_type", "bytes", "width", "height", "duration",
                "sensitive", "renditions", "url", "api_url", "created_at", "updated_at",
                "embargo_until", "rights_expire_on", "rights", "language", "translations"}


def get_json(client, path: str, status: int = 200) -> dict:
    """GET an API path and return its JSON body after checking the status."""
    with client.get(path) as response:
        assert response.status_code == status, (path, response.status_code, response.data[:300])
        assert response.mimetype == "application/json"
        return response.json


@pytest.fixture
def content(make_gallery, make_asset):
    """Two published galleries, one draft, and a draft asset inside a published gallery."""
    aden = make_gallery(title="Cholera in Aden", category="Health", country="YEM",
                        credit="© Agency", date=dt.date(2023, 9, 5), description="Door to door.",
                        editors_pick=True, pick_position=1)
    shown = make_asset(aden, caption="Volunteers in Aden.", keywords="cholera, health", city="Aden")
    hidden = make_asset(aden, caption="Not yet.")
    hidden.status = "draft"
    counts.refresh_counts([aden.id])
    db.session.commit()
    hatay = make_gallery(title="Shelter in Hatay", category="Shelter", country="TUR")
    make_asset(hatay)
    draft = make_gallery(title="Draft gallery", category="Health", country="YEM", status="draft")
    draft_asset = make_asset(draft)
    return {"aden": aden, "shown": shown, "hidden": hidden, "hatay": hatay, "draft": draft,
            "draft_asset": draft_asset}


def test_galleries_list(client, content):
    body = get_json(client, "/api/galleries")
    assert [g["title"] for g in body["galleries"]] == ["Shelter in Hatay", "Cholera in Aden"]
    assert body["pagination"] == {"page": 1, "per_page": 24, "total": 2, "pages": 1}
    aden = body["galleries"][1]
    assert set(aden) == GALLERY_FIELDS
    assert aden["category"]["slug"] == "health" and aden["country"]["code"] == "YEM"
    assert aden["counts"] == {"image": 1, "video": 0, "audio": 0, "total": 1}
    assert aden["date"] == "2023-09-05" and aden["editors_pick"] is True and aden["pick_position"] == 1
    assert aden["cover"]["asset_id"] == content["shown"].id
    assert aden["cover"]["renditions"]["thumb"]["url"].endswith(f"/media/{content['shown'].id}/thumb.jpg?v={content['shown'].sha256[:12]}")
    assert aden["url"].endswith(f"/galleries/{content['aden'].id}-cholera-in-aden")


@pytest.mark.parametrize("query, titles", [
    ("category=health", ["Cholera in Aden"]),
    ("country=tur", ["Shelter in Hatay"]),
    ("country=YEM&category=shelter", []),
    ("type=image", ["Shelter in Hatay", "Cholera in Aden"]),
    ("type=video", []),
])
def test_galleries_filters(client, content, query, titles):
    assert [g["title"] for g in get_json(client, f"/api/galleries?{query}")["galleries"]] == titles


def test_galleries_pagination_and_cap(app, client, make_gallery):
    for n in range(5):
        make_gallery(title=f"G{n}")
    body = get_json(client, "/api/galleries?per_page=2&page=3")
    assert [g["title"] for g in body["galleries"]] == ["G0"]
    assert body["pagination"] == {"page": 3, "per_page": 2, "total": 5, "pages": 3}
    app.config["API_MAX_PER_PAGE"] = 3
    assert get_json(client, "/api/galleries?per_page=1000")["pagination"]["per_page"] == 3


@pytest.mark.parametrize("query, field", [
    ("category=nope", "category"), ("country=XX", "country"), ("type=pdf", "type"),
    ("page=0", "page"), ("page=abc", "page"), ("per_page=0", "per_page"), ("per_page=-5", "per_page"),
    ("per_page=ten", "per_page"),
])
def test_galleries_bad_query_is_a_json_400(client, query, field):
    body = get_json(client, f"/api/galleries?{query}", 400)
    assert body["error"]["status"] == 400 and body["error"]["field"] == field
    assert body["error"]["message"]


def test_gallery_detail_with_paginated_assets(client, content, make_asset):
    aden = content["aden"]
    more = make_asset(aden, caption="Second.")
    body = get_json(client, f"/api/galleries/{aden.id}?per_page=1")
    assert body["gallery"]["title"] == "Cholera in Aden"
    assert [a["id"] for a in body["assets"]] == [content["shown"].id]
    assert body["pagination"] == {"page": 1, "per_page": 1, "total": 2, "pages": 2}
    second = get_json(client, f"/api/galleries/{aden.id}?per_page=1&page=2")
    assert [a["id"] for a in second["assets"]] == [more.id]  # the draft asset is skipped


def test_asset_detail(client, content):
    body = get_json(client, f"/api/assets/{content['shown'].id}")
    asset = body["asset"]
    assert set(asset) == ASSET_FIELDS
    assert asset["caption"] == "Volunteers in Aden." and asset["keywords"] == ["cholera", "health"]
    assert asset["country"]["code"] == "YEM" and asset["city"] == "Aden"
    assert set(asset["renditions"]) == {"thumb", "preview"}  # never the download sizes
    assert asset["renditions"]["thumb"]["width"] == 400
    assert "storage_key" not in asset and "sha256" not in asset


def test_drafts_never_leak(client, content):
    assert "Draft gallery" not in [g["title"] for g in get_json(client, "/api/galleries")["galleries"]]
    assert get_json(client, f"/api/galleries/{content['draft'].id}", 404)["error"]["status"] == 404
    get_json(client, f"/api/assets/{content['draft_asset'].id}", 404)
    get_json(client, f"/api/assets/{content['hidden'].id}", 404)
    categories = {c["slug"]: c["gallery_count"] for c in get_json(client, "/api/categories")["categories"]}
    assert categories["health"] == 1 and categories["shelter"] == 1 and categories["labour"] == 0
    countries = {c["code"]: c["gallery_count"] for c in get_json(client, "/api/countries")["countries"]}
    assert countries == {"TUR": 1, "YEM": 1}


def test_staff_see_drafts_in_the_api(client, content, make_user, login_as):
    login_as(make_user("editor"))
    titles = [g["title"] for g in get_json(client, "/api/galleries")["galleries"]]
    assert "Draft gallery" in titles
    assert get_json(client, f"/api/galleries/{content['draft'].id}")["gallery"]["status"] == "draft"
    assert get_json(client, f"/api/assets/{content['hidden'].id}")["asset"]["status"] == "draft"


def test_categories_and_countries_shapes(client, content):
    categories = get_json(client, "/api/categories")["categories"]
    assert len(categories) == 18
    assert set(categories[0]) == {"id", "slug", "name", "url", "gallery_count"}
    countries = get_json(client, "/api/countries")["countries"]
    assert set(countries[0]) == {"code", "alpha2", "name", "url", "gallery_count"}
    assert [c["name"] for c in countries] == ["Türkiye", "Yemen"]


@pytest.mark.parametrize("path", ["/api/galleries/999999", "/api/assets/999999", "/api/nowhere",
                                  "/api/galleries/abc"])
def test_unknown_things_are_json_404(client, path):
    body = get_json(client, path, 404)
    assert body["error"]["status"] == 404

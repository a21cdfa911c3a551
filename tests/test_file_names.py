"""Uploaded file names stay private (issue 11, item 4): public titles fall back to 'Photo 3 of ...'."""
from __future__ import annotations

import io
import json
import zipfile

import pytest
from bs4 import BeautifulSoup

from gallery.services import terms

FILE_NAME = "IMG_20240301_Amina_age7_Kakuma_camp.jpg"
FALLBACK = "Photo 2 of Water in Turkana"


def fetch(client, path: str, status: int = 200) -> str:
    """GET a page or JSON answer, check its status, return its text."""
    with client.get(path) as response:
        assert response.status_code == status, (path, response.status_code)
        return response.get_data(as_text=True)


def page(client, path: str) -> tuple[BeautifulSoup, str]:
    """A parsed page and its raw text."""
    text = fetch(client, path)
    return BeautifulSoup(text, "html.parser"), text


@pytest.fixture
def named(make_gallery, make_asset):
    """A gallery whose second photo has no title or caption, only a revealing file name."""
    gallery = make_gallery(title="Water in Turkana")
    make_asset(gallery, title="Borehole", caption="Women collect water in Lodwar.")
    asset = make_asset(gallery, filename=FILE_NAME)
    return gallery, asset


@pytest.mark.parametrize("role", ["anonymous", "member"])
def test_file_name_never_reaches_public_pages(client, named, make_user, login_as, role):
    gallery, asset = named
    if role == "member":
        member = make_user("member")
        terms.accept(member)
        login_as(member)
    grid, raw = page(client, f"/galleries/{gallery.id}-{gallery.slug}")
    tile = grid.select_one(f".asset-grid .tile[data-asset-id='{asset.id}']")
    assert tile.select_one("img")["alt"] == FALLBACK
    assert "Amina" not in raw
    view, raw = page(client, f"/assets/{asset.id}")
    assert view.select_one("h1").get_text(strip=True) == FALLBACK
    assert view.select_one("title").get_text().startswith(f"{FALLBACK} · ")
    assert view.select_one("img.preview")["alt"] == FALLBACK
    assert "Amina" not in raw
    results, raw = page(client, "/search?q=Turkana")
    assert asset.id in [int(li["data-asset-id"]) for li in results.select("main [data-asset-id]")]
    assert "Amina" not in raw
    for query in ("Amina", "Kakuma", "IMG_20240301_Amina_age7_Kakuma_camp"):
        found = json.loads(fetch(client, f"/api/search?q={query}"))
        assert found["total"] == 0, query
        results, _raw = page(client, f"/search?q={query}")
        assert not results.select("main [data-asset-id]"), query


def test_file_name_never_reaches_public_json_or_zips(client, named, make_user, login_as):
    gallery, asset = named
    body = json.loads(fetch(client, f"/api/assets/{asset.id}"))
    assert body["asset"]["display_title"] == FALLBACK
    for path in (f"/api/assets/{asset.id}", f"/api/galleries/{gallery.id}", "/api/galleries",
                 "/api/search?q=Turkana"):
        assert "Amina" not in fetch(client, path), path
    hits = json.loads(fetch(client, "/api/search?q=Turkana"))["results"]
    assert [h["title"] for h in hits if h["id"] == asset.id] == [FALLBACK]
    member = make_user("member")
    terms.accept(member)
    login_as(member)
    with client.get(f"/download/galleries/{gallery.id}.zip?size=preview") as r:
        assert r.status_code == 200
        zf = zipfile.ZipFile(io.BytesIO(r.data))
    assert not [n for n in zf.namelist() if "Amina" in n]
    assert "Amina" not in zf.read("captions.csv").decode("utf-8-sig")


def test_staff_pages_show_the_file_name(client, named, make_user, login_as):
    gallery, asset = named
    login_as(make_user("editor"))
    edit, _raw = page(client, f"/manage/assets/{asset.id}/edit")
    assert edit.select_one(".file-facts").get_text().startswith(FILE_NAME)
    manage, _raw = page(client, f"/manage/galleries/{gallery.id}")
    assert manage.select_one(f"#asset-{asset.id} .asset-title").get_text(strip=True) == FILE_NAME


@pytest.mark.parametrize("name, noun", [("VID_0001_Amina.mp4", "Video"),
                                        ("REC_0001_Amina.wav", "Audio recording")])
def test_fallback_names_the_kind_of_item(client, make_gallery, name, noun):
    from gallery.services import ingest, jobs
    from tests.media_files import audio_bytes, video_bytes

    gallery = make_gallery(title="Water in Turkana")
    data = video_bytes() if name.endswith(".mp4") else audio_bytes()
    result = ingest.ingest(gallery, io.BytesIO(data), name, {}, user=None)
    assert result.status == "accepted", result.reason
    assert jobs.wait_idle()  # public once its web proxy is made
    body = json.loads(fetch(client, f"/api/assets/{result.asset.id}"))
    assert body["asset"]["display_title"] == f"{noun} 1 of Water in Turkana"
    view, raw = page(client, f"/assets/{result.asset.id}")
    assert view.select_one("h1").get_text(strip=True) == f"{noun} 1 of Water in Turkana"
    assert "Amina" not in raw

"""Sitemaps and robots.txt: every public gallery and asset page, paged, with public images only."""
from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET

import pytest

from gallery.services import assets, trash

NS = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9",
      "image": "http://www.google.com/schemas/sitemap-image/1.1"}


@pytest.fixture
def app_settings():
    return {"SITEMAP_PAGE_SIZE": 2}


def fetch(client, path: str) -> ET.Element:
    with client.get(path) as response:
        assert response.status_code == 200, path
        assert response.mimetype == "application/xml"
        return ET.fromstring(response.data)


def local(url: str) -> str:
    assert url.startswith("http://localhost/")
    return url[len("http://localhost"):]


@pytest.fixture
def catalogue(make_gallery, make_asset, editor):
    kenya = make_gallery(title="Water in Turkana", licence="cc-by-4.0")
    yemen = make_gallery(title="Shelter in Aden", country="YEM")
    draft = make_gallery(title="Draft gallery", status="draft")
    embargoed = make_gallery(title="Embargoed", embargo_until="2099-01-01T00:00")
    public = [make_asset(kenya, caption=f"Kenya photo {n}", title=f"Well {n}") for n in range(3)]
    public.append(make_asset(yemen, caption="Tents in Aden"))
    hidden = [make_asset(kenya, caption="Sensitive"), make_asset(kenya, caption="Withheld"),
              make_asset(kenya, caption="Embargoed item"), make_asset(kenya, caption="Trashed"),
              make_asset(draft, caption="In a draft"), make_asset(embargoed, caption="Later")]
    assets.update_asset(hidden[0].id, {"sensitive": "true"}, editor)
    assets.update_asset(hidden[1].id, {"consent": "withheld"}, editor)
    assets.update_asset(hidden[2].id, {"embargo_until": "2099-01-01T00:00"}, editor)
    trash.trash_asset(hidden[3].id, editor)
    return {"public": public, "hidden": hidden, "galleries": [kenya, yemen],
            "hidden_galleries": [draft, embargoed]}


def test_robots_points_at_the_sitemap_and_keeps_crawlers_out_of_private_paths(client):
    with client.get("/robots.txt") as response:
        assert response.status_code == 200 and response.mimetype == "text/plain"
        lines = response.get_data(as_text=True).splitlines()
    assert lines[0] == "User-agent: *"
    for path in ("/manage/", "/api/", "/download/", "/admin/", "/account/"):
        assert f"Disallow: {path}" in lines
    assert "Sitemap: http://localhost/sitemap.xml" in lines


def test_sitemaps_list_every_public_page_and_nothing_else(client, catalogue):
    index = fetch(client, "/sitemap.xml")
    pages = [local(e.text) for e in index.iterfind("s:sitemap/s:loc", NS)]
    assert all(e.text.endswith("Z") for e in index.iterfind("s:sitemap/s:lastmod", NS))
    gallery_urls, asset_urls, images = set(), set(), {}
    for path in pages:
        urlset = fetch(client, path)
        entries = urlset.findall("s:url", NS)
        assert 1 <= len(entries) <= 2  # SITEMAP_PAGE_SIZE
        for entry in entries:
            loc = local(entry.find("s:loc", NS).text)
            (gallery_urls if path.startswith("/sitemap-galleries-") else asset_urls).add(loc)
            image = entry.find("image:image", NS)
            if image is not None:
                images[loc] = image
    expected = {f"/galleries/{g.id}-{g.slug}" for g in catalogue["galleries"]}
    assert gallery_urls == expected
    assert asset_urls == {f"/assets/{a.id}" for a in catalogue["public"]}
    assert set(images) == asset_urls  # every listed asset is a photo with its public preview
    first = catalogue["public"][0]
    image = images[f"/assets/{first.id}"]
    assert image.find("image:caption", NS).text == "Kenya photo 0"
    assert image.find("image:title", NS).text == "Well 0"
    assert image.find("image:license", NS).text == "https://creativecommons.org/licenses/by/4.0/"
    # Each image is a file an anonymous visitor may fetch.
    for element in images.values():
        with client.get(local(element.find("image:loc", NS).text)) as response:
            assert response.status_code == 200 and response.mimetype == "image/jpeg"


def test_page_urls_that_list_nothing_are_not_found(client, catalogue):
    for path in ("/sitemap-assets-0.xml", "/sitemap-assets-999999.xml", "/sitemap-users-1.xml",
                 "/sitemap-assets-99999999999999.xml", "/sitemap-assets-x.xml"):
        with client.get(path) as response:
            assert response.status_code == 404, path


def test_an_empty_catalogue_has_an_empty_index(client):
    assert fetch(client, "/sitemap.xml").findall("s:sitemap", NS) == []


def test_lastmod_follows_edits(client, catalogue, editor):
    first = catalogue["public"][0]
    assets.update_asset(first.id, {"caption": "Edited"}, editor)
    page = (first.id // 2) + 1
    urlset = fetch(client, f"/sitemap-assets-{page}.xml")
    entry = next(e for e in urlset.findall("s:url", NS)
                 if e.find("s:loc", NS).text.endswith(f"/assets/{first.id}"))
    lastmod = dt.datetime.strptime(entry.find("s:lastmod", NS).text, "%Y-%m-%dT%H:%M:%SZ")
    assert abs(lastmod - first.updated_at.replace(microsecond=0)) <= dt.timedelta(seconds=1)

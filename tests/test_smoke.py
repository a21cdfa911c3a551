"""A gallery with one ingested photo is browsable; drafts are not."""
from __future__ import annotations

from bs4 import BeautifulSoup


def test_published_gallery_and_asset_pages(client, make_gallery, make_asset):
    gallery = make_gallery(title="Clean water in Lodwar")
    asset = make_asset(gallery, caption="Women collect water at a borehole.")
    page = BeautifulSoup(client.get(f"/galleries/{gallery.id}-{gallery.slug}").data, "html.parser")
    assert page.select_one("h1").get_text() == "Clean water in Lodwar"
    img = page.select_one(".asset-grid img")
    assert img["loading"] == "lazy" and int(img["width"]) == 400
    with client.get(img["src"]) as thumb:
        assert thumb.status_code == 200 and thumb.mimetype == "image/jpeg"
    asset_page = BeautifulSoup(client.get(f"/assets/{asset.id}").data, "html.parser")
    assert asset_page.select_one(".caption").get_text() == "Women collect water at a borehole."


def test_draft_gallery_is_hidden(client, make_gallery, make_asset):
    gallery = make_gallery(title="Not yet", status="draft")
    asset = make_asset(gallery)
    assert client.get(f"/galleries/{gallery.id}-{gallery.slug}").status_code == 404
    assert client.get(f"/assets/{asset.id}").status_code == 404
    assert client.get(f"/media/{asset.id}/thumb.jpg").status_code == 404

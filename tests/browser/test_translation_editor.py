"""Translations edited side by side in the browser, then read on the public pages in each language."""
from __future__ import annotations

import io

import pytest
from playwright.sync_api import expect

from tests.browser.pictures import picture


@pytest.fixture(scope="module")
def draft(live_server):
    """A draft gallery with one photo (staff only: the other tests' pages stay as they are)."""
    from gallery.extensions import db
    from gallery.services import galleries, ingest

    with live_server.app.app_context():
        gallery = galleries.create_gallery({"title": "Draft: translated in the browser", "category": "Shelter",
                                            "country": "KEN", "status": "draft"}, None, script=True)
        result = ingest.ingest(gallery, io.BytesIO(picture(91)), "tent.jpg", {"caption": "A tent in the rain."})
        assert result.status == "accepted", result.reason
        ids = {"gallery": gallery.id, "asset": result.asset.id}
        db.session.close()
    return ids


def test_translations_typed_beside_the_original_show_in_each_language(page, live_server, login_as, draft):
    login_as(live_server.users["editor"])
    edit = f"/manage/assets/{draft['asset']}/edit"
    page.goto(edit)
    expect(page.get_by_label("Caption", exact=True)).to_have_value("A tent in the rain.")
    columns = page.locator(".translated-row", has=page.get_by_label("Caption", exact=True))
    columns.get_by_label("Français").fill("Une tente sous la pluie.")
    columns.get_by_label("Español").fill("Una tienda bajo la lluvia.")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".flash, [role=status]").first).to_contain_text("Asset saved")

    page.goto(edit)
    expect(page.locator(".translated-row", has=page.get_by_label("Caption", exact=True))
           .get_by_label("Français")).to_have_value("Une tente sous la pluie.")

    gallery_edit = f"/manage/galleries/{draft['gallery']}/edit"
    page.goto(gallery_edit)
    page.locator(".translated-row", has=page.get_by_label("Title", exact=True)).get_by_label("Français").fill(
        "Brouillon : traduit dans le navigateur")
    page.get_by_role("button", name="Save", exact=True).click()

    page.goto(f"/fr/assets/{draft['asset']}")
    caption = page.locator("p.caption")
    expect(caption).to_have_text("Une tente sous la pluie.")
    expect(caption).not_to_have_attribute("lang", "en")
    expect(page.locator(".back-to-gallery")).to_contain_text("Brouillon : traduit dans le navigateur")
    page.goto(f"/es/assets/{draft['asset']}")
    expect(page.locator("p.caption")).to_have_text("Una tienda bajo la lluvia.")
    page.goto(f"/es/galleries/{draft['gallery']}")
    expect(page.locator("h1 span").first).to_have_attribute("lang", "en")  # no Spanish title: the original

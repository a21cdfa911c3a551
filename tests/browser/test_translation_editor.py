"""Translations edited side by side in the browser, then read on the public pages in each language."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect


@pytest.fixture(scope="module")
def draft(make_draft):
    """A draft gallery with one photo."""
    made = make_draft("Draft: translated in the browser", [("tent.jpg", "A tent in the rain.", 91)],
                      category="Shelter")
    return {"gallery": made["gallery"], "asset": made["assets"][0]}


def test_translations_typed_beside_the_original_show_in_each_language(page, as_editor, draft):
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

"""Editorial forms submitted as the browser renders them (every hidden field and checkbox), read back."""
from __future__ import annotations

import io

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PASSWORD
from tests.browser.pictures import picture


@pytest.fixture(scope="module")
def draft(make_draft):
    """A draft gallery with one photo."""
    made = make_draft("Draft: forms as rendered", [("forms.jpg", "Before.", 77)])
    return {"gallery": made["gallery"], "asset": made["assets"][0]}


def test_editors_pick_checkbox_saves_on_and_off(page, as_editor, draft):
    manage = f"/manage/galleries/{draft['gallery']}"
    page.goto(manage)
    pick = page.get_by_role("checkbox", name="Editors' pick")
    expect(pick).not_to_be_checked()
    pick.check()
    page.get_by_label("Position on the home page").fill("7")
    page.get_by_role("button", name="Save pick").click()
    expect(page.locator(".flash, [role=status]").first).to_contain_text("Editors' pick saved")

    page.goto(manage)
    expect(page.get_by_role("checkbox", name="Editors' pick")).to_be_checked()
    expect(page.get_by_label("Position on the home page")).to_have_value("7")
    page.goto("/manage/")
    row = page.locator("tr", has_text="Draft: forms as rendered")
    expect(row).to_contain_text("Yes (7)")

    page.goto(manage)
    page.get_by_role("checkbox", name="Editors' pick").uncheck()
    page.get_by_role("button", name="Save pick").click()
    page.goto(manage)
    expect(page.get_by_role("checkbox", name="Editors' pick")).not_to_be_checked()
    page.goto("/manage/")
    expect(page.locator("tr", has_text="Draft: forms as rendered")).not_to_contain_text("Yes")


def test_gallery_edit_form_saves_every_field(page, as_editor, draft):
    page.goto(f"/manage/galleries/{draft['gallery']}/edit")
    page.get_by_label("Title").fill("Draft: forms as rendered")
    page.get_by_label("Description").fill("Written in the browser.")
    page.get_by_label("Category").select_option(label="Health")
    page.get_by_label("Country").select_option("HND")
    page.get_by_label("Credit").fill("Example Relief Agency / Form Test")
    page.get_by_label("Date").fill("2023-04-05")
    page.get_by_role("button", name="Save").click()

    page.goto(f"/manage/galleries/{draft['gallery']}/edit")
    expect(page.get_by_label("Description")).to_have_value("Written in the browser.")
    expect(page.get_by_label("Category").locator("option:checked")).to_have_text("Health")
    expect(page.get_by_label("Country")).to_have_value("HND")
    expect(page.get_by_label("Credit")).to_have_value("Example Relief Agency / Form Test")
    expect(page.get_by_label("Date")).to_have_value("2023-04-05")


def test_asset_edit_form_saves_text_and_the_sensitive_checkbox(page, as_editor, draft):
    edit = f"/manage/assets/{draft['asset']}/edit"
    page.goto(edit)
    page.get_by_label("Caption", exact=True).fill("After: captioned in the browser.")
    page.get_by_label("Keywords").fill("water, borehole")
    page.get_by_role("checkbox", name="Sensitive").check()
    page.get_by_role("button", name="Save", exact=True).click()

    page.goto(edit)
    expect(page.get_by_label("Caption", exact=True)).to_have_value("After: captioned in the browser.")
    expect(page.get_by_label("Keywords")).to_have_value("water, borehole")
    expect(page.get_by_role("checkbox", name="Sensitive")).to_be_checked()

    page.get_by_role("checkbox", name="Sensitive").uncheck()
    page.get_by_role("button", name="Save", exact=True).click()
    page.goto(edit)
    expect(page.get_by_role("checkbox", name="Sensitive")).not_to_be_checked()
    expect(page.get_by_label("Caption", exact=True)).to_have_value("After: captioned in the browser.")


def test_manage_list_on_a_phone_keeps_titles_readable(live_server, phone):
    tab = phone.new_page()
    tab.goto("/login")
    tab.get_by_label("Email").fill(live_server.users["editor"])
    tab.get_by_label("Password", exact=True).fill(PASSWORD)
    tab.get_by_role("button", name="Log in").click()
    tab.goto("/manage/")
    title = tab.locator("tr", has_text="Returnees rebuild in Danlí").locator("a.manage-link")
    line = float(title.evaluate("n => parseFloat(getComputedStyle(n).lineHeight)"))
    box = title.bounding_box()
    assert box["height"] <= 1.5 * line and box["width"] > 150, box  # one line, not a word per line
    assert tab.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scrolling
    expect(tab.locator("tr", has_text="Returnees rebuild in Danlí").locator('td[data-label="Items"]')).to_have_text("4")


def test_a_big_gallery_is_paged_and_a_bulk_change_reaches_every_page(page, live_server, login_as):
    from sqlalchemy import select

    from gallery.extensions import db
    from gallery.models import Asset
    from gallery.services import galleries, ingest

    app = live_server.app
    with app.app_context():
        gallery = galleries.create_gallery({"title": "Draft: seven items", "category": "Events",
                                            "country": "KEN", "status": "draft"}, None, script=True)
        for n in range(7):
            result = ingest.ingest(gallery, io.BytesIO(picture(700 + n, (400, 300))), f"seven-{n}.jpg", {})
            assert result.status == "accepted", result.reason
        gallery_id = gallery.id
        db.session.close()
    saved = app.config["MANAGE_ASSETS_PER_PAGE"]
    app.config["MANAGE_ASSETS_PER_PAGE"] = 3  # seven items make three pages
    try:
        login_as(live_server.users["editor"])
        page.goto(f"/manage/galleries/{gallery_id}")
        expect(page.locator(".manage-assets > li")).to_have_count(3)
        expect(page.get_by_text("Items 1–3 of 7")).to_be_visible()
        page.get_by_role("navigation", name="Pages of this gallery's items").get_by_role("link", name="3").click()
        expect(page.locator(".manage-assets > li")).to_have_count(1)
        page.get_by_label("All 7 in this gallery").check()
        page.get_by_label("Set credit").check()
        page.get_by_label("Credit", exact=True).fill("Pool photo / Seven")
        page.get_by_role("button", name="Apply to selected").click()
        expect(page.locator(".flash").first).to_contain_text("7 assets changed")
    finally:
        app.config["MANAGE_ASSETS_PER_PAGE"] = saved
    with app.app_context():
        credits = set(db.session.scalars(select(Asset.credit).where(Asset.gallery_id == gallery_id)))
        db.session.close()
    assert credits == {"Pool photo / Seven"}


def test_cover_and_move_forms_as_rendered(page, live_server, login_as, draft):
    from gallery.extensions import db
    from gallery.services import galleries, ingest

    with live_server.app.app_context():
        other = galleries.create_gallery({"title": "Draft: where items move", "category": "Events",
                                          "country": "KEN", "status": "draft"}, None, script=True)
        second = ingest.ingest(galleries.load_gallery(draft["gallery"]), io.BytesIO(picture(78)),
                               "second.jpg", {"caption": "The second photo."})
        assert second.status == "accepted", second.reason
        other_id, second_id = other.id, second.asset.id
        db.session.close()
    login_as(live_server.users["editor"])
    page.goto(f"/manage/galleries/{draft['gallery']}/cover")
    page.get_by_role("radio", name="The second photo.").check()
    page.get_by_role("button", name="Save cover").click()
    page.goto(f"/manage/galleries/{draft['gallery']}/cover")
    expect(page.get_by_role("radio", name="The second photo.")).to_be_checked()

    page.goto(f"/manage/assets/{second_id}/edit")
    page.get_by_label("Move to gallery").select_option(label="Draft: where items move (draft)")
    page.get_by_role("button", name="Move").click()
    expect(page.locator(".flash").first).to_contain_text("Moved to “Draft: where items move”")
    page.goto(f"/manage/galleries/{other_id}")
    expect(page.locator(f"#asset-{second_id}")).to_be_visible()
    page.goto(f"/manage/galleries/{draft['gallery']}/cover")  # the moved cover is no longer this one's
    expect(page.get_by_role("radio", name="The second photo.")).to_have_count(0)


def test_category_forms_as_rendered(page, live_server, login_as):
    login_as(live_server.users["admin"])
    page.goto("/manage/categories")
    page.get_by_label("New category").fill("Forms test category")
    page.get_by_role("button", name="Add").click()
    row = page.locator(".category-list > li", has=page.locator("input[value='Forms test category']"))
    expect(row).to_have_count(1)
    row.get_by_label("Name of Forms test category").fill("Forms test category, renamed")
    row.get_by_role("button", name="Rename").click()
    expect(page.locator("input[value='Forms test category, renamed']")).to_have_count(1)

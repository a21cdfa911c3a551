"""Lightboxes in a real browser: a member gathers photos from a gallery, a search and an asset page,
reorders them and downloads the lightbox; an editor turns one into a press kit that a journalist
without an account opens, accepts the terms of and downloads from."""
from __future__ import annotations

import csv
import io
import re
import uuid
import zipfile

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests.browser.conftest import PASSWORD, check_accessibility, shoot
from tests.browser.pictures import picture


def _member(live_server) -> str:
    """A new member who has accepted the terms; returns the email."""
    from gallery.extensions import db
    from gallery.services import accounts, terms

    email = f"desk-{uuid.uuid4().hex[:8]}@example.org"
    with live_server.app.app_context():
        user = accounts.create_user(email=email, password=PASSWORD, name="Dee Desk")
        terms.accept(user)
        db.session.close()
    return email


@pytest.fixture(scope="module")
def press_gallery(live_server):
    """A gallery of its own: two photos cleared for the press, one sensitive, one of unknown consent."""
    from gallery.extensions import db
    from gallery.models import User
    from gallery.services import assets, galleries, ingest
    from gallery.templating import gallery_url

    captions = [("Engineers test the new solar pump in Marsabit.", "obtained", False),
                ("Pupils wash their hands at the school's new tap in Marsabit.", "not_needed", False),
                ("A patient is treated at the Marsabit clinic.", "obtained", True),
                ("Herders water camels at the Marsabit trough.", None, False)]
    with live_server.app.app_context():
        editor = db.session.scalar(select(User).where(User.email == live_server.users["editor"]))
        gallery = galleries.create_gallery({"title": "Solar pumps in Marsabit", "category": "Health",
                                            "country": "KEN", "status": "published",
                                            "credit": "Example Relief Agency / Wanjiru Kamau"}, editor)
        ids = []
        for n, (caption, consent, sensitive) in enumerate(captions):
            result = ingest.ingest(gallery, io.BytesIO(picture(200 + n, (1600, 1067))), f"IMG_{n}.jpg",
                                   {"caption": caption, "creator": "Wanjiru Kamau"}, user=editor)
            changes = {"sensitive": sensitive, **({"consent": consent} if consent else {})}
            assets.update_asset(result.asset.id, changes, editor)
            ids.append(result.asset.id)
        with live_server.app.test_request_context():
            path = gallery_url(gallery)
        db.session.close()
    return {"path": path, "ids": ids}


def _count(page):
    return page.locator("header [data-lightbox-count]")


def test_member_gathers_reorders_and_downloads_a_lightbox(page, live_server, login_as, tmp_path):
    login_as(_member(live_server))
    turkana = live_server.galleries["Clean water reaches Turkana"]
    page.goto(turkana["path"])
    expect(_count(page)).to_have_text("0")
    first = page.locator(f'.asset-grid > li[data-asset-id="{turkana["assets"][0]}"]')
    url = page.url
    first.get_by_role("button", name=re.compile("^Add to lightbox")).click()
    expect(_count(page)).to_have_text("1")
    expect(first.get_by_role("button", name=re.compile("^Remove from lightbox"))).to_be_visible()
    assert page.url == url  # no reload
    # Keyboard only: Tab to the next tile's button and press Enter.
    second = page.locator(f'.asset-grid > li[data-asset-id="{turkana["assets"][1]}"]')
    second.get_by_role("button", name=re.compile("^Add to lightbox")).focus()
    page.keyboard.press("Enter")
    expect(_count(page)).to_have_text("2")
    check_accessibility(page, "gallery with lightbox buttons")
    shoot(page, "gallery-lightbox-buttons")

    # From the search results.
    page.locator("header").get_by_role("searchbox").fill("Sylhet")
    page.locator("header").get_by_role("searchbox").press("Enter")
    hit = page.locator(".search-results > li").first
    hit_id = int(hit.get_attribute("data-asset-id"))
    hit.get_by_role("button", name=re.compile("^Add to lightbox")).click()
    expect(_count(page)).to_have_text("3")

    # From an asset page.
    danli = live_server.galleries["Returnees rebuild in Danlí"]["assets"][0]
    page.goto(f"/assets/{danli}")
    page.locator(".asset-lightbox").get_by_role("button", name=re.compile("^Add to lightbox")).click()
    expect(_count(page)).to_have_text("4")

    # The lightbox page: four items in the order they were added.
    page.locator("header .lightbox-link").click()
    page.get_by_role("link", name="My lightbox").click()
    items = page.locator(".lightbox-items > li")
    order = [turkana["assets"][0], turkana["assets"][1], hit_id, danli]
    expect(items).to_have_count(4)
    assert [int(i.get_attribute("data-asset-id")) for i in items.all()] == order
    check_accessibility(page, "lightbox page")
    shoot(page, "lightbox", readme=True)

    # Move the first item down (no reload: the list changes in place), and it stays after a reload.
    items.first.get_by_role("button", name=re.compile("^Move down")).click()
    expect(items.first).to_have_attribute("data-asset-id", str(order[1]))
    page.reload()
    moved = [order[1], order[0], order[2], order[3]]
    assert [int(i.get_attribute("data-asset-id")) for i in items.all()] == moved
    # A note on an item, and one item taken out.
    note = items.nth(0).get_by_placeholder("Note")
    note.fill("Lead picture")
    items.nth(0).get_by_role("button", name=re.compile("^Save note")).click()
    expect(page.locator("[data-lightbox-status]")).to_have_text("Note saved.")
    items.nth(3).get_by_role("button", name=re.compile("^Remove")).click()
    expect(items).to_have_count(3)
    expect(_count(page)).to_have_text("4")  # the header updates on the next page
    page.reload()
    expect(page.locator(".lightbox-items > li").first.get_by_placeholder("Note")).to_have_value("Lead picture")

    # Download the lightbox at Small: three photos and captions.csv.
    page.get_by_label("Download as zip").select_option("preview")
    with page.expect_download() as info:
        page.get_by_role("button", name="Download the lightbox").click()
    path = tmp_path / info.value.suggested_filename
    info.value.save_as(path)
    with zipfile.ZipFile(path) as zf:
        names = zf.namelist()
        rows = list(csv.reader(io.StringIO(zf.read("captions.csv").decode("utf-8-sig"))))
    assert len(names) == 4 and names[-1] == "captions.csv"
    assert [int(re.search(r"-(\d+)-small\.jpg$", n).group(1)) for n in names[:-1]] == moved[:3]
    assert [r[0] for r in rows[1:]] == names[:-1]


def test_editor_makes_a_press_kit_a_journalist_downloads_without_an_account(
        page, browser, live_server, login_as, press_gallery, tmp_path):
    login_as(live_server.users["editor"])
    page.goto("/lightboxes")
    page.get_by_label("Name").fill("Marsabit press kit")
    page.get_by_role("button", name="Make the lightbox").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Marsabit press kit")
    page.goto(press_gallery["path"])
    for asset_id in press_gallery["ids"]:
        tile = page.locator(f'.asset-grid > li[data-asset-id="{asset_id}"]')
        tile.get_by_role("button", name=re.compile("^Add to lightbox")).click()
        expect(tile.get_by_role("button", name=re.compile("^Remove from lightbox"))).to_be_visible()
    page.locator("header .lightbox-link").click()
    page.get_by_role("link", name="Marsabit press kit").click()
    page.get_by_label("Press kit (download without an account)").check()
    page.get_by_label("Large", exact=True).uncheck()
    page.get_by_label("Label").fill("Daily Example")
    page.get_by_role("button", name="Make a link").click()
    address = page.locator("#new-link-url").inner_text()
    assert "/press/" in address
    check_accessibility(page, "lightbox page with a new press-kit link")

    # The journalist: a fresh browser with no account.
    journalist = browser.new_context(base_url=live_server.url, accept_downloads=True, locale="en-GB")
    try:
        tab = journalist.new_page()
        tab.goto(address)
        expect(tab.get_by_role("heading", level=1)).to_contain_text("Press kit: Marsabit press kit")
        listed = tab.locator(".press-items > li[data-asset-id]")
        expect(listed).to_have_count(2)  # not the sensitive photo, nor the one of unknown consent
        expect(tab.locator(".press-items")).not_to_contain_text("patient")
        expect(tab.locator(".press-files a")).to_have_count(0)
        check_accessibility(tab, "press kit before the terms")
        tab.get_by_label("Your name").fill("Jo Reporter")
        tab.get_by_label("Organisation").fill("Daily Example")
        tab.get_by_label("Intended use").select_option("Press")
        tab.get_by_label("I accept the terms of use").check()
        tab.get_by_role("button", name="Accept and show the downloads").click()
        expect(tab.locator(".press-files a")).to_have_count(2)  # Small for each item
        check_accessibility(tab, "press kit")
        shoot(tab, "press-kit", readme=True)
        with tab.expect_download() as info:
            listed.first.get_by_role("link", name=re.compile("^Small")).click()
        assert re.fullmatch(r"solar-pumps-in-marsabit-\d+-small\.jpg", info.value.suggested_filename)
        with tab.expect_download() as info:
            tab.get_by_role("button", name="Download the zip").click()
        path = tmp_path / "kit.zip"
        info.value.save_as(path)
        with zipfile.ZipFile(path) as zf:
            assert len(zf.namelist()) == 3 and "captions.csv" in zf.namelist()

        # Staff see three files given and revoke the link: the journalist's next click fails at once.
        page.goto("/manage/press-kits")
        row = page.locator("tr.link-row", has_text="Daily Example")
        expect(row.locator(".link-downloads")).to_have_text("3")
        check_accessibility(page, "press kits list")
        # Who downloaded: the journalist's name, organisation and use with each file.
        row.get_by_role("link", name=re.compile("^Who downloaded")).click()
        expect(page.locator("tr.download-row")).to_have_count(3)
        expect(page.locator("tr.download-row").first).to_contain_text("Jo Reporter")
        expect(page.locator("tr.download-row").first).to_contain_text("Daily Example")
        check_accessibility(page, "press kit downloads")
        page.go_back()
        page.once("dialog", lambda dialog: dialog.accept())
        row.get_by_role("button", name=re.compile("^Revoke")).click()
        expect(row.locator(".link-state")).to_have_text("Revoked")
        response = tab.goto(address)
        assert response.status == 410
        expect(tab.locator("main")).to_contain_text("withdrawn")
    finally:
        journalist.close()


def test_member_drags_an_item_to_a_new_place_and_it_stays(page, live_server, login_as):
    from gallery.extensions import db
    from gallery.models import User
    from gallery.services import lightboxes

    email = _member(live_server)
    ids = live_server.galleries["Shelter after the floods in Sylhet"]["assets"][:3]
    with live_server.app.app_context():
        user = db.session.scalar(select(User).where(User.email == email))
        box = lightboxes.default_for(user)
        lightboxes.add(user, box, ids)
        path = f"/lightboxes/{box.id}"
        db.session.close()
    login_as(email)
    page.goto(path)
    items = page.locator(".lightbox-items > li")
    expect(items).to_have_count(3)
    # The last item dropped on the top half of the first: it becomes the first, with no reload.
    items.nth(2).drag_to(items.nth(0), target_position={"x": 40, "y": 5})
    expect(page.locator("[data-lightbox-status]")).to_have_text("Moved to place 1 of 3.")
    expect(items.first).to_have_attribute("data-asset-id", str(ids[2]))
    page.reload()
    assert [int(i.get_attribute("data-asset-id")) for i in items.all()] == [ids[2], ids[0], ids[1]]
    # And the first one dragged below the last.
    box_of_last = items.nth(2).bounding_box()
    items.nth(0).drag_to(items.nth(2), target_position={"x": 40, "y": box_of_last["height"] - 5})
    expect(page.locator("[data-lightbox-status]")).to_have_text("Moved to place 3 of 3.")
    page.reload()
    assert [int(i.get_attribute("data-asset-id")) for i in items.all()] == [ids[0], ids[1], ids[2]]

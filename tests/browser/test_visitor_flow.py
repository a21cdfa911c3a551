"""A visitor browses home → category → gallery → asset and moves through the photos with the keyboard."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.conftest import check_accessibility, shoot


def _row_heights(page) -> list[list[int]]:
    """Heights of the grid's tiles grouped by row (tiles sharing a top edge)."""
    boxes = page.eval_on_selector_all(
        ".asset-grid > li", "els => els.map(e => { const r = e.getBoundingClientRect();"
        " return [Math.round(r.top), Math.round(r.height), Math.round(r.right)]; })")
    rows: dict[int, list[int]] = {}
    for top, height, _right in boxes:
        rows.setdefault(top, []).append(height)
    return list(rows.values())


def test_visitor_browses_to_a_photo_and_uses_the_keyboard_viewer(page, live_server):
    water = live_server.galleries["Clean water reaches Turkana"]

    page.goto("/")
    expect(page.get_by_role("heading", name="Editors' picks")).to_be_visible()
    picks = page.locator(".home-picks li")
    expect(picks).to_have_count(2)
    expect(page.get_by_role("search").first).to_be_visible()
    page.wait_for_load_state("networkidle")
    shoot(page, "home", readme=True)

    page.locator(".category-list").get_by_role("link", name=re.compile(r"^Health\b")).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Health")
    page.get_by_role("link", name="Clean water reaches Turkana").first.click()

    expect(page).to_have_url(re.compile(re.escape(water["path"]) + "$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Clean water reaches Turkana")
    tiles = page.locator(".asset-grid > li img")
    expect(tiles).to_have_count(5)
    page.wait_for_load_state("networkidle")
    # Lazy images may still be decoding on a busy machine: wait for them rather than assert once.
    page.wait_for_function("() => [...document.querySelectorAll('.asset-grid img')]"
                           ".every(i => i.complete && i.naturalWidth > 0)", timeout=15_000)
    # Justified grid: every full row shares one height; portrait and landscape photos keep their shape.
    rows = _row_heights(page)
    assert all(max(r) - min(r) <= 1 for r in rows), rows
    ratios = page.eval_on_selector_all(
        ".asset-grid img", "els => els.map(i => (i.clientWidth / i.clientHeight) / (i.naturalWidth / i.naturalHeight))")
    assert all(0.9 < r < 1.1 for r in ratios), ratios
    shoot(page, "gallery", readme=True)

    tiles.first.click()
    expect(page).to_have_url(re.compile(rf"/assets/{water['assets'][0]}$"))
    expect(page.locator(".caption")).to_contain_text("new borehole in Lodwar")
    expect(page.locator(".viewer-position")).to_have_text("1 of 5")
    preview = page.locator(".viewer-stage img")
    expect(preview).to_be_visible()
    page.wait_for_function("() => document.querySelector('.viewer-stage img').complete")
    assert preview.evaluate("i => i.naturalWidth") >= 1200
    page.wait_for_load_state("networkidle")
    shoot(page, "asset", readme=True)

    page.keyboard.press("ArrowRight")
    arrive(page, rf"/assets/{water['assets'][1]}$")
    expect(page.locator(".viewer-position")).to_have_text("2 of 5")
    page.keyboard.press("ArrowRight")
    arrive(page, rf"/assets/{water['assets'][2]}$")
    page.keyboard.press("ArrowLeft")
    arrive(page, rf"/assets/{water['assets'][1]}$")
    # Typing in the search box must not flip photos.
    page.get_by_role("searchbox").first.fill("water")
    page.get_by_role("searchbox").first.press("ArrowLeft")
    expect(page).to_have_url(re.compile(rf"/assets/{water['assets'][1]}$"))
    page.get_by_role("searchbox").first.blur()
    page.keyboard.press("Escape")
    expect(page).to_have_url(re.compile(re.escape(water["path"]) + "$"))


def arrive(page, url_pattern: str) -> None:
    """Wait for the next page to be there, its deferred scripts (the viewer's keys) included.

    The URL changes as soon as the navigation commits, before the new page's scripts run: a key
    pressed in between reaches no listener.
    """
    expect(page).to_have_url(re.compile(url_pattern))
    page.wait_for_load_state("domcontentloaded")


def test_last_photo_has_no_next_and_first_has_no_previous(page, live_server):
    ids = live_server.galleries["Mobile clinics in El Paraíso"]["assets"]
    page.goto(f"/assets/{ids[-1]}")
    expect(page.locator(".viewer a[rel~=next]")).to_have_count(0)
    page.keyboard.press("ArrowRight")
    page.wait_for_load_state()
    expect(page).to_have_url(re.compile(rf"/assets/{ids[-1]}$"))
    page.locator(".viewer a[rel~=prev]").click()
    expect(page).to_have_url(re.compile(rf"/assets/{ids[-2]}$"))


def test_copy_credit_button(context, page, live_server):
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    asset_id = live_server.galleries["Returnees rebuild in Danlí"]["assets"][0]
    page.goto(f"/assets/{asset_id}")
    credit = page.locator(".credit-line span").first.inner_text()
    assert "José Peña" in credit
    page.get_by_role("button", name=re.compile("Copy credit")).click()
    expect(page.get_by_role("button", name=re.compile("Copied"))).to_be_visible()
    assert page.evaluate("() => navigator.clipboard.readText()") == credit


def test_swipe_on_a_phone(browser, live_server):
    """On a touch screen, swiping the photo left shows the next one and right the previous."""
    ctx = browser.new_context(base_url=live_server.url, viewport={"width": 390, "height": 844},
                              has_touch=True, is_mobile=True, device_scale_factor=2)
    try:
        phone = ctx.new_page()
        ids = live_server.galleries["Shelter after the floods in Sylhet"]["assets"]
        phone.goto(f"/assets/{ids[1]}")
        check_accessibility(phone, "asset page on a phone")
        cdp = ctx.new_cdp_session(phone)
        box = phone.locator(".viewer-stage").bounding_box()
        y = box["y"] + box["height"] / 2

        def swipe(x0: float, x1: float) -> None:
            cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": x0, "y": y}]})
            for step in range(1, 6):
                x = x0 + (x1 - x0) * step / 5
                cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [{"x": x, "y": y}]})
            cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})

        swipe(300, 60)
        expect(phone).to_have_url(re.compile(rf"/assets/{ids[2]}$"))
        phone.wait_for_load_state()
        box = phone.locator(".viewer-stage").bounding_box()
        y = box["y"] + box["height"] / 2
        swipe(60, 300)
        expect(phone).to_have_url(re.compile(rf"/assets/{ids[1]}$"))
    finally:
        ctx.close()

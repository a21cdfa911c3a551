"""A journalist searches a caption word without its accent, narrows by a facet and opens the result."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.conftest import check_accessibility, shoot


def test_journalist_searches_narrows_and_opens(page, live_server):
    page.goto("/")
    search = page.locator("header").get_by_role("searchbox")
    search.fill("Danli")  # the captions say "Danlí"
    search.press("Enter")

    expect(page).to_have_url(re.compile(r"/search\?q=Danli"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Danli")
    results = page.locator(".search-results > li")
    danli = live_server.galleries["Returnees rebuild in Danlí"]["assets"]
    # The clinics' gallery description mentions Danlí too, so all its photos match.
    clinics = live_server.galleries["Mobile clinics in El Paraíso"]["assets"]
    expect(results).to_have_count(len(danli) + len(clinics))
    facets = page.locator(".facets")
    health = facets.get_by_role("link", name=re.compile(rf"^Health\s*{len(clinics)}$"))
    expect(health).to_be_visible()
    expect(facets.get_by_role("link", name=re.compile(rf"^Return and Reintegration\s*{len(danli)}$"))).to_be_visible()
    page.wait_for_load_state("networkidle")
    check_accessibility(page, "search results")
    shoot(page, "search", readme=True)

    health.click()
    expect(results).to_have_count(len(clinics))
    chip = page.locator(".chips .chip")
    expect(chip).to_contain_text("Health")
    expect(page.locator(".result-count")).to_contain_text(f"{len(clinics)} results")
    shoot(page, "search-narrowed")

    page.locator(f'.search-results > li[data-asset-id="{clinics[0]}"] a').first.click()
    expect(page).to_have_url(re.compile(rf"/assets/{clinics[0]}$"))
    expect(page.locator(".caption")).to_contain_text("between Danlí and El Paraíso")

    # Removing the chip widens the search again.
    page.go_back()
    page.locator(".chips .chip").click()
    expect(results).to_have_count(len(danli) + len(clinics))


def test_no_results_page_says_what_to_do(page):
    page.goto("/search?q=zzyzx+quokka")
    empty = page.locator(".empty")
    expect(empty.get_by_role("heading")).to_have_text("Nothing found")
    expect(empty.get_by_role("link", name="Advanced search")).to_be_visible()
    check_accessibility(page, "search without results")


def test_grid_results_show_their_caption_on_hover_and_focus_and_always_on_a_phone(page, phone):
    page.goto("/search?q=borehole")
    tile = page.locator(".search-results > li").first
    caption = tile.locator(".tile-caption")
    expect(caption).to_contain_text("borehole")
    assert float(caption.evaluate("n => getComputedStyle(n).opacity")) == 0
    tile.hover()
    expect(caption).to_have_css("opacity", "1")
    page.mouse.move(0, 0)
    tile.locator("a").focus()
    expect(caption).to_have_css("opacity", "1")
    tab = phone.new_page()
    tab.goto("/search?q=borehole")
    expect(tab.locator(".search-results .tile-caption").first).to_have_css("opacity", "1")
    tab.goto("/search?q=borehole&view=list")
    expect(tab.locator(".search-results .creator").first).to_have_text("Amina Odhiambo")


def test_on_a_phone_results_come_first_and_facets_wait_behind_filter(phone):
    tab = phone.new_page()
    tab.goto("/search?q=water")
    first = tab.locator(".search-results > li").first
    assert first.bounding_box()["y"] < 844, first.bounding_box()  # on the first screen
    facets = tab.locator("#search-facets")
    expect(facets).to_be_hidden()
    toggle = tab.get_by_role("button", name="Filter")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    toggle.click()
    expect(facets).to_be_visible()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    facets.get_by_role("link", name=re.compile(r"^Kenya")).first.click()
    expect(tab).to_have_url(re.compile(r"country=KEN"))
    expect(tab.get_by_role("button", name="Filter (1)")).to_be_visible()


def test_on_a_wide_screen_the_facets_are_shown_without_a_button(page):
    page.goto("/search?q=water")
    expect(page.locator("#search-facets")).to_be_visible()
    expect(page.locator(".facet-toggle")).to_be_hidden()

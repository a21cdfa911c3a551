"""A journalist saves a search, subscribes to its feed, and embeds a photo in another site's page."""
from __future__ import annotations

import contextlib
import re
import threading

from playwright.sync_api import expect
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from tests.browser.conftest import check_accessibility


def test_save_a_search_and_find_it_on_the_account(page, live_server, login_as):
    login_as(live_server.users["editor"])
    page.goto("/search?q=borehole")
    feed = page.get_by_role("link", name="Feed of this search")
    expect(feed).to_have_attribute("href", "/search/feed?q=borehole")
    page.get_by_text("Save this search").click()
    page.get_by_label("Name").fill("Boreholes in Kenya")
    page.get_by_label("E-mail me new results once a day").check()
    check_accessibility(page, "search with the save form open")
    page.get_by_role("button", name="Save search").click()
    expect(page).to_have_url(re.compile(r"/account/searches$"))
    row = page.locator("tr.saved-search", has_text="Boreholes in Kenya")
    expect(row).to_contain_text("On")
    check_accessibility(page, "saved searches")
    row.get_by_role("link", name="Boreholes in Kenya").click()
    expect(page).to_have_url(re.compile(r"/search\?q=borehole$"))
    page.goto("/account/searches")
    page.get_by_role("button", name=re.compile("Delete Boreholes in Kenya")).click()
    expect(page.locator("tr.saved-search")).to_have_count(0)


def test_embed_snippet_is_copied_and_the_embed_page_shows_in_another_sites_frame(context, page, live_server):
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    asset_id = live_server.galleries["Clean water reaches Turkana"]["assets"][0]
    page.goto(f"/assets/{asset_id}")
    page.get_by_text("Embed", exact=True).click()
    page.get_by_role("button", name="Copy embed code").click()
    snippet = page.evaluate("() => navigator.clipboard.readText()")
    assert f'src="{live_server.url}/embed/assets/{asset_id}"' in snippet
    check_accessibility(page, "asset page with the embed code open")

    # Another site (its own server: another origin) pastes the snippet: the frame loads with the
    # credit. (That other pages refuse framing is tests/test_sharing.py's: here Chromium's refusal
    # is a console error, which the page fixture fails on.)
    newsroom = {"/story": f"<main>{snippet}</main>"}
    with other_site(newsroom) as other:
        page.goto(f"{other}/story")
        frame = page.frame_locator("iframe")
        expect(frame.locator(".embed-credit")).to_contain_text("Amina Odhiambo")
        expect(frame.locator("img")).to_have_js_property("complete", True)
    page.goto(f"/embed/assets/{asset_id}")
    check_accessibility(page, "embed page")


@contextlib.contextmanager
def other_site(pages: dict[str, str]):
    """Another web site on 127.0.0.1 (its own port, so its own origin) serving these HTML pages."""

    @Request.application
    def app(request):
        body = pages.get(request.path)
        return Response(f"<!doctype html><title>A newsroom</title>{body}", mimetype="text/html",
                        status=200 if body else 404)

    server = make_server("127.0.0.1", 0, app)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join()

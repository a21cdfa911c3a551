"""An editor logs in, creates a gallery, uploads three photos watching the progress bars, captions them and publishes."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.conftest import check_accessibility, shoot
from tests.browser.pictures import picture

CAPTIONS = [
    "Solar pumps lift water for 400 households in Garissa.",
    "A technician from the county cleans the solar panels.",
    "Herders water their camels at the new trough near Garissa.",
]

# Polls every progress bar while the files go up, so the test can tell the bars really moved.
RECORD_PROGRESS = """() => {
    window.__progress = {overall: [], items: []};
    window.setInterval(() => {
        const overall = document.querySelector('progress[data-overall]');
        if (overall) window.__progress.overall.push(overall.value);
        document.querySelectorAll('.upload-item progress').forEach(p => window.__progress.items.push(p.value));
    }, 15);
}"""


def test_editor_creates_uploads_captions_and_publishes(browser, context, page, live_server, login_as):
    login_as(live_server.users["editor"])
    page.goto("/manage/upload")
    expect(page.get_by_role("heading", level=1)).to_have_text("New upload")
    page.get_by_label("Title").fill("Solar pumps in Garissa")
    page.get_by_label("Description").fill("Solar-powered boreholes replace diesel pumps in Garissa County.")
    page.get_by_label("Category").select_option(label="Environmental Migration")
    page.get_by_label("Country").select_option("KEN")
    page.get_by_label("Credit").fill("Example Relief Agency / Test Editor")
    check_accessibility(page, "new upload form")
    page.get_by_role("button", name="Create gallery and add files").click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("Add files to")
    gallery_id = int(re.search(r"/galleries/(\d+)/upload", page.url).group(1))
    check_accessibility(page, "upload page")

    # Slow the uploads down (the server is local and fast) so the bars have something to show.
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", {"offline": False, "latency": 20,
                                                  "downloadThroughput": -1, "uploadThroughput": 900 * 1024})
    page.evaluate(RECORD_PROGRESS)
    files = [{"name": f"garissa-{n}.jpg", "mimeType": "image/jpeg",
              "buffer": picture(300 + n, (1800, 1200), grain=40)} for n in range(3)]
    page.get_by_label("Files to upload").set_input_files(files)
    expect(page.locator(".upload-list > .upload-item")).to_have_count(3)
    expect(page.locator(".upload-item.is-accepted")).to_have_count(3, timeout=60_000)
    cdp.send("Network.emulateNetworkConditions", {"offline": False, "latency": 0,
                                                  "downloadThroughput": -1, "uploadThroughput": -1})
    seen = page.evaluate("() => window.__progress")
    assert [v for v in seen["items"] if 0 < v < 100], "no file's progress bar was seen part-way"
    assert [v for v in seen["overall"] if 0 < v < 100], "the overall progress bar was never seen part-way"
    assert seen["overall"] == sorted(seen["overall"]) and seen["overall"][-1] == 100
    expect(page.locator("[data-summary]")).to_contain_text("3 added")
    for item in page.locator(".upload-list > .upload-item progress").all():
        assert item.evaluate("p => p.value") == 100
    shoot(page, "upload", readme=True)

    page.get_by_role("link", name="Edit captions of the new files").click()
    rows = page.locator(".caption-grid > li")
    expect(rows).to_have_count(3)
    check_accessibility(page, "caption grid")
    for row, caption in zip(rows.all(), CAPTIONS):
        row.get_by_label("Caption").fill(caption)
    shoot(page, "caption-grid")
    page.get_by_role("button", name="Save all captions").click()
    page.wait_for_load_state()
    expect(page.locator(".caption-grid textarea").first).to_have_value(CAPTIONS[0])

    page.goto(f"/manage/galleries/{gallery_id}")
    page.get_by_role("button", name="Publish", exact=True).click()
    expect(page.get_by_role("button", name=re.compile("Unpublish"))).to_be_visible()

    # A visitor (no login) now finds the gallery with the edited captions.
    visitor = browser.new_context(base_url=live_server.url)
    try:
        tab = visitor.new_page()
        tab.goto("/categories/environmental-migration")
        tab.get_by_role("link", name="Solar pumps in Garissa").first.click()
        expect(tab.locator(".asset-grid > li")).to_have_count(3)
        tab.locator(".asset-grid > li a").first.click()
        expect(tab.locator(".caption")).to_have_text(CAPTIONS[0])
    finally:
        visitor.close()

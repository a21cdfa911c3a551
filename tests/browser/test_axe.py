"""axe-core finds no serious or critical accessibility issue on the main pages."""
from __future__ import annotations

import hashlib
import os

from playwright.sync_api import expect

from tests.browser.conftest import AXE_JS, check_accessibility


def test_vendored_axe_is_the_recorded_release():
    with open(AXE_JS, "rb") as fh:
        digest = hashlib.sha256(fh.read()).hexdigest()
    with open(os.path.join(os.path.dirname(AXE_JS), "README.md"), encoding="utf-8") as fh:
        assert digest in fh.read()


def test_home_page(page):
    page.goto("/")
    check_accessibility(page, "home")


def test_gallery_page(page, live_server):
    page.goto(live_server.gallery_path("Clean water reaches Turkana"))
    check_accessibility(page, "gallery")


def test_asset_page(page, live_server):
    page.goto(f"/assets/{live_server.galleries['Returnees rebuild in Danlí']['assets'][0]}")
    check_accessibility(page, "asset")


def test_help_page(page):
    page.goto("/help")
    check_accessibility(page, "help")


def test_trash_page(page, login_as, live_server):
    login_as(live_server.users["admin"])
    page.goto("/manage/trash")
    check_accessibility(page, "trash")


def test_error_page(page):
    page.goto("/no-such-page")
    check_accessibility(page, "404 page")


def test_login_page(page):
    page.goto("/login")
    check_accessibility(page, "login")


def test_login_form_errors_are_announced(page, login_as):
    login_as("nobody@example.org", "wrong password")
    expect(page.get_by_role("alert")).to_be_visible()
    check_accessibility(page, "login with an error")


def test_staff_pages(page, live_server, login_as):
    """The manage and admin pages: dashboard, editing, trash, categories, users, downloads."""
    login_as(live_server.users["admin"])
    gallery = live_server.galleries["Clean water reaches Turkana"]
    paths = {
        "manage dashboard": "/manage/",
        "gallery manage page": f"/manage/galleries/{gallery['id']}",
        "gallery edit form": f"/manage/galleries/{gallery['id']}/edit",
        "gallery activity": f"/manage/galleries/{gallery['id']}/activity",
        "asset edit form": f"/manage/assets/{gallery['assets'][0]}/edit",
        "asset replace form": f"/manage/assets/{gallery['assets'][0]}/replace",
        "trash": "/manage/trash",
        "categories": "/manage/categories",
        "site texts": "/manage/texts",
        "approvals": "/manage/approvals",
        "users": "/admin/users/",
        "download statistics": "/admin/downloads",
        "account": "/account",
        "api tokens": "/account/tokens/",
    }
    for label, path in paths.items():
        response = page.goto(path)
        assert response is not None and response.status == 200, f"{label}: {path}"
        # Let thumbnails finish: leaving mid-transfer makes the test server drop open files.
        page.wait_for_load_state("networkidle")
        check_accessibility(page, label)

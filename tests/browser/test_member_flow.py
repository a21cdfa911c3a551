"""A member registers, accepts the terms, downloads a Large JPEG and a gallery's photos as a zip."""
from __future__ import annotations

import csv
import io
import logging
import re
import zipfile

from PIL import Image
from playwright.sync_api import expect

from tests.browser.conftest import PASSWORD, check_accessibility, shoot

IMAGE_DESCRIPTION = 0x010E  # EXIF ImageDescription
GPS_IFD = 0x8825


def _register(page, email: str, caplog) -> None:
    """Fill the registration form, then follow the activation link from the mail (in the log)."""
    page.goto("/register")
    check_accessibility(page, "register")
    page.get_by_label("Name").fill("Jo Reporter")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Organisation").fill("The Daily Example")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Repeat the password").fill(PASSWORD)
    page.get_by_label("I accept the terms of use").check()
    shoot(page, "register")
    with caplog.at_level(logging.WARNING, logger="gallery.mail"):
        page.get_by_role("button", name="Create the account").click()
        expect(page.locator(".pending")).to_contain_text(f"We sent an email to {email}")
    link = re.search(r"https?://[^/\s]+(/register/confirm/\S+)", caplog.text)
    assert link, caplog.text
    page.goto(link.group(1))
    page.get_by_role("button", name="Activate my account").click()
    page.wait_for_load_state()


def _accept_terms_if_asked(page) -> None:
    """The terms page appears before the first download when registration did not record them."""
    if "/terms/accept" in page.url:
        page.get_by_label("I accept the terms of use").check()
        page.get_by_role("button", name="Accept and continue").click()
        page.wait_for_load_state()


def test_member_registers_and_downloads(page, live_server, tmp_path, caplog):
    _register(page, "jo.reporter@example.org", caplog)
    expect(page.get_by_role("button", name="Log out", exact=True)).to_be_visible()

    danli = live_server.galleries["Returnees rebuild in Danlí"]
    page.goto(f"/assets/{danli['assets'][0]}")
    downloads = page.locator("section.downloads")
    if downloads.get_by_role("link", name=re.compile("accept the terms")).count():
        downloads.get_by_role("link", name=re.compile("accept the terms")).click()
        _accept_terms_if_asked(page)
    expect(page).to_have_url(re.compile(rf"/assets/{danli['assets'][0]}"))
    large = page.locator("[data-size=large]")
    expect(large).to_contain_text("×")
    check_accessibility(page, "asset page with downloads")
    shoot(page, "asset-downloads")
    with page.expect_download() as info:
        large.get_by_role("button").click()
    download = info.value
    assert re.fullmatch(r"[a-z0-9-]+-\d+-large\.jpg", download.suggested_filename), download.suggested_filename
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    with Image.open(path) as im:
        assert im.format == "JPEG"
        exif = im.getexif()
        assert "rebuilds the walls of their house" in exif.get(IMAGE_DESCRIPTION, "")
        assert GPS_IFD not in exif

    # The gallery: tick every photo, choose the Small size and download them as one zip.
    page.goto(danli["path"])
    boxes = page.locator(".asset-grid .tile-select input[type=checkbox]")
    expect(boxes).to_have_count(len(danli["assets"]))
    for box in boxes.all():
        box.check()
    page.get_by_label("Download as zip").first.select_option("preview")
    with page.expect_download() as info:
        page.get_by_role("button", name="Download ticked items").first.click()
    archive = info.value
    zpath = tmp_path / archive.suggested_filename
    archive.save_as(zpath)
    with zipfile.ZipFile(zpath) as zf:
        names = zf.namelist()
        assert "captions.csv" in names
        photos = [n for n in names if n.endswith(".jpg")]
        assert len(photos) == len(danli["assets"])
        rows = list(csv.DictReader(io.StringIO(zf.read("captions.csv").decode("utf-8-sig"))))
    assert sorted(r["file"] if "file" in r else r[next(iter(r))] for r in rows) == sorted(photos)
    assert any("María Hernández" in " ".join(r.values()) for r in rows)

"""The upload page: new files take the order chosen, and a zip's results read clearly."""
from __future__ import annotations

import io
import zipfile

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests.browser.pictures import picture


@pytest.fixture
def draft(live_server):
    """An empty draft gallery (only staff see it: the other tests' pages stay as they are)."""
    from gallery.extensions import db
    from gallery.services import galleries

    with live_server.app.app_context():
        gallery = galleries.create_gallery({"title": "Draft: upload page", "category": "Events",
                                            "country": "KEN", "status": "draft"}, None, script=True)
        gallery_id = gallery.id
        db.session.close()
    return gallery_id


def names_in_order(live_server, gallery_id: int) -> list[str]:
    from gallery.extensions import db
    from gallery.models import Asset

    with live_server.app.app_context():
        try:
            return list(db.session.scalars(select(Asset.original_filename)
                                           .where(Asset.gallery_id == gallery_id)
                                           .order_by(Asset.position, Asset.id)))
        finally:
            db.session.close()


@pytest.mark.parametrize("order, expected", [
    ("As selected", ["z-first.jpg", "a-second.jpg", "m-third.jpg", "b-fourth.jpg"]),
    ("By file name", ["a-second.jpg", "b-fourth.jpg", "m-third.jpg", "z-first.jpg"]),
])
def test_new_files_take_the_chosen_order_not_their_arrival(page, live_server, login_as, draft, order, expected):
    login_as(live_server.users["editor"])
    page.goto(f"/manage/galleries/{draft}/upload")
    page.get_by_label("Order of the new files in the gallery").select_option(label=order)
    # The first file is by far the biggest, so the next ones (sent beside it) arrive before it.
    sizes = {"z-first.jpg": ((3000, 2000), 60), "a-second.jpg": ((400, 300), 0),
             "m-third.jpg": ((400, 300), 0), "b-fourth.jpg": ((400, 300), 0)}
    seed = 500 + 10 * len(order)  # new pictures for each case: the same ones would be duplicates
    files = [{"name": name, "mimeType": "image/jpeg", "buffer": picture(seed + n, size, grain=grain)}
             for n, (name, (size, grain)) in enumerate(sizes.items())]
    page.get_by_label("Files to upload").set_input_files(files)
    expect(page.locator(".upload-list > .upload-item.is-accepted")).to_have_count(4, timeout=60_000)
    expect(page.get_by_role("link", name="Edit captions of the new files")).to_be_visible()
    expect(page.locator("[data-summary]")).to_have_text("4 of 4 uploads sent. Files: 4 added.")
    assert names_in_order(live_server, draft) == expected


def test_a_zip_with_one_refused_entry_reads_clearly(page, live_server, login_as, draft):
    login_as(live_server.users["editor"])
    page.goto(f"/manage/galleries/{draft}/upload")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        archive.writestr("field-photos/harbour-at-dawn.jpg", picture(601, (800, 600)))
        archive.writestr("field-photos/damaged-card-reader-export.jpg", b"\xff\xd8 not really a photo")
    page.get_by_label("Files to upload").set_input_files(
        [{"name": "field-photos.zip", "mimeType": "application/zip", "buffer": buf.getvalue()}])
    item = page.locator(".upload-list > .upload-item").first
    expect(item).to_have_class("upload-item is-partial")  # one added: not all red
    expect(item.locator("> .upload-status")).to_have_text("1 added, 1 refused")
    expect(page.locator("[data-summary]")).to_have_text("1 of 1 upload sent. Files: 1 added, 1 refused.")
    refused = item.locator(".upload-item.is-rejected")
    expect(refused).to_contain_text("Refused:")
    name = refused.locator(".upload-name")
    # The name reads on one or two lines, not a letter per line beside a long reason.
    box = name.bounding_box()
    line = float(name.evaluate("n => parseFloat(getComputedStyle(n).lineHeight)"))
    assert box["width"] > 100 and box["height"] <= 2.5 * line, box
    page.set_viewport_size({"width": 390, "height": 844})
    box = name.bounding_box()
    assert box["width"] > 80 and box["height"] <= 4.5 * line, box

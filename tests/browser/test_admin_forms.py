"""Site texts, trash, delete, replace-file and schedule forms submitted as the browser renders them."""
from __future__ import annotations

import io
import itertools

import pytest
from playwright.sync_api import expect

from tests.browser.pictures import picture

SEEDS = itertools.count(900)  # each test's photos differ: the catalogue refuses duplicates


@pytest.fixture
def draft(live_server):
    """A draft gallery of its own with two photos (only staff see it)."""
    from gallery.extensions import db
    from gallery.services import galleries, ingest

    with live_server.app.app_context():
        gallery = galleries.create_gallery({"title": "Draft: admin forms", "category": "Events",
                                            "country": "KEN", "status": "draft"}, None, script=True)
        ids = []
        for n, caption in enumerate(("The first photo of the admin forms.", "The second photo of the admin forms.")):
            result = ingest.ingest(gallery, io.BytesIO(picture(next(SEEDS))), f"admin-{n}.jpg", {"caption": caption})
            assert result.status == "accepted", result.reason
            ids.append(result.asset.id)
        found = {"gallery": gallery.id, "assets": ids}
        db.session.close()
    return found


def _asset_row(live_server, asset_id):
    """The asset as stored now (None once purged)."""
    from gallery.extensions import db
    from gallery.models import Asset

    with live_server.app.app_context():
        asset = db.session.get(Asset, asset_id)
        found = None if asset is None else {"deleted": asset.deleted_at is not None, "width": asset.width,
                                            "height": asset.height}
        db.session.close()
    return found


def _log_out(page):
    page.get_by_role("button", name="Log out", exact=True).click()
    page.wait_for_load_state()


def test_site_text_form_as_rendered_shows_on_the_public_page(page, live_server, login_as):
    login_as(live_server.users["admin"])
    page.goto("/manage/")
    page.get_by_role("link", name="Site texts").click()
    page.locator(".text-list").get_by_role("link", name="Help").click()
    page.get_by_label("Title").fill("Help for journalists")
    page.get_by_label("Text (Markdown; HTML is shown as text)").fill("Ask the **media team** first.")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".flash").first).to_contain_text("Saved.")
    expect(page.locator(".text-preview strong")).to_have_text("media team")

    page.get_by_role("contentinfo").get_by_role("link", name="Help").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Help for journalists")
    expect(page.locator(".site-text-body strong")).to_have_text("media team")


def test_delete_to_trash_restore_and_delete_for_good_as_rendered(page, live_server, login_as, draft):
    first, second = draft["assets"]
    login_as(live_server.users["editor"])
    page.goto(f"/manage/assets/{first}/edit")
    page.get_by_role("link", name="Delete", exact=True).click()
    page.get_by_role("button", name="Move to trash").click()
    expect(page.locator(".flash").first).to_contain_text("moved to the trash")
    expect(page.locator(f"#asset-{first}")).to_have_count(0)
    expect(page.locator(f"#asset-{second}")).to_be_visible()
    page.goto("/manage/trash")
    row = page.locator(f".trash-assets li[data-asset-id='{first}']")
    expect(row).to_contain_text("The first photo of the admin forms.")
    expect(row.get_by_role("button", name="Restore")).to_have_count(0)  # editors ask an admin
    _log_out(page)

    login_as(live_server.users["admin"])
    page.goto("/manage/trash")
    page.locator(f".trash-assets li[data-asset-id='{first}']").get_by_role("button", name="Restore").click()
    expect(page.locator(f".trash-assets li[data-asset-id='{first}']")).to_have_count(0)
    page.goto(f"/manage/galleries/{draft['gallery']}")
    expect(page.locator(f"#asset-{first}")).to_be_visible()
    assert _asset_row(live_server, first)["deleted"] is False

    page.goto(f"/manage/assets/{second}/delete")
    page.get_by_role("button", name="Move to trash").click()
    page.goto("/manage/trash")
    row = page.locator(f".trash-assets li[data-asset-id='{second}']")
    page.once("dialog", lambda dialog: dialog.dismiss())  # "Delete this asset ... for good?" -> Cancel
    row.get_by_role("button", name="Delete for good").click()
    expect(row).to_be_visible()
    assert _asset_row(live_server, second)["deleted"] is True
    page.once("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name="Delete for good").click()
    expect(page.locator(f".trash-assets li[data-asset-id='{second}']")).to_have_count(0)
    assert _asset_row(live_server, second) is None

    page.goto(f"/manage/galleries/{draft['gallery']}")
    page.get_by_role("link", name="Delete", exact=True).click()
    page.get_by_role("button", name="Move to trash").click()
    page.goto("/manage/trash")
    gallery_row = page.locator(f".trash-galleries li[data-gallery-id='{draft['gallery']}']")
    gallery_row.get_by_role("button", name="Restore").click()
    expect(page.locator(f".trash-galleries li[data-gallery-id='{draft['gallery']}']")).to_have_count(0)
    page.goto(f"/manage/galleries/{draft['gallery']}")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Draft: admin forms")


def test_replace_file_form_as_rendered(page, live_server, login_as, draft, tmp_path):
    first = draft["assets"][0]
    portrait = tmp_path / "portrait.jpg"
    portrait.write_bytes(picture(next(SEEDS), (900, 1350)))
    login_as(live_server.users["editor"])
    page.goto(f"/manage/assets/{first}/replace")
    page.get_by_label("New file").set_input_files(str(portrait))
    page.get_by_role("button", name="Replace").click()
    expect(page.locator(".flash").first).to_contain_text("File replaced")
    expect(page.get_by_label("Caption", exact=True)).to_have_value("The first photo of the admin forms.")
    assert _asset_row(live_server, first)["width"] == 900

    not_a_picture = tmp_path / "notes.jpg"
    not_a_picture.write_bytes(b"these are notes, not a photo")
    page.goto(f"/manage/assets/{first}/replace")
    page.get_by_label("New file").set_input_files(str(not_a_picture))
    page.get_by_role("button", name="Replace").click()
    expect(page.get_by_role("alert")).to_be_visible()
    assert _asset_row(live_server, first)["width"] == 900  # the refused file changed nothing


def test_schedule_and_rights_fields_as_rendered(page, live_server, login_as, draft):
    first = draft["assets"][0]
    login_as(live_server.users["editor"])
    edit = f"/manage/assets/{first}/edit"
    page.goto(edit)
    page.get_by_label("Embargo until (UTC)").fill("2031-02-03T09:30")
    page.get_by_label("Usage rights end on").fill("2032-12-31")
    page.get_by_label("Licence").select_option(label="CC BY 4.0")
    page.get_by_label("Usage terms").fill("Editorial use only")
    page.get_by_label("Restrictions").fill("Do not identify the child")
    page.get_by_role("button", name="Save").first.click()

    page.goto(edit)
    expect(page.locator(".schedule-notice").first).to_contain_text("Embargoed until 03 February 2031, 09:30 UTC")
    expect(page.get_by_label("Embargo until (UTC)")).to_have_value("2031-02-03T09:30")
    expect(page.get_by_label("Usage rights end on")).to_have_value("2032-12-31")
    expect(page.get_by_label("Licence").locator("option:checked")).to_have_text("CC BY 4.0")
    expect(page.get_by_label("Usage terms")).to_have_value("Editorial use only")
    expect(page.get_by_label("Restrictions")).to_have_value("Do not identify the child")

    page.get_by_label("Embargo until (UTC)").fill("")
    page.get_by_role("button", name="Save").first.click()
    page.goto(edit)
    expect(page.get_by_label("Embargo until (UTC)")).to_have_value("")
    expect(page.locator(".schedule-notice", has_text="Embargoed")).to_have_count(0)


def _member(live_server, email):
    """A member account of the test's own (no terms accepted yet)."""
    from gallery.extensions import db
    from gallery.services import accounts
    from tests.browser.conftest import PASSWORD

    with live_server.app.app_context():
        accounts.create_user(email=email, password=PASSWORD, role="member", name="Mo Member")
        db.session.commit()
        db.session.close()
    return email


def test_approval_request_and_decision_forms_as_rendered(page, live_server, login_as):
    from gallery.extensions import db
    from gallery.services import galleries, ingest

    with live_server.app.app_context():
        gallery = galleries.create_gallery({"title": "Sensitive: approval forms", "category": "Events",
                                            "country": "KEN", "status": "published"}, None, script=True)
        result = ingest.ingest(gallery, io.BytesIO(picture(next(SEEDS))), "s.jpg",
                               {"caption": "A survivor's hands, approval forms.", "consent": "obtained"})
        assert result.status == "accepted", result.reason
        asset_id = result.asset.id
        result.asset.sensitive = True
        db.session.commit()
        db.session.close()
    member = _member(live_server, "approval-member@example.org")
    login_as(member)
    page.goto(f"/assets/{asset_id}")
    page.get_by_role("link", name="read and accept the terms of use").click()
    page.get_by_role("checkbox").check()
    page.get_by_role("button", name="Accept and continue").click()
    page.goto(f"/assets/{asset_id}")
    page.get_by_label("How will you use it?").fill("A feature on recovery, faces not shown.")
    page.get_by_role("button", name="Request approval").click()
    expect(page.locator(".approval-status")).to_contain_text("waiting for the media team")
    _log_out(page)

    login_as(live_server.users["editor"])
    page.goto("/manage/approvals")
    row = page.locator("tr.approval", has_text="A survivor's hands, approval forms.")
    expect(row.locator(".reason")).to_have_text("A feature on recovery, faces not shown.")
    row.get_by_role("button", name="Approve").click()
    expect(page.locator("table.decided tr", has_text="approval-member@example.org")).to_contain_text("approved")
    _log_out(page)

    login_as(member)
    page.goto(f"/assets/{asset_id}")
    expect(page.locator(".approval-form")).to_have_count(0)
    expect(page.locator(".approval-status")).to_have_count(0)


def test_user_role_and_active_forms_as_rendered(page, live_server, login_as):
    member = _member(live_server, "role-member@example.org")
    login_as(live_server.users["admin"])
    page.goto("/admin/users/?q=role-member")
    row = page.locator("tr.user-row", has_text=member)
    row.get_by_label(f"Role of {member}").select_option("editor")
    row.get_by_role("button", name="Change").click()
    row = page.locator("tr.user-row", has_text=member)
    expect(row.get_by_label(f"Role of {member}")).to_have_value("editor")
    row.get_by_role("button", name="Deactivate").click()
    row = page.locator("tr.user-row", has_text=member)
    expect(row.get_by_role("button", name="Activate")).to_be_visible()
    _log_out(page)

    login_as(member)  # a deactivated account cannot log in
    expect(page.get_by_role("button", name="Log out", exact=True)).to_have_count(0)

"""One door each on the manage pages: the `next` check, real links to upload pages, one gallery create."""
from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import select

from gallery.extensions import db
from gallery.models import ActivityLog, Gallery

HOSTILE_NEXT = ("/\t/evil.example/", "//evil.example", "/\\evil.example", "https://evil.example",
                "/\n/evil.example/", "\t//evil.example/")


def soup(response) -> BeautifulSoup:
    return BeautifulSoup(response.data, "html.parser")


def browser_form_data(form) -> dict[str, str]:
    """What a browser posts for form: every named input (hidden too), select and textarea."""
    data: dict[str, str] = {}
    for field in form.select("input[name], select[name], textarea[name]"):
        if field.name == "select":
            chosen = field.select_one("option[selected]") or field.select_one("option")
            data[field["name"]] = chosen.get("value", chosen.get_text()) if chosen else ""
        elif field.name == "textarea":
            data[field["name"]] = field.get_text()
        elif field.get("type") in ("checkbox", "radio") and not field.has_attr("checked"):
            continue
        elif field.get("type") not in ("submit", "button", "file"):
            data[field["name"]] = field.get("value", "")
    return data


@pytest.fixture
def staff(make_user, login_as):
    """A logged-in editor."""
    return login_as(make_user("editor"))


def manage_posts(gallery_id: int, asset_id: int) -> list[tuple[str, dict[str, str]]]:
    """Every manage form that honours a posted `next`."""
    return [
        (f"/manage/galleries/{gallery_id}/status", {"status": "published"}),
        (f"/manage/galleries/{gallery_id}/pick", {"editors_pick": "0"}),
        (f"/manage/assets/{asset_id}/position", {"direction": "down"}),
    ]


@pytest.mark.parametrize("target", HOSTILE_NEXT)
def test_a_posted_next_never_sends_the_browser_off_the_site(client, staff, make_gallery, make_asset,
                                                            target):
    gallery = make_gallery()
    asset = make_asset(gallery)
    make_asset(gallery)
    for url, data in manage_posts(gallery.id, asset.id):
        response = client.post(url, data={**data, "next": target})
        assert response.status_code in (302, 303), url
        location = urlsplit(response.location)
        assert location.netloc in ("", "localhost"), (url, response.location)
        assert "evil" not in response.location


def test_a_same_site_next_is_still_followed(client, staff, make_gallery, make_asset):
    gallery = make_gallery()
    asset = make_asset(gallery)
    for url, data in manage_posts(gallery.id, asset.id):
        response = client.post(url, data={**data, "next": "/manage/?status=draft"})
        assert response.location == "/manage/?status=draft", url


def test_revoking_a_token_with_a_hostile_next_stays_on_the_site(client, staff, app):
    from gallery.services import apitokens

    row, _ = apitokens.create_token(staff, "laptop", staff)
    response = client.post(f"/account/tokens/{row.id}/revoke", data={"next": "/\t/evil.example/"})
    assert urlsplit(response.location).netloc in ("", "localhost")
    assert "evil" not in response.location


def test_the_manage_page_of_a_gallery_links_to_its_upload_and_captions_pages(client, staff,
                                                                              make_gallery):
    gallery = make_gallery(title="Wells")
    tabs = soup(client.get(f"/manage/galleries/{gallery.id}")).select("nav.manage-tabs a")
    links = {a.get_text(strip=True): a["href"] for a in tabs}
    assert links.get("Upload") == f"/manage/galleries/{gallery.id}/upload"
    assert links.get("Captions") == f"/manage/galleries/{gallery.id}/captions"
    upload = client.get(links["Upload"])
    assert upload.status_code == 200 and soup(upload).select_one("input[type=file][name=files]")
    assert client.get(links["Captions"]).status_code == 200


def test_the_dashboard_offers_new_gallery_and_an_upload_link_per_gallery(client, staff,
                                                                         make_gallery):
    first, second = make_gallery(title="Wells"), make_gallery(title="Clinics")
    page = soup(client.get("/manage/"))
    new = [a for a in page.select("nav.manage-nav a") if a.get_text(strip=True) == "New gallery"]
    assert len(new) == 1
    assert soup(client.get(new[0]["href"])).select_one("form.new-gallery-form") is not None
    for gallery in (first, second):
        link = page.select_one(f"tr.gallery-row[data-gallery-id='{gallery.id}'] a.upload-link")
        assert link is not None and link.get_text(strip=True) == "Upload"
        assert link["href"] == f"/manage/galleries/{gallery.id}/upload"
        assert client.get(link["href"]).status_code == 200


def test_a_gallery_made_on_the_upload_page_is_logged_once_and_listed(client, staff):
    form = soup(client.get("/manage/upload")).select_one("form.new-gallery-form")
    data = browser_form_data(form)
    assert "category" in data and "status" in data
    data.update(title="Measles campaign", credit="Health team", date="2023-05-01")
    response = client.post(form["action"], data=data)
    assert response.status_code == 302
    gallery = db.session.scalar(select(Gallery).where(Gallery.title == "Measles campaign"))
    assert response.location == f"/manage/galleries/{gallery.id}/upload"
    entries = db.session.scalars(select(ActivityLog).where(ActivityLog.gallery_id == gallery.id)).all()
    assert [(e.action, e.user_id) for e in entries] == [("gallery.create", staff.id)]
    assert gallery.created_by_id == staff.id and gallery.status == "draft"
    log = soup(client.get(f"/manage/galleries/{gallery.id}/activity"))
    assert "Measles campaign" in log.get_text()
    listed = soup(client.get("/manage/")).select("tr.gallery-row a.manage-link")
    assert "Measles campaign" in [a.get_text(strip=True) for a in listed]


def test_creating_a_gallery_commits_once(app, editor):
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    from gallery.services import galleries

    commits: list[Session] = []

    def seen(session: Session) -> None:
        commits.append(session)

    event.listen(Session, "after_commit", seen)
    try:
        gallery = galleries.create_gallery({"title": "Clinics", "category": "Health"}, editor)
    finally:
        event.remove(Session, "after_commit", seen)
    # The search follower records its cursor in a session of its own: not the use case's commit.
    assert [s for s in commits if s is db.session] == [db.session]
    assert db.session.get(Gallery, gallery.id).title == "Clinics"

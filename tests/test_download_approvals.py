"""Sensitive items: a member asks, an editor approves or refuses, the download follows."""
from __future__ import annotations

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import select

from gallery.extensions import db
from gallery.models import DownloadApproval
from gallery.services import terms


@pytest.fixture
def sensitive(make_gallery, make_asset):
    asset = make_asset(make_gallery(title="Survivors"), size=(1600, 1000), caption="A survivor speaks.")
    asset.sensitive = True
    db.session.commit()
    return asset


@pytest.fixture
def member(make_user):
    user = make_user("member", name="Joe Reporter", organisation="Daily News")
    terms.accept(user)
    return user


def test_request_approve_download(client, login_as, make_user, member, sensitive):
    login_as(member)
    url = f"/download/assets/{sensitive.id}/large"
    with client.get(url) as r:
        assert r.status_code == 302 and r.headers["Location"] == f"/assets/{sensitive.id}"
    page = BeautifulSoup(client.get(f"/assets/{sensitive.id}").data, "html.parser")
    assert "sensitive" in page.select_one(".flash-error").get_text()
    assert page.select(".download-size") == []
    form = page.select_one("form.approval-form")
    with client.post(form["action"], data={"reason": "Feature on safe migration, faces blurred."}) as r:
        assert r.status_code == 302
    page = BeautifulSoup(client.get(f"/assets/{sensitive.id}").data, "html.parser")
    assert "waiting for the media team" in page.select_one(".approval-status").get_text()
    with client.get(url) as r:
        assert r.status_code == 302

    login_as(make_user("editor"))
    page = BeautifulSoup(client.get("/manage/approvals").data, "html.parser")
    row = page.select_one("table.pending tr.approval")
    assert "Joe Reporter" in row.get_text() and "faces blurred" in row.select_one(".reason").get_text()
    with client.post(row.select_one("form")["action"], data={"decision": "approved"}) as r:
        assert r.status_code == 302
    page = BeautifulSoup(client.get("/manage/approvals").data, "html.parser")
    assert page.select("table.pending") == []
    assert page.select_one("table.decided .status").get_text() == "approved"

    login_as(member)
    with client.get(url) as r:
        assert r.status_code == 200 and r.data[:2] == b"\xff\xd8"


def test_refused_request_keeps_the_item_locked(client, login_as, make_user, member, sensitive):
    from gallery.services import approvals

    req = approvals.request_approval(member, sensitive, "Book cover")
    approvals.decide(req.id, "refused", make_user("editor"))
    login_as(member)
    with client.get(f"/download/assets/{sensitive.id}/original") as r:
        assert r.status_code == 302
    with client.get(f"/api/assets/{sensitive.id}/download?size=original") as r:
        assert r.status_code == 403
    page = BeautifulSoup(client.get(f"/assets/{sensitive.id}").data, "html.parser")
    assert page.select_one(".approval-status").get_text().startswith("Your earlier request was refused.")
    # Asking again reopens the request.
    with client.post(f"/assets/{sensitive.id}/approval", data={"reason": "Second try, documentary"}):
        pass
    assert db.session.scalars(select(DownloadApproval.status)).one() == "pending"


def test_empty_reason_is_refused(client, login_as, member, sensitive):
    login_as(member)
    with client.post(f"/assets/{sensitive.id}/approval", data={"reason": "  "}) as r:
        assert r.status_code == 302
    page = BeautifulSoup(client.get(f"/assets/{sensitive.id}").data, "html.parser")
    assert page.select_one(".flash-error").get_text() == "Say briefly how you will use this item."
    assert db.session.scalars(select(DownloadApproval)).all() == []


def test_sensitive_items_are_left_out_of_a_members_zip(client, login_as, member, sensitive, make_asset):
    import io
    import zipfile

    other = make_asset(sensitive.gallery)
    login_as(member)
    with client.get(f"/download/galleries/{sensitive.gallery_id}.zip?size=preview") as r:
        assert r.status_code == 200
        with zipfile.ZipFile(io.BytesIO(r.data)) as zf:
            assert zf.namelist() == [f"survivors-{other.id}-small.jpg", "captions.csv"]


def test_staff_need_no_approval(client, login_as, make_user, sensitive):
    login_as(make_user("editor"))
    with client.get(f"/download/assets/{sensitive.id}/original") as r:
        assert r.status_code == 200


@pytest.mark.parametrize("role,status", [(None, 302), ("member", 403)])
def test_approvals_page_is_for_staff(client, login_as, make_user, role, status):
    if role:
        login_as(make_user(role))
    with client.get("/manage/approvals") as r:
        assert r.status_code == status
    with client.post("/manage/approvals/1", data={"decision": "approved"}) as r:
        assert r.status_code == status


@pytest.mark.parametrize("role,links", [("editor", {"/manage/approvals"}),
                                        ("admin", {"/manage/approvals", "/admin/downloads"})])
def test_manage_menu_links_to_approvals_and_stats(client, login_as, make_user, role, links):
    login_as(make_user(role))
    page = BeautifulSoup(client.get("/manage/").data, "html.parser")
    hrefs = {a["href"] for a in page.select("nav.manage-nav a")}
    assert links <= hrefs and (role == "admin" or "/admin/downloads" not in hrefs)


def test_zip_policy_decides_as_one_item_at_a_time(make_gallery, make_asset, make_user, member):
    """download_access (zips: approvals read in bulk) gives access()'s answer for every cell."""
    from flask_login import AnonymousUserMixin

    from gallery import policy

    gallery = make_gallery(title="Mixed")
    draft = make_gallery(title="Draft", status="draft")
    assets = [make_asset(g, size=(64, 48)) for g in [gallery] * 5 + [draft]]
    hidden = make_asset(gallery, size=(64, 48), status="draft")
    assets.append(hidden)
    for a in assets[1:5] + [assets[5]]:
        a.sensitive = True
    other = make_user("member")
    terms.accept(other)
    for asset, status in ((assets[1], "approved"), (assets[2], "pending"), (assets[3], "refused"),
                          (assets[5], "approved")):
        db.session.add(DownloadApproval(user_id=member.id, asset_id=asset.id, status=status))
    db.session.add(DownloadApproval(user_id=other.id, asset_id=assets[4].id, status="approved"))
    db.session.commit()
    users = [AnonymousUserMixin(), member, other, make_user("member"), make_user("editor"),
             make_user("admin"), make_user("member", active=False)]
    for user in users:
        for size in policy.DOWNLOAD_SIZES + ("thumb",):
            one_by_one = [policy.access(user, a, size, download=True) for a in assets]
            assert policy.download_access(user, assets, size) == one_by_one, (user, size)
    # The cells are not all alike: approvals and drafts matter.
    answers = policy.download_access(member, assets, "large")
    assert answers[:4] == [policy.Access.OK, policy.Access.OK, policy.Access.APPROVAL,
                           policy.Access.APPROVAL]
    assert answers[4] == policy.Access.APPROVAL  # another member's approval
    assert answers[5] == answers[6] == policy.Access.NOT_FOUND

"""The authorization matrix: role x gallery status x size x channel, status codes and bytes."""
from __future__ import annotations

import io
import zipfile

import pytest
from bs4 import BeautifulSoup

from gallery import policy
from gallery.services import terms

ROLES = ("anonymous", "member", "editor", "admin")
STATUSES = ("published", "draft")
SIZES = ("thumb", "preview", "large", "original")
CHANNELS = ("page", "file", "zip", "api")


@pytest.fixture
def world(make_gallery, make_asset, make_user, login_as):
    """A published and a draft gallery, each with one 3000 px photo, and a user per role."""
    assets = {}
    for status in STATUSES:
        gallery = make_gallery(title=f"Matrix {status}", status=status)
        assets[status] = make_asset(gallery, size=(3000, 300), caption=f"{status} photo")
    users = {role: make_user(role) for role in ROLES[1:]}
    terms.accept(users["member"])

    def enter(role):
        if role != "anonymous":
            login_as(users[role])

    return assets, enter


def expected(role: str, status: str, size: str, channel: str) -> bool:
    """Whether the bytes (or, for the page, the download link) should be served."""
    visible = status == "published" or role in ("editor", "admin")
    if not visible:
        return False
    if channel == "file" and size == "thumb":
        return True  # thumbnails are shown in pages: public with the asset
    if size == "thumb":
        return False  # never a download size
    return role != "anonymous"


def fetch(client, channel, asset, size):
    """Request the thing; return (status, served bytes or None, page soup or None)."""
    if channel == "page":
        with client.get(f"/assets/{asset.id}") as r:
            return r.status_code, None, BeautifulSoup(r.data, "html.parser") if r.status_code == 200 else None
    if channel == "file":
        url = (f"/media/{asset.id}/thumb.jpg" if size == "thumb"
               else f"/download/assets/{asset.id}/{size}")
    elif channel == "zip":
        url = f"/download/galleries/{asset.gallery_id}.zip?size={size}"
    else:
        url = f"/api/assets/{asset.id}/download?size={size}"
    with client.get(url) as r:
        return r.status_code, r.data, r.headers.get("Location")


@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize("role", ROLES)
def test_matrix(client, world, role, status):
    """Every size through every channel for one role and gallery status (one setup, 16 cells)."""
    assets, enter = world
    enter(role)
    for size in SIZES:
        for channel in CHANNELS:
            check_cell(client, assets[status], role, status, size, channel)


def check_cell(client, asset, role, status, size, channel):
    """One cell of the matrix."""
    allowed = expected(role, status, size, channel)
    visible = status == "published" or role in ("editor", "admin")
    code, data, extra = fetch(client, channel, asset, size)

    if channel == "page":
        assert code == (200 if visible else 404)
        if visible:
            link = extra.select_one(f'.download-size[data-size="{size}"] button')
            assert (link is not None) == allowed
            if role == "anonymous":
                login = extra.select_one(".download-login a")
                assert login.get_text() == "Log in to download"
                assert login["href"] == f"/login?next=/assets/{asset.id}"
        return

    if allowed:
        assert code == 200
        if channel == "zip":
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                names = zf.namelist()
                assert names == [f"matrix-{status}-{asset.id}-{'small' if size == 'preview' else size}.jpg",
                                 "captions.csv"]
                image = zf.read(names[0])
        else:
            image = data
        assert image[:2] == b"\xff\xd8"
        long_edge = {"thumb": 400, "preview": 1280, "large": 2560, "original": 3000}[size]
        from PIL import Image

        with Image.open(io.BytesIO(image)) as im:
            assert max(im.size) == long_edge, (role, status, size, channel)
        return

    assert data is None or data[:2] != b"\xff\xd8" and b"PK\x03\x04" not in data[:4]
    if not visible:
        assert code == 404
    elif role == "anonymous":
        if channel == "api":
            assert code in (401, 404)
            assert code == (404 if size == "thumb" else 401)
        else:
            assert code == 302 and extra.startswith("/login?next=")
    else:  # a visible thumb asked for as a download
        assert code in (302, 404)
        if channel == "zip":
            assert code == 302 and extra.endswith(f"-matrix-{status}")
        else:
            assert code == 404


def test_policy_answers_match_the_matrix(world, make_user):
    assets, _ = world
    member = make_user("member")
    assert policy.access(member, assets["published"], "large", download=True) is policy.Access.TERMS
    terms.accept(member)
    assert policy.access(member, assets["published"], "original", download=True) is policy.Access.OK
    assert policy.access(member, assets["draft"], "original", download=True) is not policy.Access.OK
    assert policy.access(None, assets["published"], "thumb") is policy.Access.OK
    assert policy.access(None, assets["published"], "large") is policy.Access.LOGIN
    assert policy.access(None, assets["draft"], "thumb") is policy.Access.NOT_FOUND
    assert policy.access(member, assets["published"], "huge", download=True) is policy.Access.NOT_FOUND


def test_inactive_member_cannot_download(world, make_user):
    assets, _ = world
    member = make_user("member", active=False)
    terms.accept(member)
    # Flask-Login counts a deactivated account as not logged in at all.
    assert policy.access(member, assets["published"], "large", download=True) is policy.Access.LOGIN


def test_trashed_asset_downloads_for_no_one(client, world, make_user, login_as):
    """Trashed means absent everywhere but /manage/trash (issue 11, item 11): staff included."""
    from gallery.extensions import db
    from gallery.models import utcnow

    assets, _ = world
    asset = assets["published"]
    asset.deleted_at = utcnow()
    db.session.commit()
    member = make_user("member")
    terms.accept(member)
    login_as(member)
    with client.get(f"/download/assets/{asset.id}/original") as r:
        assert r.status_code == 404
    login_as(make_user("editor"))
    with client.get(f"/download/assets/{asset.id}/original") as r:
        assert r.status_code == 404


def test_large_media_url_goes_through_the_download_route(client, world):
    assets, _ = world
    asset = assets["published"]
    with client.get(f"/media/{asset.id}/large.jpg") as r:
        assert r.status_code == 302 and r.headers["Location"] == f"/download/assets/{asset.id}/large"
    with client.get(f"/media/{asset.id}/preview.jpg") as r:
        assert r.status_code == 200 and r.data[:2] == b"\xff\xd8"

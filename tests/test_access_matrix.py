"""Who gets what: sensitive, consent-withheld, draft and trashed items x every role x every route.

One gallery holds an item of each kind; each role asks every route for every item, and the test
checks what a person in that role would see: the page or a 404, real pixels or only the blurred
thumb, a file or a refusal, the item in search, in the gallery grid and in the zip.
"""
from __future__ import annotations

import io
import re
import zipfile

import pytest
from bs4 import BeautifulSoup

from gallery.extensions import db
from gallery.services import apitokens, approvals, assets, ingest, jobs, terms, trash
from tests.conftest import image_bytes
from tests.media_files import video_bytes

ITEMS = ("plain", "sensitive", "withheld", "draft", "trashed", "sensitive_video")
SESSION_ROLES = ("anonymous", "member_no_terms", "member", "member_approved", "editor", "admin")
TOKEN_ROLES = ("download_token", "editor_token")
STAFF = ("editor", "admin", "editor_token")
IMAGE = b"\xff\xd8"


def visible(role: str, item: str) -> bool:
    """The item's page, JSON and grid tile exist for this role."""
    if item == "trashed":
        return False  # trashed: absent everywhere but /manage/trash, staff included
    return item in ("plain", "sensitive", "sensitive_video") or role in STAFF


def revealed(role: str, item: str) -> bool:
    """The real thumb, preview and player (not only the blurred thumb)."""
    return visible(role, item) and (
        "sensitive" not in item or role in STAFF or role == "member_approved")


def downloadable(role: str, item: str) -> bool:
    """A file download: an account with the terms accepted, and an approval for sensitive items."""
    if role in ("anonymous", "member_no_terms"):
        return False
    return revealed(role, item)


@pytest.fixture
def world(app, make_gallery, make_user):
    """The gallery with one item of each kind, and a client per role."""
    editor = make_user("editor")
    gallery = make_gallery(title="Matrix")
    items = {}
    for n, item in enumerate(ITEMS):
        name, data = ((f"clip-{n}.mp4", video_bytes(seconds=1.0)) if item == "sensitive_video"
                      else (f"IMG_{n}.jpg", image_bytes(size=(3000, 2000), color=(n * 40, 90, 160))))
        result = ingest.ingest(gallery, io.BytesIO(data), name,
                                  {"caption": f"Matrixword {item} item."})
        assert result.status == "accepted", result.reason
        items[item] = result.asset
        # As an editor sets them on the edit page: the index and the counts follow.
        assets.update_asset(result.asset.id, {
            "consent": "withheld" if item == "withheld" else "obtained",
            "sensitive": "sensitive" in item,
            "status": "draft" if item == "draft" else "published"}, editor)
    trash.trash_asset(items["trashed"].id, editor)
    # The video is public once its web proxy is made (policy.REQUIRED_PIECES): make it now.
    assert jobs.wait_idle()

    users = {"editor": editor, "admin": make_user("admin"),
             "member_no_terms": make_user("member")}
    for role in ("member", "member_approved", "token_owner"):
        users[role] = make_user("member")
        terms.accept(users[role])
    for item in ("sensitive", "sensitive_video"):
        wish = approvals.request_approval(users["member_approved"], items[item], "Feature story.")
        approvals.decide(wish.id, "approved", editor)

    clients = {"anonymous": app.test_client()}
    for role in SESSION_ROLES[1:]:
        clients[role] = client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"] = users[role].get_id()
            session["_fresh"] = True
    for role, owner in (("download_token", users["token_owner"]), ("editor_token", editor)):
        _row, token = apitokens.create_token(owner, role, owner)
        clients[role] = TokenClient(app.test_client(), token)
    db.session.expire_all()
    return gallery, items, clients


class TokenClient:
    """A client that sends a bearer token and no cookie, as a script does."""

    def __init__(self, client, token: str):
        self.client, self.headers = client, {"Authorization": f"Bearer {token}"}

    def get(self, url: str, **kwargs):
        """GET with the token."""
        return self.client.get(url, headers=self.headers, **kwargs)


def get(client, url: str) -> tuple[int, bytes, str]:
    """(status, body, content type) of a GET; the response is closed."""
    with client.get(url) as r:
        return r.status_code, r.data, r.headers.get("Content-Type", "")


def served_file(status: int, body: bytes) -> bool:
    """Whether real file bytes came back (a JPEG, an MP4 or a zip)."""
    return status in (200, 206) and (body[:2] == IMAGE or body[4:8] == b"ftyp" or body[:2] == b"PK")


@pytest.mark.parametrize("role", SESSION_ROLES)
def test_session_roles(world, role):
    """Pages, renditions, the player, downloads, the API, search, the grid and the zip."""
    gallery, items, clients = world
    client = clients[role]
    for item, asset in items.items():
        cell = (role, item)
        seen, real, takes = visible(role, item), revealed(role, item), downloadable(role, item)

        status, _, _ = get(client, f"/assets/{asset.id}")
        assert status == (200 if seen else 404), cell

        for size in ("thumb", "preview"):
            status, body, _ = get(client, f"/media/{asset.id}/{size}.jpg")
            # /manage/trash shows staff the thumbs of trashed items: the one place they exist.
            shown = real or (item == "trashed" and size == "thumb" and role in STAFF)
            assert (status == 200 and body[:2] == IMAGE) == shown, (cell, size)
            if not shown:
                assert status == (403 if seen else 404), (cell, size)
        if "sensitive" in item and seen:
            status, body, _ = get(client, f"/media/{asset.id}/blurred.jpg")
            assert status == 200 and body[:2] == IMAGE, cell
        if item == "sensitive_video":
            for url in (f"/media/{asset.id}/original", f"/media/{asset.id}/play/web"):
                status, body, _ = get(client, url)
                assert served_file(status, body) == real, (cell, url)

        sizes = ("web", "original") if item == "sensitive_video" else ("preview", "large", "original")
        for size in sizes:
            status, body, _ = get(client, f"/download/assets/{asset.id}/{size}")
            assert served_file(status, body) == takes, (cell, size)
            if not seen:
                assert status == 404, (cell, size)
        check_api(client, asset, cell)

    check_lists(client, gallery, items, role, grid=True)


@pytest.mark.parametrize("role", TOKEN_ROLES)
def test_token_roles(world, role):
    """Scripts with a bearer token: the JSON API, API downloads and search follow the same rules."""
    gallery, items, clients = world
    client = clients[role]
    for item, asset in items.items():
        check_api(client, asset, (role, item))
    check_lists(client, gallery, items, role, grid=False)
    if role == "download_token":  # pages are not for download tokens
        status, _, _ = get(client, f"/assets/{items['plain'].id}")
        assert status == 403


def check_api(client, asset, cell) -> None:
    """/api/assets/<id> (with only the renditions this role may see) and its download."""
    role, item = cell
    status, body, _ = get(client, f"/api/assets/{asset.id}")
    assert status == (200 if visible(role, item) else 404), cell
    if status == 200:
        import json

        renditions = json.loads(body)["asset"]["renditions"]
        if revealed(role, item):
            assert "thumb" in renditions and "blurred" not in renditions, cell
        else:
            assert list(renditions) == ["blurred"], cell
    status, body, _ = get(client, f"/api/assets/{asset.id}/download?size=original")
    assert served_file(status, body) == downloadable(role, item), cell
    if not visible(role, item):
        assert status == 404, cell


def check_lists(client, gallery, items, role, *, grid: bool) -> None:
    """Search, the gallery grid (pages only) and the gallery zip hold exactly what the role may."""
    import json

    ids = {asset.id: item for item, asset in items.items()}
    status, body, _ = get(client, "/api/search?q=matrixword&per_page=50")
    assert status == 200
    found = {ids[hit["id"]] for hit in json.loads(body)["results"]}
    assert found == {i for i in ITEMS if visible(role, i)}, role

    if grid:
        status, body, _ = get(client, f"/galleries/{gallery.id}-{gallery.slug}")
        assert status == 200
        page = BeautifulSoup(body, "html.parser")
        tiles = {}
        for tile in page.select(".asset-grid .tile"):
            link = tile.select_one("a[href^='/assets/']")
            tiles[ids[int(link["href"].rsplit("/", 1)[1])]] = tile
        assert set(tiles) == {i for i in ITEMS if visible(role, i)}, role
        for item, tile in tiles.items():
            srcs = " ".join(img.get("src", "") + img.get("srcset", "") for img in tile.select("img"))
            assert ("/blurred.jpg" in srcs) != revealed(role, item), (role, item, srcs)
            assert ("/preview.jpg" in srcs or "/thumb.jpg" in srcs) == revealed(role, item)
        assert "IMG_" not in body.decode() or role in STAFF  # file names are for staff only

    status, body, _ = get(client, f"/download/galleries/{gallery.id}.zip?size=original")
    expected = {i for i in ITEMS if downloadable(role, i)}
    if not expected:
        assert body[:2] != b"PK", role
        return
    assert status == 200 and body[:2] == b"PK", role
    with zipfile.ZipFile(io.BytesIO(body)) as zf:
        names = [n for n in zf.namelist() if n != "captions.csv"]
    zipped = {ids[int(re.search(r"-(\d+)-original\.\w+$", n).group(1))] for n in names}
    assert zipped == expected, role

"""Sensitive items: the public gets a thumb blurred in its bytes and nothing else; members with an
approval and staff see the real thumb, preview and player; the player never serves an original."""
from __future__ import annotations

import io
import re

import pytest
from bs4 import BeautifulSoup
from PIL import Image, ImageChops, ImageDraw, ImageStat

from gallery.extensions import db
from gallery.services import approvals, ingest, jobs, served, storage, terms
from tests.media_files import jpeg, location_leaks, mp4_with_location, video_bytes


def detailed_photo(size=(1600, 1000)) -> bytes:
    """A JPEG full of sharp detail: a fine checkerboard, noise and large lettering."""
    w, h = size
    im = Image.new("RGB", size, (40, 90, 160))
    draw = ImageDraw.Draw(im)
    for y in range(0, h, 32):
        for x in range(0, w, 32):
            if (x // 32 + y // 32) % 2:
                draw.rectangle((x, y, x + 31, y + 31), fill=(235, 220, 190))
    draw.text((100, 300), "AMINA KAKUMA", fill=(0, 0, 0), font_size=160)
    noise = Image.effect_noise(size, 60).convert("RGB")
    return jpeg(Image.blend(im, noise, 0.25), size=size)


def roughness(data: bytes) -> float:
    """Mean difference between neighbouring pixels: high for detail, near zero for a blur."""
    with Image.open(io.BytesIO(data)) as im:
        grey = im.convert("L")
    w, h = grey.size
    across = ImageChops.difference(grey.crop((1, 0, w, h)), grey.crop((0, 0, w - 1, h)))
    down = ImageChops.difference(grey.crop((0, 1, w, h)), grey.crop((0, 0, w, h - 1)))
    return (ImageStat.Stat(across).mean[0] + ImageStat.Stat(down).mean[0]) / 2


def difference(a: bytes, b: bytes) -> float:
    """Mean absolute pixel difference of two same-sized images."""
    with Image.open(io.BytesIO(a)) as one, Image.open(io.BytesIO(b)) as two:
        assert one.size == two.size
        return sum(ImageStat.Stat(ImageChops.difference(one.convert("RGB"), two.convert("RGB"))).mean) / 3


def stored(rendition) -> bytes:
    with open(storage.path(rendition.storage_key), "rb") as fh:
        return fh.read()


def soup(response) -> BeautifulSoup:
    assert response.status_code == 200
    return BeautifulSoup(response.data, "html.parser")


def media_urls(page: BeautifulSoup, asset_id: int) -> set[str]:
    """Every /media/<asset_id>/ URL in the page, from any attribute (src, srcset, poster, data-*)."""
    found = set()
    for tag in page.find_all(True):
        for value in tag.attrs.values():
            text = " ".join(value) if isinstance(value, list) else str(value)
            found.update(re.findall(rf"/media/{asset_id}/[^\s\"',]+", text))
    return found


@pytest.fixture
def photo(make_gallery):
    """A published, sensitive photo with sharp detail, in a gallery with a plain photo."""
    gallery = make_gallery(title="Kakuma camp")
    result = ingest.ingest(gallery, io.BytesIO(detailed_photo()), "IMG_0001.jpg",
                              {"caption": "A girl outside the clinic."})
    assert result.status == "accepted", result.reason
    result.asset.sensitive = True
    db.session.commit()
    return result.asset


@pytest.fixture
def people(make_user, photo):
    """anonymous, member (terms, no approval), approved member, editor, admin."""
    member, approved = make_user("member"), make_user("member")
    terms.accept(member)
    terms.accept(approved)
    editor = make_user("editor")
    req = approvals.request_approval(approved, photo, "Annual report")
    approvals.decide(req.id, "approved", editor)
    return {"anonymous": None, "member": member, "approved": approved, "editor": editor,
            "admin": make_user("admin")}


def enter(login_as, client, user):
    """Act as this user (None: anonymous)."""
    if user is None:
        with client.session_transaction() as session:
            session.clear()
        from flask import g

        g.pop("_login_user", None)
    else:
        login_as(user)


# --- the files -------------------------------------------------------------------------------

def test_public_gets_a_blurred_thumb_and_no_preview(client, photo):
    thumb, preview = photo.rendition("thumb"), photo.rendition("preview")
    for size in ("preview", "thumb"):
        with client.get(f"/media/{photo.id}/{size}.jpg") as r:
            assert r.status_code == 403, size
            assert r.data != stored(thumb) and r.data != stored(preview)
    with client.get(f"/media/{photo.id}/blurred.jpg") as r:
        assert r.status_code == 200 and r.mimetype == "image/jpeg"
        blurred = r.data
    with Image.open(io.BytesIO(blurred)) as im:
        assert im.size == (thumb.width, thumb.height)  # the tile keeps its shape
    real = stored(thumb)
    assert roughness(real) > 10  # the test photo is sharp ...
    assert roughness(blurred) < 1.5  # ... its blurred thumb has no detail left at all
    assert difference(real, blurred) > 25
    # The blur is in the file: the row is recorded once and the same bytes are served again.
    db.session.refresh(photo)
    assert storage.exists(photo.rendition("blurred").storage_key)
    with client.get(f"/media/{photo.id}/blurred.jpg") as again:
        assert again.data == blurred


@pytest.mark.parametrize("who, allowed", [("anonymous", False), ("member", False),
                                          ("approved", True), ("editor", True), ("admin", True)])
def test_real_thumb_and_preview_need_download_rights(client, login_as, photo, people, who, allowed):
    enter(login_as, client, people[who])
    for size in ("thumb", "preview"):
        with client.get(f"/media/{photo.id}/{size}.jpg") as r:
            assert r.status_code == (200 if allowed else 403), (who, size)
            if allowed:
                assert r.data == stored(photo.rendition(size))
                # Access-controlled bytes: no cache may keep them.
                assert r.headers["Cache-Control"] == "private, no-store"


@pytest.fixture
def clip(make_gallery):
    """A published, sensitive video whose original carries location atoms."""
    original = mp4_with_location(video_bytes(seconds=1))
    result = ingest.ingest(make_gallery(title="Testimonies"), io.BytesIO(original), "clip.mp4")
    assert result.status == "accepted", result.reason
    asset = result.asset
    asset.sensitive = True
    db.session.commit()
    assert jobs.wait_idle()  # a video is seen (by anyone) once its web proxy is made
    db.session.expire_all()  # the jobs ran in this session: read the rows they wrote
    return asset, original


@pytest.mark.parametrize("who, allowed", [("anonymous", False), ("member", False),
                                          ("approved", True), ("editor", True)])
def test_sensitive_video_plays_only_for_download_rights(client, login_as, make_user, clip, who, allowed):
    asset, original = clip
    users = {"anonymous": None, "member": make_user("member"), "approved": make_user("member"),
             "editor": make_user("editor")}
    terms.accept(users["member"])
    terms.accept(users["approved"])
    req = approvals.request_approval(users["approved"], asset, "Documentary")
    approvals.decide(req.id, "approved", users["editor"])
    enter(login_as, client, users[who])
    page = soup(client.get(f"/assets/{asset.id}"))
    assert (page.select_one("video") is not None) == allowed
    assert page.select_one("audio") is None
    with client.get(f"/media/{asset.id}/original") as r:
        assert r.status_code == (200 if allowed else 403)
        if allowed:
            copy = served.ensure(asset)
            with open(storage.path(copy.served_key), "rb") as fh:
                assert r.data == fh.read()
            assert r.data != original and location_leaks(r.data) == []
            assert r.headers["Cache-Control"] == "private, no-store"
    with client.get(f"/media/{asset.id}/play/web") as r:  # the web proxy: the same rules
        assert r.status_code == (200 if allowed else 403)
        if allowed:
            assert location_leaks(r.data) == [] and r.headers["Cache-Control"] == "private, no-store"
    with client.get(f"/media/{asset.id}/preview.jpg") as r:  # the poster frame
        assert r.status_code == (200 if allowed else 403)


def test_player_of_a_public_video_serves_the_location_free_copy(client, make_gallery):
    original = mp4_with_location(video_bytes(seconds=1))
    asset = ingest.ingest(make_gallery(), io.BytesIO(original), "walk.mp4").asset
    assert jobs.wait_idle()  # public once its web proxy is made
    assert location_leaks(original)
    with client.get(f"/media/{asset.id}/original") as r:
        assert r.status_code == 200
        assert r.data != original and location_leaks(r.data) == []
        with open(storage.path(served.ensure(asset).served_key), "rb") as fh:
            assert r.data == fh.read()
        # Public, but the URL has no version: caches must ask again before reusing it.
        assert r.headers["Cache-Control"] == "public, no-cache"


# --- the pages and the API -------------------------------------------------------------------

def test_asset_page_shows_the_public_a_blurred_thumb_and_a_notice(client, login_as, photo, people):
    page = soup(client.get(f"/assets/{photo.id}"))
    assert page.select_one(".asset-media img.preview") is None
    img = page.select_one(".asset-media img.blurred")
    assert img["src"].startswith(f"/media/{photo.id}/blurred.jpg?v=")
    notice = page.select_one(".sensitive-notice").get_text(" ", strip=True)
    assert "This item is marked sensitive. Log in and request access to see it." in notice
    assert media_urls(page, photo.id) == {img["src"]}
    login_as(people["member"])
    page = soup(client.get(f"/assets/{photo.id}"))
    assert page.select_one(".sensitive-notice a.button").get_text() == "Request access"
    assert page.select_one("form.approval-form")  # where the button leads
    assert {u.split("?")[0] for u in media_urls(page, photo.id)} == {f"/media/{photo.id}/blurred.jpg"}
    login_as(people["approved"])
    page = soup(client.get(f"/assets/{photo.id}"))
    assert page.select_one(".sensitive-notice") is None
    assert page.select_one(".asset-media img.preview")["src"].startswith(f"/media/{photo.id}/preview.jpg?v=")


def test_grids_covers_and_search_show_the_public_only_blurred_urls(client, login_as, photo, people,
                                                                   make_asset):
    gallery = photo.gallery
    plain = make_asset(gallery, caption="A plain photo of the clinic.")
    gallery.cover_asset_id = photo.id
    gallery.editors_pick = True
    db.session.commit()
    pages = ["/", "/galleries", f"/categories/{gallery.category.slug}",
             f"/galleries/{gallery.id}-{gallery.slug}", "/search?q=clinic", "/search?q=clinic&view=list",
             f"/assets/{plain.id}"]
    for url in pages:
        page = soup(client.get(url))
        urls = media_urls(page, photo.id)
        assert urls or url == f"/assets/{plain.id}", url  # a neighbour's preview is not fetched ahead
        assert {u.split("?")[0] for u in urls} <= {f"/media/{photo.id}/blurred.jpg"}, url
        assert all(re.search(r"\?v=\w", u) for u in urls), url
    tile = soup(client.get(f"/galleries/{gallery.id}-{gallery.slug}")).select_one(
        f"[data-asset-id='{photo.id}']")
    assert "is-blurred" in tile["class"] and not tile.select_one("img").get("srcset")
    login_as(people["approved"])
    for url in pages[:-1]:
        urls = {u.split("?")[0] for u in media_urls(soup(client.get(url)), photo.id)}
        assert f"/media/{photo.id}/thumb.jpg" in urls and f"/media/{photo.id}/blurred.jpg" not in urls, url


def test_api_lists_only_the_blurred_thumb_for_the_public(client, login_as, photo, people):
    gallery = photo.gallery
    gallery.cover_asset_id = photo.id
    db.session.commit()
    body = client.get(f"/api/assets/{photo.id}").get_json()["asset"]
    assert set(body["renditions"]) == {"blurred"}
    assert "/blurred.jpg?v=" in body["renditions"]["blurred"]["url"]
    cover = client.get(f"/api/galleries/{gallery.id}").get_json()["gallery"]["cover"]
    assert set(cover["renditions"]) == {"blurred"}
    listed = client.get("/api/galleries").get_json()["galleries"][0]["cover"]
    assert set(listed["renditions"]) == {"blurred"}
    hit = client.get("/api/search?q=clinic").get_json()["results"][0]
    assert "/blurred.jpg?v=" in hit["thumbnail_url"]
    login_as(people["approved"])
    body = client.get(f"/api/assets/{photo.id}").get_json()["asset"]
    assert set(body["renditions"]) == {"thumb", "preview"}


def test_marking_an_asset_sensitive_takes_effect_at_once(client, login_as, make_gallery, make_asset,
                                                         editor):
    gallery = make_gallery()
    asset = make_asset(gallery, caption="Before")
    with client.get(f"/media/{asset.id}/preview.jpg") as r:
        assert r.status_code == 200
    login_as(editor)
    page = soup(client.get(f"/manage/assets/{asset.id}/edit"))
    form = page.select_one("form.asset-form")
    # Posted as a browser would: every rendered field with its value, then the box ticked.
    data = {i["name"]: i.get("value", "") for i in form.select("input[name]")
            if i.get("type") not in ("checkbox", "radio") or i.has_attr("checked")}
    data |= {t["name"]: t.get_text() for t in form.select("textarea[name]")}
    data |= {s["name"]: (s.select_one("option[selected]") or s.select_one("option") or {}).get("value", "")
             for s in form.select("select[name]")}
    data["sensitive"] = form.select_one("input[name=sensitive]")["value"]
    assert client.post(f"/manage/assets/{asset.id}/edit", data=data).status_code == 302
    enter(login_as, client, None)
    with client.get(f"/media/{asset.id}/preview.jpg") as r:
        assert r.status_code == 403
    page = soup(client.get(f"/galleries/{gallery.id}-{gallery.slug}"))
    assert {u.split("?")[0] for u in media_urls(page, asset.id)} == {f"/media/{asset.id}/blurred.jpg"}


def test_grid_reads_approvals_once_not_per_tile(client, login_as, make_gallery, make_asset, make_user,
                                                count_queries):
    gallery = make_gallery()
    assets = [make_asset(gallery) for _ in range(8)]
    member = make_user("member")
    terms.accept(member)
    for a in assets:
        a.sensitive = True
    db.session.commit()
    login_as(member)
    url = f"/galleries/{gallery.id}-{gallery.slug}"
    client.get(url)
    db.session.expunge_all()
    with count_queries() as eight:
        client.get(url)
    for a in assets[1:]:
        db.session.get(type(a), a.id).sensitive = False
    db.session.commit()
    db.session.expunge_all()
    with count_queries() as one:
        client.get(url)
    assert eight.count == one.count


# --- cache headers ---------------------------------------------------------------------------

def test_cache_headers_per_case(client, login_as, make_gallery, make_asset, photo, people):
    public = make_asset(make_gallery(title="Open"))
    v = public.sha256[:12]
    page = soup(client.get(f"/assets/{public.id}"))
    assert page.select_one("img.preview")["src"] == f"/media/{public.id}/preview.jpg?v={v}"
    with client.get(f"/media/{public.id}/thumb.jpg?v={v}") as r:
        assert r.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    with client.get(f"/media/{public.id}/thumb.jpg") as r:  # no version: may change, ask again
        assert r.headers["Cache-Control"] == "public, no-cache"
    blurred_url = soup(client.get(f"/assets/{photo.id}")).select_one("img.blurred")["src"]
    with client.get(blurred_url) as r:
        assert r.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    draft = make_asset(make_gallery(title="Draft", status="draft"))
    login_as(people["editor"])
    with client.get(f"/media/{draft.id}/thumb.jpg?v={draft.sha256[:12]}") as r:
        assert r.status_code == 200 and r.headers["Cache-Control"] == "private, no-store"
    login_as(people["approved"])
    for url in (f"/media/{photo.id}/thumb.jpg?v={photo.sha256[:12]}",
                f"/download/assets/{public.id}/preview", f"/download/assets/{public.id}/original",
                f"/api/assets/{public.id}/download", f"/download/galleries/{public.gallery_id}.zip?size=preview"):
        with client.get(url) as r:
            assert r.status_code == 200, url
            assert r.headers["Cache-Control"] == "private, no-store", url


def test_playing_a_sensitive_item_goes_in_the_download_log(client, login_as, make_user, clip):
    from sqlalchemy import select

    from gallery.models import DownloadEvent

    asset, _ = clip
    member, editor = make_user("member"), make_user("editor")
    terms.accept(member)
    approvals.decide(approvals.request_approval(member, asset, "Documentary").id, "approved", editor)
    login_as(member)
    with client.get(f"/media/{asset.id}/original", headers={"Range": "bytes=0-"}) as r:
        assert r.status_code == 206
    with client.get(f"/media/{asset.id}/original", headers={"Range": "bytes=200-299"}) as r:
        assert r.status_code == 206  # seeking: the same play, not logged again
    with client.get(f"/media/{asset.id}/play/web", headers={"Range": "bytes=0-"}) as r:
        assert r.status_code == 206  # a play of the web proxy: logged as one too
    with client.get(f"/media/{asset.id}/play/web", headers={"Range": "bytes=200-299"}) as r:
        assert r.status_code == 206
    events = db.session.execute(select(DownloadEvent.user_id, DownloadEvent.asset_id, DownloadEvent.via,
                                       DownloadEvent.size).order_by(DownloadEvent.id)).all()
    assert events == [(member.id, asset.id, "stream", "original"), (member.id, asset.id, "stream", "web")]

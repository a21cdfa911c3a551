"""Gallery zips: whole gallery or ticked items, captions.csv inside, the cap, streaming."""
from __future__ import annotations

import csv
import io
import zipfile

import pytest
from bs4 import BeautifulSoup
from PIL import Image
from sqlalchemy import select

from gallery.extensions import db
from gallery.models import Asset, DownloadEvent
from gallery.services import ingest, terms, zips
from tests.conftest import gps_image_bytes, image_bytes


@pytest.fixture
def member(make_user, login_as):
    user = make_user("member")
    terms.accept(user)
    return login_as(user)


@pytest.fixture
def gallery(make_gallery, make_asset):
    g = make_gallery(title="Water in Turkana", credit="Example Relief Agency")
    make_asset(g, title="Borehole", caption="Women collect water at a borehole in Lodwar.",
               creator="Amina Otieno", date_taken="2023-03-14")
    make_asset(g, title="Queue", caption="Séance de dépistage à la frontière.", creator="Jonas Berg",
               country="AFG")
    make_asset(g, title="Hidden", status="draft")
    return g


def read_zip(client, url):
    with client.get(url) as r:
        assert r.status_code == 200, r.data[:300]
        assert r.mimetype == "application/zip"
        assert r.is_streamed and "Content-Length" not in r.headers
        disposition = r.headers["Content-Disposition"]
        data = r.data
    return zipfile.ZipFile(io.BytesIO(data)), disposition


def test_whole_gallery_zip_with_captions_csv(client, member, gallery):
    zf, disposition = read_zip(client, f"/download/galleries/{gallery.id}.zip?size=preview&use=Web")
    with zf:
        assert zf.testzip() is None
        ids = [a for a in db.session.scalars(select(DownloadEvent.asset_id).order_by(DownloadEvent.id))]
        names = [f"water-in-turkana-{i}-small.jpg" for i in ids]
        assert zf.namelist() == names + ["captions.csv"]
        assert all(zf.getinfo(n).compress_type == zipfile.ZIP_STORED for n in names)
        rows = list(csv.reader(io.StringIO(zf.read("captions.csv").decode("utf-8-sig"))))
        with Image.open(io.BytesIO(zf.read(names[0]))) as im:
            assert im.getexif()[0x013B] == "Amina Otieno"
    assert disposition == f'attachment; filename="water-in-turkana-{gallery.id}-small.zip"'
    assert rows[0] == ["file name", "title", "caption", "credit", "creator", "date", "country", "licence",
                       "usage terms", "restrictions", "copyright", "keywords", "city"]
    assert rows[1] == [names[0], "Borehole", "Women collect water at a borehole in Lodwar.",
                       "Example Relief Agency", "Amina Otieno", "2023-03-14", "Kenya", "", "", "",
                       "© Example Relief Agency 2023", "", ""]
    assert rows[2][1:3] == ["Queue", "Séance de dépistage à la frontière."]
    assert rows[2][6] == "Afghanistan"
    assert len(rows) == 3  # the draft is not in a member's zip
    events = db.session.scalars(select(DownloadEvent)).all()
    assert {(e.via, e.size, e.intended_use, e.gallery_id) for e in events} == {("zip", "preview", "Web", gallery.id)}
    assert len(events) == 2


def test_ticked_items_only(client, member, gallery):
    from gallery.models import Asset

    first = db.session.scalars(select(Asset).where(Asset.gallery_id == gallery.id).order_by(Asset.id)).first()
    zf, _ = read_zip(client, f"/download/galleries/{gallery.id}.zip?size=original&asset={first.id}")
    with zf:
        assert zf.namelist() == [f"water-in-turkana-{first.id}-original.jpg", "captions.csv"]
        with open(ingest.storage.path(first.storage_key), "rb") as fh:
            stored = fh.read()
        assert Image.open(io.BytesIO(zf.read(zf.namelist()[0]))).tobytes() == Image.open(io.BytesIO(stored)).tobytes()


def test_gallery_page_has_checkboxes_joined_to_the_zip_form(client, member, gallery):
    page = BeautifulSoup(client.get(f"/galleries/{gallery.id}-{gallery.slug}").data, "html.parser")
    form = page.select_one("form#gallery-download")
    assert form["action"] == f"/download/galleries/{gallery.id}.zip" and form["method"] == "get"
    assert [o["value"] for o in form.select("select[name=size] option")] == ["preview", "large", "original"]
    boxes = page.select('.asset-grid input[type=checkbox][form="gallery-download"][name="asset"]')
    assert len(boxes) == 2


def test_anonymous_gallery_page_offers_login(client, gallery):
    page = BeautifulSoup(client.get(f"/galleries/{gallery.id}-{gallery.slug}").data, "html.parser")
    assert page.select_one("form#gallery-download") is None
    assert page.select(".asset-grid input[type=checkbox]") == []
    with client.get(f"/download/galleries/{gallery.id}.zip") as r:
        assert r.status_code == 302 and r.headers["Location"].startswith("/login?next=")


def test_cap_gives_a_clear_message(client, app, member, gallery):
    app.config["MAX_ZIP_DOWNLOAD_FILES"] = 1
    ticked = db.session.scalars(select(Asset.id).where(Asset.gallery_id == gallery.id,
                                                       Asset.status == "published")).all()
    query = "&".join(f"asset={i}" for i in ticked)
    with client.get(f"/download/galleries/{gallery.id}.zip?size=large&{query}") as r:
        assert r.status_code == 302
        assert r.headers["Location"] == f"/galleries/{gallery.id}-{gallery.slug}"
    page = BeautifulSoup(client.get(r.headers["Location"]).data, "html.parser")
    message = page.select_one(".flash-error").get_text()
    assert message.startswith("This download would hold 2 files; the limit is 1 per zip.")
    with client.get(f"/download/galleries/{gallery.id}.zip?size=large") as r:
        assert r.status_code == 302
    page = BeautifulSoup(client.get(r.headers["Location"]).data, "html.parser")
    assert "download it in 2 parts" in page.select_one(".flash-error").get_text()
    assert db.session.scalars(select(DownloadEvent)).all() == []


def test_a_gallery_over_the_cap_comes_in_numbered_parts(client, app, member, gallery):
    app.config["MAX_ZIP_DOWNLOAD_FILES"] = 1
    page = BeautifulSoup(client.get(f"/galleries/{gallery.id}-{gallery.slug}").data, "html.parser")
    links = [a["href"] for a in page.select(".zip-parts a.zip-all")]
    assert links == [f"/download/galleries/{gallery.id}.zip?size=large&part={n}" for n in (1, 2)]
    got = []
    for n, link in enumerate(links, start=1):
        zf, disposition = read_zip(client, link)
        with zf:
            names = [x for x in zf.namelist() if x != "captions.csv"]
        assert len(names) == 1 and disposition.endswith(f'-part{n}-of-2.zip"')
        got += names
    assert len(set(got)) == 2  # together the parts hold the whole gallery, once
    with client.get(f"/download/galleries/{gallery.id}.zip?size=large&part=3") as r:
        assert r.status_code == 302
    with client.get(f"/download/galleries/{gallery.id}.zip?size=large&part=x") as r:
        assert r.status_code == 400
    assert len(db.session.scalars(select(DownloadEvent)).all()) == 2


def test_foreign_or_bad_ticks_are_refused(client, member, gallery, make_gallery, make_asset):
    other = make_asset(make_gallery(title="Other"))
    with client.get(f"/download/galleries/{gallery.id}.zip?asset={other.id}") as r:
        assert r.status_code == 302
    with client.get(f"/download/galleries/{gallery.id}.zip?asset=abc") as r:
        assert r.status_code == 400
    with client.get(f"/download/galleries/{gallery.id}.zip?size=thumb") as r:
        assert r.status_code == 302


def test_zip_originals_have_no_gps(client, member, make_gallery):
    g = make_gallery(title="Danlí")
    result = ingest.ingest(g, io.BytesIO(gps_image_bytes("JPEG")), "gps.jpg", {})
    assert result.status == "accepted"
    zf, _ = read_zip(client, f"/download/galleries/{g.id}.zip?size=original")
    with zf:
        data = zf.read(zf.namelist()[0])
    with Image.open(io.BytesIO(data)) as im:
        assert 0x8825 not in im.getexif()
    assert b"GPSLatitude" not in data


def test_stream_yields_bounded_chunks(app, monkeypatch):
    from gallery.formats.credits import Credits
    from gallery.services import storage
    from gallery.services.downloads import FileSource

    monkeypatch.setattr(zips, "CHUNK", 64 * 1024)
    sources = []
    for i in range(3):
        key = f"served/00/00/{i}-c0.jpg"  # credits in: no sidecar
        storage.save_bytes(image_bytes((1200, 900), quality=95) + bytes(i), key)
        size, crc = storage.checksum(key)
        sources.append(FileSource(i, "original", f"f{i}.jpg", "image/jpeg", key, "original",
                                  Credits("", "", "", "", ""), size, crc32=crc,
                                  store=storage.backend()))
    total = sum(s.bytes for s in sources)
    chunks = list(zips.stream_zip(sources, b"a,b\r\n"))
    # Bytes leave as they are read: many chunks, none bigger than one read.
    assert len(chunks) > total // zips.CHUNK
    assert max(len(c) for c in chunks) <= zips.CHUNK
    with zipfile.ZipFile(io.BytesIO(b"".join(chunks))) as zf:
        assert zf.namelist() == ["f0.jpg", "f1.jpg", "f2.jpg", "captions.csv"]
        assert zf.testzip() is None
        assert [i.compress_type for i in zf.infolist()] == [zipfile.ZIP_STORED] * 3 + [zipfile.ZIP_DEFLATED]
        assert zf.read("f2.jpg") == storage.read_bytes("served/00/00/2-c0.jpg")


def test_whole_gallery_zip_in_large_makes_missing_renditions(client, member, gallery):
    """Large is made on first use: a zip of Large makes each missing rendition while it streams."""
    zf, _ = read_zip(client, f"/download/galleries/{gallery.id}.zip?size=large")
    with zf:
        jpegs = [n for n in zf.namelist() if n.endswith("-large.jpg")]
        assert len(jpegs) == 2
        with Image.open(io.BytesIO(zf.read(jpegs[0]))) as im:
            assert im.size == (640, 480)


def test_large_is_made_for_an_asset_from_a_closed_session(app, gallery):
    """What a streamed zip meets on a real server: the request's session is gone, Large is not made yet."""
    from gallery.services import renditions

    asset = db.session.scalars(select(Asset).where(Asset.gallery_id == gallery.id,
                                                   Asset.status == "published")).first()
    assert asset.rendition("large") is None
    db.session.expunge(asset)
    made = renditions.ensure_rendition(asset, "large")
    assert (made.size, made.width, made.height) == ("large", 640, 480)


def test_gallery_page_has_one_zip_form(client, member, gallery):
    page = BeautifulSoup(client.get(f"/galleries/{gallery.id}-{gallery.slug}").data, "html.parser")
    assert len(page.select("#gallery-download")) == 1


def test_aborted_zip_is_logged_for_every_file(client, member, gallery):
    """The rows are written before the first byte: a download cut short is logged in full."""
    response = client.get(f"/download/galleries/{gallery.id}.zip?size=original", buffered=False)
    assert response.status_code == 200
    next(iter(response.response))  # the client takes the first chunk and goes away
    response.close()
    logged = db.session.scalars(select(DownloadEvent.via)
                                .where(DownloadEvent.gallery_id == gallery.id))
    assert list(logged) == ["zip", "zip"]  # the two published items, not the draft


def test_same_gallery_same_zip_bytes_whenever_and_wherever_it_is_made(client, member, gallery,
                                                                     monkeypatch):
    """Entries are dated by the last change of what is in the zip, not by the clock of the server."""
    url = f"/download/galleries/{gallery.id}.zip?size=preview&use=Web"
    monkeypatch.setattr(zips, "_now", lambda: (2030, 1, 1, 0, 0, 0))
    first = client.get(url).data
    monkeypatch.setattr(zips, "_now", lambda: (2031, 6, 7, 8, 9, 10))  # another server, a day later
    assert client.get(url).data == first
    zipped = db.session.scalars(select(Asset).where(Asset.gallery_id == gallery.id,
                                                    Asset.status == "published"))
    newest = max([gallery.updated_at, *(a.updated_at for a in zipped)])
    with zipfile.ZipFile(io.BytesIO(first)) as zf:
        assert {i.date_time for i in zf.infolist()} == {newest.replace(second=newest.second // 2 * 2)
                                                        .timetuple()[:6]}

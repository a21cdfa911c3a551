"""Every downloaded file carries its caption and credits, originals included, read back by exiftool.

Originals of JPEG, PNG, WebP, TIFF, HEIC, MP4, MOV, MP3, WAV and Ogg get them without re-encoding
(pixels, scan data and samples compared); types that cannot take them, and files whose structure
the writers do not follow, travel with a sidecar .xmp in zips.
The served copy is background work; an edit re-credits it, and downloads send the previous copy
until then.
"""
from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import zipfile

import av
import pytest
from mutagen.id3 import ID3
from PIL import Image
from sqlalchemy import select

from gallery import create_app
from gallery.extensions import db
from gallery.models import Asset, AssetWork
from gallery.services import assets, galleries, jobs, served, storage, terms
from gallery.services.ingest import ingest as ingest_file
from tests.conftest import gps_exif, gps_image_bytes, image_bytes
from tests.media_files import (
    audio_bytes,
    box,
    location_leaks,
    mp3_with_location,
    mp4_with_location,
    video_bytes,
)
from tests.test_served_heic_webm import heic_with_gps, needs_heic_encoder

needs_exiftool = pytest.mark.skipif(shutil.which("exiftool") is None,
                                    reason="exiftool is not installed (apt-get install libimage-exiftool-perl)")

CAPTION = 'Women carry water <home> & "back" to Lodwar — ¿dónde? 水'
FIELDS = {"title": "Borehole", "caption": CAPTION, "creator": "Amina Otieno",
          "credit": "Relief Agency", "keywords": "water, Ñandú", "city": "Lodwar", "country": "KEN",
          "licence": "cc-by-4.0"}


@pytest.fixture
def member(make_user, login_as):
    user = make_user("member")
    terms.accept(user)
    return login_as(user)


def exiftool(data: bytes, suffix: str, tmp_path) -> dict:
    """Every tag exiftool reads from the bytes, keyed group:name."""
    path = tmp_path / f"read{suffix}"
    path.write_bytes(data)
    out = subprocess.run(["exiftool", "-j", "-G1", "-a", str(path)], capture_output=True,
                         text=True, check=True).stdout
    return {k: v for k, v in json.loads(out)[0].items() if not k.startswith(("System:", "File:"))}


PLACE_TAGS = re.compile(r"gps|sub-?location|location(created|shown)|:location$|coordinates", re.I)


def assert_no_gps(tags: dict) -> None:
    """No coordinates or finer-than-city place in any tag (a blanked one reads as zeros or spaces)."""
    found = {k: v for k, v in tags.items() if PLACE_TAGS.search(k) and re.search(r"[1-9A-Za-z]", re.sub(
        r"deg|[NSEW]\b", "", str(v)))}
    assert not found, found


def assert_credited(tags: dict, caption: str = CAPTION, *, iim: bool = True) -> None:
    """XMP (and IPTC IIM, UTF-8 declared) say every field; EXIF says caption, creator and copyright."""
    assert tags["XMP-dc:Description"] == caption
    assert tags["XMP-dc:Title"] == "Borehole"
    assert tags["XMP-dc:Creator"] == "Amina Otieno"
    assert tags["XMP-dc:Rights"] == "© Relief Agency"
    assert tags["XMP-photoshop:Credit"] == "Relief Agency"
    assert tags["XMP-dc:Subject"] == ["water", "Ñandú"]
    assert tags["XMP-photoshop:City"] == "Lodwar" and tags["XMP-photoshop:Country"] == "Kenya"
    assert tags["XMP-iptcCore:CountryCode"] == "KEN"
    assert "CC BY 4.0" in tags["XMP-xmpRights:UsageTerms"]
    assert tags["IFD0:ImageDescription"] == caption and tags["IFD0:Artist"] == "Amina Otieno"
    assert tags["IFD0:Copyright"] == "© Relief Agency"
    if iim:
        assert tags["IPTC:CodedCharacterSet"] == "UTF8"
        assert tags["IPTC:Caption-Abstract"] == caption and tags["IPTC:By-line"] == "Amina Otieno"
        assert tags["IPTC:Keywords"] == ["water", "Ñandú"] and tags["IPTC:City"] == "Lodwar"
        assert tags["IPTC:Country-PrimaryLocationName"] == "Kenya"
        assert tags["IPTC:Country-PrimaryLocationCode"] == "KEN"
        assert tags["IPTC:Credit"] == "Relief Agency"
        assert tags["IPTC:CopyrightNotice"].startswith("© Relief Agency")


def ingest(gallery, name: str, data: bytes, fields: dict | None = None) -> Asset:
    result = ingest_file(gallery, io.BytesIO(data), name, dict(FIELDS if fields is None else fields))
    assert result.status == "accepted", result.reason
    return result.asset


def settle(asset: Asset) -> Asset:
    """Run the queued background work and read the asset again."""
    assert jobs.wait_idle()
    db.session.expire_all()
    return db.session.get(Asset, asset.id)


def get(client, url: str):
    with client.get(url) as response:
        response.get_data()
    return response


def jpeg_scan(data: bytes) -> bytes:
    """The bytes from the first SOS on: the compressed picture."""
    pos = 2
    while data[pos + 1] != 0xDA:
        pos += 2 + int.from_bytes(data[pos + 2:pos + 4], "big")
    return data[pos:]


def packets(data: bytes) -> list[bytes]:
    """The compressed packets of every stream, in order: the samples, not their container."""
    with av.open(io.BytesIO(data)) as container:
        return [bytes(p) for p in container.demux() if p.size]


def image_originals() -> list:
    return [
        pytest.param("shelter.jpg", lambda: _jpeg_with_camera_exif(), ".jpg", True, id="jpeg"),
        pytest.param("shelter.png", lambda: _png_with_gps(), ".png", True, id="png"),
        pytest.param("shelter.webp", lambda: gps_image_bytes("WEBP", size=(320, 240), quality=90), ".webp",
                     False, id="webp"),
        pytest.param("shelter.tif", lambda: gps_image_bytes("TIFF", size=(320, 240)), ".tif", True, id="tiff"),
    ]


def _jpeg_with_camera_exif() -> bytes:
    exif = gps_exif()
    exif[0x0112], exif[0x010F] = 6, "Canon"  # orientation and make: kept in the original
    im = Image.effect_noise((640, 480), 40).convert("RGB")
    buf = io.BytesIO()
    im.save(buf, "JPEG", exif=exif, quality=90)
    return buf.getvalue()


def _png_with_gps() -> bytes:
    im = Image.effect_noise((320, 240), 40).convert("RGB")
    buf = io.BytesIO()
    im.save(buf, "PNG", exif=gps_exif())
    return buf.getvalue()


@needs_exiftool
@pytest.mark.parametrize("name, make, suffix, iim", image_originals())
def test_image_original_carries_every_field_and_the_same_pixels(client, member, make_gallery, tmp_path,
                                                                name, make, suffix, iim):
    data = make()
    assert any("GPS" in k for k in exiftool(data, suffix, tmp_path))  # the upload had a place
    asset = settle(ingest(make_gallery(), name, data))
    assert served.carries_credits(asset.served_key)
    got = get(client, f"/download/assets/{asset.id}/original")
    assert got.status_code == 200 and got.data == storage.read_bytes(asset.served_key)
    tags = exiftool(got.data, suffix, tmp_path)
    assert_credited(tags, iim=iim)
    assert_no_gps(tags)
    with Image.open(io.BytesIO(got.data)) as after, Image.open(io.BytesIO(data)) as before:
        assert after.size == before.size and after.tobytes() == before.tobytes()
    if suffix == ".jpg":
        assert jpeg_scan(got.data) == jpeg_scan(data)
        # The camera's own EXIF stays (orientation, make): only the credit fields changed.
        assert tags["IFD0:Orientation"] and tags["IFD0:Make"]


@needs_exiftool
@pytest.mark.parametrize("size", ["preview", "large"])
def test_renditions_carry_every_field(client, member, make_gallery, tmp_path, size):
    asset = settle(ingest(make_gallery(), "shelter.jpg", gps_image_bytes("JPEG", size=(3000, 2000))))
    got = get(client, f"/download/assets/{asset.id}/{size}")
    assert got.status_code == 200
    tags = exiftool(got.data, ".jpg", tmp_path)
    assert_credited(tags)
    assert_no_gps(tags)


def assert_xmp_credited(tags: dict) -> None:
    """The XMP fields every original carries, whatever else its format holds."""
    assert tags["XMP-dc:Description"] == CAPTION and tags["XMP-dc:Title"] == "Borehole"
    assert tags["XMP-dc:Creator"] == "Amina Otieno" and tags["XMP-dc:Rights"] == "© Relief Agency"
    assert tags["XMP-photoshop:Credit"] == "Relief Agency"
    assert tags["XMP-dc:Subject"] == ["water", "Ñandú"]
    assert tags["XMP-photoshop:City"] == "Lodwar" and tags["XMP-photoshop:Country"] == "Kenya"
    assert "CC BY 4.0" in tags["XMP-xmpRights:UsageTerms"]


@needs_exiftool
@pytest.mark.parametrize("fmt", ["mp4", "mov"])
def test_video_original_carries_the_credits_in_atoms_and_xmp_and_the_same_samples(client, member, make_gallery,
                                                                                  tmp_path, fmt):
    data = mp4_with_location(video_bytes(fmt, seconds=1))
    asset = settle(ingest(make_gallery(), f"clip.{fmt}", data))
    assert served.carries_credits(asset.served_key)
    got = get(client, f"/download/assets/{asset.id}/original")
    assert got.status_code == 200 and location_leaks(got.data) == []
    tags = exiftool(got.data, f".{fmt}", tmp_path)
    assert_no_gps(tags)
    said = {k.split(":")[1]: v for k, v in tags.items() if k.startswith(("ItemList:", "UserData:", "QuickTime:"))}
    assert said["Title"] == "Borehole" and said["Comment"] == CAPTION and said["Artist"] == "Amina Otieno"
    assert said["Copyright"].startswith("© Relief Agency")
    # One XMP packet, ours: the phone's (uuid box and XMP_ atom) are gone, not just blanked.
    assert_xmp_credited(tags)
    assert got.data.count(b"<x:xmpmeta") == 1
    assert packets(got.data) == packets(data)


@needs_exiftool
def test_web_proxies_carry_the_credits_in_xmp_and_an_edit_rewrites_them(client, member, make_gallery, editor,
                                                                       tmp_path):
    asset = settle(ingest(make_gallery(), "clip.mp4", video_bytes("mp4", seconds=1)))
    web = asset.rendition("web")
    assert web is not None
    tags = exiftool(storage.read_bytes(web.storage_key), ".mp4", tmp_path)
    assert_xmp_credited(tags)
    assert tags["ItemList:Comment"] == CAPTION
    assets.update_asset(asset.id, {"caption": "Night falls on the camp."}, editor)
    asset = settle(asset)
    proxy = storage.read_bytes(asset.rendition("web").storage_key)
    tags = exiftool(proxy, ".mp4", tmp_path)
    assert tags["XMP-dc:Description"] == "Night falls on the camp." and CAPTION.encode() not in proxy
    assert proxy.count(b"<x:xmpmeta") == 1


def wav_with_xmp(data: bytes) -> bytes:
    """A WAV with a recorder's XMP chunk (_PMX) carrying a place and a caption."""
    from tests.conftest import GPS_XMP

    chunk = b"_PMX" + len(GPS_XMP).to_bytes(4, "little") + GPS_XMP + b"\x00" * (len(GPS_XMP) & 1)
    body = data[12:] + chunk
    return b"RIFF" + (len(body) + 4).to_bytes(4, "little") + b"WAVE" + body


@needs_exiftool
@pytest.mark.parametrize("name, make", [
    ("spot.mp3", lambda: mp3_with_location(audio_bytes("mp3", "libmp3lame", seconds=1))),
    ("spot.wav", lambda: wav_with_xmp(audio_bytes("wav", seconds=1))),
])
def test_mp3_and_wav_originals_carry_id3_frames_and_xmp_and_the_same_samples(client, member, make_gallery,
                                                                             tmp_path, name, make):
    data = make()
    asset = settle(ingest(make_gallery(), name, data))
    assert served.carries_credits(asset.served_key)
    got = get(client, f"/download/assets/{asset.id}/original")
    assert got.status_code == 200 and location_leaks(got.data) == []
    tags = exiftool(got.data, "." + name.rsplit(".", 1)[1], tmp_path)
    assert_no_gps(tags)
    assert tags["ID3v2_4:Title"] == "Borehole" and tags["ID3v2_4:Artist"] == "Amina Otieno"
    assert tags["ID3v2_4:Comment-und"] == CAPTION and tags["ID3v2_4:Copyright"].startswith("© Relief Agency")
    assert_xmp_credited(tags)  # the packet rides in a PRIV "XMP" frame
    assert got.data.count(b"<x:xmpmeta") == 1 and b"Shelter roof" not in got.data
    if name.endswith(".mp3"):
        # exiftool names every TXXX frame alike: mutagen tells them apart by description.
        frames = {f.desc: str(f) for f in ID3(io.BytesIO(got.data)).getall("TXXX")}
        assert frames["Credit"] == "Relief Agency" and frames["Keywords"] == "water, Ñandú"
        assert "CC BY 4.0" in frames["Usage terms"] and frames["City"] == "Lodwar"
    assert packets(got.data) == packets(data)


@needs_exiftool
def test_ogg_original_carries_vorbis_comments_and_the_same_samples(client, member, make_gallery, tmp_path):
    data = audio_bytes("ogg", "libopus", seconds=1)
    asset = settle(ingest(make_gallery(), "spot.ogg", data))
    assert served.carries_credits(asset.served_key)
    got = get(client, f"/download/assets/{asset.id}/original")
    tags = exiftool(got.data, ".ogg", tmp_path)
    assert tags["Vorbis:Title"] == "Borehole" and tags["Vorbis:Description"] == CAPTION
    assert tags["Vorbis:Artist"] == "Amina Otieno" and tags["Vorbis:Copyright"].startswith("© Relief Agency")
    assert tags["Vorbis:Credit"] == "Relief Agency" and tags["Vorbis:Keywords"] == "water, Ñandú"
    assert tags["Vorbis:City"] == "Lodwar" and tags["Vorbis:Country"] == "Kenya"
    assert "CC BY 4.0" in tags["Vorbis:License"]
    assert packets(got.data) == packets(data)


def heic_pixels(data: bytes) -> bytes:
    with Image.open(io.BytesIO(data)) as im:
        return im.tobytes()


@needs_exiftool
@needs_heic_encoder
@pytest.mark.parametrize("xmp", [True, False], ids=["phone-xmp", "no-xmp"])
def test_heic_original_carries_the_credits_in_an_xmp_item_and_exif(client, member, make_gallery, tmp_path, xmp):
    """An XMP item (the phone's replaced, its bytes zeroed) and the Exif item's IFD0; the same pixels."""
    data = heic_with_gps(xmp=xmp)
    asset = settle(ingest(make_gallery(), "phone.heic", data))
    assert served.carries_credits(asset.served_key)
    got = get(client, f"/download/assets/{asset.id}/original")
    assert got.status_code == 200
    tags = exiftool(got.data, ".heic", tmp_path)
    assert not any(k.endswith(":Warning") for k in tags), tags
    assert_xmp_credited(tags)
    assert tags["IFD0:ImageDescription"] == CAPTION and tags["IFD0:Artist"] == "Amina Otieno"
    assert tags["IFD0:Copyright"] == "© Relief Agency"
    assert_no_gps(tags)
    assert got.data.count(b"<x:xmpmeta") == 1 and b"Shelter roof" not in got.data
    assert heic_pixels(got.data) == heic_pixels(data)
    with client.get(f"/download/galleries/{asset.gallery_id}.zip?size=original") as r:
        zipped = r.data
    with zipfile.ZipFile(io.BytesIO(zipped)) as zf:
        assert not [n for n in zf.namelist() if n.endswith(".xmp")]


@needs_exiftool
@needs_heic_encoder
def test_a_heic_whose_boxes_are_not_understood_leaves_as_it_was_with_a_sidecar(client, member, make_gallery,
                                                                              tmp_path):
    """An image sequence's movie box beside meta: no offset is guessed, the file is served as it was."""
    data = heic_with_gps() + box(b"moov", box(b"mvhd", bytes(100)))
    asset = settle(ingest(make_gallery(), "burst.heic", data))
    assert not served.carries_credits(asset.served_key)
    got = get(client, f"/download/assets/{asset.id}/original")
    assert got.status_code == 200
    assert heic_pixels(got.data) == heic_pixels(data)
    assert_no_gps(exiftool(got.data, ".heic", tmp_path))
    with client.get(f"/download/galleries/{asset.gallery_id}.zip?size=original") as r:
        zipped = r.data
    with zipfile.ZipFile(io.BytesIO(zipped)) as zf:
        names = zf.namelist()
        sidecar = [n for n in names if n.endswith(".xmp")]
        assert sidecar == [names[0].rsplit(".", 1)[0] + ".xmp"]
        xmp = zf.read(sidecar[0])
    tags = exiftool(xmp, ".xmp", tmp_path)
    assert tags["XMP-dc:Description"] == CAPTION and tags["XMP-photoshop:City"] == "Lodwar"
    assert_no_gps(tags)


@needs_exiftool
@needs_heic_encoder
def test_the_heic_writer_moves_every_item_offset_after_meta(tmp_path):
    """Written twice over (the second replaces the first's XMP item): pixels still decode, one packet."""
    from gallery.formats.captions import heif
    from gallery.formats.credits import Credits

    data = heic_with_gps(size=(640, 480))
    once, twice = io.BytesIO(), io.BytesIO()
    heif.write(io.BytesIO(data), once, Credits("T", "First caption", "Ana", "Org", "© Org"))
    heif.write(io.BytesIO(once.getvalue()), twice, Credits("T", "Second caption", "Ana", "Org", "© Org"))
    out = twice.getvalue()
    assert heic_pixels(out) == heic_pixels(data)
    tags = exiftool(out, ".heic", tmp_path)
    assert tags["XMP-dc:Description"] == "Second caption" and b"First caption" not in out
    assert tags["IFD0:ImageDescription"] == "Second caption"


def test_zip_adds_a_sidecar_only_for_files_that_cannot_carry_credits(client, member, make_gallery):
    gallery = make_gallery()
    settle(ingest(gallery, "a.jpg", gps_image_bytes("JPEG")))
    gif = io.BytesIO()
    Image.new("P", (40, 30)).save(gif, "GIF")
    settle(ingest(gallery, "b.gif", gif.getvalue()))
    with client.get(f"/download/galleries/{gallery.id}.zip?size=original") as r:
        assert r.status_code == 200
        zipped = r.data
    with zipfile.ZipFile(io.BytesIO(zipped)) as zf:
        names = zf.namelist()
        assert [n.rsplit(".", 1)[1] for n in names] == ["jpg", "gif", "xmp", "csv"]
        assert CAPTION.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") in zf.read(names[2]).decode()


def test_an_edit_recredits_the_original_in_the_background(client, member, make_gallery, editor):
    """Until the credits piece is done downloads send the previous copy; then the new one, old file gone."""
    asset = settle(ingest(make_gallery(), "a.jpg", gps_image_bytes("JPEG")))
    before = asset.served_key
    assets.update_asset(asset.id, {"caption": "Night falls on the camp."}, editor)
    piece = db.session.scalar(select(AssetWork).where(AssetWork.asset_id == asset.id,
                                                      AssetWork.piece == "credits"))
    assert piece.state == "pending"
    got = get(client, f"/download/assets/{asset.id}/original")
    assert got.data == storage.read_bytes(before) and CAPTION.encode() in got.data
    asset = settle(asset)
    assert asset.served_key != before and not storage.exists(before)
    got = get(client, f"/download/assets/{asset.id}/original")
    assert b"Night falls on the camp." in got.data and CAPTION.encode() not in got.data
    assert location_leaks(got.data) == []


def test_a_gallery_credit_edit_recredits_its_items(app, make_gallery, admin):
    gallery = make_gallery()
    asset = settle(ingest(gallery, "a.jpg", gps_image_bytes("JPEG"), {"caption": "Queue"}))
    assert b"Example Relief Agency" in storage.read_bytes(asset.served_key)
    galleries.update_gallery(gallery.id, {"credit": "Partner Network"}, admin)
    asset = settle(asset)
    assert b"Partner Network" in storage.read_bytes(asset.served_key)


def test_an_original_asked_for_before_its_copy_is_made_once_on_demand(client, member, make_gallery):
    """The served copy is background work; a download that comes first makes it, never sends the original."""
    data = gps_image_bytes("JPEG")
    asset = ingest(make_gallery(), "a.jpg", data)
    assert asset.served_key is None  # nothing made in the ingest request
    got = get(client, f"/download/assets/{asset.id}/original")
    assert got.status_code == 200 and got.data != data
    assert b"GPSLatitude" not in got.data and CAPTION.encode() in got.data
    db.session.expire_all()
    key = db.session.get(Asset, asset.id).served_key
    assert served.carries_credits(key) and got.data == storage.read_bytes(key)
    settle(asset)  # the piece then finds it made
    assert db.session.get(Asset, asset.id).served_key == key


@pytest.mark.parametrize("setting, template, message", [
    ("COPYRIGHT_NOTICE", "© {owner} {year}", "unknown placeholder {owner}"),
    ("CREDIT_LINE_FORMAT", "© {organisation", "cannot be read"),
    ("CREDIT_LINE_FORMAT", "", "must be a non-empty text"),
])
def test_a_bad_credit_template_stops_the_app_with_a_clear_message(tmp_path, setting, template, message):
    with pytest.raises(ValueError, match=message.replace("{", r"\{").replace("}", r"\}")):
        create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite'}",
                    "SECRET_KEY": "x", setting: template})


def test_templates_shape_the_credit_line_and_the_notice_in_files(app, client, member, make_gallery):
    app.config["COPYRIGHT_NOTICE"] = "Copyright {credit} {year}, {creator}"
    app.config["CREDIT_LINE_FORMAT"] = "Photo: {creator} for {organisation}"
    gallery = make_gallery(date="2023-03-14")
    asset = settle(ingest(gallery, "a.jpg", gps_image_bytes("JPEG"), {"caption": "Queue", "creator": "Ana"}))
    with Image.open(io.BytesIO(storage.read_bytes(asset.served_key))) as im:
        assert im.getexif()[0x8298] == "Copyright Example Relief Agency 2023, Ana"
    page = client.get(f"/assets/{asset.id}").get_data(as_text=True)
    assert "Photo: Ana for Example Relief Agency" in page
    # An empty placeholder drops out with the punctuation before it.
    nobody = settle(ingest(gallery, "b.jpg", image_bytes(), {"caption": "Q"}))
    with Image.open(io.BytesIO(storage.read_bytes(nobody.served_key))) as im:
        assert im.getexif()[0x8298] == "Copyright Example Relief Agency 2023"


@needs_exiftool
def test_hostile_fields_stay_text(client, member, make_gallery, tmp_path):
    """A caption of markup, control characters and 5000 characters: read back as the catalogue holds it, cut where IIM must."""
    caption = "</x:xmpmeta><?xpacket end='w'?>\x01\x1f" + "é" * 5000  # (the web's doors refuse NULs)
    data = gps_image_bytes("JPEG")
    asset = settle(ingest(make_gallery(), "a.jpg", data, {**FIELDS, "caption": caption}))
    got = get(client, f"/download/assets/{asset.id}/original")
    assert got.status_code == 200
    tags = exiftool(got.data, ".jpg", tmp_path)
    stored = db.session.get(Asset, asset.id).caption.replace("\x01", "").replace("\x1f", "")  # XML cannot hold them
    assert (len(tags["XMP-dc:Description"]), len(tags["IFD0:ImageDescription"])) == (len(stored), len(stored))
    assert tags["XMP-dc:Description"] == stored and tags["IFD0:ImageDescription"] == stored
    assert tags["IPTC:Caption-Abstract"] == stored.encode()[:2000].decode("utf-8", "ignore")
    assert_no_gps(tags)
    assert jpeg_scan(got.data) == jpeg_scan(data)


@needs_exiftool
def test_a_damaged_camera_exif_block_gives_way_to_ours(tmp_path):
    """An EXIF block whose IFD0 points past its end: replaced by a fresh one, the scan data untouched."""
    from gallery.formats.captions import with_credits
    from gallery.formats.credits import Credits

    data = bytearray(gps_image_bytes("JPEG"))
    at = data.index(b"Exif\x00\x00") + 6
    data[at + 4:at + 8] = (0xFFFF00).to_bytes(4, "little" if data[at] == ord("I") else "big")
    src, dest = tmp_path / "in.jpg", tmp_path / "out.jpg"
    src.write_bytes(bytes(data))
    assert with_credits(str(src), "image/jpeg", Credits("T", "A caption", "Ana", "Org", "© Org"), str(dest))
    out = dest.read_bytes()
    tags = exiftool(out, ".jpg", tmp_path)
    assert tags["IFD0:ImageDescription"] == "A caption" and tags["XMP-dc:Description"] == "A caption"
    assert jpeg_scan(out) == jpeg_scan(bytes(data))
    assert_no_gps(tags)


def test_served_copies_of_many_assets_never_leave_a_file_without_its_row(app, make_gallery, editor):
    """Edits in a row: each superseded copy is deleted, and exactly one copy per asset stays."""
    asset = settle(ingest(make_gallery(), "a.jpg", gps_image_bytes("JPEG")))
    for n in range(3):
        assets.update_asset(asset.id, {"caption": f"Take {n}"}, editor)
        asset = settle(asset)
    copies = [k for k in os.listdir(os.path.dirname(storage.path(asset.served_key)))
              if k.startswith(asset.sha256)]
    assert copies == [os.path.basename(asset.served_key)]

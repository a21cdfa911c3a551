"""No place finer than the city leaves the server: every format, every size, every route, every role."""
from __future__ import annotations

import io
import struct
import zipfile

import pytest
from PIL import Image, IptcImagePlugin, UnidentifiedImageError

from gallery.extensions import db
from gallery.formats import imaging
from gallery.services import apitokens, ingest, jobs, terms
from tests.media_files import (
    PLACE_MARKS,
    SUBLOCATION,
    gif_with_xmp,
    jpeg,
    noise,
    place_image,
    place_iptc,
    place_tiff,
    place_video,
    xmp_packet,
)

pillow_heif = pytest.importorskip("pillow_heif")
HEIC_ENCODER = bool(pillow_heif.libheif_info().get("HEIF"))
# The GPS latitude as the hand-built TIFFs store it (rationals over 100): 3 43 0.12.
TIFF_GPS = struct.pack("<6I", 300, 100, 4300, 100, 12, 100)

FILES = {
    "jpeg": ("photo.jpg", lambda: place_image("JPEG")),
    "png": ("photo.png", lambda: place_image("PNG")),
    "webp": ("photo.webp", lambda: place_image("WEBP")),
    "gif": ("photo.gif", gif_with_xmp),
    "tiff": ("photo.tif", place_tiff),
    "bigtiff": ("photo.tif", lambda: place_tiff(big=True)),
    "multipage-tiff": ("pages.tif", lambda: place_tiff(pages=2)),
    "heic": ("photo.heic", lambda: place_image("HEIF")),
    "mp4": ("clip.mp4", lambda: place_video("mp4")),
    "mov": ("clip.mov", lambda: place_video("mov")),
    "webm": ("clip.webm", lambda: place_video("webm")),
    "mkv": ("clip.mkv", lambda: place_video("matroska")),
    "avi": ("clip.avi", lambda: place_video("avi")),
    "m4a": ("spot.m4a", lambda: place_video("m4a")),
}


def leaks(data: bytes) -> list[str]:
    """Every trace of the planted places in a served file: raw bytes, then what Pillow reads."""
    found = [mark.decode("latin-1") for mark in (*PLACE_MARKS, TIFF_GPS) if mark in data]
    try:
        im = Image.open(io.BytesIO(data))
    except UnidentifiedImageError:  # video, audio, HTML, JSON, CSV: the bytes were searched above
        return found
    with im:
        for frame in range(getattr(im, "n_frames", 1)):
            im.seek(frame)
            exif = im.getexif()
            if 0x8825 in exif or exif.get_ifd(0x8825):
                found.append(f"EXIF GPS IFD (frame {frame})")
            if 0x927C in exif.get_ifd(0x8769):
                found.append(f"EXIF maker note (frame {frame})")
            iptc = IptcImagePlugin.getiptcinfo(im) or {}
            if (iptc.get((2, 92)) or b"").strip():
                found.append(f"IPTC sub-location (frame {frame})")
    return found


def accepted(gallery, name: str, data: bytes):
    """Ingest a file that must be accepted; made non-sensitive with consent, so everyone may see it."""
    result = ingest.ingest(gallery, io.BytesIO(data), name)
    assert result.status == "accepted", result.reason
    asset = result.asset
    asset.consent, asset.sensitive = "obtained", False
    db.session.commit()
    assert jobs.wait_idle()  # a video or audio file is public once its web proxy is made
    db.session.expire_all()  # the jobs ran in this session: read the rows they wrote
    return asset


def fetch(client, url: str, **kwargs) -> tuple[int, bytes]:
    """(status, body) of a GET, redirects followed, the response closed."""
    with client.get(url, follow_redirects=True, **kwargs) as response:
        return response.status_code, response.get_data()


def original_of(client, asset) -> bytes:
    status, body = fetch(client, f"/download/assets/{asset.id}/original")
    assert status == 200
    return body


@pytest.fixture
def member_client(app, make_user):
    """A client logged in as a member who accepted the terms."""
    user = make_user("member")
    terms.accept(user)
    return session_client(app, user)


def session_client(app, user):
    """A fresh test client whose session is logged in as user."""
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True
    return client


def pixels(data: bytes) -> list[bytes]:
    """The decoded pixels of every frame."""
    with Image.open(io.BytesIO(data)) as im:
        out = []
        for frame in range(getattr(im, "n_frames", 1)):
            im.seek(frame)
            out.append(im.convert("RGB").tobytes())
        return out


# --- The holes the audit found ---------------------------------------------------------------

def test_gif_original_loses_its_xmp_and_comment(member_client, make_gallery):
    data = gif_with_xmp()
    assert leaks(data)
    asset = accepted(make_gallery(), "photo.gif", data)
    served = original_of(member_client, asset)
    assert leaks(served) == []
    assert pixels(served) == pixels(data)


def test_bigtiff_original_loses_its_gps(member_client, make_gallery):
    data = place_tiff(big=True)
    assert data[:4] == b"II+\x00" and TIFF_GPS in data
    asset = accepted(make_gallery(), "photo.tif", data)
    served = original_of(member_client, asset)
    assert leaks(served) == [] and len(served) == len(data)
    assert pixels(served) == pixels(data)


def test_second_page_of_a_tiff_loses_its_gps(member_client, make_gallery):
    data = place_tiff(pages=2)
    with Image.open(io.BytesIO(data)) as im:
        im.seek(1)
        assert im.getexif().get_ifd(0x8825)  # the second page really has GPS
    asset = accepted(make_gallery(), "pages.tif", data)
    served = original_of(member_client, asset)
    assert leaks(served) == []  # credits are appended: every strip stays where it was
    assert pixels(served) == pixels(data)
    with Image.open(io.BytesIO(served)) as after, Image.open(io.BytesIO(data)) as before:
        after.seek(1)
        before.seek(1)
        assert after.tobytes() == before.tobytes()


def test_jpeg_original_loses_iptc_and_xmp_sublocation_and_maker_note(member_client, make_gallery):
    data = place_image("JPEG")
    asset = accepted(make_gallery(), "photo.jpg", data)
    assert asset.city == "Kakuma"  # city stays in the catalogue
    served = original_of(member_client, asset)
    assert leaks(served) == []
    with Image.open(io.BytesIO(served)) as im:
        assert IptcImagePlugin.getiptcinfo(im)[(2, 90)] == b"Kakuma"  # city stays in the file
        assert b"<photoshop:City>Kakuma</photoshop:City>" in im.info["xmp"]
        assert im.getexif()[0x013B] == "Amina Yusuf"
    assert pixels(served) == pixels(data)


EXT = "xmlns:Iptc4xmpExt='http://iptc.org/std/Iptc4xmpExt/2008-02-29/'"


@pytest.mark.parametrize("form", [
    f"<rdf:Description rdf:about='' {EXT} Iptc4xmpExt:Sublocation='{SUBLOCATION}'/>",
    (f"<rdf:Description rdf:about='' {EXT}><Iptc4xmpExt:LocationShown rdf:parseType='Resource'>"
     f"<Iptc4xmpExt:Sublocation>{SUBLOCATION}</Iptc4xmpExt:Sublocation></Iptc4xmpExt:LocationShown>"
     "</rdf:Description>"),
    ("<rdf:Description rdf:about=''><LocationCreated xmlns='http://iptc.org/std/Iptc4xmpExt/2008-02-29/'>"
     f"{SUBLOCATION}</LocationCreated></rdf:Description>"),
], ids=["attribute", "structure", "default-namespace"])
def test_each_way_of_writing_an_xmp_sublocation_is_blanked(member_client, make_gallery, form):
    packet = xmp_packet("<photoshop:City>Kakuma</photoshop:City>").replace(
        "</rdf:RDF>", form + "</rdf:RDF>")
    asset = accepted(make_gallery(), "photo.jpg", jpeg(noise(), xmp=packet))
    served = original_of(member_client, asset)
    assert SUBLOCATION.encode() not in served
    # Its Photoshop resources gave way to the catalogue's own IPTC block, which names no place finer.
    assert b"Example Relief Agency" in served


def test_tiff_iptc_in_photoshop_resources_loses_its_sublocation(member_client, make_gallery):
    from tests.media_files import tiff_file

    iptc = place_iptc()
    resources = b"8BIM\x04\x04\x00\x00" + struct.pack(">I", len(iptc)) + iptc + b"\x00" * (len(iptc) & 1)
    data = tiff_file([{"image": noise((64, 48)), "tags": {34377: (7, resources)}}])
    asset = accepted(make_gallery(), "photo.tif", data)
    served = original_of(member_client, asset)
    assert SUBLOCATION.encode() not in served
    # Its Photoshop resources gave way to the catalogue's own IPTC block, which names no place finer.
    assert b"Example Relief Agency" in served


def test_maker_note_no_ifd_reaches_any_more_is_zeroed(member_client, make_gallery):
    data = bytearray(place_image("JPEG"))
    tiff = data.index(b"Exif\x00\x00") + 6
    # Point IFD0's EXIF IFD entry past the block, as a damaged file does: the maker note is orphaned.
    end = "<" if data[tiff:tiff + 2] == b"II" else ">"
    ifd0 = tiff + struct.unpack_from(end + "I", data, tiff + 4)[0]
    entries = [ifd0 + 2 + 12 * i for i in range(struct.unpack_from(end + "H", data, ifd0)[0])]
    exif_entry = next(e for e in entries if struct.unpack_from(end + "H", data, e)[0] == 0x8769)
    struct.pack_into(end + "I", data, exif_entry + 8, 60_000)
    asset = accepted(make_gallery(), "photo.jpg", bytes(data))
    served = original_of(member_client, asset)
    assert b"serial 4242" not in served and SUBLOCATION.encode() not in served
    with Image.open(io.BytesIO(served)) as im:
        assert im.getexif()[0x013B] == "Amina Yusuf"  # what IFD0 reaches stays


def test_jpeg_comments_vendor_segments_and_other_iptc_fields_go(member_client, make_gallery):
    from tests.media_files import iptc_block, segment

    iptc = iptc_block({90: "Kakuma", 118: f"Contact: {SUBLOCATION}", 120: "Water point"})
    data = jpeg(noise(), iptc=iptc)
    data = (data[:2] + segment(0xFE, f"Taken at {SUBLOCATION}".encode())
            + segment(0xEC, b"Ducky\x00" + SUBLOCATION.encode()) + data[2:])
    asset = accepted(make_gallery(), "photo.jpg", data)
    served = original_of(member_client, asset)
    assert SUBLOCATION.encode() not in served
    with Image.open(io.BytesIO(served)) as im:
        info = IptcImagePlugin.getiptcinfo(im)
        assert info[(2, 90)] == b"Kakuma" and info[(2, 120)] == b"Water point"


def test_xmp_the_patterns_cannot_match_is_blanked_whole(member_client, make_gallery):
    # A closing tag that does not match its opening one: readers give up on the packet, and so
    # must we, but its bytes would still be in the file.
    packet = xmp_packet(f"<Iptc4xmpCore:Location>{SUBLOCATION}</Iptc4xmpCore:Locatio>")
    asset = accepted(make_gallery(), "photo.jpg", jpeg(noise(), xmp=packet))
    served = original_of(member_client, asset)
    assert SUBLOCATION.encode() not in served and b"Iptc4xmpCore:Locatio>" not in served
    assert served.count(b"<x:xmpmeta") == 1  # the catalogue's packet alone


def test_jpeg_with_stray_bytes_between_markers_is_accepted_and_cleaned(member_client, make_gallery):
    data = place_image("JPEG")
    dqt = data.index(b"\xff\xdb")
    junky = data[:dqt] + b"junk\x00\x01\x02" + data[dqt:]  # libjpeg: "extraneous bytes before marker"
    with Image.open(io.BytesIO(junky)) as im:
        im.load()  # it decodes
    asset = accepted(make_gallery(), "photo.jpg", junky)
    served = original_of(member_client, asset)
    assert leaks(served) == [] and b"junk" not in served
    assert pixels(served) == pixels(junky)


# --- Every format, every size, every route, every role ------------------------------------------

def routes(asset) -> list[str]:
    """Every URL that serves bytes (or a page) of the asset, at every size it has."""
    urls = [f"/assets/{asset.id}", f"/api/assets/{asset.id}", f"/api/galleries/{asset.gallery_id}",
            f"/media/{asset.id}/thumb.jpg", f"/media/{asset.id}/preview.jpg"]
    if asset.media_type == "image":
        urls.append(f"/media/{asset.id}/large.jpg")  # a redirect to the Large download
        sizes = ("preview", "large", "original")
    else:
        proxy = "audio" if asset.media_type == "audio" else "web"
        urls += [f"/media/{asset.id}/original", f"/media/{asset.id}/play/{proxy}"]  # the player's streams
        sizes = (proxy, "original")  # its poster or waveform is for the page, not a download
    for size in sizes:
        urls += [f"/download/assets/{asset.id}/{size}", f"/api/assets/{asset.id}/download?size={size}",
                 f"/download/galleries/{asset.gallery_id}.zip?size={size}"]
    return urls


@pytest.mark.parametrize("kind", list(FILES))
def test_no_place_in_any_byte_served(app, make_gallery, make_user, kind):
    if kind == "heic" and not HEIC_ENCODER:
        pytest.skip("this pillow-heif has no HEIC encoder")
    imaging.register_heif()
    name, make = FILES[kind]
    data = make()
    assert leaks(data), "the file should carry places before it is served"
    asset = accepted(make_gallery(), name, data)

    member = make_user("member")
    terms.accept(member)
    token = apitokens.create_token(member, "script", member)[1]
    clients = {"member": (session_client(app, member), {}),
               "editor": (session_client(app, make_user("editor")), {}),
               "admin": (session_client(app, make_user("admin")), {}),
               "download token": (app.test_client(), {"Authorization": f"Bearer {token}"})}
    served = 0
    for role, (client, headers) in clients.items():
        for url in routes(asset):
            if role == "download token" and not url.startswith("/api/"):
                continue  # a download token reads the API only; pages and forms refuse it
            status, body = fetch(client, url, headers=headers)
            assert status == 200, (role, url, status)
            bodies = {url: body}
            if ".zip" in url:
                with zipfile.ZipFile(io.BytesIO(body)) as zf:
                    bodies = {f"{url}!{n}": zf.read(n) for n in zf.namelist()}
                    assert len(bodies) >= 1
            for where, content in bodies.items():
                assert leaks(content) == [], (role, where)
                served += 1
    assert served >= (40 if asset.media_type == "image" else 25)


def test_copies_recorded_by_older_cleaners_are_made_again(app, member_client, make_gallery):
    """Migration 0006: a GIF that older code served as stored is cleaned on its next download."""
    from alembic import command

    from gallery import migrate

    data = gif_with_xmp()
    asset = accepted(make_gallery(), "photo.gif", data)
    # What the code before 0006 recorded for a GIF: the original itself, location and all.
    asset.served_key, asset.served_bytes = asset.storage_key, len(data)
    db.session.commit()
    assert leaks(original_of(member_client, asset))
    command.downgrade(migrate.alembic_config(app), "0005")
    migrate.upgrade(app)
    db.session.expire_all()
    assert leaks(original_of(member_client, asset)) == []


def test_a_jpeg_without_location_is_recognised_without_writing_a_copy(tmp_path):
    """The read-only check agrees with the cleaner: only a file it would leave as is passes."""
    from gallery.formats import location
    from gallery.formats.location import images
    from tests.conftest import gps_image_bytes, image_bytes

    plain = tmp_path / "plain.jpg"
    plain.write_bytes(image_bytes())
    with_gps = tmp_path / "gps.jpg"
    with_gps.write_bytes(gps_image_bytes())
    with_trailer = tmp_path / "trailer.jpg"
    with_trailer.write_bytes(image_bytes() + b"vendor trailer")  # dropped by the cleaner
    for path, clean in ((plain, True), (with_gps, False), (with_trailer, False)):
        with open(path, "rb") as fh:
            assert images.jpeg_is_clean(fh) is clean, path.name
        dest = tmp_path / f"out-{path.name}"
        assert location.without_location(str(path), "image/jpeg", str(dest)) is not clean
        assert dest.exists() is not clean  # nothing written for a clean file

"""Probe: the allowlist decided by the bytes, every refusal with its reason, limits, and the ingest hook."""
from __future__ import annotations

import io

import pytest
from PIL import Image
from sqlalchemy import func, select

from gallery.countries import country_code
from gallery.exceptions import TooLarge, UnsupportedMedia
from gallery.extensions import db
from gallery.formats import probe
from gallery.models import Asset
from gallery.services import ingest
from tests.conftest import stored_files
from tests.media_files import (
    alt,
    audio_bytes,
    iptc_block,
    jpeg,
    png_header_only,
    video_bytes,
    xmp_packet,
)

CONFIG = {"MAX_IMAGE_PIXELS": 120_000_000, "MAX_IMAGE_BYTES": 200 << 20, "MAX_VIDEO_BYTES": 2 << 30,
          "RENDITION_SIZES": {"thumb": 400, "preview": 1280, "large": 2560},
          "RENDITIONS_AT_INGEST": ("thumb", "preview")}


def run(tmp_path, data: bytes, name: str = "upload.bin", **config) -> probe.Probed:
    path = tmp_path / "spooled.part"
    path.write_bytes(data)
    return probe.probe(str(path), name, {**CONFIG, **config}, country_code)


def image(fmt: str, size=(300, 200), mode="RGB", **save) -> bytes:
    buf = io.BytesIO()
    Image.new(mode, size, (10, 120, 200) if mode == "RGB" else 1).save(buf, fmt, **save)
    return buf.getvalue()


@pytest.mark.parametrize("data, mime, ext", [
    (image("JPEG"), "image/jpeg", "jpg"),
    (image("PNG"), "image/png", "png"),
    (image("WEBP"), "image/webp", "webp"),
    (image("GIF"), "image/gif", "gif"),
    (image("TIFF"), "image/tiff", "tif"),
])
def test_images_are_known_by_their_bytes_not_their_name(tmp_path, data, mime, ext):
    found = run(tmp_path, data, "misnamed.mp3")
    assert (found.media_type, found.mime_type, found.ext, found.width, found.height) == \
        ("image", mime, ext, 300, 200)


def test_image_facts_and_metadata(tmp_path):
    exif = Image.Exif()
    exif[0x0112] = 6
    exif[0x010F], exif[0x0110] = "FUJIFILM", "X-T4"
    data = jpeg(size=(600, 400), exif=exif.tobytes(),
                iptc=iptc_block({120: "IPTC caption", 100: "KE"}),
                xmp=xmp_packet(alt("dc:description", "XMP caption")))
    found = run(tmp_path, data, "x.jpg")
    assert (found.width, found.height, found.camera, found.codec) == (400, 600, "FUJIFILM X-T4", "jpeg")
    assert found.metadata == {"caption": "XMP caption", "country_code": "KEN"}


EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 200


@pytest.mark.parametrize("data, reason", [
    (b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>", "SVG images are not accepted"),
    (b"<?xml version='1.0'?>\n<svg xmlns='http://www.w3.org/2000/svg'/>", "SVG images are not accepted"),
    (b"<!DOCTYPE html><html><body>hi</body></html>", "HTML pages are not accepted"),
    (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "PDF documents are not accepted"),
    (EXE, "Windows programs are not accepted"),
    (b"\x7fELF\x02\x01\x01" + b"\x00" * 100, "programs (ELF) are not accepted"),
    (b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\n", "PostScript and EPS files are not accepted"),
    (b"\xc5\xd0\xd3\xc6" + b"\x00" * 40, "PostScript and EPS files are not accepted"),
    (b"#!/bin/sh\nrm -rf /\n", "scripts are not accepted"),
    (b"PK\x03\x04" + b"\x00" * 40, "zip archives are not accepted"),
    (b"", "empty files are not accepted"),
    (b"just some text", "not a type of file we accept"),
    (image("BMP"), "BMP images are not accepted"),
])
def test_refusals_name_the_file_and_say_why(tmp_path, data, reason):
    with pytest.raises(UnsupportedMedia) as caught:
        run(tmp_path, data, "holiday.jpg")
    assert caught.value.message.startswith("holiday.jpg: ") and reason in caught.value.message


def test_truncated_jpeg_is_refused(tmp_path):
    whole = jpeg(Image.effect_noise((1200, 900), 60).convert("RGB"), quality=90)
    with pytest.raises(UnsupportedMedia, match="truncated or damaged"):
        run(tmp_path, whole[: len(whole) // 2], "cut.jpg")


def test_truncated_png_is_refused(tmp_path):
    whole = image("PNG", size=(800, 600))
    with pytest.raises(UnsupportedMedia, match="cut.png: "):
        run(tmp_path, whole[: len(whole) - 40], "cut.png")


def test_corrupt_video_is_refused(tmp_path):
    clip = video_bytes()
    garbage = clip[:32] + bytes(b ^ 0x5A for b in clip[32:])
    with pytest.raises(UnsupportedMedia, match="clip.mp4: .*damaged"):
        run(tmp_path, garbage, "clip.mp4")
    with pytest.raises(UnsupportedMedia, match="clip.mp4: "):
        run(tmp_path, clip[: len(clip) // 3], "clip.mp4")


def test_pixel_limit_and_pillow_bomb_guard_become_too_large(tmp_path):
    with pytest.raises(TooLarge, match="big.png: the image has more than 50,000 pixels"):
        run(tmp_path, image("PNG", size=(300, 200)), "big.png", MAX_IMAGE_PIXELS=50_000)
    # Between our limit and twice it Pillow only warns (an error under pytest): still TooLarge.
    with pytest.raises(TooLarge):
        run(tmp_path, png_header_only(12_000, 12_000), "bomb.png", MAX_IMAGE_PIXELS=100_000_000)
    # Far beyond: Pillow's own DecompressionBombError, also turned into TooLarge.
    with pytest.raises(TooLarge):
        run(tmp_path, png_header_only(40_000, 40_000), "bomb.png")


def test_byte_limits_per_media_type(tmp_path):
    data = image("PNG")
    with pytest.raises(TooLarge, match="photo.png: image files may be at most"):
        run(tmp_path, data, "photo.png", MAX_IMAGE_BYTES=len(data) - 1)
    clip = audio_bytes()
    with pytest.raises(TooLarge, match="spot.wav: audio files may be at most"):
        run(tmp_path, clip, "spot.wav", MAX_VIDEO_BYTES=len(clip) - 1)


def test_mp4_holding_only_sound_is_audio(tmp_path):
    found = run(tmp_path, audio_bytes("mp4", "aac"), "interview.mp4")
    assert (found.media_type, found.mime_type, found.ext) == ("audio", "audio/mp4", "m4a")


def test_sniff_kinds():
    assert probe.sniff(b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic", "x") == "heif"
    assert probe.sniff(b"\x00\x00\x00\x14ftypqt  \x00\x00\x00\x00qt  ", "x") == "mov"
    assert probe.sniff(b"\x00\x00\x00\x18ftypM4A \x00\x00\x00\x00M4A isom", "x") == "m4a"
    assert probe.sniff(b"\xff\xfb\x90\x64" + b"\x00" * 10, "x") == "mp3"
    with pytest.raises(UnsupportedMedia, match="AVIF"):
        probe.sniff(b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1miaf", "x")
    assert probe.sniff(b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\x82\x88matroska", "x") == "mkv"
    assert probe.sniff(b"RIFF\x00\x10\x00\x00AVI LIST", "x") == "avi"


@pytest.mark.parametrize("fmt, codec, pix_fmt", [
    ("avi", "mpeg4", "yuv420p"), ("avi", "mjpeg", "yuvj420p"), ("avi", "msmpeg4v3", "yuv420p"),
    ("matroska", "libx264", "yuv420p")])
def test_avi_and_matroska_video_is_accepted(tmp_path, fmt, codec, pix_fmt):
    found = run(tmp_path, video_bytes(fmt, codec, pix_fmt=pix_fmt), "old-camera")
    mime, ext = {"avi": ("video/x-msvideo", "avi"), "matroska": ("video/x-matroska", "mkv")}[fmt]
    assert (found.media_type, found.mime_type, found.ext, found.width, found.height) == (
        "video", mime, ext, 320, 240)


def test_avi_with_a_codec_we_cannot_decode_is_refused_clearly(tmp_path):
    clip = video_bytes("avi", "mpeg4")
    assert clip.count(b"FMP4") == 2  # the stream header's handler and the bitmap header's FourCC
    with pytest.raises(UnsupportedMedia, match="unknown.avi: its video is in a format we cannot decode"):
        run(tmp_path, clip.replace(b"FMP4", b"ZZZZ"), "unknown.avi")


# --- through ingest.ingest --------------------------------------------------------------

def test_ingest_stores_probed_facts_and_merges_metadata_under_explicit_fields(app, make_gallery):
    gallery = make_gallery(credit="Gallery credit", country="KEN")
    data = jpeg(size=(1600, 1200), iptc=iptc_block({120: "Caption from the file", 80: "Photographer",
                                                    90: "Lodwar", 100: "UGA"}))
    result = ingest.ingest(gallery, io.BytesIO(data), "pic.jpg", {"creator": "Typed in the form"})
    assert result.status == "accepted", result.reason
    asset = result.asset
    assert (asset.media_type, asset.mime_type, asset.width, asset.height) == ("image", "image/jpeg", 1600, 1200)
    assert asset.caption == "Caption from the file" and asset.creator == "Typed in the form"
    assert asset.city == "Lodwar" and asset.country_code == "UGA" and asset.credit == "Gallery credit"
    assert sorted(r.size for r in asset.renditions) == ["preview", "thumb"]


def test_ingest_refusal_leaves_no_file_or_row(app, make_gallery):
    gallery = make_gallery()
    result = ingest.ingest(gallery, io.BytesIO(b"%PDF-1.4 not a photo"), "report.jpg")
    assert result.status == "rejected" and result.reason.startswith("report.jpg: PDF documents")
    assert stored_files(app) == [] and db.session.scalar(select(func.count()).select_from(Asset)) == 0


def test_ingest_video_and_audio(app, make_gallery):
    gallery = make_gallery()
    video = ingest.ingest(gallery, io.BytesIO(video_bytes(seconds=2.5)), "clip.mp4")
    audio = ingest.ingest(gallery, io.BytesIO(audio_bytes("mp3", "libmp3lame",
                                                             tags={"title": "Spot", "artist": "Radio"})),
                             "spot.mp3")
    assert video.status == "accepted" and audio.status == "accepted", (video.reason, audio.reason)
    v, a = video.asset, audio.asset
    assert (v.media_type, v.mime_type, v.width, v.height, v.codec) == ("video", "video/mp4", 320, 240, "h264")
    assert v.duration == pytest.approx(2.5, abs=0.15)
    assert (a.media_type, a.mime_type, a.codec, a.title, a.creator) == ("audio", "audio/mpeg", "mp3", "Spot", "Radio")
    assert sorted(r.size for r in v.renditions) == sorted(r.size for r in a.renditions) == ["preview", "thumb"]

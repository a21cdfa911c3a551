"""IIIF Image API 3.0: info.json, regions, sizes, rotations, qualities, formats, the policy and the tile cache."""
from __future__ import annotations

import datetime as dt
import io

import pytest
from iiif_validator.validator import ValidationInfo
from PIL import Image

from gallery.extensions import db
from gallery.formats import iiif_image
from gallery.formats.iiif_image import IIIFError, Limits
from tests.conftest import gps_image_bytes

# The validator's test pattern: 10 x 10 squares of 100 px, colour [x][y] for column x, row y.
COLOURS = ValidationInfo().colorInfo


def pattern(size: int = 1000, orientation: int = 1) -> bytes:
    """The validator's 1000 x 1000 pattern of coloured squares (stored turned when orientation says so)."""
    im = Image.new("RGB", (size, size))
    step = size // 10
    for x in range(10):
        for y in range(10):
            im.paste(COLOURS[x][y], (x * step, y * step, (x + 1) * step, (y + 1) * step))
    buf = io.BytesIO()
    save = {}
    if orientation != 1:
        from gallery.formats.imaging import transpose

        # Store the pixels so that applying the orientation gives the pattern back upright.
        inverse = {6: 8, 8: 6}.get(orientation, orientation)
        im = transpose(im, inverse)
        exif = Image.Exif()
        exif[0x0112] = orientation
        save["exif"] = exif
    im.save(buf, "JPEG", quality=95, **save)
    return buf.getvalue()


def colour_of(im: Image.Image) -> tuple[int, int, int]:
    """The colour at the middle of an image."""
    return im.convert("RGB").getpixel((im.width // 2, im.height // 2))


def close(a, b, tolerance: int = 8) -> bool:
    """Whether two colours match within a JPEG's error."""
    return all(abs(x - y) <= tolerance for x, y in zip(a, b))


@pytest.fixture
def photo(app, make_gallery):
    """A published 1000 x 1000 pattern photo, ingested for real."""
    from gallery.services import ingest

    gallery = make_gallery(licence="cc-by-4.0")
    result = ingest.ingest(gallery, io.BytesIO(pattern()), "IMG_0001.jpg", {"caption": "Squares"}, user=None)
    assert result.status == "accepted", result.reason
    return result.asset


def fetch(client, path: str):
    """A GET whose file is read and closed (the test client leaves sent files open)."""
    response = client.get(path)
    response.get_data()
    response.close()
    return response


def get_image(client, path: str) -> Image.Image:
    response = fetch(client, path)
    data = response.data
    response.close()
    assert response.status_code == 200, data[:300]
    return Image.open(io.BytesIO(data))


# --- parsing --------------------------------------------------------------------------------

LIMITS = Limits(1000, 800, 1000 * 800)


@pytest.mark.parametrize("region, expected", [
    ("full", (0, 0, 1000, 800)), ("square", (100, 0, 800, 800)), ("10,20,30,40", (10, 20, 30, 40)),
    ("900,700,500,500", (900, 700, 100, 100)), ("pct:10,10,50,50", (100, 80, 500, 400)),
    ("pct:0.5,0,10.25,100", (5, 0, 102, 800)),
])
def test_regions_in_pixels_percent_and_square(region, expected):
    assert iiif_image.parse_region(region, (1000, 800)) == expected


@pytest.mark.parametrize("region", ["", "0,0,0,10", "1000,0,10,10", "0,800,5,5", "a,b,c,d", "pct:", "-1,0,5,5",
                                    "pct:200,0,5,5", "1,2,3", "pct:1e3,0,5,5", "full\x00"])
def test_bad_regions_are_refused_with_a_message(region):
    with pytest.raises(IIIFError, match="Region"):
        iiif_image.parse_region(region, (1000, 800))


@pytest.mark.parametrize("size, expected", [
    ("max", (500, 400)), ("250,", (250, 200)), (",200", (250, 200)), ("pct:50", (250, 200)),
    ("100,100", (100, 100)), ("!100,100", (100, 80)), ("^max", (1000, 800)), ("^600,", (600, 480)),
    ("^pct:150", (750, 600)), ("^!2000,600", (750, 600)),
])
def test_sizes(size, expected):
    assert iiif_image.parse_size(size, (500, 400), LIMITS) == expected


@pytest.mark.parametrize("size", ["full", "600,", ",500", "pct:101", "600,400", "!2000,3000", "^1200,",
                                  "^pct:300", "0,", "pct:0", ",", "!100,", "w,h", "pct:nan", "^", "max,"])
def test_bad_or_too_big_sizes_are_refused(size):
    with pytest.raises(IIIFError, match="Size"):
        iiif_image.parse_size(size, (500, 400), LIMITS)


@pytest.mark.parametrize("rotation, expected", [("0", (False, 0)), ("90", (False, 90)), ("!180", (True, 180)),
                                                ("270.0", (False, 270)), ("360", (False, 0))])
def test_rotations(rotation, expected):
    assert iiif_image.parse_rotation(rotation) == expected


@pytest.mark.parametrize("rotation", ["45", "-90", "!", "90!", "abc", "720", ""])
def test_bad_rotations_are_refused(rotation):
    with pytest.raises(IIIFError, match="Rotation"):
        iiif_image.parse_rotation(rotation)


@pytest.mark.parametrize("last", ["default", "default.gif", "sepia.jpg", ".jpg", "default.JPG", "default.jpg.png"])
def test_bad_quality_or_format_is_refused(last):
    with pytest.raises(IIIFError):
        iiif_image.parse("full", "max", "0", last, (1000, 800), LIMITS)


# --- the routes -----------------------------------------------------------------------------

def test_info_json_describes_the_public_view(client, photo):
    response = client.get(f"/iiif/3/{photo.id}/info.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert response.headers["Cache-Control"] == "public, no-cache"
    info = response.get_json()
    assert info["id"] == f"http://localhost/iiif/3/{photo.id}"
    assert info["type"] == "ImageService3" and info["profile"] == "level2"
    assert (info["width"], info["height"]) == (1000, 1000)
    assert info["tiles"] == [{"width": 512, "height": 512, "scaleFactors": [1, 2]}]
    assert {"width": 400, "height": 400} in info["sizes"]
    assert info["rights"] == "https://creativecommons.org/licenses/by/4.0/"
    ld = client.get(f"/iiif/3/{photo.id}/info.json", headers={"Accept": "application/ld+json"})
    assert ld.mimetype == "application/ld+json"
    base = client.get(f"/iiif/3/{photo.id}")
    assert base.status_code == 303 and base.headers["Location"].endswith(f"/iiif/3/{photo.id}/info.json")


def test_cors_preflight_is_answered(client, photo):
    # Asking for application/ld+json;profile="..." (quotes) makes a browser send a preflight first.
    response = client.options(f"/iiif/3/{photo.id}/info.json", headers={
        "Origin": "https://viewer.example", "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "accept"})
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "accept" in response.headers["Access-Control-Allow-Headers"].lower()


def test_regions_sizes_rotations_and_qualities_show_the_right_pixels(client, photo):
    base = f"/iiif/3/{photo.id}"
    im = get_image(client, f"{base}/300,500,100,100/max/0/default.jpg")
    assert im.size == (100, 100) and close(colour_of(im), COLOURS[3][5])
    im = get_image(client, f"{base}/pct:70,20,10,10/50,/0/default.png")
    assert im.format == "PNG" and im.size == (50, 50) and close(colour_of(im), COLOURS[7][2])
    # Rotated 90 degrees clockwise, the top-left square ends at the top right.
    im = get_image(client, f"{base}/0,0,200,100/max/90/default.jpg")
    assert im.size == (100, 200)
    assert close(im.convert("RGB").getpixel((50, 50)), COLOURS[0][0])
    assert close(im.convert("RGB").getpixel((50, 150)), COLOURS[1][0])
    # Mirrored: the left square moves to the right.
    im = get_image(client, f"{base}/0,0,200,100/max/!0/default.webp")
    assert im.format == "WEBP" and close(im.convert("RGB").getpixel((150, 50)), COLOURS[0][0], 12)
    assert get_image(client, f"{base}/full/100,/0/gray.jpg").mode == "L"
    bitonal = get_image(client, f"{base}/full/100,/0/bitonal.png")
    assert {c for _n, c in bitonal.convert("L").getcolors()} <= {0, 255}
    square = get_image(client, f"{base}/square/200,/0/color.jpg")
    assert square.size == (200, 200)


def test_bad_requests_answer_400_with_a_message(client, photo):
    response = fetch(client, f"/iiif/3/{photo.id}/full/full/0/default.jpg")
    assert response.status_code == 400
    assert "Size 'full'" in response.get_json()["error"]["message"]
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    for path in ("full/max/45/default.jpg", "full/max/0/default.tif", "nowhere/max/0/default.jpg",
                 "full/2000,/0/default.jpg", "5000,5000,10,10/max/0/default.jpg"):
        assert fetch(client, f"/iiif/3/{photo.id}/{path}").status_code == 400, path


def test_unknown_ids_and_video_are_404(client, photo, make_gallery):
    assert client.get("/iiif/3/999999/info.json").status_code == 404
    assert client.get("/iiif/3/99999999999999/info.json").status_code == 404
    unknown = client.get("/iiif/3/abc/info.json")
    assert unknown.status_code == 404 and unknown.get_json()["error"]["status"] == 404


@pytest.mark.parametrize("change", [
    {"status": "draft"}, {"consent": "withheld"}, {"sensitive": True},
    {"embargo_until": dt.datetime(2099, 1, 1)}, {"rights_expire_on": dt.date(2000, 1, 1)},
])
def test_hidden_items_are_404_exactly_as_the_policy_says(client, photo, change):
    for key, value in change.items():
        setattr(photo, key, value)
    db.session.commit()
    assert client.get(f"/iiif/3/{photo.id}/info.json").status_code == 404
    assert fetch(client, f"/iiif/3/{photo.id}/full/max/0/default.jpg").status_code == 404


def test_public_zoom_stops_at_the_preview_size_and_members_get_large(app, client, make_gallery, make_asset,
                                                                    make_user, login_as):
    gallery = make_gallery()
    big = make_asset(gallery, size=(3000, 2000))
    info = client.get(f"/iiif/3/{big.id}/info.json").get_json()
    assert (info["width"], info["height"]) == (1280, 853)
    assert info["tiles"][0]["scaleFactors"] == [1, 2, 4]
    assert fetch(client, f"/iiif/3/{big.id}/full/max/0/default.jpg").status_code == 200
    assert get_image(client, f"/iiif/3/{big.id}/full/max/0/default.jpg").size == (1280, 853)
    # No region or size reaches past what the public may see.
    assert fetch(client, f"/iiif/3/{big.id}/full/1281,/0/default.jpg").status_code == 400
    assert fetch(client, f"/iiif/3/{big.id}/0,0,2000,100/max/0/default.jpg").status_code == 200
    member = make_user("member", terms_version=1)
    login_as(member)
    response = client.get(f"/iiif/3/{big.id}/info.json")
    assert (response.get_json()["width"], response.get_json()["height"]) == (2560, 1707)
    # What only members may have is never kept by a shared cache nor offered to other sites.
    assert response.headers["Cache-Control"] == "private, no-store"
    assert "Access-Control-Allow-Origin" not in response.headers
    assert get_image(client, f"/iiif/3/{big.id}/full/max/0/default.jpg").size == (2560, 1707)


def test_full_resolution_when_configured(app, client, make_gallery, make_asset):
    app.config["IIIF_PUBLIC_SIZE"] = "full"
    big = make_asset(make_gallery(), size=(3000, 2000))
    info = client.get(f"/iiif/3/{big.id}/info.json").get_json()
    assert (info["width"], info["height"]) == (3000, 2000)
    assert get_image(client, f"/iiif/3/{big.id}/2560,1536,512,512/max/0/default.jpg").size == (440, 464)


def test_tiles_are_cached_and_carry_no_metadata(app, client, make_gallery):
    from gallery.services import ingest, storage

    app.config["IIIF_PUBLIC_SIZE"] = "full"
    gallery = make_gallery()
    asset = ingest.ingest(gallery, io.BytesIO(gps_image_bytes(size=(1600, 1200))), "gps.jpg", {}, user=None).asset
    path = f"/iiif/3/{asset.id}/0,0,512,512/max/0/default.jpg"
    first = fetch(client, path)
    assert first.status_code == 200
    cached = [f.key for f in storage.listing("tiles")]
    assert len(cached) == 1
    assert fetch(client, path).data == first.data
    for fmt in ("jpg", "png", "webp"):
        data = fetch(client, f"/iiif/3/{asset.id}/full/max/0/default.{fmt}").data
        assert b"Exif\x00\x00" not in data and b"xmpmeta" not in data and b"Lucia Fernandez" not in data
        im = Image.open(io.BytesIO(data))
        assert not im.getexif(), fmt
    # The cache keeps serving after the policy changes its mind? No: the policy is asked first.
    asset.status = "draft"
    db.session.commit()
    assert fetch(client, path).status_code == 404


@pytest.mark.parametrize("orientation", [3, 6, 8])
def test_exif_orientation_is_applied_before_the_region(app, client, make_gallery, orientation):
    from gallery.services import ingest

    app.config["IIIF_PUBLIC_SIZE"] = "full"
    asset = ingest.ingest(make_gallery(), io.BytesIO(pattern(orientation=orientation)), "turned.jpg", {},
                          user=None).asset
    assert (asset.width, asset.height) == (1000, 1000)
    for x, y in ((1, 0), (8, 3), (2, 9)):
        im = get_image(client, f"/iiif/3/{asset.id}/{x * 100 + 20},{y * 100 + 20},60,60/max/0/default.png")
        assert close(colour_of(im), COLOURS[x][y]), (orientation, x, y)
    # A zoomed-out tile goes through the scaled decode: still the right square.
    im = get_image(client, f"/iiif/3/{asset.id}/full/100,/0/default.png")
    assert close(im.convert("RGB").getpixel((75, 25)), COLOURS[7][2], 12)


def test_check_repair_drops_tiles_of_assets_that_are_gone(app, client, photo, runner):
    from gallery.services import integrity, storage

    assert fetch(client, f"/iiif/3/{photo.id}/full/100,/0/default.jpg").status_code == 200
    storage.save_bytes(b"stale", f"tiles/ab/cd/{'ab' * 32}/10x10/full_10-10_0_default.jpg")
    report = integrity.check()
    assert [t.key.split("/")[3] for t in report.stale_tiles] == ["ab" * 32]
    assert not report.clean
    integrity.repair(report)
    kept = [f.key for f in storage.listing("tiles")]
    assert len(kept) == 1 and photo.sha256 in kept[0]
    assert integrity.check().clean


def test_a_tile_high_up_decodes_only_the_rows_it_needs_and_matches_the_whole_decode(tmp_path):
    im = Image.effect_noise((1200, 3000), 60).convert("RGB")
    path = tmp_path / "tall.jpg"
    im.save(path, quality=90)
    with Image.open(path) as whole:
        whole.load()
        expected = whole.crop((100, 200, 400, 500)).tobytes()
    spec = iiif_image.parse("100,200,300,300", "max", "0", "default.png", (1200, 3000), Limits(1200, 3000, 3_600_000))
    with Image.open(path) as opened:
        rows = iiif_image._decode_rows(opened, 600)
    assert rows is not None and rows.size == (1200, 600)  # the fast path is taken, not the fallback
    tile = Image.open(io.BytesIO(iiif_image.render(str(path), spec)))
    assert tile.convert("RGB").tobytes() == expected
    # Scaled down through the decoder's draft as well: the same picture as the whole decode, resized.
    spec = iiif_image.parse("0,0,1200,1200", "150,", "0", "default.png", (1200, 3000), Limits(1200, 3000, 3_600_000))
    small = Image.open(io.BytesIO(iiif_image.render(str(path), spec))).convert("RGB")
    with Image.open(path) as whole:
        reference = whole.crop((0, 0, 1200, 1200)).resize((150, 150), Image.Resampling.LANCZOS)
    diff = sum(abs(a - b) for a, b in zip(small.tobytes(), reference.tobytes())) / len(small.tobytes())
    assert diff < 6


def test_a_damaged_source_is_an_error_never_half_a_tile(tmp_path, app, client, photo):
    from gallery.services import storage

    data = pattern()[:20_000]
    spec = iiif_image.parse("0,900,100,100", "max", "0", "default.jpg", (1000, 1000), Limits(1000, 1000, 10**6))
    (tmp_path / "cut.jpg").write_bytes(data)
    with pytest.raises(OSError):
        iiif_image.render(str(tmp_path / "cut.jpg"), spec)
    # Through the route: the stored file is damaged (a disk fault): a clear 404, logged, no tile kept.
    app.config["IIIF_PUBLIC_SIZE"] = "full"
    for rend in photo.renditions:
        storage.save_bytes(data, rend.storage_key)
    storage.save_bytes(data, photo.served_key or photo.storage_key)
    response = fetch(client, f"/iiif/3/{photo.id}/0,900,100,100/max/0/default.jpg")
    assert response.status_code == 404
    assert "cannot be read" in response.get_json()["error"]["message"]
    assert not list(storage.listing("tiles"))

"""Web proxies: sources of every kind made here with PyAV, the proxies decoded back and their boxes read."""
from __future__ import annotations

import io
import os
import struct
from fractions import Fraction

import av
import mutagen
import numpy as np
import pytest
from PIL import Image

from gallery.exceptions import UnsupportedMedia
from gallery.formats import hdr, transcode
from gallery.formats.credits import Credits

PLACE = "+48.8566+002.3522/"
CREDITS = Credits(title="Harbour at dawn", caption="Boats leave the harbour.", creator="Ann Field",
                  credit="Field Office", copyright="© 2026 Relief Org")
RED, BLUE = (220, 30, 30), (30, 30, 220)


def two_colour(width: int, height: int) -> np.ndarray:
    """Red top half, blue bottom half: shows which way a picture was turned."""
    arr = np.empty((height, width, 3), np.uint8)
    arr[: height // 2] = RED
    arr[height // 2:] = BLUE
    return arr


def make_video(path: str, *, codec: str = "libx264", size=(320, 180), frames: int = 12, fps: int = 24,
               pix_fmt: str = "yuv420p", fmt: str | None = None, metadata: dict | None = None,
               audio: bool = True, pts=None, options: dict | None = None, bt2020: bool = False) -> None:
    """A short clip: the two-colour picture with a moving bar, and a 440 Hz tone when asked."""
    w, h = size
    with av.open(path, "w", format=fmt) as out:
        out.metadata.update(metadata or {})
        v = out.add_stream(codec, rate=fps, options=options or {})
        v.width, v.height, v.pix_fmt = w, h, pix_fmt
        if bt2020:  # tagged as an iPhone's HDR clip is: BT.2020 matrix and primaries, PQ transfer
            v.codec_context.colorspace, v.codec_context.color_primaries, v.codec_context.color_trc = 9, 9, 16
        a = None
        if audio:
            a = out.add_stream("aac" if fmt != "avi" else "libmp3lame", rate=44100)
            a.layout = "mono"
        for i in range(frames):
            arr = two_colour(w, h)
            arr[:, (i * 4) % w: (i * 4) % w + 4] = 255
            frame = av.VideoFrame.from_ndarray(arr, format="rgb24")
            frame.pts = pts[i] if pts else i
            out.mux(v.encode(frame))
        out.mux(v.encode(None))
        if a is not None:
            write_tone(out, a, frames / fps)


def write_tone(out, stream, seconds: float) -> None:
    rate, size = stream.codec_context.sample_rate, stream.codec_context.frame_size or 1152
    total = int(rate * seconds)
    t = np.arange(total) / rate
    samples = (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    fmt = stream.codec_context.format.name
    for start in range(0, total, size):
        chunk = samples[start:start + size]
        if len(chunk) < size:
            chunk = np.pad(chunk, (0, size - len(chunk)))
        frame = av.AudioFrame.from_ndarray(chunk.reshape(1, -1), format="fltp", layout="mono")
        frame.sample_rate, frame.pts = rate, start
        if fmt != "fltp":
            frame = av.AudioResampler(format=fmt, layout="mono", rate=rate).resample(frame)[0]
        out.mux(stream.encode(frame))
    out.mux(stream.encode(None))


def read(path: str) -> bytes:
    with open(path, "rb") as f:
        return f.read()


def top_boxes(path: str) -> list[str]:
    """The top-level ISO BMFF box types in file order."""
    names = []
    with open(path, "rb") as f:
        while header := f.read(8):
            size, kind = struct.unpack(">I4s", header)
            if size == 1:
                size = struct.unpack(">Q", f.read(8))[0] - 8
            names.append(kind.decode("latin-1"))
            f.seek(size - 8, 1)
    return names


def played(path: str) -> dict:
    """What a player sees: the streams' codecs and a decoded frame in the middle, upright RGB."""
    with av.open(path) as c:
        v = c.streams.video[0]
        frames = list(c.decode(v))
        mid = frames[len(frames) // 2]
        info = {"codec": v.codec_context.name, "profile": v.codec_context.profile,
                "pix_fmt": v.codec_context.pix_fmt, "width": v.width, "height": v.height,
                "frames": len(frames), "rotation": mid.rotation, "picture": mid.to_image(),
                "rate": v.average_rate, "pts": [f.pts for f in frames],
                "audio": [(s.codec_context.name, s.codec_context.channels, s.bit_rate) for s in c.streams.audio]}
    return info


def colour_at(im: Image.Image, x: float, y: float) -> tuple[int, ...]:
    return im.getpixel((int(x * (im.width - 1)), int(y * (im.height - 1))))


def near(colour, expected, tolerance=40) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(colour, expected))


def proxy_tags(path: str) -> dict:
    return {k: [str(v) for v in vals] for k, vals in (mutagen.File(path).tags or {}).items()}


def test_h264_mp4_becomes_a_faststart_high_profile_proxy_without_location(tmp_path):
    src, dest = str(tmp_path / "in.mp4"), str(tmp_path / "out.mp4")
    make_video(src, size=(1280, 960), frames=6, metadata={"location": PLACE, "comment": "at 48.8566"})
    assert b"loci" in read(src)  # the source really carries a location
    seen = []
    facts = transcode.video_proxy(src, dest, credits=CREDITS, progress=seen.append)

    info = played(dest)
    assert (info["codec"], info["profile"], info["pix_fmt"]) == ("h264", "High", "yuv420p")
    assert (info["width"], info["height"]) == (960, 720)  # 4:3 kept, 720 high, even
    assert (facts.width, facts.height, facts.video_codec, facts.audio_codec) == (960, 720, "h264", "aac")
    assert facts.bytes == os.path.getsize(dest) and facts.duration == pytest.approx(0.25)
    assert info["audio"][0][:2] == ("aac", 2)
    boxes = top_boxes(dest)
    assert boxes.index("moov") < boxes.index("mdat")
    data = read(dest)
    for leak in (b"loci", b"\xa9xyz", b"48.8566", PLACE.encode()):
        assert leak not in data
    tags = proxy_tags(dest)
    assert tags["\xa9ART"] == ["Ann Field"] and tags["\xa9nam"] == ["Harbour at dawn"]
    assert tags["cprt"] == ["© 2026 Relief Org / Field Office"]
    assert tags["\xa9cmt"] == ["Boats leave the harbour."]
    assert set(tags) <= {"\xa9ART", "\xa9nam", "cprt", "\xa9cmt", "\xa9too"}
    assert seen[-1] == 1.0 and seen == sorted(seen)
    poster = Image.open(io.BytesIO(facts.poster))
    assert poster.format == "JPEG" and poster.size == (960, 720)
    assert near(colour_at(poster, 0.9, 0.1), RED) and near(colour_at(poster, 0.9, 0.9), BLUE)


def test_small_source_is_never_upscaled_and_1080_only_when_tall_enough(tmp_path):
    src, dest = str(tmp_path / "in.mp4"), str(tmp_path / "out.mp4")
    make_video(src, size=(322, 180), frames=3, audio=False)
    facts = transcode.video_proxy(src, dest, height=1080)
    assert (facts.width, facts.height, facts.audio_codec) == (322, 180, None)  # silent: no audio track
    assert played(dest)["audio"] == []
    assert transcode.proxy_heights(1920, 1080) == (720, 1080) == transcode.proxy_heights(1080, 1920)
    assert transcode.proxy_heights(1280, 720) == (720,) == transcode.proxy_heights(320, 180)
    assert transcode.output_size(3840, 2160, None, 0, 1080) == (1920, 1080)
    assert transcode.output_size(1920, 1080, None, 0, 720) == (1280, 720)
    assert transcode.output_size(1080, 1920, None, 0, 720) == (720, 1280)  # portrait: the short edge
    assert transcode.output_size(720, 576, Fraction(16, 11), 0, 720) == (1048, 576)  # anamorphic PAL
    assert transcode.output_size(1920, 1080, None, 270, 720) == (720, 1280)


def test_720p_and_1080p_come_from_one_decode_each_complete(tmp_path, monkeypatch):
    src = str(tmp_path / "portrait.mp4")
    web, hd = str(tmp_path / "web.mp4"), str(tmp_path / "hd.mp4")
    # A phone's portrait clip: stored 1920x1080 with a turn, so both proxies must be upright.
    make_video(src, size=(1920, 1080), frames=6, metadata={"location": PLACE})
    rotate_tkhd(src)
    decodes = []
    real = transcode._decode
    monkeypatch.setattr(transcode, "_decode", lambda *a: decodes.append(a) or real(*a))
    seen = []
    facts = transcode.video_proxies(src, {720: web, 1080: hd}, credits=CREDITS, progress=seen.append)

    assert len(decodes) == 1  # the source was read once for both
    assert seen[-1] == 1.0 and seen == sorted(seen)  # one progress for the pass, not one per size
    for edge, path, size in ((720, web, (720, 1280)), (1080, hd, (1080, 1920))):
        info = played(path)
        assert (info["codec"], info["profile"], info["pix_fmt"]) == ("h264", "High", "yuv420p")
        assert (info["width"], info["height"]) == size == (facts[edge].width, facts[edge].height)
        assert info["rotation"] == 0 and info["frames"] == 6 and info["rate"] == 24
        assert near(colour_at(info["picture"], 0.9, 0.5), RED) and near(colour_at(info["picture"], 0.1, 0.5), BLUE)
        assert info["audio"][0][:2] == ("aac", 2) and facts[edge].audio_codec == "aac"
        boxes = top_boxes(path)
        assert boxes.index("moov") < boxes.index("mdat")
        assert PLACE.encode() not in read(path) and b"loci" not in read(path)
        assert proxy_tags(path)["\xa9ART"] == ["Ann Field"]
        assert facts[edge].bytes == os.path.getsize(path)
    # The poster is taken once, on the sharpest output.
    assert facts[720].poster is None
    assert Image.open(io.BytesIO(facts[1080].poster)).size == (1080, 1920)


def test_a_failed_pass_of_two_sizes_changes_neither_file(tmp_path):
    src = tmp_path / "bad.mp4"
    src.write_bytes(b"\x00\x00\x00\x18ftypmp42" + os.urandom(4000))
    web, hd = tmp_path / "web.mp4", tmp_path / "hd.mp4"
    web.write_bytes(b"old web")
    with pytest.raises(UnsupportedMedia):
        transcode.video_proxies(str(src), {720: str(web), 1080: str(hd)})
    assert web.read_bytes() == b"old web" and not hd.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.mp4", "web.mp4"]  # no .part left


def test_hevc_10_bit_mov_becomes_8_bit_without_garbage(tmp_path):
    src, dest = str(tmp_path / "phone.mov"), str(tmp_path / "out.mp4")
    make_video(src, codec="libx265", size=(256, 144), frames=4, pix_fmt="yuv420p10le",
               metadata={"location": PLACE}, options={"x265-params": "log-level=none"})
    with av.open(src) as c:
        assert (c.streams.video[0].codec_context.name, c.streams.video[0].codec_context.pix_fmt) \
            == ("hevc", "yuv420p10le")
    assert PLACE.encode() in read(src)
    facts = transcode.video_proxy(src, dest)
    info = played(dest)
    assert (info["codec"], info["pix_fmt"], info["height"]) == ("h264", "yuv420p", 144)
    assert near(colour_at(info["picture"], 0.1, 0.2), RED) and near(colour_at(info["picture"], 0.1, 0.8), BLUE)
    assert PLACE.encode() not in read(dest) and facts.frame_rate == 24


def test_bt2020_pq_source_is_converted_to_bt709_and_tagged_so(tmp_path):
    src, dest = str(tmp_path / "hdr.mov"), str(tmp_path / "out.mp4")
    make_video(src, codec="libx265", size=(128, 72), frames=3, pix_fmt="yuv420p10le", audio=False,
               options={"x265-params": "log-level=none"}, bt2020=True)
    with av.open(src) as c:
        assert int(next(c.decode(video=0)).colorspace) == 9
    transcode.video_proxy(src, dest)
    with av.open(dest) as c:
        frame = next(c.decode(video=0))
        assert (frame.format.name, int(frame.colorspace), int(frame.color_primaries)) == ("yuv420p", 1, 1)
        picture = frame.to_image()
    top, bottom = colour_at(picture, 0.5, 0.2), colour_at(picture, 0.5, 0.8)
    # Red stays red and blue stays blue after the tone map, no garbage.
    assert top[0] > top[1] + 80 and top[0] > top[2] + 80
    assert bottom[2] > bottom[0] + 80 and bottom[2] > bottom[1] + 80


def _grey_bands_hdr(path: str, transfer: int, signals: list[float], size=(192, 64), frames: int = 3) -> None:
    """An HEVC 10-bit BT.2020 clip of vertical grey bands at the given code values (R'=G'=B').

    Grey has Cb = Cr = 0.5 whatever the matrix, so the luma plane alone says what the camera wrote.
    """
    w, h = size
    luma = np.zeros((h, w), np.uint16)
    for n, signal in enumerate(signals):
        luma[:, n * w // len(signals):(n + 1) * w // len(signals)] = round(64 + 876 * signal)
    chroma = np.full((h // 2, w), 512, np.uint16)  # both half-size planes, stacked as PyAV wants
    with av.open(path, "w") as out:
        v = out.add_stream("libx265", rate=24, options={"x265-params": "log-level=none:lossless=1"})
        v.width, v.height, v.pix_fmt = w, h, "yuv420p10le"
        v.codec_context.colorspace, v.codec_context.color_primaries, v.codec_context.color_trc = 9, 9, transfer
        for i in range(frames):
            frame = av.VideoFrame.from_ndarray(np.vstack([luma, chroma]), format="yuv420p10le")
            frame.pts = i
            out.mux(v.encode(frame))
        out.mux(v.encode(None))


def _band_levels(path: str, bands: int) -> list[int]:
    """The grey level in the middle of each band of the proxy's first frame (8-bit, full range)."""
    with av.open(path) as c:
        picture = next(c.decode(video=0)).to_image().convert("L")
    return [picture.getpixel((int((n + 0.5) * picture.width / bands), picture.height // 2)) for n in range(bands)]


def test_pq_hdr_is_tone_mapped_so_white_looks_white_and_highlights_keep_their_order(tmp_path):
    src, dest = str(tmp_path / "pq.mov"), str(tmp_path / "out.mp4")
    nits = [100, 203, 400, 1000]  # a grey card, reference white (BT.2408), a lamp, the sky near the sun
    _grey_bands_hdr(src, 16, [float(hdr.nits_to_pq(n)) for n in nits])
    transcode.video_proxy(src, dest)
    levels = _band_levels(dest, len(nits))
    # Read as if BT.709 (no tone map) these would be 130, 148, 167 and 192: grey and flat.
    assert 175 <= levels[0] <= 200, levels   # mid-tones as an SDR screen shows them
    assert levels[1] >= 220, levels          # reference white is (near) SDR white
    assert levels[0] < levels[1] < levels[2] <= levels[3], levels  # rolled off, never reversed
    assert levels[3] >= 250, levels


def test_hlg_hdr_is_tone_mapped_too(tmp_path):
    src, dest = str(tmp_path / "hlg.mov"), str(tmp_path / "out.mp4")
    _grey_bands_hdr(src, 18, [0.5, 0.75, 0.95])  # HLG: 0.75 is reference white
    transcode.video_proxy(src, dest)
    dark, white, bright = _band_levels(dest, 3)
    assert 215 <= white <= 245 and dark < white - 40 and bright > white, (dark, white, bright)


def test_the_tone_curve_leaves_shadows_alone_and_reaches_white_at_the_source_peak():
    assert abs(float(hdr.eetf(np.array([20.0]))[0]) - 20.0) < 0.01  # below the knee: unchanged
    assert abs(float(hdr.eetf(np.array([1000.0]))[0]) - hdr.SDR_WHITE) < 0.5
    grey = hdr.nits_to_pq(100.0)
    red = hdr.sdr_from_hdr(np.array([[grey, 0.0, 0.0]]), hdr.PQ)[0]
    assert red[0] > 0.5 and red[1] < 0.05 and red[2] < 0.05, red  # red stays red


def test_prores_422_10_bit_becomes_8_bit(tmp_path):
    src, dest = str(tmp_path / "master.mov"), str(tmp_path / "out.mp4")
    make_video(src, codec="prores", size=(128, 72), frames=3, pix_fmt="yuv422p10le", audio=False)
    transcode.video_proxy(src, dest)
    info = played(dest)
    assert (info["pix_fmt"], info["width"], info["height"]) == ("yuv420p", 128, 72)
    assert near(colour_at(info["picture"], 0.5, 0.2), RED) and near(colour_at(info["picture"], 0.5, 0.8), BLUE)


def test_mpeg4_part_2_avi(tmp_path):
    src, dest = str(tmp_path / "old.avi"), str(tmp_path / "out.mp4")
    make_video(src, codec="mpeg4", size=(160, 120), frames=5, fmt="avi")
    facts = transcode.video_proxy(src, dest)
    info = played(dest)
    # The AVI muxer leaves a one-frame hole after the first frame: constant rate repeats a frame there.
    assert (info["codec"], info["width"], info["height"]) == ("h264", 160, 120) and info["frames"] in (5, 6)
    assert facts.audio_codec == "aac" and info["audio"][0][:2] == ("aac", 2)


def rotate_tkhd(path: str) -> None:
    """Hand-patch the video track header's matrix to "turn 90° clockwise", as an iPhone writes it.

    PyAV cannot attach display-matrix side data to an output stream, and ffmpeg's muxer no longer
    reads a "rotate" tag, so the matrix {0, 1, 0; -1, 0, 0; h, 0, 1} goes into tkhd by hand.
    """
    data = bytearray(read(path))
    at = data.index(b"tkhd")  # the first track is the video
    version = data[at + 4]
    matrix = at + 4 + (40 if version == 0 else 52)
    height = struct.unpack(">I", data[matrix + 40: matrix + 44])[0]
    data[matrix:matrix + 36] = struct.pack(">9i", 0, 0x10000, 0, -0x10000, 0, 0, height, 0, 0x40000000)
    with open(path, "wb") as f:
        f.write(bytes(data))


def test_rotated_phone_video_comes_out_upright(tmp_path):
    src, dest = str(tmp_path / "portrait.mp4"), str(tmp_path / "out.mp4")
    make_video(src, size=(320, 176), frames=4, audio=False)
    rotate_tkhd(src)
    with av.open(src) as c:
        assert next(c.decode(video=0)).rotation in (-90, 270)  # PyAV sees the matrix
    facts = transcode.video_proxy(src, dest)
    info = played(dest)
    assert (facts.width, facts.height) == (176, 320) == (info["width"], info["height"])
    assert info["rotation"] == 0  # the turn is in the pixels, not in a matrix a player might apply twice
    # Turned clockwise: the red top of the stored picture is now on the right.
    assert near(colour_at(info["picture"], 0.9, 0.5), RED) and near(colour_at(info["picture"], 0.1, 0.5), BLUE)


def test_variable_frame_rate_becomes_constant(tmp_path):
    src, dest = str(tmp_path / "vfr.mkv"), str(tmp_path / "out.mp4")
    # Frames at 0, 1, 2, 5, 6, 7 of 1/24 s: a gap where a phone dropped frames.
    make_video(src, size=(64, 64), frames=6, audio=False, pts=[0, 1, 2, 5, 6, 7])
    facts = transcode.video_proxy(src, dest)
    info = played(dest)
    assert info["frames"] == 8 and facts.duration == pytest.approx(8 / 24, abs=0.001)
    steps = {b - a for a, b in zip(info["pts"], info["pts"][1:])}
    assert len(steps) == 1  # every frame lasts the same


def test_slow_motion_plays_at_60_fps_and_odd_sizes_become_even(tmp_path):
    src, dest = str(tmp_path / "slowmo.mp4"), str(tmp_path / "out.mp4")
    # 4:4:4 lets x264 take odd sizes; the proxy is 4:2:0 and needs even ones.
    make_video(src, size=(161, 91), frames=12, fps=120, audio=False, pix_fmt="yuv444p")
    facts = transcode.video_proxy(src, dest)
    info = played(dest)
    assert info["rate"] == 60 and info["frames"] in (6, 7) and facts.frame_rate == 60  # 0.1 s, rounded
    assert (info["width"], info["height"], info["pix_fmt"]) == (160, 92, "yuv420p")


@pytest.mark.parametrize("content", [b"", b"not a video at all" * 100, b"\x00\x00\x00\x18ftypmp42" + os.urandom(4000)])
def test_undecodable_file_is_refused_and_nothing_is_left(tmp_path, content):
    src, dest = tmp_path / "bad.mp4", tmp_path / "out" / "proxy.mp4"
    dest.parent.mkdir()
    src.write_bytes(content)
    with pytest.raises(UnsupportedMedia) as err:
        transcode.video_proxy(str(src), str(dest))
    assert "video" in err.value.message or "file" in err.value.message
    assert list(dest.parent.iterdir()) == []


def test_audio_only_file_is_refused_as_a_video_and_a_failed_rewrite_keeps_the_old_proxy(tmp_path):
    src, dest = str(tmp_path / "tone.mp3"), tmp_path / "proxy.mp4"
    make_audio(src)
    dest.write_bytes(b"old proxy")
    with pytest.raises(UnsupportedMedia, match="no video"):
        transcode.video_proxy(src, str(dest))
    assert dest.read_bytes() == b"old proxy" and len(list(tmp_path.iterdir())) == 2


def make_audio(path: str, fmt: str | None = None) -> None:
    with av.open(path, "w", format=fmt) as out:
        out.metadata.update({"location": PLACE, "title": "Recorded at 48.8566, 2.3522", "artist": "Someone"})
        codec = "libmp3lame" if path.endswith(".mp3") else "pcm_s16le"
        a = out.add_stream(codec, rate=22050)
        a.layout = "mono"
        write_tone(out, a, 0.5)


@pytest.mark.parametrize("name", ["tone.mp3", "tone.wav"])
def test_audio_becomes_aac_m4a_without_location(tmp_path, name):
    src, dest = str(tmp_path / name), str(tmp_path / "out.m4a")
    make_audio(src)
    assert b"48.8566" in read(src)
    facts = transcode.audio_proxy(src, dest, credits=CREDITS)
    with av.open(dest) as c:
        a = c.streams.audio[0]
        assert (a.codec_context.name, a.codec_context.channels, a.codec_context.sample_rate) == ("aac", 2, 48000)
        assert c.format.name.startswith("mov") and not c.streams.video
    assert facts.audio_codec == "aac" and facts.video_codec is None and facts.poster is None
    assert facts.duration == pytest.approx(0.5, abs=0.05) and facts.bytes == os.path.getsize(dest)
    data = read(dest)
    assert b"48.8566" not in data and b"Someone" not in data
    boxes = top_boxes(dest)
    assert boxes[0] == "ftyp" and boxes.index("moov") < boxes.index("mdat")
    assert proxy_tags(dest)["\xa9ART"] == ["Ann Field"]


def test_audio_refuses_what_it_cannot_decode(tmp_path):
    src, dest = tmp_path / "bad.mp3", tmp_path / "out.m4a"
    src.write_bytes(b"ID3" + os.urandom(3000))
    with pytest.raises(UnsupportedMedia):
        transcode.audio_proxy(str(src), str(dest))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.mp3"]

"""Test helpers that build media files in memory: JPEG segments (IPTC, XMP), ICC profiles, PyAV clips."""
from __future__ import annotations

import io
import math
import struct
import zlib
from fractions import Fraction

from PIL import Image

XMP_HEADER = b"http://ns.adobe.com/xap/1.0/\x00"


def jpeg(im: Image.Image | None = None, *, size=(640, 480), color=(200, 80, 40), iptc: bytes | None = None,
         xmp: str | bytes | None = None, **save) -> bytes:
    """A JPEG made by Pillow, with hand-built APP13 (IPTC) and APP1 (XMP) segments spliced in."""
    im = im if im is not None else Image.new("RGB", size, color)
    buf = io.BytesIO()
    im.save(buf, "JPEG", **save)
    data = buf.getvalue()
    extra = b""
    if iptc is not None:
        extra += segment(0xED, photoshop_iptc(iptc))
    if xmp is not None:
        packet = xmp.encode("utf-8") if isinstance(xmp, str) else xmp
        extra += segment(0xE1, XMP_HEADER + packet)
    return data[:2] + extra + data[2:]


def segment(marker: int, payload: bytes) -> bytes:
    """One JPEG marker segment."""
    return bytes([0xFF, marker]) + struct.pack(">H", len(payload) + 2) + payload


def iptc_dataset(record: int, dataset: int, value: bytes | str, encoding: str = "utf-8") -> bytes:
    """One IPTC IIM dataset (tag marker, record, dataset, length, data)."""
    data = value.encode(encoding) if isinstance(value, str) else value
    return struct.pack(">BBBH", 0x1C, record, dataset, len(data)) + data


def iptc_block(fields: dict[int, str | list[str]], utf8: bool = True, encoding: str = "utf-8") -> bytes:
    """IPTC IIM data: record 1 CodedCharacterSet (UTF-8) when asked, then record 2 datasets."""
    out = iptc_dataset(1, 90, b"\x1b%G") if utf8 else b""
    out += iptc_dataset(2, 0, b"\x00\x04")
    for dataset, value in fields.items():
        for item in value if isinstance(value, list) else [value]:
            out += iptc_dataset(2, dataset, item, encoding)
    return out


def photoshop_iptc(iptc: bytes) -> bytes:
    """An APP13 Photoshop 3.0 payload holding one 8BIM IPTC (0x0404) resource."""
    pad = b"\x00" if len(iptc) % 2 else b""
    return (b"Photoshop 3.0\x00" + b"8BIM" + struct.pack(">H", 0x0404) + b"\x00\x00"
            + struct.pack(">I", len(iptc)) + iptc + pad)


def xmp_packet(body: str) -> str:
    """An XMP packet around rdf:Description content."""
    return (
        "<?xpacket begin='\ufeff' id='W5M0MpCehiHzreSzNTczkc9d'?>"
        "<x:xmpmeta xmlns:x='adobe:ns:meta/'><rdf:RDF xmlns:rdf='http://www.w3.org/1999/02/22-rdf-syntax-ns#'>"
        "<rdf:Description rdf:about='' xmlns:dc='http://purl.org/dc/elements/1.1/'"
        " xmlns:photoshop='http://ns.adobe.com/photoshop/1.0/'"
        " xmlns:Iptc4xmpCore='http://iptc.org/std/Iptc4xmpCore/1.0/xmlns/'"
        " xmlns:exif='http://ns.adobe.com/exif/1.0/'>"
        f"{body}</rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end='w'?>"
    )


def alt(tag: str, text: str) -> str:
    """A language-alternative XMP property."""
    return f"<{tag}><rdf:Alt><rdf:li xml:lang='x-default'>{text}</rdf:li></rdf:Alt></{tag}>"


def bag(tag: str, items: list[str], kind: str = "Bag") -> str:
    """An unordered (Bag) or ordered (Seq) XMP array."""
    lis = "".join(f"<rdf:li>{i}</rdf:li>" for i in items)
    return f"<{tag}><rdf:{kind}>{lis}</rdf:{kind}></{tag}>"


def png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header claims a size (for pixel-limit checks) and whose pixel data is a stub."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) \
        + chunk(b"IEND", b"")


# --- ICC -------------------------------------------------------------------------------------

def _s15(v: float) -> bytes:
    return struct.pack(">i", round(v * 65536))


def _xyz(x: float, y: float, z: float) -> bytes:
    return b"XYZ " + b"\x00" * 4 + _s15(x) + _s15(y) + _s15(z)


def _curve(gamma: float) -> bytes:
    return b"curv" + b"\x00" * 4 + struct.pack(">IH", 1, round(gamma * 256)) + b"\x00\x00"


def _desc(text: str) -> bytes:
    ascii_ = text.encode("ascii") + b"\x00"
    return b"desc" + b"\x00" * 4 + struct.pack(">I", len(ascii_)) + ascii_ + b"\x00" * 8 \
        + b"\x00\x00\x00" + b"\x00" * 67


def adobe_rgb_profile() -> bytes:
    """An ICC v2 matrix/TRC profile with Adobe RGB (1998) primaries (D50-adapted) and gamma 2.2."""
    tags = [
        (b"desc", _desc("Test Adobe RGB (1998) compatible")),
        (b"wtpt", _xyz(0.9642, 1.0, 0.8249)),
        (b"rXYZ", _xyz(0.6097, 0.3111, 0.0195)),
        (b"gXYZ", _xyz(0.2053, 0.6257, 0.0609)),
        (b"bXYZ", _xyz(0.1492, 0.0632, 0.7446)),
        (b"rTRC", _curve(2.19921875)),
        (b"gTRC", _curve(2.19921875)),
        (b"bTRC", _curve(2.19921875)),
        (b"cprt", b"text" + b"\x00" * 4 + b"No copyright\x00"),
    ]
    offset = 128 + 4 + 12 * len(tags)
    table, body = b"", b""
    for sig, data in tags:
        while (offset + len(body)) % 4:
            body += b"\x00"
        table += sig + struct.pack(">II", offset + len(body), len(data))
        body += data
    total = offset + len(body)
    header = (struct.pack(">I", total) + b"\x00" * 4 + struct.pack(">I", 0x02100000) + b"mntr" + b"RGB "
              + b"XYZ " + b"\x00" * 12 + b"acsp" + b"\x00" * 24 + struct.pack(">I", 0)
              + _s15(0.9642) + _s15(1.0) + _s15(0.8249) + b"\x00" * 4 + b"\x00" * 16 + b"\x00" * 28)
    assert len(header) == 128
    return header + struct.pack(">I", len(tags)) + table + body


# --- PyAV -----------------------------------------------------------------------------------

def video_bytes(fmt: str = "mp4", codec: str = "libx264", seconds: float = 2.0, size=(320, 240),
                fps: int = 10, rotate: int = 0, title: str | None = None,
                tags: dict[str, str] | None = None, options: dict[str, str] | None = None,
                pix_fmt: str = "yuv420p") -> bytes:
    """A short clip made with PyAV: the first second red, then blue (so the poster shows which)."""
    import av

    buf = io.BytesIO()
    with av.open(buf, "w", format=fmt, options=options or {}) as out:
        if title:
            out.metadata["title"] = title
        out.metadata.update(tags or {})
        stream = out.add_stream(codec, rate=fps)
        stream.width, stream.height = size
        stream.pix_fmt = pix_fmt  # MJPEG wants full-range yuvj420p
        if rotate:
            stream.metadata["rotate"] = str(rotate)
        for n in range(int(seconds * fps)):
            colour = (220, 30, 30) if n < fps else (30, 30, 220)
            frame = av.VideoFrame.from_image(Image.new("RGB", size, colour))
            frame.pts = n
            frame.time_base = Fraction(1, fps)
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return buf.getvalue()


def audio_bytes(fmt: str = "wav", codec: str = "pcm_s16le", seconds: float = 1.5, rate: int = 48000,
                tags: dict[str, str] | None = None) -> bytes:
    """A tone made with PyAV, louder in its second half (so a waveform has a shape)."""
    import av

    buf = io.BytesIO()
    with av.open(buf, "w", format=fmt) as out:
        for key, value in (tags or {}).items():
            out.metadata[key] = value
        stream = out.add_stream(codec, rate=rate)
        stream.layout = "mono"
        ctx_format = stream.codec_context.codec.audio_formats[0].name
        total = int(seconds * rate)
        chunk = stream.codec_context.frame_size or 1024
        pts = 0
        while pts < total:
            n = min(chunk, total - pts)
            loud = 0.2 if pts < total / 2 else 0.9
            samples = [loud * math.sin(2 * math.pi * 440 * (pts + i) / rate) for i in range(n)]
            frame = _audio_frame(samples, ctx_format, rate)
            frame.pts = pts
            pts += n
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return buf.getvalue()


def _audio_frame(samples: list[float], fmt: str, rate: int):
    import array

    import av

    planar = fmt.endswith("p")
    base = fmt.rstrip("p")
    if base == "s16":
        data = array.array("h", (int(s * 32767) for s in samples)).tobytes()
    elif base == "s32":
        data = array.array("i", (int(s * 2147483647) for s in samples)).tobytes()
    else:  # flt / fltp
        data = array.array("f", samples).tobytes()
    frame = av.AudioFrame(format=fmt if planar else base, layout="mono", samples=len(samples))
    frame.planes[0].update(data)
    frame.sample_rate = rate
    return frame


# --- Location inside video and audio -----------------------------------------------------------

XYZ_TEXT = b"+14.0166-086.5833+812.000/"  # ISO 6709, as Android writes it in moov/udta/\xa9xyz
MDTA_TEXT = b"+14.0211-086.5911+810.000/"  # the QuickTime mdta location value (iPhone)
LOCI_NAME = b"Shelter site Danli"
XMP_GPS = (b"14,0.998N", b"86,34.998W", "Danlí, barrio El Zarzal".encode())
XMP_UUID = bytes.fromhex("BE7ACFCB97A942E89C71999491E3AFAC")


def box(kind: bytes, payload: bytes) -> bytes:
    """One MP4 box with a 32-bit size."""
    return struct.pack(">I", 8 + len(payload)) + kind + payload


def mp4_with_location(data: bytes, xmp: bytes | None = None, place: bytes = LOCI_NAME,
                      xyz: bytes = XYZ_TEXT) -> bytes:
    """An MP4/M4A from PyAV with phone-style location added: \xa9xyz, loci and XMP_ in moov/udta,
    a QuickTime mdta location key in moov/meta, and an XMP uuid box after moov (xmp, the loci
    place name and the \xa9xyz text may be given).

    PyAV writes moov after mdat, so growing moov moves no sample and the chunk offsets stay valid.
    """
    from tests.conftest import GPS_XMP

    xmp = xmp or GPS_XMP
    moov = _find_box(data, b"moov")
    mdat = _find_box(data, b"mdat")
    assert mdat[0] < moov[0], "moov must follow mdat for this helper"
    xyz = box(b"\xa9xyz", struct.pack(">HH", len(xyz), 0x15C7) + xyz)
    loci = box(b"loci", b"\x00" * 4 + b"\x15\xc7" + place + b"\x00" + b"\x00"
               + struct.pack(">iii", int(-86.5833 * 65536), int(14.0166 * 65536), 812 << 16)
               + b"earth\x00\x00")
    xmp_box = box(b"XMP_", xmp)
    key = b"com.apple.quicktime.location.ISO6709"
    meta = box(b"meta", box(b"hdlr", b"\x00" * 8 + b"mdta" + b"\x00" * 13)
               + box(b"keys", struct.pack(">II", 0, 1) + box(b"mdta", key)[:4] + b"mdta" + key)
               + box(b"ilst", box(struct.pack(">I", 1), box(b"data", struct.pack(">II", 1, 0) + MDTA_TEXT))))
    start, end = moov
    body = data[start + 8:end]
    udta = _find_box(body, b"udta")
    extra = xyz + loci + xmp_box
    if udta is not None:
        u0, u1 = udta
        body = (body[:u0] + struct.pack(">I", u1 - u0 + len(extra)) + body[u0 + 4:u1] + extra
                + body[u1:])
    else:
        body += box(b"udta", extra)
    body += meta
    new_moov = box(b"moov", body)
    return data[:start] + new_moov + data[end:] + box(b"uuid", XMP_UUID + xmp)


def _find_box(data: bytes, kind: bytes) -> tuple[int, int] | None:
    """(start, end) of the first top-level box of a kind."""
    pos = 0
    while pos + 8 <= len(data):
        size, found = struct.unpack(">I4s", data[pos:pos + 8])
        if found == kind:
            return pos, pos + size
        pos += size
    return None


def location_leaks(data: bytes) -> list[bytes]:
    """The location bytes planted by the helpers above that are still in data."""
    planted = [XYZ_TEXT, MDTA_TEXT, LOCI_NAME, b"loci", b"\xa9xyz", *XMP_GPS, b"+14.0166-086.5833"]
    return [p for p in planted if p in data]


def mp3_with_location(data: bytes) -> bytes:
    """An MP3 with an ID3 title, a TXXX GPS frame and a PRIV XMP frame carrying GPS."""
    import tempfile

    from mutagen.id3 import ID3, PRIV, TIT2, TXXX

    from tests.conftest import GPS_XMP

    with tempfile.NamedTemporaryFile(suffix=".mp3") as tmp:
        tmp.write(data)
        tmp.flush()
        tags = ID3()
        tags.add(TIT2(encoding=3, text="Radio spot"))
        tags.add(TXXX(encoding=0, desc="GPS", text="+14.0166-086.5833/"))
        tags.add(PRIV(owner="XMP", data=GPS_XMP))
        tags.save(tmp.name, v2_version=3)
        with open(tmp.name, "rb") as fh:
            return fh.read()


# --- Every kind of place a file can carry (tests/test_location_privacy.py) ---------------------

SUBLOCATION = "Kakuma Shelter Block 7"  # finer than the city: must never leave the server
MAKER_NOTE = b"Nikon\x00\x02\x11\x00\x00MakerNote serial 4242 " + SUBLOCATION.encode()
XMP_LATITUDE, XMP_LONGITUDE = "3,43.002N", "34,51.600E"
ISO6709 = "+03.7167+034.8600/"
# Bytes no served file may hold: names of location properties and every value planted below.
PLACE_MARKS = (SUBLOCATION.encode(), b"GPSLatitude", b"GPSLongitude", b"exif:GPS",
               b"LocationCreated", b"LocationShown", b"Sublocation", XMP_LATITUDE.encode(),
               XMP_LONGITUDE.encode(), ISO6709.encode(), ISO6709[:8].encode(), b"serial 4242")


def place_xmp() -> bytes:
    """An XMP packet with GPS (attribute and element), Iptc4xmpCore:Location, LocationCreated and
    LocationShown structures (sub-location and GPS), a stray Sublocation attribute, and a city."""
    return (
        "<?xpacket begin='\ufeff' id='W5M0MpCehiHzreSzNTczkc9d'?>"
        "<x:xmpmeta xmlns:x='adobe:ns:meta/'><rdf:RDF xmlns:rdf='http://www.w3.org/1999/02/22-rdf-syntax-ns#'>"
        "<rdf:Description rdf:about='' xmlns:dc='http://purl.org/dc/elements/1.1/'"
        " xmlns:photoshop='http://ns.adobe.com/photoshop/1.0/'"
        " xmlns:exif='http://ns.adobe.com/exif/1.0/'"
        " xmlns:Iptc4xmpCore='http://iptc.org/std/Iptc4xmpCore/1.0/xmlns/'"
        " xmlns:Iptc4xmpExt='http://iptc.org/std/Iptc4xmpExt/2008-02-29/'"
        f" exif:GPSLatitude='{XMP_LATITUDE}' Iptc4xmpExt:Sublocation='{SUBLOCATION}'>"
        f"<exif:GPSLongitude>{XMP_LONGITUDE}</exif:GPSLongitude>"
        "<dc:description><rdf:Alt><rdf:li xml:lang='x-default'>Water point</rdf:li></rdf:Alt></dc:description>"
        "<photoshop:City>Kakuma</photoshop:City><photoshop:Country>Kenya</photoshop:Country>"
        f"<Iptc4xmpCore:Location>{SUBLOCATION}</Iptc4xmpCore:Location>"
        "<Iptc4xmpExt:LocationCreated><rdf:Bag><rdf:li rdf:parseType='Resource'>"
        f"<Iptc4xmpExt:Sublocation>{SUBLOCATION}</Iptc4xmpExt:Sublocation>"
        "<Iptc4xmpExt:City>Kakuma</Iptc4xmpExt:City>"
        f"<exif:GPSLatitude>{XMP_LATITUDE}</exif:GPSLatitude>"
        "</rdf:li></rdf:Bag></Iptc4xmpExt:LocationCreated>"
        "<Iptc4xmpExt:LocationShown><rdf:Bag><rdf:li><rdf:Description"
        f" Iptc4xmpExt:Sublocation='{SUBLOCATION}' exif:GPSLongitude='{XMP_LONGITUDE}'/>"
        "</rdf:li></rdf:Bag></Iptc4xmpExt:LocationShown>"
        "</rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end='w'?>"
    ).encode()


def place_iptc() -> bytes:
    """IPTC IIM with city, sub-location (2:92) and country."""
    return iptc_block({90: "Kakuma", 92: SUBLOCATION, 101: "Kenya", 120: "Water point"})


GPS_TAGS = {0: b"\x02\x03\x00\x00", 1: "N", 2: (3.0, 43.0, 0.12), 3: "E", 4: (34.0, 51.0, 36.0)}


def place_exif() -> Image.Exif:
    """A Pillow Exif with an artist, a GPS IFD and a maker note in the EXIF IFD."""
    exif = Image.Exif()
    exif[0x013B] = "Amina Yusuf"
    exif.get_ifd(0x8825).update(GPS_TAGS)
    exif.get_ifd(0x8769).update({0x9003: "2024:05:01 09:00:00", 0x927C: MAKER_NOTE})
    return exif


def noise(size=(320, 240)) -> Image.Image:
    """A noisy RGB picture (so compressed data is not trivial)."""
    return Image.effect_noise(size, 40).convert("RGB")


def place_image(fmt: str, size=(320, 240)) -> bytes:
    """A JPEG, PNG, WebP or HEIC carrying EXIF GPS, a maker note, XMP places (and IPTC, zTXt)."""
    im = noise(size)
    if fmt == "JPEG":
        return jpeg(im, iptc=place_iptc(), xmp=place_xmp(), exif=place_exif(), quality=90)
    buf = io.BytesIO()
    if fmt == "PNG":
        from PIL import PngImagePlugin

        info = PngImagePlugin.PngInfo()
        info.add_itxt("XML:com.adobe.xmp", place_xmp().decode("utf-8"))
        info.add_text("Location", SUBLOCATION, zip=True)
        im.save(buf, "PNG", pnginfo=info, exif=place_exif())
    elif fmt == "HEIF":
        from gallery.formats import imaging

        imaging.register_heif()
        im.save(buf, "HEIF", exif=place_exif(), xmp=place_xmp(), quality=90)
    else:
        im.save(buf, fmt, exif=place_exif(), xmp=place_xmp())
    return buf.getvalue()


def gif_with_xmp(size=(160, 120)) -> bytes:
    """A GIF with an XMP application extension (GPS, sub-location) and a comment naming the place."""
    im = noise(size).convert("P")
    buf = io.BytesIO()
    im.save(buf, "GIF", comment=f"Taken at {SUBLOCATION}".encode())
    data = buf.getvalue()
    # XMP in GIF: the packet's raw bytes, then a 258-byte "magic trailer" so that a decoder reading
    # them as sub-blocks always lands on a zero terminator.
    trailer = b"\x01" + bytes(range(255, -1, -1)) + b"\x00"
    extension = b"\x21\xff\x0bXMP DataXMP" + place_xmp() + trailer
    flags = data[10]
    at = 13 + (3 << ((flags & 7) + 1) if flags & 0x80 else 0)
    return data[:at] + extension + data[at:]


def tiff_file(pages: list[dict], big: bool = False) -> bytes:
    """A little-endian TIFF (or BigTIFF) built by hand, one uncompressed RGB strip per page.

    Each page is {"image": Image, "tags": {tag: (type, value)}, "exif": {...}, "gps": {...}}; the
    EXIF and GPS IFDs are written before their page and linked from it.
    """
    buf = bytearray(b"II+\x00" + struct.pack("<HHQ", 8, 0, 0) if big else b"II*\x00" + bytes(4))
    next_at = 8 if big else 4
    offset_type = 16 if big else 4
    for page in pages:
        im = page["image"].convert("RGB")
        data_at = len(buf)
        buf += im.tobytes()
        width, height = im.size
        tags = {256: (4, [width]), 257: (4, [height]), 258: (3, [8, 8, 8]), 259: (3, [1]),
                262: (3, [2]), 273: (offset_type, [data_at]), 277: (3, [3]), 278: (4, [height]),
                279: (offset_type, [width * height * 3]), 284: (3, [1])}
        tags.update(page.get("tags", {}))
        for name, pointer in (("exif", 0x8769), ("gps", 0x8825)):
            if page.get(name):
                tags[pointer] = (16 if big else 4, [_tiff_ifd(buf, page[name], big)[0]])
        ifd_at, following = _tiff_ifd(buf, tags, big)
        struct.pack_into("<Q" if big else "<I", buf, next_at, ifd_at)
        next_at = following
    return bytes(buf)


_TIFF_FORMATS = {1: "B", 3: "H", 4: "I", 16: "Q", 18: "Q"}
_TIFF_SIZES = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 7: 1, 16: 8, 18: 8}


def _tiff_value(kind: int, value) -> bytes:
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    if isinstance(value, str):
        return value.encode("utf-8") + b"\x00"
    if kind == 5:
        return b"".join(struct.pack("<II", round(v * 100), 100) for v in value)
    return struct.pack("<" + _TIFF_FORMATS[kind] * len(value), *value)


def _tiff_ifd(buf: bytearray, tags: dict, big: bool) -> tuple[int, int]:
    """Append an IFD (its long values first); (where it starts, where its next pointer is)."""
    inline = 8 if big else 4
    entries = []
    for tag, (kind, value) in sorted(tags.items()):
        payload = _tiff_value(kind, value)
        if len(payload) > inline:
            buf += b"\x00" * (len(buf) % 2)
            field = struct.pack("<Q" if big else "<I", len(buf))
            buf += payload
        else:
            field = payload.ljust(inline, b"\x00")
        entries.append(struct.pack("<HHQ" if big else "<HHI", tag, kind,
                                   len(payload) // _TIFF_SIZES[kind]) + field)
    buf += b"\x00" * (len(buf) % 2)
    ifd_at = len(buf)
    buf += struct.pack("<Q" if big else "<H", len(entries)) + b"".join(entries)
    following = len(buf)
    buf += bytes(inline)
    return ifd_at, following


def place_tiff(pages: int = 1, big: bool = False, size=(160, 120)) -> bytes:
    """A TIFF whose every page carries a GPS IFD, a maker note, XMP and IPTC places."""
    gps = {tag: ((1 if tag == 0 else 2) if isinstance(v, (bytes, str)) else 5, v)
           for tag, v in GPS_TAGS.items()}
    page = {"tags": {700: (1, place_xmp()), 33723: (7, place_iptc()), 315: (2, "Amina Yusuf")},
            "exif": {0x9003: (2, "2024:05:01 09:00:00"), 0x927C: (7, MAKER_NOTE)}, "gps": gps}
    return tiff_file([{"image": noise(size), **page} for _ in range(pages)], big=big)


def riff_with_chunk(data: bytes, kind: bytes, body: bytes) -> bytes:
    """A RIFF file (WAV, AVI) with one more top-level chunk at its end, the RIFF size fixed."""
    chunk = kind + struct.pack("<I", len(body)) + body + (b"\x00" if len(body) % 2 else b"")
    out = data + chunk
    return out[:4] + struct.pack("<I", len(out) - 8) + out[8:]


def place_video(kind: str) -> bytes:
    """An MP4, MOV, M4A, WebM, Matroska or AVI carrying ISO 6709 coordinates and the sub-location."""
    if kind in ("webm", "matroska"):
        return video_bytes(kind, "libvpx" if kind == "webm" else "libx264", seconds=1, tags={
            "LOCATION": ISO6709, "RECORDING_LOCATION": SUBLOCATION})
    if kind == "avi":
        # The AVI muxer writes a comment as an INFO ICMT entry; XMP rides in a _PMX chunk.
        data = video_bytes("avi", "mpeg4", seconds=1, tags={"comment": ISO6709})
        return riff_with_chunk(data, b"_PMX", place_xmp())
    if kind == "m4a":
        data = audio_bytes("mp4", "aac", seconds=1)
    else:
        data = video_bytes(kind, seconds=1)
    return mp4_with_location(data, xmp=place_xmp(), place=SUBLOCATION.encode(),
                             xyz=ISO6709.encode())

"""Credits into downloaded renditions without re-encoding: EXIF, XMP and IPTC spliced into the JPEG.

Renditions get EXIF, XMP and IPTC IIM (Photoshop APP13) segments spliced into the JPEG byte stream
after SOI/JFIF; any already there are dropped. Originals lose their location in
gallery.formats.location.
"""
from __future__ import annotations

import re
import struct
from collections.abc import Iterator
from typing import NamedTuple
from xml.sax.saxutils import escape

EXIF_HEADER = b"Exif\x00\x00"
XMP_HEADER = b"http://ns.adobe.com/xap/1.0/\x00"
XMP_EXT_HEADER = b"http://ns.adobe.com/xmp/extension/\x00"
PHOTOSHOP_HEADER = b"Photoshop 3.0\x00"
IPTC_RESOURCE = 0x0404  # the Photoshop image resource that holds IPTC IIM datasets
MAX_SEGMENT = 65533  # payload bytes of one JPEG marker segment (length field counts itself)

TAG_DESCRIPTION, TAG_ARTIST, TAG_COPYRIGHT = 0x010E, 0x013B, 0x8298


class Credits(NamedTuple):
    """What a downloaded rendition says about itself."""

    title: str
    caption: str
    creator: str
    credit: str
    copyright: str
    usage_terms: str = ""  # licence, terms sentence and restrictions, in one statement
    web_statement: str = ""  # the licence's address
    keywords: tuple[str, ...] = ()
    city: str = ""  # never anything finer than a city
    country: str = ""  # its name
    country_code: str = ""  # ISO 3166-1 alpha-3, as IPTC wants it
    # Content in several languages: the language title and caption are written in, and their
    # translations as (language, text) pairs; XMP carries them all as rdf:Alt entries.
    language: str = ""
    title_translations: tuple[tuple[str, str], ...] = ()
    caption_translations: tuple[tuple[str, str], ...] = ()


# --- Renditions: credits in -------------------------------------------------------------

def embed_credits(jpeg: bytes, credits: Credits) -> bytes:
    """A copy of a JPEG with EXIF and XMP credit segments spliced in, scan data untouched."""
    if jpeg[:2] != b"\xff\xd8":
        raise ValueError("not a JPEG")
    head, rest = _split_after_jfif(jpeg)
    # Drop any EXIF or XMP already there: ours replaces it, and old EXIF could hold GPS.
    kept = b"".join(seg for seg in _header_segments(rest) if not _is_metadata(seg))
    body_start = _header_length(rest)
    exif = _segment(0xE1, EXIF_HEADER + build_exif(credits))
    xmp = _segment(0xE1, XMP_HEADER + build_xmp(credits))
    iptc = _segment(0xED, PHOTOSHOP_HEADER + build_iptc(credits))
    return head + exif + xmp + iptc + kept + rest[body_start:]


def build_iptc(credits: Credits) -> bytes:
    """A Photoshop image resource block holding IPTC IIM (build_iim) for a JPEG's APP13."""
    iim = build_iim(credits)
    padded = iim + (b"\x00" if len(iim) % 2 else b"")
    return b"8BIM" + struct.pack(">H", IPTC_RESOURCE) + b"\x00\x00" + struct.pack(">I", len(iim)) + padded


def build_iim(credits: Credits) -> bytes:
    """IPTC IIM datasets: title, keywords, by-line, city, country, credit, copyright, caption.

    1:90 says UTF-8; each dataset is cut to the standard's length on a character boundary
    (2:116 CopyrightNotice holds the rights statement, usage terms included, as news systems read it).
    """
    notice = " ".join(p for p in (credits.copyright, credits.usage_terms) if p)
    fields = [(5, credits.title, 64), *((25, k, 64) for k in credits.keywords[:200]),
              (80, credits.creator, 32), (90, credits.city, 32), (100, credits.country_code, 3),
              (101, credits.country, 64), (110, credits.credit, 32), (116, notice, 128),
              (120, credits.caption, 2000)]
    datasets = [(1, 90, b"\x1b%G")]
    for number, text, limit in fields:
        data = _utf8(text, limit)
        if data:
            datasets.append((2, number, data))
    return b"".join(bytes((0x1C, record, number)) + struct.pack(">H", len(data)) + data
                    for record, number, data in datasets)


def build_exif(credits: Credits) -> bytes:
    """A little-endian TIFF block with IFD0 ImageDescription, Artist and Copyright (UTF-8)."""
    budget = MAX_SEGMENT - len(EXIF_HEADER) - 200
    artist = _utf8(credits.creator, 2000)
    rights = _utf8(credits.copyright, 2000)
    description = _utf8(credits.caption, budget - len(artist) - len(rights))
    entries = [(t, v) for t, v in ((TAG_DESCRIPTION, description), (TAG_ARTIST, artist),
                                   (TAG_COPYRIGHT, rights)) if v]
    ifd_size = 2 + 12 * len(entries) + 4
    data_offset = 8 + ifd_size
    ifd = struct.pack("<H", len(entries))
    data = b""
    for tag, value in entries:
        value += b"\x00"
        if len(value) <= 4:
            ifd += struct.pack("<HHI", tag, 2, len(value)) + value.ljust(4, b"\x00")
        else:
            ifd += struct.pack("<HHII", tag, 2, len(value), data_offset + len(data))
            data += value + (b"\x00" if len(value) % 2 else b"")
    ifd += struct.pack("<I", 0)
    return b"II*\x00" + struct.pack("<I", 8) + ifd + data


def build_xmp(credits: Credits) -> bytes:
    """An XMP packet with IPTC Core terms: title, description, creator, rights, credit, keywords, place."""
    credits = credits._replace(**{f: safe_text(getattr(credits, f)) for f in TEXT_FIELDS})
    keywords = [safe_text(k)[:200] for k in credits.keywords[:200] if safe_text(k)]
    place = [credits.city[:200], credits.country[:200], credits.country_code[:3]]
    budget = (MAX_SEGMENT - len(XMP_HEADER) - 2000
              - sum(len(escape(k).encode()) + 20 for k in keywords) - sum(len(p.encode()) for p in place))

    def alt(text: str, others: tuple[tuple[str, str], ...] = ()) -> str:
        # x-default is the original; with translations the original is listed under its own
        # language too, as readers that pick a language expect.
        items = [("x-default", text)]
        if others and _LANG.fullmatch(credits.language or ""):
            items.append((credits.language, text))
        items += [(lang, other) for lang, other in others if other]
        return "<rdf:Alt>" + "".join(f'<rdf:li xml:lang="{lang}">{escape(value)}</rdf:li>'
                                     for lang, value in items) + "</rdf:Alt>"

    titles = tuple((lang, safe_text(text)[:300]) for lang, text in credits.title_translations
                   if _LANG.fullmatch(lang) and lang != credits.language)
    fixed = [credits.title[:300], credits.creator[:500], credits.copyright[:500], credits.credit[:500],
             credits.usage_terms[:1200], credits.web_statement[:300], *(t for _, t in titles)]
    room = budget - sum(len(escape(f).encode()) + 40 for f in fixed)
    caption = _fit_escaped(credits.caption, room)
    room -= len(escape(caption).encode()) * 2  # the original may be listed twice
    captions = []
    for lang, text in credits.caption_translations:  # in the room the original leaves, cut if need be
        if _LANG.fullmatch(lang) and lang != credits.language and room > 0:
            fitted = _fit_escaped(safe_text(text), room - 40)
            room -= len(escape(fitted).encode()) + 40
            captions.append((lang, fitted))
    props = []
    if credits.title:
        props.append(f"<dc:title>{alt(fixed[0], titles)}</dc:title>")
    if caption:
        props.append(f"<dc:description>{alt(caption, tuple(captions))}</dc:description>")
    if credits.creator:
        props.append(f"<dc:creator><rdf:Seq><rdf:li>{escape(fixed[1])}</rdf:li></rdf:Seq></dc:creator>")
    if credits.copyright:
        props.append(f"<dc:rights>{alt(fixed[2])}</dc:rights>")
    if credits.credit:
        props.append(f"<photoshop:Credit>{escape(fixed[3])}</photoshop:Credit>")
    if credits.usage_terms:
        props.append(f"<xmpRights:UsageTerms>{alt(fixed[4])}</xmpRights:UsageTerms>")
    if credits.web_statement:
        props.append(f"<xmpRights:WebStatement>{escape(fixed[5])}</xmpRights:WebStatement>")
    if credits.copyright or credits.usage_terms:
        props.append("<xmpRights:Marked>True</xmpRights:Marked>")
    if keywords:
        items = "".join(f"<rdf:li>{escape(k)}</rdf:li>" for k in keywords)
        props.append(f"<dc:subject><rdf:Bag>{items}</rdf:Bag></dc:subject>")
    if place[0]:
        props.append(f"<photoshop:City>{escape(place[0])}</photoshop:City>")
    if place[1]:
        props.append(f"<photoshop:Country>{escape(place[1])}</photoshop:Country>")
    if place[2]:
        props.append(f"<Iptc4xmpCore:CountryCode>{escape(place[2])}</Iptc4xmpCore:CountryCode>")
    packet = (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/">'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/" '
        'xmlns:xmpRights="http://ns.adobe.com/xap/1.0/rights/" '
        'xmlns:Iptc4xmpCore="http://iptc.org/std/Iptc4xmpCore/1.0/xmlns/">'
        + "".join(props) +
        "</rdf:Description></rdf:RDF></x:xmpmeta>\n"
        '<?xpacket end="w"?>'
    )
    return packet.encode("utf-8")


TEXT_FIELDS = ("title", "caption", "creator", "credit", "copyright", "usage_terms", "web_statement",
               "city", "country", "country_code")
_LANG = re.compile("[a-z]{2,3}")  # the languages written into xml:lang (en, fr, es)
# Characters XML 1.0 cannot hold (control characters, lone surrogates, non-characters).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def safe_text(text: str) -> str:
    """Text an XMP parser accepts: what XML 1.0 cannot hold is left out."""
    return _NOT_XML.sub("", text or "")


def _utf8(text: str, limit: int) -> bytes:
    """UTF-8 bytes of text cut to at most limit bytes on a character boundary, without NULs."""
    data = _NOT_XML.sub("", text or "").encode("utf-8")
    if len(data) <= limit:
        return data
    return data[:max(0, limit)].decode("utf-8", "ignore").encode("utf-8")


def _fit_escaped(text: str, limit: int) -> str:
    """Text cut so that its XML-escaped UTF-8 form fits in limit bytes."""
    text = text or ""
    while len(escape(text).encode("utf-8")) > limit:
        text = text[: max(0, len(text) - max(1, (len(escape(text).encode()) - limit) // 4))]
    return text


def _segment(marker: int, payload: bytes) -> bytes:
    return bytes((0xFF, marker)) + struct.pack(">H", len(payload) + 2) + payload


def _split_after_jfif(jpeg: bytes) -> tuple[bytes, bytes]:
    """(SOI plus a leading JFIF APP0 if any, the rest): JFIF readers want APP0 first."""
    pos = 2
    if jpeg[2:4] == b"\xff\xe0" and jpeg[6:11] == b"JFIF\x00":
        pos = 4 + struct.unpack(">H", jpeg[4:6])[0]
    return jpeg[:pos], jpeg[pos:]


def _header_segments(data: bytes) -> Iterator[bytes]:
    """Marker segments (whole, with marker and length) before the first SOS."""
    pos = 0
    while pos + 4 <= len(data) and data[pos] == 0xFF:
        marker = data[pos + 1]
        if marker == 0xDA:
            return
        length = struct.unpack(">H", data[pos + 2:pos + 4])[0]
        yield data[pos:pos + 2 + length]
        pos += 2 + length


def _header_length(data: bytes) -> int:
    return sum(len(s) for s in _header_segments(data))


def _is_metadata(segment: bytes) -> bool:
    """EXIF, XMP or Photoshop/IPTC: replaced by ours (an old one could name a place)."""
    payload = segment[4:]
    return ((segment[1] == 0xE1 and payload.startswith((EXIF_HEADER, XMP_HEADER, XMP_EXT_HEADER)))
            or (segment[1] == 0xED and payload.startswith(PHOTOSHOP_HEADER)))

"""What every location cleaner shares: the error types, the place rules for XMP, IPTC and tags, the limits.

XMP and IPTC IIM place metadata is blanked in place, whatever file it sits in. Nothing finer than the city leaves the server: XMP `exif:GPS*`, `Iptc4xmpCore:Location`,
`Iptc4xmpExt:LocationCreated`/`LocationShown`/`Sublocation` and `xmpDM:shotLocation`, and every
IPTC IIM value but the descriptive ones (sub-location 2:92 goes) are overwritten with spaces of the
same length, so no offset around them moves. City, state and country stay: the catalogue shows them.
"""
from __future__ import annotations

import re

from defusedxml import ElementTree

# XMP properties that say where a picture was taken, with or without a namespace prefix.
_PLACE = rb"(?:GPS\w*|Location|LocationCreated|LocationShown|Sublocation|shotLocation)"
_XMP_ELEMENT = re.compile(
    rb"<((?:[\w.-]+:)?" + _PLACE + rb")(?=[\s/>])[^>]*?(?:/>|>.*?</\1\s*>)", re.DOTALL)
_XMP_ATTRIBUTE = re.compile(
    rb"\s(?:[\w.-]+:)?" + _PLACE + rb"\s*=\s*(?:\"[^\"]*\"|'[^']*')")

# What an XMP name must not contain once blanked, and a value that is coordinates whatever its name:
# ISO 6709 (+12.34-045.67/), XMP GPS ("14,0.998N") or decimal pairs ("12.345, -45.678").
_PLACE_NAME = re.compile(r"gps|location|latitude|longitude|geo", re.IGNORECASE)
COORDINATES = re.compile(
    r"^\s*[+-]\d{1,3}(?:\.\d+)?[+-]\d{1,3}(?:\.\d+)?|"
    r"^\s*\d{1,3},\d{1,2}(?:\.\d+)?[NSEW]\s*$|"
    r"^\s*-?\d{1,2}\.\d{3,}\s*[,; ]\s*-?\d{1,3}\.\d{3,}\s*$")

# IPTC IIM datasets kept: the envelope's version and character set, and the descriptive ones the
# catalogue reads or credits need (title, keywords, dates, by-line, city, state, country, headline,
# credit, source, copyright, caption, writer). Every other value (sub-location 2:92, content
# location 2:26/2:27, contact address 2:118, instructions 2:40...) is blanked.
IIM_KEPT = {(1, 0), (1, 90)} | {(2, n) for n in (0, 5, 25, 55, 60, 62, 63, 80, 85, 90, 95, 100, 101,
                                                  105, 110, 115, 116, 120, 122)}
IRB_SIGNATURES = (b"8BIM", b"MeSa", b"PHUT", b"AgHg", b"DCSR")
IRB_IPTC, IRB_XMP, IRB_EXIF = 0x0404, 0x0424, (0x0422, 0x0423)
# Photoshop resources kept as they are: resolution, ICC profile, version, IPTC digest. Others
# (paths, slices with their URLs and text, captions, unknown ones) are zeroed.
IRB_KEPT = {0x03ED, 0x040F, 0x0421, 0x0425}


class MetadataError(ValueError):
    """A metadata block could not be read well enough to tell its place fields apart."""


def blank_xmp_location(xmp: bytes | bytearray) -> bytes:
    """XMP with GPS and location properties replaced by spaces of the same length.

    The packet is then parsed: one that does not parse, or that still names a place or holds
    coordinates (a property spelled in a way the patterns missed), is blanked whole.
    """
    def spaces(m: re.Match) -> bytes:
        return b" " * len(m.group(0))

    out = _XMP_ATTRIBUTE.sub(spaces, _XMP_ELEMENT.sub(spaces, bytes(xmp)))
    start, end = _packet_span(out)
    if start < 0 or _clean_xml(out[start:end]):
        return out
    return out[:start] + b" " * (end - start) + out[end:]


def _packet_span(data: bytes) -> tuple[int, int]:
    """(start, end) of the XML of an XMP packet (x:xmpmeta, else rdf:RDF); (-1, -1) when absent."""
    for open_tag, close_tag in ((b"<x:xmpmeta", b"</x:xmpmeta>"), (b"<rdf:RDF", b"</rdf:RDF>")):
        start = data.find(open_tag)
        if start >= 0:
            end = data.rfind(close_tag)
            # Without its closing tag, everything from the start is the packet.
            return start, (end + len(close_tag) if end > start else len(data))
    return -1, -1


def _clean_xml(xml: bytes) -> bool:
    """Whether XML parses and no element or attribute in it names a place or holds coordinates."""
    try:
        root = ElementTree.fromstring(xml)
    except (ElementTree.ParseError, ValueError):  # defusedxml refuses entities and DTDs with ValueErrors
        return False
    for el in root.iter():
        names = [el.tag, *el.attrib]
        values = [el.text or "", *el.attrib.values()]
        if any(_PLACE_NAME.search(str(n).rsplit("}", 1)[-1]) for n in names):
            return False
        if any(COORDINATES.match(v) for v in values):
            return False
    return True


def blank_iim(data: bytes | bytearray) -> bytes:
    """IPTC IIM with every value but IIM_KEPT's blanked with spaces; MetadataError if damaged."""
    out = bytearray(data)
    pos = 0
    while pos < len(out):
        if out[pos] != 0x1C:
            if not any(out[pos:]):
                break  # zero padding after the last dataset
            raise MetadataError("an IPTC block is damaged")
        if pos + 5 > len(out):
            raise MetadataError("an IPTC block is cut short")
        record, dataset = out[pos + 1], out[pos + 2]
        length = int.from_bytes(out[pos + 3:pos + 5], "big")
        header = 5
        if length & 0x8000:  # an extended dataset: the next n bytes hold its length
            width = length & 0x7FFF
            if width > 8 or pos + 5 + width > len(out):
                raise MetadataError("an IPTC dataset length is damaged")
            length = int.from_bytes(out[pos + 5:pos + 5 + width], "big")
            header += width
        start, stop = pos + header, pos + header + length
        if stop > len(out):
            raise MetadataError("an IPTC dataset runs past its block")
        if (record, dataset) not in IIM_KEPT:
            out[start:stop] = b" " * length
        pos = stop
    return bytes(out)


# --- video and audio tags -----------------------------------------------------------

MAX_READ = 16 * 1024 * 1024  # metadata boxes larger than this are blanked whole, never parsed
# Tag names that hold a place as coordinates (or may): matched case-insensitively on whole words.
_LOCATION_NAME = re.compile(
    r"(?:^|[^a-z])(gps|geo\w*|location\w*|latitude|longitude|lat|lon|lng|coordinates?|iso6709|xyz)"
    r"(?:$|[^a-z])", re.IGNORECASE)
# A value that is coordinates whatever its name: ISO 6709 (+12.34-045.67/) or "12.345, -45.678".
_TAG_COORDINATES = re.compile(
    r"^\s*[+-]\d{1,3}(?:\.\d+)?[+-]\d{1,3}(?:\.\d+)?|"
    r"^\s*-?\d{1,2}\.\d{3,}\s*[,; ]\s*-?\d{1,3}\.\d{3,}\s*$")


class MediaCleanError(ValueError):
    """The file's structure could not be read well enough to remove its location."""


def is_location_tag(name: str, value: object = "") -> bool:
    """Whether a tag (by its name, or a text value that reads as coordinates) gives a place."""
    if _LOCATION_NAME.search(name or ""):
        return True
    return isinstance(value, str) and bool(_TAG_COORDINATES.match(value))

"""Place metadata blanked in place, whatever file it sits in: XMP, IPTC IIM, Photoshop resources.

Nothing finer than the city leaves the server: XMP `exif:GPS*`, `Iptc4xmpCore:Location`,
`Iptc4xmpExt:LocationCreated`/`LocationShown`/`Sublocation` and `xmpDM:shotLocation`, and IPTC
IIM 2:92 (sub-location) and 2:27 (content location name) are overwritten with spaces of the same
length, so no offset around them moves. City, state and country stay: the catalogue shows them.
"""
from __future__ import annotations

import re

# XMP properties that say where a picture was taken, with or without a namespace prefix.
_PLACE = rb"(?:GPS\w*|Location|LocationCreated|LocationShown|Sublocation|shotLocation)"
_XMP_ELEMENT = re.compile(
    rb"<((?:[\w.-]+:)?" + _PLACE + rb")(?=[\s/>])[^>]*?(?:/>|>.*?</\1\s*>)", re.DOTALL)
_XMP_ATTRIBUTE = re.compile(
    rb"\s(?:[\w.-]+:)?" + _PLACE + rb"\s*=\s*(?:\"[^\"]*\"|'[^']*')")

IIM_PLACES = {(2, 92), (2, 27)}  # sub-location; content location name
IRB_SIGNATURES = (b"8BIM", b"MeSa", b"PHUT", b"AgHg", b"DCSR")
IRB_IPTC, IRB_XMP, IRB_EXIF = 0x0404, 0x0424, (0x0422, 0x0423)


class MetadataError(ValueError):
    """A metadata block could not be read well enough to tell its place fields apart."""


def blank_xmp_location(xmp: bytes | bytearray) -> bytes:
    """XMP with GPS and location properties replaced by spaces of the same length."""
    def spaces(m: re.Match) -> bytes:
        return b" " * len(m.group(0))

    return _XMP_ATTRIBUTE.sub(spaces, _XMP_ELEMENT.sub(spaces, bytes(xmp)))


def blank_iim(data: bytes | bytearray) -> bytes:
    """IPTC IIM datasets with sub-location values blanked with spaces; MetadataError if damaged."""
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
        if (record, dataset) in IIM_PLACES:
            out[start:stop] = b" " * length
        pos = stop
    return bytes(out)


def clean_irb(data: bytes | bytearray) -> bytes:
    """Photoshop image resources with IPTC, XMP and EXIF place data blanked; MetadataError if damaged."""
    from gallery.services.tiffclean import clean_tiff  # imported late: it imports this module

    out = bytearray(data)
    pos = 0
    while pos + 12 <= len(out):
        if bytes(out[pos:pos + 4]) not in IRB_SIGNATURES:
            break
        resource = int.from_bytes(out[pos + 4:pos + 6], "big")
        name = out[pos + 6] + 1
        size_at = pos + 6 + name + (name & 1)  # the Pascal name is padded to an even length
        if size_at + 4 > len(out):
            raise MetadataError("a Photoshop resource is cut short")
        size = int.from_bytes(out[size_at:size_at + 4], "big")
        start, stop = size_at + 4, size_at + 4 + size
        if stop > len(out):
            raise MetadataError("a Photoshop resource runs past its block")
        body = bytes(out[start:stop])
        if resource == IRB_IPTC:
            out[start:stop] = blank_iim(body)
        elif resource == IRB_XMP:
            out[start:stop] = blank_xmp_location(body)
        elif resource in IRB_EXIF:
            exif = bytearray(body)
            clean_tiff(exif)
            out[start:stop] = exif
        pos = stop + (size & 1)
    if any(out[pos:]):
        raise MetadataError("a Photoshop resource block is damaged")
    return bytes(out)

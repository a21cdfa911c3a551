"""Location out of GIF originals: the blocks are walked as a decoder walks them; frames stay as is.

GIF keeps metadata in extensions: XMP in an application extension ("XMP DataXMP", the packet's
bytes read as sub-blocks up to its magic trailer) and free text in comment extensions. Both are
dropped, with every application extension except looping (NETSCAPE2.0, ANIMEXTS1.0) and colour
profiles (ICCRGBG1012), and every extension of an unknown kind. Nothing in a GIF points at an
offset, so dropping blocks moves nothing a decoder needs; image data and graphic controls are
copied byte for byte, and anything after the trailer goes.
"""
from __future__ import annotations

from collections.abc import Iterator

KEPT_APPLICATIONS = (b"NETSCAPE2.0", b"ANIMEXTS1.0", b"ICCRGBG1012")
GRAPHIC_CONTROL, PLAIN_TEXT, APPLICATION = 0xF9, 0x01, 0xFF
CHUNK = 1024 * 1024


def gif_without_location(data) -> Iterator[bytes]:
    """The kept spans of a GIF (bytes-like), streamed; ValueError when its blocks do not parse."""
    if bytes(data[:6]) not in (b"GIF87a", b"GIF89a"):
        raise ValueError("not a GIF")
    spans = list(_kept_spans(data))
    for start, stop in spans:
        for at in range(start, stop, CHUNK):
            yield bytes(data[at:min(stop, at + CHUNK)])


def _kept_spans(data) -> Iterator[tuple[int, int]]:
    """(start, stop) of the header, the colour table and each block kept, in order."""
    size = len(data)
    pos = 13
    if pos > size:
        raise ValueError("GIF header cut short")
    flags = data[10]
    if flags & 0x80:
        pos += 3 << ((flags & 7) + 1)  # the global colour table
    yield 0, _within(pos, size)
    while True:
        if pos >= size:
            raise ValueError("GIF ends without its trailer")
        kind = data[pos]
        if kind == 0x3B:  # trailer: the end; whatever follows is dropped
            yield pos, pos + 1
            return
        if kind == 0x2C:  # an image: descriptor, local colour table, LZW code size, data
            start = pos
            flags = data[_within(pos + 9, size - 1)]
            pos += 10
            if flags & 0x80:
                pos += 3 << ((flags & 7) + 1)
            pos = _sub_blocks(data, _within(pos + 1, size))
            yield start, pos
        elif kind == 0x21:
            start = pos
            label = data[_within(pos + 1, size - 1)]
            pos = _sub_blocks(data, pos + 2)
            if _kept_extension(data, start, label):
                yield start, pos
        else:
            raise ValueError(f"unknown GIF block {kind:#x}")


def _kept_extension(data, start: int, label: int) -> bool:
    """Whether an extension (introducer at start) is one that cannot carry metadata."""
    if label in (GRAPHIC_CONTROL, PLAIN_TEXT):
        return True
    if label == APPLICATION and data[start + 2] == 11:
        return bytes(data[start + 3:start + 14]) in KEPT_APPLICATIONS
    return False


def _sub_blocks(data, pos: int) -> int:
    """The position after a chain of sub-blocks starting at pos (after its zero terminator)."""
    size = len(data)
    while True:
        if pos >= size:
            raise ValueError("GIF data cut short")
        length = data[pos]
        pos += 1 + length
        if length == 0:
            return pos


def _within(pos: int, size: int) -> int:
    if pos > size:
        raise ValueError("GIF data cut short")
    return pos

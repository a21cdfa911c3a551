"""Credits into a HEIC/HEIF original: an XMP item in the top-level `meta` box, the coded image copied.

The packet is an item of type `mime` with the content type application/rdf+xml, described to the
primary image by an `iref` `cdsc`; its bytes go in a new `mdat` box at the end of the file
(construction method 0: exiftool 12 does not read XMP from `idat`). An XMP item already there keeps
its id and points at the new packet; its old bytes are zeroed. The Exif item gets the IFD0 credit
fields (ImageDescription, Artist, Copyright) and moves to the same mdat, its old bytes zeroed. `meta` grows, so every `iloc` extent
stored after it moves by as much. Anything not understood (an image sequence's movie, items in
other files or built from other items, several XMP items) raises ValueError: the file is then
served as stored, with the sidecar.
"""
from __future__ import annotations

import struct
from typing import BinaryIO, NamedTuple

from gallery.formats.captions.ifd import credit_fields, ifd0_edits, patched
from gallery.formats.credits import Credits, build_xmp
from gallery.formats.location.common import MAX_READ
from gallery.formats.location.heif import XMP_TYPES, _read_iinf
from gallery.formats.location.media import boxes

CHUNK = 1024 * 1024
XMP_CONTENT_TYPE = b"application/rdf+xml"


class Location(NamedTuple):
    """One iloc entry, fields as stored."""

    item_id: int
    method: int
    reference: int
    base: int
    extents: list[tuple[int, int, int]]  # (index, offset, length)


class Iloc(NamedTuple):
    """An iloc box: its version, field widths and entries."""

    version: int
    offset_size: int
    length_size: int
    base_size: int
    index_size: int
    entries: list[Location]


def write(fh: BinaryIO, out: BinaryIO, credits: Credits) -> bool:
    """Copy the HEIF file in fh to out with an XMP item of the credits; ValueError when it cannot."""
    fh.seek(0, 2)
    file_size = fh.tell()
    top = list(boxes(fh, 0, file_size, top=True))
    kinds = [kind for _, _, _, kind in top]
    if kinds.count(b"meta") != 1 or b"moov" in kinds or b"moof" in kinds:
        raise ValueError("its boxes are not a single still-image meta box")
    meta_pos, meta_header, meta_size, _ = top[kinds.index(b"meta")]
    if meta_size > MAX_READ:
        raise ValueError("its meta box is too large")
    meta_end = meta_pos + meta_size
    fh.seek(meta_pos + meta_header)
    full_box = fh.read(4)
    children = [(kind, _read(fh, pos, size), header)
                for pos, header, size, kind in boxes(fh, meta_pos + meta_header + 4, meta_end)]
    found = [kind for kind, _, _ in children]
    if not {b"pitm", b"iinf", b"iloc"} <= set(found) or any(
            found.count(k) > 1 for k in (b"pitm", b"iinf", b"iloc", b"iref", b"idat")):
        raise ValueError("its meta box lacks pitm, iinf or iloc, or repeats one")
    body = {kind: (data, header) for kind, data, header in children}
    primary = _primary(*body[b"pitm"])
    items = _read_iinf(fh, *_place(fh, meta_pos, meta_header, meta_end, b"iinf"))
    iloc = _parse_iloc(body[b"iloc"][0][body[b"iloc"][1]:])
    xmp_ids = [i for i, item in items.items()
               if item.kind == "mime" and item.content_type.lower() in XMP_TYPES]
    if len(xmp_ids) > 1:
        raise ValueError("it has several XMP items")
    if xmp_ids and (items[xmp_ids[0]].protected or items[xmp_ids[0]].encoding):
        raise ValueError("its XMP item is encrypted or compressed")
    if primary not in items:
        raise ValueError("its primary item is not declared")
    idat_data, idat_header = body.get(b"idat", (b"", 8))
    idat = bytearray(idat_data[idat_header:])
    last_pos, last_header, _, _ = top[-1]
    fh.seek(last_pos)
    # A last box "to the end of the file" would swallow our mdat: its size is written out.
    to_end = last_pos != meta_pos and struct.unpack(">I", fh.read(4))[0] == 0
    if to_end and (last_header != 8 or file_size - last_pos >= 1 << 32):
        raise ValueError("its last box runs to the end and cannot be sized")
    zeroed: list[tuple[int, int]] = []  # spans of the file (outside meta) to zero: the old XMP
    packet = build_xmp(credits)
    entries = []
    new_id = xmp_ids[0] if xmp_ids else max([*items, *(e.item_id for e in iloc.entries)]) + 1
    appended = {new_id: packet}  # item id -> its new bytes, in the mdat added at the end
    exif_ids = [i for i, item in items.items() if item.kind == "Exif" and not (item.protected or item.encoding)]
    exif = [e for e in iloc.entries if exif_ids and e.item_id == exif_ids[0] and e.reference == 0]
    if len(exif_ids) == 1 and len(exif) == 1:
        edited = _credited_exif(_item_bytes(fh, exif[0], idat, file_size), credits)
        if edited is not None:
            appended[exif_ids[0]] = edited
    for entry in iloc.entries:
        if entry.reference != 0 and entry.item_id != new_id:
            raise ValueError("an item lives in another file")
        if entry.item_id in appended:
            if entry.reference == 0:  # its bytes are here: zeroed, nothing of the old packet stays
                zeroed += _old_spans(entry, idat, meta_pos, meta_end, file_size)
            continue
        entries.append(entry)
    version = iloc.version if new_id < 0x10000 else 2
    tail = b"".join(appended.values())
    wide = 8 if file_size + len(tail) + (1 << 20) >= 1 << 32 else 4
    layout = Iloc(version, max(iloc.offset_size, wide), max(iloc.length_size, 4),
                  iloc.base_size and max(iloc.base_size, wide), iloc.index_size if version else 0, entries)
    new_iinf = body[b"iinf"][0] if xmp_ids else _with_infe(*body[b"iinf"], new_id)
    new_iref = _with_cdsc(body.get(b"iref"), new_id, primary)

    def build(delta: int) -> bytes:
        # Our mdat follows the whole file, which is delta bytes longer once meta grew.
        ours, at = [], file_size + delta + 8
        for item_id, data in appended.items():
            ours.append(Location(item_id, 0, 0, 0, [(0, at, len(data))]))
            at += len(data)
        moved = [_moved(e, delta, meta_pos, meta_end) for e in entries] + ours
        replaced = {b"iloc": _box(b"iloc", _iloc_body(layout._replace(entries=moved))),
                    b"iinf": new_iinf, b"iref": new_iref, b"idat": _box(b"idat", bytes(idat))}
        parts = [replaced.get(kind, data) for kind, data, _ in children]
        parts += [replaced[b"iref"]] if b"iref" not in found else []
        inner = full_box + b"".join(parts)
        return _box(b"meta", inner)

    first = build(0)
    delta = len(first) - meta_size
    meta = build(delta)
    if len(meta) != len(first):
        raise ValueError("the meta box changed size while its offsets moved")
    if to_end:
        zeroed.append((last_pos, last_pos + 4))  # its size written out below, ours after it
    _copy(fh, out, 0, meta_pos, zeroed)
    out.write(meta)
    _copy(fh, out, meta_end, file_size, zeroed)
    if to_end:
        out.seek(last_pos + (delta if last_pos > meta_pos else 0))
        out.write(struct.pack(">I", file_size - last_pos))
        out.seek(0, 2)
    out.write(_box(b"mdat", tail))
    return True


def _item_bytes(fh: BinaryIO, entry: Location, idat: bytearray, file_size: int) -> bytes:
    """An item's bytes from the file (method 0) or idat (method 1)."""
    parts = []
    for _, offset, length in entry.extents:
        at = entry.base + offset
        if entry.method == 1:
            stop = len(idat) if length == 0 else at + length
            parts.append(bytes(idat[at:stop]))
        else:
            stop = file_size if length == 0 else at + length
            if stop > file_size or stop - at > MAX_READ:
                raise ValueError("an item lies outside the file or is too large")
            parts.append(_read(fh, at, stop - at))
    return b"".join(parts)


def _credited_exif(data: bytes, credits: Credits) -> bytes | None:
    """The Exif item (a 4-byte offset, then the TIFF block) with the IFD0 credit fields set; None if unreadable."""
    try:
        base = 4 + struct.unpack_from(">I", data, 0)[0]
        block = data[base:]
        if block[:2] not in (b"II", b"MM"):
            return None
        fields = credit_fields(credits.caption, credits.creator, credits.copyright)
        patches, tail = ifd0_edits(block, fields, (), len(block))
        return data[:base] + patched(block, patches, tail)
    except (ValueError, struct.error):
        return None  # the camera's block stays as it was; XMP carries the credits


def _read(fh: BinaryIO, pos: int, size: int) -> bytes:
    fh.seek(pos)
    data = fh.read(size)
    if len(data) != size:
        raise ValueError("a meta box child is cut short")
    return data


def _place(fh: BinaryIO, meta_pos: int, meta_header: int, meta_end: int, kind: bytes) -> tuple[int, int, int]:
    for pos, header, size, found in boxes(fh, meta_pos + meta_header + 4, meta_end):
        if found == kind:
            return pos, header, size
    raise ValueError(f"no {kind.decode()} box")


def _primary(data: bytes, header: int) -> int:
    version = data[header]
    return int.from_bytes(data[header + 4:header + (6 if version == 0 else 8)], "big")


class _Reader:
    def __init__(self, data: bytes):
        self.data, self.at = data, 0

    def int(self, width: int) -> int:
        if self.at + width > len(self.data):
            raise ValueError("its iloc box is cut short")
        value = int.from_bytes(self.data[self.at:self.at + width], "big")
        self.at += width
        return value


def _parse_iloc(data: bytes) -> Iloc:
    reader = _Reader(data)
    version = reader.int(1)
    reader.int(3)
    if version > 2:
        raise ValueError(f"iloc version {version} is unknown")
    sizes, more = reader.int(1), reader.int(1)
    offset_size, length_size, base_size = sizes >> 4, sizes & 15, more >> 4
    index_size = more & 15 if version else 0
    if any(s not in (0, 4, 8) for s in (offset_size, length_size, base_size, index_size)):
        raise ValueError("its iloc box has odd field sizes")
    entries = []
    for _ in range(reader.int(2 if version < 2 else 4)):
        item_id = reader.int(2 if version < 2 else 4)
        method = reader.int(2) & 15 if version else 0
        reference = reader.int(2)
        base = reader.int(base_size)
        extents = [(reader.int(index_size), reader.int(offset_size), reader.int(length_size))
                   for _ in range(reader.int(2))]
        if method > 1:
            raise ValueError("an item is built from other items")
        entries.append(Location(item_id, method, reference, base, extents))
    return Iloc(version, offset_size, length_size, base_size, index_size, entries)


def _iloc_body(iloc: Iloc) -> bytes:
    id_size = 2 if iloc.version < 2 else 4
    out = bytearray(bytes((iloc.version, 0, 0, 0, iloc.offset_size << 4 | iloc.length_size,
                           iloc.base_size << 4 | iloc.index_size)))
    out += len(iloc.entries).to_bytes(id_size, "big")
    for entry in iloc.entries:
        out += entry.item_id.to_bytes(id_size, "big")
        if iloc.version:
            out += entry.method.to_bytes(2, "big")
        out += entry.reference.to_bytes(2, "big") + entry.base.to_bytes(iloc.base_size, "big")
        out += len(entry.extents).to_bytes(2, "big")
        for index, offset, length in entry.extents:
            out += (index.to_bytes(iloc.index_size, "big") + offset.to_bytes(iloc.offset_size, "big")
                    + length.to_bytes(iloc.length_size, "big"))
    return bytes(out)


def _moved(entry: Location, delta: int, meta_pos: int, meta_end: int) -> Location:
    """The entry with every file extent stored after meta moved by delta (meta grew by that much)."""
    if entry.method != 0 or entry.reference != 0:
        return entry
    if any(length == 0 for _, _, length in entry.extents):
        raise ValueError("an item runs to the end of the file")  # it would take our mdat in
    starts = [entry.base + offset for _, offset, _ in entry.extents]
    if any(meta_pos <= s < meta_end for s in starts):
        raise ValueError("an item's bytes lie inside the meta box")
    if entry.base and entry.extents:
        if all(s >= meta_end for s in starts):
            return entry._replace(base=entry.base + delta)
        if any(s >= meta_end for s in starts):
            raise ValueError("an item's extents straddle the meta box")
        return entry
    extents = [(i, o + delta if o >= meta_end else o, n) for i, o, n in entry.extents]
    return entry._replace(extents=extents)


def _old_spans(entry: Location, idat: bytearray, meta_pos: int, meta_end: int,
               file_size: int) -> list[tuple[int, int]]:
    """Zero the old XMP's bytes in idat; return its spans in the file (to zero while copying)."""
    spans = []
    for _, offset, length in entry.extents:
        at = entry.base + offset
        if entry.method == 1:
            stop = len(idat) if length == 0 else at + length
            if stop > len(idat):
                raise ValueError("the XMP item lies outside idat")
            idat[at:stop] = bytes(stop - at)
        else:
            stop = file_size if length == 0 else at + length
            if at < meta_end and stop > meta_pos or stop > file_size:
                raise ValueError("the XMP item lies inside the meta box or outside the file")
            spans.append((at, stop))
    return spans


def _with_infe(data: bytes, header: int, item_id: int) -> bytes:
    version = data[header]
    count_size = 2 if version == 0 else 4
    count = int.from_bytes(data[header + 4:header + 4 + count_size], "big") + 1
    if count >= 1 << (8 * count_size):
        raise ValueError("iinf cannot count another item")
    infe_version = 2 if item_id < 0x10000 else 3
    infe = _box(b"infe", bytes((infe_version, 0, 0, 0)) + item_id.to_bytes(infe_version * 2 - 2, "big")
                + b"\x00\x00mime" + b"XMP\x00" + XMP_CONTENT_TYPE + b"\x00")
    start = header + 4 + count_size
    return _box(b"iinf", data[header:header + 4] + count.to_bytes(count_size, "big") + data[start:] + infe)


def _with_cdsc(iref: tuple[bytes, int] | None, item_id: int, primary: int) -> bytes:
    """The iref box with a cdsc reference from the XMP item to the primary image (added once)."""
    if iref is None:
        version = 0 if item_id < 0x10000 and primary < 0x10000 else 1
        refs = b""
    else:
        data, header = iref
        version, refs = data[header], data[header + 4:]
        if version > 1:
            raise ValueError(f"iref version {version} is unknown")
    id_size = 2 if version == 0 else 4
    if max(item_id, primary) >= 1 << (8 * id_size):
        raise ValueError("iref cannot hold the item id")
    kept, pos = b"", 0
    while pos + 8 <= len(refs):
        size, kind = struct.unpack_from(">I4s", refs, pos)
        if size < 8 + id_size + 2 or pos + size > len(refs):
            raise ValueError("an iref entry is damaged")
        source = int.from_bytes(refs[pos + 8:pos + 8 + id_size], "big")
        if not (kind == b"cdsc" and source == item_id):
            kept += refs[pos:pos + size]
        pos += size
    if pos != len(refs):
        raise ValueError("an iref entry is cut short")
    entry = _box(b"cdsc", item_id.to_bytes(id_size, "big") + b"\x00\x01" + primary.to_bytes(id_size, "big"))
    return _box(b"iref", bytes((version, 0, 0, 0)) + kept + entry)


def _box(kind: bytes, body: bytes) -> bytes:
    if len(body) + 8 >= 1 << 32:
        raise ValueError("a box is too large")
    return struct.pack(">I4s", len(body) + 8, kind) + body


def _copy(fh: BinaryIO, out: BinaryIO, start: int, stop: int, zeroed: list[tuple[int, int]]) -> None:
    """Copy the file's bytes from start to stop, with the zeroed spans written as zeros."""
    fh.seek(start)
    at = start
    while at < stop:
        data = bytearray(fh.read(min(CHUNK, stop - at)))
        if not data:
            raise ValueError("the file is cut short")
        for zstart, zstop in zeroed:
            lo, hi = max(zstart, at), min(zstop, at + len(data))
            if lo < hi:
                data[lo - at:hi - at] = bytes(hi - lo)
        out.write(data)
        at += len(data)

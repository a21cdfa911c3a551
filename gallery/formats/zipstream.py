"""A streaming zip writer for entries whose size and CRC-32 are known before their bytes.

Each local header carries the real CRC and sizes, so no data descriptor follows the data and the
data itself is passed through untouched (zip64 fields where a size or offset needs them).
"""
from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

STORED, DEFLATED = 0, 8
UTF8_NAMES = 0x0800  # general purpose flag 11: the name is UTF-8
MAX32, MAX16 = 0xFFFFFFFF, 0xFFFF
UNIX_FILE = 0o100644 << 16  # external attributes: a regular file, rw-r--r--


@dataclass
class _Entry:
    name: bytes
    method: int
    crc32: int
    compressed: int
    size: int
    offset: int
    dos_time: int
    dos_date: int


class ZipStream:
    """Builds a zip as headers around data the caller streams; tracks offsets for the directory."""

    def __init__(self) -> None:
        self.offset = 0
        self._entries: list[_Entry] = []

    def header(self, name: str, size: int, crc32: int, date_time: tuple[int, ...],
               method: int = STORED, compressed: int | None = None) -> bytes:
        """The local header of the next entry; exactly `compressed` (else `size`) data bytes must follow."""
        compressed = size if compressed is None else compressed
        dos_time, dos_date = _dos(date_time)
        entry = _Entry(name.encode("utf-8"), method, crc32 & MAX32, compressed, size, self.offset,
                       dos_time, dos_date)
        zip64 = size >= MAX32 or compressed >= MAX32
        extra = struct.pack("<HHQQ", 1, 16, size, compressed) if zip64 else b""
        head = struct.pack(
            "<IHHHHHIIIHH", 0x04034B50, 45 if zip64 else 20, UTF8_NAMES, method, dos_time, dos_date,
            entry.crc32, MAX32 if zip64 else compressed, MAX32 if zip64 else size,
            len(entry.name), len(extra)) + entry.name + extra
        self._entries.append(entry)
        self.offset += len(head) + compressed
        return head

    def member(self, name: str, data: bytes, date_time: tuple[int, ...], deflate: bool = False) -> bytes:
        """A whole small entry (header and data) from bytes in memory."""
        crc = zlib.crc32(data)
        if not deflate:
            return self.header(name, len(data), crc, date_time) + data
        packer = zlib.compressobj(6, zlib.DEFLATED, -15)
        packed = packer.compress(data) + packer.flush()
        return self.header(name, len(data), crc, date_time, DEFLATED, len(packed)) + packed

    def finish(self) -> bytes:
        """The central directory and the end records (zip64 ones when counts or offsets need them)."""
        start = self.offset
        directory = b"".join(_central(e) for e in self._entries)
        end = start + len(directory)
        count = len(self._entries)
        tail = b""
        if count >= MAX16 or start >= MAX32 or len(directory) >= MAX32:
            tail += struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 45, 45, 0, 0, count, count,
                                len(directory), start)
            tail += struct.pack("<IIQI", 0x07064B50, 0, end, 1)
        tail += struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, min(count, MAX16), min(count, MAX16),
                            min(len(directory), MAX32), min(start, MAX32), 0)
        self.offset = end + len(tail)
        return directory + tail


def _central(e: _Entry) -> bytes:
    """One central directory record; sizes and offset that do not fit move to a zip64 extra field."""
    # The zip64 extra lists, in this order, only the values whose 32-bit slots say 0xFFFFFFFF.
    values = [v for v in (e.size, e.compressed) if v >= MAX32] + ([e.offset] if e.offset >= MAX32 else [])
    extra = struct.pack(f"<HH{len(values)}Q", 1, 8 * len(values), *values) if values else b""
    version = 45 if values else 20
    return struct.pack(
        "<IHHHHHHIIIHHHHHII", 0x02014B50, (3 << 8) | version, version, UTF8_NAMES, e.method,
        e.dos_time, e.dos_date, e.crc32, min(e.compressed, MAX32), min(e.size, MAX32),
        len(e.name), len(extra), 0, 0, 0, UNIX_FILE, min(e.offset, MAX32)) + e.name + extra


def _dos(date_time: tuple[int, ...]) -> tuple[int, int]:
    year, month, day, hour, minute, second = date_time[:6]
    return (hour << 11) | (minute << 5) | (second // 2), (max(year, 1980) - 1980) << 9 | (month << 5) | day

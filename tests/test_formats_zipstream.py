"""The streaming zip writer: headers with known CRC and sizes, zip64 where sizes or counts need it."""
from __future__ import annotations

import io
import zipfile
import zlib

from gallery.formats.zipstream import ZipStream

WHEN = (2026, 11, 23, 14, 30, 10)


def test_stored_entries_need_no_data_descriptor():
    out = ZipStream()
    data = [b"first file", bytes(range(256)) * 40]
    body = b""
    for i, d in enumerate(data):
        body += out.header(f"f{i}.bin", len(d), zlib.crc32(d), WHEN) + d
    body += out.member("captions.csv", "é,ü\r\n".encode() * 50, WHEN, deflate=True)
    body += out.finish()
    assert out.offset == len(body)
    with zipfile.ZipFile(io.BytesIO(body)) as zf:
        assert zf.testzip() is None
        infos = zf.infolist()
        assert [i.filename for i in infos] == ["f0.bin", "f1.bin", "captions.csv"]
        assert all(i.flag_bits & 0x08 == 0 for i in infos)  # sizes in the local header
        assert infos[0].date_time == WHEN
        assert zf.read("f1.bin") == data[1]
        assert zf.read("captions.csv").decode() == "é,ü\r\n" * 50


def test_names_are_utf8():
    out = ZipStream()
    body = out.member("danlí-refugio.jpg", b"x", WHEN) + out.finish()
    with zipfile.ZipFile(io.BytesIO(body)) as zf:
        assert zf.namelist() == ["danlí-refugio.jpg"]


def test_zip64_for_an_entry_over_4_gib(tmp_path):
    """A 5 GiB entry, written sparse: its sizes and the next entry's offset go in zip64 fields."""
    big = 5 << 30
    out = ZipStream()
    path = tmp_path / "big.zip"
    with open(path, "wb") as fh:
        fh.write(out.header("big.mov", big, 0, WHEN))
        fh.seek(big, 1)  # the data: a hole in a sparse file, never written
        fh.write(out.member("after.txt", b"still readable", WHEN))
        fh.write(out.finish())
        assert fh.tell() == out.offset
    with zipfile.ZipFile(path) as zf:
        first, second = zf.infolist()
        assert first.file_size == first.compress_size == big
        assert second.header_offset > 1 << 32
        assert zf.read("after.txt") == b"still readable"


def test_zip64_end_records_for_many_entries():
    out = ZipStream()
    parts = [out.member(f"{i}.txt", b"", WHEN) for i in range(70_000)]
    body = b"".join(parts) + out.finish()
    with zipfile.ZipFile(io.BytesIO(body)) as zf:
        assert len(zf.infolist()) == 70_000
        assert zf.read("69999.txt") == b""

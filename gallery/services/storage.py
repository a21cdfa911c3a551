"""Local file storage, content-addressed for originals: save, open, path, delete."""
from __future__ import annotations

import functools
import hashlib
import os
import stat
import tempfile
import zlib
from collections.abc import Iterator
from typing import BinaryIO, NamedTuple

from flask import current_app

from gallery.exceptions import StorageError, TooLarge
from gallery.text import human_bytes

CHUNK = 1024 * 1024
# Top folders of the upload directory: what rows point at, and temp files of unfinished writes.
STORED_FOLDERS = ("originals", "renditions", "served")
TMP_FOLDER = "tmp"
TMP_SUFFIX = ".part"  # every temp file this module (and served copies) writes ends so


class Stored(NamedTuple):
    """What save() wrote: its key, SHA-256 and size in bytes."""

    key: str
    sha256: str
    size: int


class Listed(NamedTuple):
    """One file found under a top folder: its key and modification time (seconds since the epoch)."""

    key: str
    mtime: float


class Spooled(NamedTuple):
    """What spool() wrote: the temp file, its SHA-256, size and CRC-32 (zips need it up front)."""

    path: str
    sha256: str
    size: int
    crc32: int


def root() -> str:
    """The upload directory of the current app."""
    return current_app.config["UPLOAD_DIR"]


def path(key: str) -> str:
    """Absolute path of a key, refusing any key that would escape the upload directory."""
    base = _real(root())
    full = os.path.join(base, key)
    if not _plain(base, full):
        full = os.path.realpath(full)
    if not full.startswith(base + os.sep):
        raise StorageError("Invalid storage key.")
    return full


def _plain(base: str, full: str) -> bool:
    """Whether full is already its own real path: normalised, under base, no symlink below base."""
    # realpath would give full back unchanged, at an lstat per component of the whole path where
    # this takes one per component of the key (zips ask for hundreds of paths in a row).
    if os.path.normpath(full) != full or not full.startswith(base + os.sep):
        return False  # "..", ".", "//" or an absolute key: realpath decides
    current = base
    for part in full[len(base) + 1:].split(os.sep):
        current = f"{current}{os.sep}{part}"
        try:
            if stat.S_ISLNK(os.lstat(current).st_mode):
                return False
        except FileNotFoundError:
            return True  # nothing below a missing component can be a link
        except OSError:
            return False
    return True


@functools.lru_cache(maxsize=16)
def _real(base: str) -> str:
    """The resolved upload directory: resolving costs a system call per path component, and
    zips of a few hundred items ask for it several times per item."""
    return os.path.realpath(base)


def original_key(sha256: str, ext: str) -> str:
    """Content-addressed key of an original: originals/ab/cd/<sha256>.<ext>."""
    return f"originals/{sha256[:2]}/{sha256[2:4]}/{sha256}.{ext}"


def rendition_key(sha256: str, size: str) -> str:
    """Key of a rendition, derived from the original's hash so re-made files overwrite."""
    return f"renditions/{sha256[:2]}/{sha256[2:4]}/{sha256}-{size}.jpg"


def served_key(sha256: str, ext: str) -> str:
    """Key of an original's location-free copy, derived from the original's hash like renditions."""
    return f"served/{sha256[:2]}/{sha256[2:4]}/{sha256}.{ext}"


def listing(folder: str) -> Iterator[Listed]:
    """Every file under one top folder of the upload directory, as keys, in no particular order."""
    base = _real(root())
    for current, _dirs, files in os.walk(os.path.join(base, folder)):  # links are not followed
        for name in files:
            full = os.path.join(current, name)
            try:
                mtime = os.lstat(full).st_mtime
            except FileNotFoundError:
                continue  # removed since the directory was read
            yield Listed(os.path.relpath(full, base).replace(os.sep, "/"), mtime)


def is_temp(key: str) -> bool:
    """Whether a key is a temp file of a write that has not finished (or never will)."""
    return key.startswith(TMP_FOLDER + "/") or key.endswith(TMP_SUFFIX)


def spool(stream: BinaryIO, limit: int | None = None) -> Spooled:
    """Copy a stream to a temp file in the upload dir, hashing as it goes."""
    tmp_dir = os.path.join(root(), TMP_FOLDER)
    os.makedirs(tmp_dir, exist_ok=True)
    digest = hashlib.sha256()
    size = crc = 0
    fd, tmp = tempfile.mkstemp(dir=tmp_dir, suffix=TMP_SUFFIX)
    try:
        with os.fdopen(fd, "wb") as out:
            while chunk := stream.read(CHUNK):
                size += len(chunk)
                if limit is not None and size > limit:
                    raise TooLarge(f"the file is over the size limit of {human_bytes(limit)}.")
                digest.update(chunk)
                crc = zlib.crc32(chunk, crc)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
    except BaseException:
        _unlink(tmp)
        raise
    return Spooled(tmp, digest.hexdigest(), size, crc)


def checksum(file_path: str) -> tuple[int, int]:
    """(size, CRC-32) of a file, read in chunks into one reused buffer."""
    buf = bytearray(CHUNK)
    view = memoryview(buf)
    size = crc = 0
    with open(file_path, "rb", buffering=0) as fh:
        while n := fh.readinto(buf):
            crc = zlib.crc32(view[:n], crc)
            size += n
    return size, crc


def commit_file(tmp_path: str, key: str) -> str:
    """Move a finished temp file to its key atomically; returns the key."""
    dest = path(key)
    os.makedirs(os.path.dirname(dest), exist_ok=True)
    try:
        os.replace(tmp_path, dest)
    except OSError as exc:
        _unlink(tmp_path)
        raise StorageError(f"Could not store file: {exc.strerror}") from exc
    return key


def save_bytes(data: bytes, key: str) -> Stored:
    """Write bytes to a key through a temp file, fsync and rename."""
    dest = path(key)
    os.makedirs(os.path.dirname(dest), exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(dest), suffix=TMP_SUFFIX)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, dest)
    except OSError as exc:
        _unlink(tmp)
        raise StorageError(f"Could not store file: {exc.strerror}") from exc
    return Stored(key, hashlib.sha256(data).hexdigest(), len(data))


def exists(key: str) -> bool:
    """Whether a key has a file."""
    return os.path.exists(path(key))


def delete(key: str) -> None:
    """Remove a stored file; a missing file is not an error."""
    _unlink(path(key))


def remove_listed(key: str) -> None:
    """Remove a file listing() found: the entry itself, never what a link in its place points at."""
    base = _real(root())
    full = os.path.normpath(os.path.join(base, key))
    if not full.startswith(base + os.sep):
        raise StorageError("Invalid storage key.")
    _unlink(full)


def _unlink(p: str) -> None:
    try:
        os.unlink(p)
    except FileNotFoundError:
        pass

"""The local store: files under one folder, written through a temp file, fsync and rename."""
from __future__ import annotations

import contextlib
import functools
import os
import stat
import tempfile
from collections.abc import Iterator
from typing import BinaryIO

from gallery.exceptions import StorageError
from gallery.i18n.service_messages import N_
from gallery.services.storage import TMP_FOLDER, TMP_SUFFIX, Listed


class LocalReader:
    """An open local file: its reads are the unbuffered file's own (no call in between)."""

    def __init__(self, fh: BinaryIO, size: int, end: int | None = None) -> None:
        self.fh, self.size = fh, size
        if end is None:
            self.read = fh.read  # each read lands straight in a new bytes object
        else:
            self._left = end - fh.tell()

    def read(self, n: int = -1) -> bytes:
        """Up to n bytes before the range's end."""
        n = self._left if n < 0 else min(n, self._left)
        data = self.fh.read(n) if n > 0 else b""
        self._left -= len(data)
        return data

    def close(self) -> None:
        self.fh.close()

    def __enter__(self) -> "LocalReader":
        return self

    def __exit__(self, *exc: object) -> None:
        self.fh.close()


class LocalStore:
    """Files under root; keys are paths relative to it and never leave it."""

    def __init__(self, root: str) -> None:
        self.root = root
        self.url = "file://" + os.path.abspath(root)
        self.scratch = os.path.join(root, TMP_FOLDER)  # same file system: renames are atomic

    @property
    def real_root(self) -> str:
        return _real(self.root)

    def path(self, key: str) -> str:
        """Absolute path of a key, refusing any key that would escape the root."""
        base = _real(self.root)
        full = os.path.join(base, key)
        if not _plain(base, full):
            full = os.path.realpath(full)
        if not full.startswith(base + os.sep):
            raise StorageError("Invalid storage key.")
        return full

    def put_file(self, tmp_path: str, key: str) -> None:
        """Rename a finished temp file (fsynced by its writer) to its key."""
        dest = self.path(key)
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        try:
            os.replace(tmp_path, dest)
        except OSError as exc:
            if exc.errno != 18:  # EXDEV: a temp file from another file system is copied
                raise StorageError(N_("Could not store file: %(error)s", error=exc.strerror)) from exc
            with open(tmp_path, "rb") as src:
                self._write(dest, lambda out: _copy(src, out))
            os.unlink(tmp_path)

    def put_bytes(self, data: bytes, key: str) -> None:
        dest = self.path(key)
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        self._write(dest, lambda out: out.write(data))

    def _write(self, dest: str, write) -> None:
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(dest), suffix=TMP_SUFFIX)
        try:
            with os.fdopen(fd, "wb") as out:
                write(out)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, dest)
        except OSError as exc:
            _unlink(tmp)
            raise StorageError(N_("Could not store file: %(error)s", error=exc.strerror)) from exc

    def open(self, key: str, start: int = 0, end: int | None = None) -> LocalReader:
        fh = open(self.path(key), "rb", buffering=0)
        size = os.fstat(fh.fileno()).st_size
        if start:
            fh.seek(start)
        return LocalReader(fh, size, None if end is None else min(end, size))

    def exists(self, key: str) -> bool:
        return os.path.exists(self.path(key))

    def size(self, key: str) -> int | None:
        try:
            return os.stat(self.path(key)).st_size
        except FileNotFoundError:
            return None

    def delete(self, key: str) -> None:
        """Remove the file of a key (resolved like path(): never outside the root)."""
        _unlink(self.path(key))

    def remove_listed(self, key: str) -> None:
        """Remove an entry listing() found: the entry itself, never what a link in its place points at."""
        base = _real(self.root)
        full = os.path.normpath(os.path.join(base, key))
        if not full.startswith(base + os.sep):
            raise StorageError("Invalid storage key.")
        _unlink(full)

    def listing(self, folder: str) -> Iterator[Listed]:
        base = _real(self.root)
        for current, _dirs, files in os.walk(os.path.join(base, folder)):  # links are not followed
            for name in files:
                full = os.path.join(current, name)
                try:
                    mtime = os.lstat(full).st_mtime
                except FileNotFoundError:
                    continue  # removed since the directory was read
                yield Listed(os.path.relpath(full, base).replace(os.sep, "/"), mtime)

    @contextlib.contextmanager
    def local_copy(self, key: str) -> Iterator[str]:
        """The file itself: no copy."""
        found = self.path(key)
        if not os.path.exists(found):
            raise FileNotFoundError(key)
        yield found

    def presign(self, key: str, mimetype: str, attachment: str | None) -> None:
        return None  # local files are sent by the app or the front server

    def close(self) -> None:
        """Nothing to close: files are opened per read."""


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
    """The resolved root: resolving costs a system call per path component, and zips of a few
    hundred items ask for it several times per item."""
    return os.path.realpath(base)


def _copy(src: BinaryIO, out: BinaryIO) -> None:
    while chunk := src.read(1024 * 1024):
        out.write(chunk)


def _unlink(p: str) -> None:
    try:
        os.unlink(p)
    except FileNotFoundError:
        pass

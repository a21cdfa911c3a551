"""Content-addressed file storage, the one door to it: local files or S3, chosen by STORAGE_URL.

Nothing outside this module knows a path or a bucket. Callers store finished temp files
(commit_file) or bytes (save_bytes), read in chunks (open), get a local file for a decoder that
needs one (local_copy), and serve bytes with send()/offload(): the local backend sends the file
(or lets the front server send it, SERVE_FILES_WITH), S3 redirects to a short-lived presigned URL.
"""
from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
import zlib
from collections.abc import Iterator
from typing import BinaryIO, NamedTuple, Protocol
from urllib.parse import quote, urlsplit

from flask import Response, current_app, redirect, send_file

from gallery.exceptions import StorageError, TooLarge
from gallery.i18n.service_messages import N_
from gallery.text import human_bytes

CHUNK = 1024 * 1024
# Top folders of the store: what rows point at. Temp files of unfinished writes live in the
# scratch folder (TMP_FOLDER of the local store, or of UPLOAD_DIR for S3), never in the store.
STORED_FOLDERS = ("originals", "renditions", "served")
TMP_FOLDER = "tmp"
# Derived files no row points at, remade on demand: IIIF tiles (services/iiif.py), kept under
# tiles/<sha256 prefix>/<sha256>/...; `gallery check --repair` drops those of files that are gone.
TILES_FOLDER = "tiles"
TMP_SUFFIX = ".part"  # every temp file this module (and served copies) writes ends so
SERVE_MODES = (None, "x-accel-redirect", "x-sendfile")


class Stored(NamedTuple):
    """What save_bytes() wrote: its key, SHA-256 and size in bytes."""

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


class Reader(Protocol):
    """An open stored file: read(n) in chunks, its size, closed by close() or a with block."""

    size: int

    def read(self, n: int = -1) -> bytes: ...
    def close(self) -> None: ...
    def __enter__(self) -> "Reader": ...
    def __exit__(self, *exc: object) -> None: ...


class Backend(Protocol):
    """What a store does (storage_local.LocalStore, storage_s3.S3Store)."""

    url: str
    scratch: str  # a local folder for temp files; commit_file takes files from it

    def put_file(self, tmp_path: str, key: str) -> None: ...
    def put_bytes(self, data: bytes, key: str) -> None: ...
    def open(self, key: str, start: int = 0, end: int | None = None) -> Reader: ...
    def exists(self, key: str) -> bool: ...
    def size(self, key: str) -> int | None: ...
    def delete(self, key: str) -> None: ...
    def remove_listed(self, key: str) -> None: ...
    def listing(self, folder: str) -> Iterator[Listed]: ...
    def local_copy(self, key: str) -> contextlib.AbstractContextManager[str]: ...
    def presign(self, key: str, mimetype: str, attachment: str | None) -> str | None: ...
    def close(self) -> None: ...


def backend() -> Backend:
    """The store of the current app, made once per app (and per setting, so tests may switch)."""
    cfg = current_app.config
    wanted = (cfg.get("STORAGE_URL"), cfg["UPLOAD_DIR"], cfg.get("S3_ENDPOINT_URL"), cfg.get("S3_REGION"),
              cfg.get("S3_PRESIGN_SECONDS", 300))
    stores = current_app.extensions.setdefault("gallery.storage", {})
    found = stores.get(wanted)
    if found is None:
        found = stores[wanted] = open_store(*wanted)
    return found


def open_store(url: str | None, upload_dir: str, endpoint_url: str | None = None,
               region: str | None = None, presign_seconds: int = 300) -> Backend:
    """A store for a STORAGE_URL: None or file:///dir (local files), s3://bucket/prefix."""
    from gallery.services.storage_local import LocalStore

    check_url(url)
    parts = urlsplit(url or "")
    if parts.scheme == "s3":
        from gallery.services.storage_s3 import S3Store

        return S3Store(parts.netloc, parts.path.strip("/"), os.path.join(upload_dir, TMP_FOLDER),
                       endpoint_url=endpoint_url, region=region, presign_seconds=int(presign_seconds))
    return LocalStore(parts.path if url else upload_dir)


def close_stores(app) -> None:
    """Close the connections of the app's stores (an app that is done, in tests and tools)."""
    for store in app.extensions.pop("gallery.storage", {}).values():
        store.close()


def check_url(url: str | None) -> None:
    """Raise ValueError, saying what is accepted, for a STORAGE_URL no store can open."""
    if not url:
        return
    parts = urlsplit(url)
    if parts.scheme == "file" and parts.netloc in ("", "localhost") and os.path.isabs(parts.path):
        return
    if parts.scheme == "s3" and parts.netloc and not (parts.query or parts.fragment):
        return
    raise ValueError(f"STORAGE_URL must be file:///absolute/dir or s3://bucket/prefix, not {url!r}.")


def root() -> str:
    """The folder of the local store (local backend only: tests and the X-Sendfile header)."""
    return _local().root


def path(key: str) -> str:
    """Absolute path of a key in the local store, refusing any key that would escape it."""
    return _local().path(key)


def _local():
    from gallery.services.storage_local import LocalStore

    store = backend()
    if not isinstance(store, LocalStore):
        raise StorageError("Stored files have no local path on this backend: use local_copy().")
    return store


def original_key(sha256: str, ext: str) -> str:
    """Content-addressed key of an original: originals/ab/cd/<sha256>.<ext>."""
    return f"originals/{sha256[:2]}/{sha256[2:4]}/{sha256}.{ext}"


def rendition_key(sha256: str, size: str) -> str:
    """Key of a rendition, derived from the original's hash so re-made files overwrite."""
    return f"renditions/{sha256[:2]}/{sha256[2:4]}/{sha256}-{size}.jpg"


def served_key(sha256: str, ext: str, version: str = "") -> str:
    """Key of an original's served copy, derived from the original's hash like renditions.

    version: the digest of the credits written in (services/served.py), none for a copy without.
    """
    tail = f"-{version}" if version else ""
    return f"served/{sha256[:2]}/{sha256[2:4]}/{sha256}{tail}.{ext}"


def listing(folder: str) -> Iterator[Listed]:
    """Every stored file under one top folder, as keys, in no particular order."""
    return backend().listing(folder)


def temp_listing() -> Iterator[Listed]:
    """Every file in the scratch folder (keys relative to it, under tmp/)."""
    scratch = backend().scratch
    try:
        names = os.listdir(scratch)
    except FileNotFoundError:
        return
    for name in names:
        try:
            mtime = os.lstat(os.path.join(scratch, name)).st_mtime
        except FileNotFoundError:
            continue  # removed since the directory was read
        yield Listed(f"{TMP_FOLDER}/{name}", mtime)


def remove_temp(key: str) -> None:
    """Remove a file temp_listing() found (the entry itself, never what a link points at)."""
    name = key.removeprefix(TMP_FOLDER + "/")
    if not name or "/" in name or name in (".", ".."):
        raise StorageError("Invalid temp file name.")
    _unlink(os.path.join(backend().scratch, name))


def is_temp(key: str) -> bool:
    """Whether a key is a temp file of a write that has not finished (or never will)."""
    return key.startswith(TMP_FOLDER + "/") or key.endswith(TMP_SUFFIX)


def scratch_file(suffix: str = TMP_SUFFIX) -> str:
    """A new empty temp file in the scratch folder, for a maker to write before commit_file()."""
    folder = backend().scratch
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, suffix=suffix if suffix.endswith(TMP_SUFFIX) else suffix + TMP_SUFFIX)
    os.close(fd)
    return tmp


def spool(stream: BinaryIO, limit: int | None = None) -> Spooled:
    """Copy a stream to a temp file in the scratch folder, hashing as it goes."""
    tmp_dir = backend().scratch
    os.makedirs(tmp_dir, exist_ok=True)
    digest = hashlib.sha256()
    size = crc = 0
    fd, tmp = tempfile.mkstemp(dir=tmp_dir, suffix=TMP_SUFFIX)
    try:
        with os.fdopen(fd, "wb") as out:
            while chunk := stream.read(CHUNK):
                size += len(chunk)
                if limit is not None and size > limit:
                    raise TooLarge(N_("the file is over the size limit of %(limit)s.", limit=human_bytes(limit)))
                digest.update(chunk)
                crc = zlib.crc32(chunk, crc)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
    except BaseException:
        _unlink(tmp)
        raise
    return Spooled(tmp, digest.hexdigest(), size, crc)


def checksum_file(file_path: str) -> tuple[int, int]:
    """(size, CRC-32) of a local file, read in chunks into one reused buffer."""
    buf = bytearray(CHUNK)
    view = memoryview(buf)
    size = crc = 0
    with open(file_path, "rb", buffering=0) as fh:
        while n := fh.readinto(buf):
            crc = zlib.crc32(view[:n], crc)
            size += n
    return size, crc


def checksum(key: str) -> tuple[int, int]:
    """(size, CRC-32) of a stored file, read in chunks."""
    size = crc = 0
    with backend().open(key) as fh:
        while chunk := fh.read(CHUNK):
            crc = zlib.crc32(chunk, crc)
            size += len(chunk)
    return size, crc


def sha256(key: str) -> str:
    """SHA-256 of a stored file's bytes, read in chunks."""
    return hash_of(backend(), key)


def hash_of(store: Backend, key: str) -> str:
    """SHA-256 of a file in a given store (migrate compares two stores)."""
    digest = hashlib.sha256()
    with store.open(key) as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def commit_file(tmp_path: str, key: str) -> str:
    """Store a finished temp file at its key atomically (the temp file is gone after); returns the key."""
    try:
        backend().put_file(tmp_path, key)
    except BaseException:
        _unlink(tmp_path)
        raise
    return key


def save_bytes(data: bytes, key: str) -> Stored:
    """Store bytes at a key atomically: never a half-written file under the key."""
    backend().put_bytes(data, key)
    return Stored(key, hashlib.sha256(data).hexdigest(), len(data))


def reader(key: str, start: int = 0, end: int | None = None) -> Reader:
    """A stored file opened for reading in chunks, from start to end (exclusive); FileNotFoundError if missing."""
    return backend().open(key, start, end)


def read_bytes(key: str) -> bytes:
    """A small stored file's bytes (renditions)."""
    with backend().open(key) as fh:
        return fh.read()


def local_copy(key: str) -> contextlib.AbstractContextManager[str]:
    """A local file with the key's bytes, for decoders that need a path (`with ... as path:`).

    The local store gives the file itself (read it, never write it); S3 downloads it to a temp
    file that is removed when the block ends. FileNotFoundError if the key has no file.
    """
    return backend().local_copy(key)


def exists(key: str) -> bool:
    """Whether a key has a file."""
    return backend().exists(key)


def size(key: str) -> int | None:
    """A stored file's size in bytes, or None when it is missing."""
    return backend().size(key)


def delete(key: str) -> None:
    """Remove a stored file; a missing file is not an error."""
    backend().delete(key)


def remove_listed(key: str) -> None:
    """Remove a file listing() found: the entry itself, never what a link in its place points at."""
    backend().remove_listed(key)


def offload(key: str, mimetype: str, attachment: str | None = None) -> Response | None:
    """A response that has another server send the bytes, or None when the app must send them.

    S3: a redirect to a presigned URL that expires in S3_PRESIGN_SECONDS, never kept by a cache
    (a public page must never hold it). Local files: the X-Accel-Redirect or X-Sendfile header
    when SERVE_FILES_WITH says the front server sends them. The caller decided access first.
    """
    store = backend()
    url = store.presign(key, mimetype, attachment)
    if url is not None:
        response = redirect(url, 302)
        response.headers["Cache-Control"] = "private, no-store"
        return response
    mode = current_app.config.get("SERVE_FILES_WITH")
    if mode is None:
        return None
    if mode not in SERVE_MODES:
        raise StorageError(f"SERVE_FILES_WITH must be x-accel-redirect or x-sendfile, not {mode!r}.")
    response = Response(mimetype=mimetype)
    if mode == "x-accel-redirect":
        prefix = current_app.config["X_ACCEL_PREFIX"].rstrip("/")
        # The key as the nginx location sees it under the store's root (path() refuses escapes).
        inside = os.path.relpath(store.path(key), store.real_root).replace(os.sep, "/")
        response.headers["X-Accel-Redirect"] = f"{prefix}/{quote(inside)}"
    else:
        response.headers["X-Sendfile"] = store.path(key)
    if attachment is not None:
        response.headers["Content-Disposition"] = f'attachment; filename="{attachment}"'
    return response


def send(key: str, mimetype: str) -> Response:
    """The bytes of a stored file for the browser (ranges answered), or a response that has them sent."""
    offloaded = offload(key, mimetype)
    if offloaded is not None:
        return offloaded
    return send_file(backend().path(key), mimetype=mimetype, conditional=True)


def is_redirect(response: Response) -> bool:
    """Whether send() answered with a presigned URL: its caching is settled, never public."""
    return response.status_code == 302


def _unlink(p: str) -> None:
    try:
        os.unlink(p)
    except FileNotFoundError:
        pass

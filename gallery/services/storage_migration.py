"""Copy every stored file to another store, verified: what `gallery storage migrate --to URL` does.

Each file the database points at (original, served copy, rendition, proxy) is copied through a
temp file whose SHA-256 is checked before it is stored: an original's against the hash it is
filed under, a derived file's against the source's bytes. Then the stored copy is read back and
checked again. A file already in the target with the right bytes is skipped, so a run that was
stopped (or killed) goes on where it was, and running it twice does nothing new. Nothing is
switched: the caller tells the operator which setting to change once every file is verified.
"""
from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import select

from gallery.exceptions import StorageError, ValidationError
from gallery.extensions import db
from gallery.models import Asset, Rendition
from gallery.services import storage
from gallery.services.storage import CHUNK, Backend


@dataclass(frozen=True)
class Item:
    """One stored file to copy: its key, what it is, and the SHA-256 its bytes must have if known."""

    key: str
    what: str  # "original", "served" or a rendition size
    sha256: str | None  # originals only: the hash the key is made of


@dataclass
class Outcome:
    """What a run did: counts, the files it could not copy (with why), and whether it stopped early."""

    total: int = 0
    copied: int = 0
    present: int = 0
    bytes_copied: int = 0
    failed: list[tuple[Item, str]] = field(default_factory=list)
    stopped: bool = False

    @property
    def complete(self) -> bool:
        """Every file is in the target and verified."""
        return not self.failed and not self.stopped and self.copied + self.present == self.total


Progress = Callable[[int, Outcome, Item, str], None]


def items() -> list[Item]:
    """Every file the database points at, once each, originals first."""
    seen: set[str] = set()
    out: list[Item] = []
    rows = db.session.execute(select(Asset.storage_key, Asset.sha256, Asset.served_key).order_by(Asset.id))
    served = []
    for key, sha, served_key in rows:
        if key not in seen:
            seen.add(key)
            out.append(Item(key, "original", sha))
        if served_key and served_key != key:
            served.append(served_key)
    for key in served:
        if key not in seen:
            seen.add(key)
            out.append(Item(key, "served", None))
    for key, size in db.session.execute(select(Rendition.storage_key, Rendition.size).order_by(Rendition.id)):
        if key not in seen:
            seen.add(key)
            out.append(Item(key, size, None))
    return out


def migrate(target: Backend, progress: Progress | None = None, limit: int | None = None) -> Outcome:
    """Copy and verify every file into target (skipping verified ones); stop after `limit` copies."""
    source = storage.backend()
    if source.url == target.url:
        raise ValidationError(f"The files are already stored at {target.url}.", field="to")
    try:
        next(iter(target.listing("originals")), None)  # can we reach it at all: say so once
    except StorageError as exc:
        raise StorageError(f"Cannot use {target.url}: {exc.message}") from exc
    todo = items()
    done = Outcome(total=len(todo))
    for n, item in enumerate(todo, 1):
        if limit is not None and done.copied >= limit:
            done.stopped = True
            break
        try:
            state, size = _copy(source, target, item)
        except FileNotFoundError:
            done.failed.append((item, "missing in the current store (see `gallery check`)"))
            state = "failed"
        except (OSError, _Mismatch, StorageError) as exc:
            done.failed.append((item, str(exc)))
            state = "failed"
        else:
            if state == "copied":
                done.copied += 1
                done.bytes_copied += size
            else:
                done.present += 1
        if progress is not None:
            progress(n, done, item, state)
    return done


class _Mismatch(Exception):
    """A file's bytes are not the ones they should be."""


def _copy(source: Backend, target: Backend, item: Item) -> tuple[str, int]:
    """("present" or "copied", bytes) for one file; raises _Mismatch when a check fails."""
    expected = item.sha256
    target_size = target.size(item.key)
    if target_size is not None:
        if expected is None:
            expected = storage.hash_of(source, item.key)  # a derived file: the source's bytes
        if target_size == source.size(item.key) and storage.hash_of(target, item.key) == expected:
            return "present", target_size
    os.makedirs(target.scratch, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.scratch, suffix=storage.TMP_SUFFIX)
    try:
        digest, size = hashlib.sha256(), 0
        with os.fdopen(fd, "wb") as out, source.open(item.key) as src:
            while chunk := src.read(CHUNK):
                digest.update(chunk)
                out.write(chunk)
                size += len(chunk)
            out.flush()
            os.fsync(out.fileno())
        if expected is not None and digest.hexdigest() != expected:
            raise _Mismatch(f"the current store's bytes do not match the SHA-256 {expected} "
                            "the original is filed under; restore it from a backup")
        expected = digest.hexdigest()
        target.put_file(tmp, item.key)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    if storage.hash_of(target, item.key) != expected:  # read back what the target holds
        raise _Mismatch("the copy's bytes differ from the source's after storing it")
    return "copied", size

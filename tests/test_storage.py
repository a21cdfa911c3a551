"""Storage keys resolve inside the upload directory and never outside it."""
from __future__ import annotations

import os

import pytest

from gallery.exceptions import StorageError
from gallery.services import storage


def test_plain_keys_resolve_as_realpath_does(app, tmp_path):
    root = storage.root()
    storage.save_bytes(b"x", "originals/ab/cd/file.jpg")
    os.makedirs(os.path.join(root, "real-dir"))
    os.symlink(os.path.join(root, "real-dir"), os.path.join(root, "linked-dir"))
    for key in ("originals/ab/cd/file.jpg", "originals/ab/cd/missing.jpg", "missing/dir/file.jpg",
                "originals/./ab/cd/file.jpg", "originals//ab/cd/file.jpg",
                "originals/ab/../ab/cd/file.jpg", "linked-dir/file.jpg",
                "originals/ab/cd/file.jpg/under-a-file"):
        assert storage.path(key) == os.path.realpath(os.path.join(root, key)), key
    real_dir = os.path.join(os.path.realpath(root), "real-dir")
    assert storage.path("linked-dir/file.jpg") == os.path.join(real_dir, "file.jpg")


@pytest.mark.parametrize("key", ["../outside.jpg", "originals/../../outside.jpg", "/etc/passwd",
                                 "out-link/file.jpg", "out-file-link", "..", ""])
def test_keys_that_escape_are_refused(app, tmp_path, key):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "file.jpg").write_bytes(b"secret")
    root = storage.root()
    os.makedirs(root, exist_ok=True)
    os.symlink(outside, os.path.join(root, "out-link"))
    os.symlink(outside / "file.jpg", os.path.join(root, "out-file-link"))
    with pytest.raises(StorageError):
        storage.path(key)


def test_delete_never_reaches_outside_through_a_link(app, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "file.jpg").write_bytes(b"secret")
    root = storage.root()
    os.makedirs(root, exist_ok=True)
    os.symlink(outside, os.path.join(root, "out-link"))
    with pytest.raises(StorageError):
        storage.delete("out-link/file.jpg")
    storage.remove_listed("out-link")  # an entry found by listing: the link goes, not its target
    assert (outside / "file.jpg").read_bytes() == b"secret"
    assert not os.path.lexists(os.path.join(root, "out-link"))

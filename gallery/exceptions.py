"""Domain errors raised by services and formats; errors.py turns them into pages and JSON."""
from __future__ import annotations


class GalleryError(Exception):
    """Base class of every error a user can be told about."""

    status = 400

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class UnsupportedMedia(GalleryError):
    """The file is not an accepted, intact media file."""

    status = 415


class TooLarge(GalleryError):
    """The file is over a size or pixel limit."""

    status = 413


class DuplicateAsset(GalleryError):
    """The same bytes are already in the catalogue."""

    status = 409

    def __init__(self, message: str, existing_id: int) -> None:
        super().__init__(message)
        self.existing_id = existing_id


class StorageError(GalleryError):
    """A file could not be stored or read."""

    status = 500


class ValidationError(GalleryError):
    """A form or API field has a bad value."""


class NotFound(GalleryError):
    """The thing asked for does not exist (or may not be seen)."""

    status = 404


class Forbidden(GalleryError):
    """The user may not do this."""

    status = 403

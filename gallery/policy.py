"""Who may see and download what: the one choke point every page and file route asks."""
from __future__ import annotations

from typing import Any

from gallery.models import Asset, Gallery

# "stream" means playing a video or audio file in the asset page: anyone who may view the asset.
PUBLIC_SIZES = ("thumb", "preview", "stream")
DOWNLOAD_SIZES = ("preview", "large", "original")


def is_staff(user: Any) -> bool:
    """Editors and admins see drafts and manage content."""
    return bool(user is not None and getattr(user, "is_authenticated", False) and user.is_staff)


def can_view_gallery(user: Any, gallery: Gallery | None) -> bool:
    """Published, live galleries are public; everything else is for staff."""
    if gallery is None:
        return False
    if is_staff(user):
        return True
    return gallery.is_public


def can_view_asset(user: Any, asset: Asset | None) -> bool:
    """An asset is public when it and its gallery are published and live."""
    if asset is None:
        return False
    if is_staff(user):
        return True
    return asset.is_live and asset.gallery.is_public


def can_get_file(user: Any, asset: Asset | None, size: str) -> bool:
    """May this user get the bytes of this asset at this size (thumb, preview, stream, large, original)?"""
    if not can_view_asset(user, asset):
        return False
    if size in PUBLIC_SIZES:
        return True
    return can_download(user, asset, size)


def can_download(user: Any, asset: Asset, size: str) -> bool:
    """Downloads are for active registered users; staff may always download."""
    if size not in DOWNLOAD_SIZES and size not in PUBLIC_SIZES:
        return False
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return can_view_asset(user, asset)

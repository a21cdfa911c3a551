"""Who may see and download what: the one choke point every page and file route asks.

`access(user, asset, size, download=...)` is the one question; the `can_*` helpers are yes/no
views of it. Sizes: thumb, preview and stream are shown in pages (public when the asset is);
preview ("Small"), large, the web proxies (web, hd, audio) and original are downloads, for active members who accepted the
current terms (and, for sensitive assets, hold an approval); staff may always download.
A sensitive asset's thumb, preview and stream need those same download rights: everyone else
gets only its blurred thumb (`reveals`, `thumb_size_for`).
"""
from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from typing import Any

from flask import current_app, has_app_context, has_request_context, request
from sqlalchemy import ColumnElement, and_, exists, or_, select

from gallery import clock
from gallery.extensions import db
from gallery.models import Asset, AssetWork, DownloadApproval, Gallery, SiteText

# "stream" means playing a video or audio file in the asset page: anyone who may view the asset.
# "blurred" is the thumb with the picture blurred away: what the public sees of a sensitive asset.
BLURRED = "blurred"
INLINE_SIZES = ("thumb", "preview", "stream", BLURRED)
# The inline sizes that show what a sensitive asset depicts: they need download rights.
REVEALING_SIZES = ("thumb", "preview", "stream")
# The web proxies of videos and audio (services/proxies.py): downloads with the rules of "large".
PROXY_SIZES = ("web", "hd", "audio")
DOWNLOAD_SIZES = ("preview", "large", *PROXY_SIZES, "original")

# The pieces of derived work (asset_work, services/work.py) an asset of each media type needs
# before the public sees it or a gallery count includes it. An image's thumb and preview are
# made at ingest, and large and the served copy have in-request fallbacks, so no image waits for
# a worker; a video or audio file waits for its web proxy (what the player plays).
REQUIRED_PIECES: dict[str, tuple[str, ...]] = {"image": (), "video": ("proxy",), "audio": ("proxy",)}


class Access(str, Enum):
    """The policy's answer; views turn each refusal into the right response."""

    OK = "ok"
    NOT_FOUND = "not_found"    # unknown, unpublished or trashed, or a size that is never served
    LOGIN = "login"            # anonymous: log in first
    TERMS = "terms"            # a member who has not accepted the current terms
    APPROVAL = "approval"      # a sensitive asset without an approved request
    FORBIDDEN = "forbidden"    # a deactivated account


def is_authenticated(user: Any) -> bool:
    """A logged-in user (anonymous users and None are not)."""
    return bool(user is not None and getattr(user, "is_authenticated", False))


def is_staff(user: Any) -> bool:
    """Editors and admins see drafts and manage content."""
    return bool(is_authenticated(user) and user.is_staff)


def is_admin(user: Any) -> bool:
    """Admins see users, download statistics and site settings."""
    return bool(is_authenticated(user) and getattr(user, "is_admin", False))


# Consent values that are public whatever PUBLISH_UNKNOWN_CONSENT says.
CLEARED_CONSENTS = ("obtained", "not_needed")


def publish_unknown_consent() -> bool:
    """Whether assets whose consent is unknown are public (the PUBLISH_UNKNOWN_CONSENT setting)."""
    if not has_app_context():
        return True
    return bool(current_app.config.get("PUBLISH_UNKNOWN_CONSENT", True))


def public_consents() -> tuple[str, ...]:
    """Consent values that let an asset be shown to the public: never withheld."""
    return (*CLEARED_CONSENTS, "unknown") if publish_unknown_consent() else CLEARED_CONSENTS


def can_view_gallery(user: Any, gallery: Gallery | None, *, in_trash: bool = False) -> bool:
    """Published galleries are public, drafts are for staff; trashed ones for no one (see trash)."""
    if gallery is None:
        return False
    if is_staff(user):
        return in_trash or gallery.deleted_at is None
    return gallery.status == "published" and gallery.deleted_at is None and not embargoed(gallery)


def embargoed(item: Asset | Gallery) -> bool:
    """Whether a gallery or asset is under embargo now (its time not reached on the clock)."""
    return item.embargo_until is not None and item.embargo_until > clock.now()


def rights_expired(asset: Asset) -> bool:
    """Whether the asset's usage rights have ended (from the start of the expiry date, UTC)."""
    return asset.rights_expire_on is not None and asset.rights_expire_on <= clock.today()


def can_view_asset(user: Any, asset: Asset | None, *, in_trash: bool = False) -> bool:
    """Public: published, consent not withheld, gallery published. Staff: any. Trashed: no one.

    in_trash: staff looking at /manage/trash (its thumbnails) may see trashed items there.
    """
    # can_view_gallery's rules inlined: a zip asks this for hundreds of assets before its first
    # byte, and the config is read only for the one consent value that depends on it.
    gallery = asset.gallery if asset is not None else None
    if gallery is None:
        return False
    if is_staff(user):
        return in_trash or (asset.deleted_at is None and gallery.deleted_at is None)
    return (asset.status == "published" and asset.deleted_at is None
            and gallery.status == "published" and gallery.deleted_at is None
            and (asset.consent in CLEARED_CONSENTS
                 or (asset.consent == "unknown" and publish_unknown_consent()))
            and not embargoed(asset) and not embargoed(gallery) and not rights_expired(asset)
            and work_ready(asset))


def work_ready(asset: Asset) -> bool:
    """Whether the asset's required pieces (REQUIRED_PIECES) are all ready (reads its work only if any)."""
    required = REQUIRED_PIECES.get(asset.media_type, ())
    return not required or all(w.state == "ready" for w in asset.work if w.piece in required)


def required_work_clause() -> ColumnElement[bool] | None:
    """SQL form of work_ready; None while no media type requires a piece (no cost in queries)."""
    parts = [or_(Asset.media_type != media_type, ~exists().where(
        AssetWork.asset_id == Asset.id, AssetWork.piece.in_(pieces), AssetWork.state != "ready"))
        for media_type, pieces in REQUIRED_PIECES.items() if pieces]
    return and_(*parts) if parts else None


def public_gallery_clause() -> ColumnElement[bool]:
    """SQL form of can_view_gallery for the public: published, not trashed, not under embargo."""
    return and_(Gallery.status == "published", Gallery.deleted_at.is_(None),
                or_(Gallery.embargo_until.is_(None), Gallery.embargo_until <= clock.now()))


def public_asset_clause() -> ColumnElement[bool]:
    """SQL form of can_view_asset's own part for the public (the gallery is checked apart)."""
    # Every list, count, cover, neighbour and zip query for the public uses this one clause.
    clauses = [Asset.status == "published", Asset.deleted_at.is_(None),
               Asset.consent.in_(public_consents()),
               or_(Asset.embargo_until.is_(None), Asset.embargo_until <= clock.now()),
               or_(Asset.rights_expire_on.is_(None), Asset.rights_expire_on > clock.today())]
    required = required_work_clause()
    return and_(*clauses) if required is None else and_(*clauses, required)


def harvestable_clause() -> ColumnElement[bool]:
    """What open harvesting (OAI-PMH, sitemaps) lists: public assets of public galleries, never sensitive ones."""
    # Harvesters copy records into other catalogues and crawlers index pages: a sensitive item,
    # shown to the public only blurred, is left out of both altogether. Needs Gallery joined.
    return and_(public_gallery_clause(), public_asset_clause(), Asset.sensitive.is_(False))


def visible_asset_clause(user: Any) -> ColumnElement[bool]:
    """The assets of a viewable gallery this user sees in lists: staff all but the trash."""
    return Asset.deleted_at.is_(None) if is_staff(user) else public_asset_clause()


def access(user: Any, asset: Asset | None, size: str, *, download: bool = False) -> Access:
    """May this user get this size of this asset? Inline sizes shown in a page, or a download."""
    return _decide(user, asset, size, download, download_gate, approval_status)


def download_access(user: Any, assets: list[Asset], size: str) -> list[Access]:
    """access(user, a, size, download=True) for each asset, with no query per asset."""
    # A zip of hundreds of items asks this before its first byte: the gate (terms version
    # included) is decided once and the sensitive assets' approvals are read in one query.
    user = unproxied(user)
    gate = download_gate(user)
    approved: set[int] = set()
    if gate is Access.OK and not is_staff(user):
        sensitive = [a.id for a in assets if a is not None and a.sensitive]
        approved = set(db.session.scalars(select(DownloadApproval.asset_id).where(
            DownloadApproval.user_id == user.id, DownloadApproval.status == "approved",
            DownloadApproval.asset_id.in_(sensitive)))) if sensitive else set()

    def status(_user: Any, asset: Asset) -> str | None:
        return "approved" if asset.id in approved else None

    return [_decide(user, a, size, True, lambda _user: gate, status) for a in assets]


def _decide(user: Any, asset: Asset | None, size: str, download: bool,
            gate_of: Callable[[Any], Access],
            status_of: Callable[[Any, Asset], str | None]) -> Access:
    """The rules behind access() and download_access(), which differ only in how they read them."""
    if not can_view_asset(user, asset, in_trash=size == "thumb" and not download):
        return Access.NOT_FOUND
    if not download and size in INLINE_SIZES:
        if asset.sensitive and size in REVEALING_SIZES:
            return _rights(user, asset, gate_of, status_of)
        return Access.OK
    if size not in DOWNLOAD_SIZES:
        return Access.NOT_FOUND
    return _rights(user, asset, gate_of, status_of)


def _rights(user: Any, asset: Asset, gate_of: Callable[[Any], Access],
            status_of: Callable[[Any, Asset], str | None]) -> Access:
    """Download rights, which also show a sensitive asset for real: gate, then approval."""
    gate = gate_of(user)
    if gate is not Access.OK or is_staff(user):
        return gate
    if asset.sensitive and status_of(user, asset) != "approved":
        return Access.APPROVAL
    return Access.OK


def press_kit_access(asset: Asset | None, size: str, sizes: list[str] | tuple[str, ...]) -> Access:
    """What an unregistered press-kit recipient may get of a listed asset, in the sizes staff chose.

    Only what the public sees (published, not trashed, not under embargo, rights not expired),
    and of that only items with consent given and not sensitive; inline sizes show it in the
    press-kit page, the download sizes staff chose download it (the link's acceptance of the
    terms is the caller's gate). Everything else is NOT_FOUND: the recipient learns nothing more.
    """
    if (asset is None or asset.sensitive or asset.consent not in CLEARED_CONSENTS
            or not can_view_asset(None, asset)):
        return Access.NOT_FOUND
    if size in INLINE_SIZES:
        return Access.OK
    return Access.OK if size in DOWNLOAD_SIZES and size in sizes else Access.NOT_FOUND


def reveals(user: Any, asset: Asset) -> bool:
    """Whether this user sees the asset for real (thumb, preview, player) rather than blurred."""
    # The page already decided the asset is visible; this is only the sensitive rule, and it
    # reads the user's approvals once per request, so a grid of tiles costs no query per tile.
    if not asset.sensitive:
        return True
    user = unproxied(user)
    return _rights(user, asset, download_gate, _approved_in_request) is Access.OK


def thumb_size_for(user: Any, asset: Asset) -> str:
    """The thumb this user gets of this asset in grids and covers: the real one, or blurred."""
    return "thumb" if reveals(user, asset) else BLURRED


def _approved_in_request(user: Any, asset: Asset) -> str | None:
    """approval_status reduced to 'approved' or None, from the user's approvals read once per request."""
    cache = request if has_request_context() else None
    ids = getattr(cache, "_gallery_approved_ids", None)
    if ids is None or ids[0] != user.id:
        ids = (user.id, frozenset(db.session.scalars(select(DownloadApproval.asset_id).where(
            DownloadApproval.user_id == user.id, DownloadApproval.status == "approved"))))
        if cache is not None:
            cache._gallery_approved_ids = ids
    return "approved" if asset.id in ids[1] else None


def unproxied(user: Any) -> Any:
    """The user behind Flask-Login's current_user (or the user given)."""
    # Each attribute read through the proxy looks the user up again: it adds up over many items.
    get = getattr(user, "_get_current_object", None)
    return get() if callable(get) else user


def download_gate(user: Any) -> Access:
    """The per-user part of download rights: logged in, active, terms accepted (staff: always)."""
    if not is_authenticated(user):
        return Access.LOGIN
    if not getattr(user, "is_active", False):
        return Access.FORBIDDEN
    if is_staff(user):
        return Access.OK
    if not has_accepted_terms(user):
        return Access.TERMS
    return Access.OK


def is_public_file(asset: Asset | None, size: str) -> bool:
    """Whether an anonymous visitor may get this file: only then may shared caches keep it."""
    return access(None, asset, size) is Access.OK


def current_terms_version() -> int:
    """Version of the terms of use in force (1 until an admin publishes the 'terms' site text)."""
    # Cached on the request (not on g: tests share one app context across requests).
    cache = request if has_request_context() else None
    if cache is not None and hasattr(cache, "_gallery_terms_version"):
        return cache._gallery_terms_version
    version = db.session.scalar(select(SiteText.version).where(SiteText.key == "terms")) or 1
    if cache is not None:
        cache._gallery_terms_version = version
    return version


def has_accepted_terms(user: Any) -> bool:
    """Whether the user accepted the terms version now in force."""
    accepted = getattr(user, "terms_version", None)
    return accepted is not None and accepted >= current_terms_version()


def approval_status(user: Any, asset: Asset) -> str | None:
    """pending / approved / refused for this user's request on this asset, or None."""
    if not is_authenticated(user):
        return None
    return db.session.scalar(select(DownloadApproval.status).where(
        DownloadApproval.user_id == user.id, DownloadApproval.asset_id == asset.id))


def iiif_edge(user: Any, asset: Asset | None) -> int | None:
    """The longest edge this user may get of an image through IIIF, or None: not served (404).

    Served to whoever sees the asset's preview for real (so never a sensitive item's to the
    public); as far as IIIF_PUBLIC_SIZE, or IIIF_DOWNLOAD_SIZE for those who may download large.
    """
    if asset is None or asset.media_type != "image" or not asset.width or not asset.height:
        return None
    if access(user, asset, "preview") is not Access.OK:
        return None
    full = max(asset.width, asset.height)
    edge = _iiif_size_edge(current_app.config["IIIF_PUBLIC_SIZE"], full)
    if is_authenticated(user) and access(user, asset, "large", download=True) is Access.OK:
        edge = max(edge, _iiif_size_edge(current_app.config["IIIF_DOWNLOAD_SIZE"], full))
    return min(edge, full)


def _iiif_size_edge(size: str, full: int) -> int:
    """A IIIF_*_SIZE setting as a long edge: a rendition size's, or the full resolution's."""
    return full if size == "full" else int(current_app.config["RENDITION_SIZES"][size])

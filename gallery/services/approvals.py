"""Download approvals for sensitive assets: members ask, editors decide."""
from __future__ import annotations

from sqlalchemy import select

from gallery.exceptions import Forbidden, NotFound, ValidationError
from gallery.extensions import db
from gallery.i18n.service_messages import N_
from gallery.models import Asset, DownloadApproval, Gallery, User, utcnow
from gallery.services import unit

DECISIONS = ("approved", "refused")
MAX_REASON = 2000


def request_approval(user: User, asset: Asset, reason: str) -> DownloadApproval:
    """Ask to download a sensitive asset; asking again after a refusal reopens the request."""
    reason = (reason or "").strip()
    if not asset.sensitive:
        raise ValidationError("This item does not need an approval.")
    if not reason:
        raise ValidationError("Say briefly how you will use this item.", field="reason")
    if len(reason) > MAX_REASON:
        raise ValidationError(N_("Keep the reason under %(limit)s characters.", limit=MAX_REASON), field="reason")
    found = db.session.scalar(select(DownloadApproval).where(
        DownloadApproval.user_id == user.id, DownloadApproval.asset_id == asset.id))
    if found is not None and found.status in ("pending", "approved"):
        return found
    if found is None:
        found = DownloadApproval(user_id=user.id, asset_id=asset.id)
        db.session.add(found)
    found.status, found.reason, found.requested_at = "pending", reason, utcnow()
    found.decided_by_id = found.decided_at = None
    unit.commit(drain=False)
    return found


def decide(approval_id: int, decision: str, editor: User) -> DownloadApproval:
    """Approve or refuse a request (editors and admins only)."""
    if not editor.is_staff:
        raise Forbidden("Only editors decide download approvals.")
    if decision not in DECISIONS:
        raise ValidationError("Decide approved or refused.", field="decision")
    found = db.session.get(DownloadApproval, approval_id)
    if found is None:
        raise NotFound("No such request.")
    found.status, found.decided_by_id, found.decided_at = decision, editor.id, utcnow()
    unit.commit(drain=False)
    return found


def pending(limit: int = 200) -> list[tuple[DownloadApproval, User, Asset]]:
    """Open requests, oldest first, with who asked and for what."""
    return list(db.session.execute(
        select(DownloadApproval, User, Asset)
        .join(User, User.id == DownloadApproval.user_id)
        .join(Asset, Asset.id == DownloadApproval.asset_id)
        .join(Gallery, Gallery.id == Asset.gallery_id)
        # Trashed items are absent everywhere but the trash: no request to decide for them.
        .where(DownloadApproval.status == "pending", Asset.deleted_at.is_(None),
               Gallery.deleted_at.is_(None))
        .order_by(DownloadApproval.requested_at, DownloadApproval.id).limit(limit)).all())


def recent_decisions(limit: int = 50) -> list[tuple[DownloadApproval, User, Asset]]:
    """The latest decided requests, newest first."""
    return list(db.session.execute(
        select(DownloadApproval, User, Asset)
        .join(User, User.id == DownloadApproval.user_id)
        .join(Asset, Asset.id == DownloadApproval.asset_id)
        .join(Gallery, Gallery.id == Asset.gallery_id)
        .where(DownloadApproval.status != "pending", Asset.deleted_at.is_(None),
               Gallery.deleted_at.is_(None))
        .order_by(DownloadApproval.decided_at.desc(), DownloadApproval.id.desc()).limit(limit)).all())

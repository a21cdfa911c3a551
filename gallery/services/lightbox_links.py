"""Links to a lightbox: read-only shared links, and press-kit links staff send to journalists.

A link's token is shown once and only its SHA-256 is stored (as API tokens). Revocation and
expiry (on gallery/clock.py) take effect on the next request. A shared link shows each viewer
what the policy lets *them* see; a press-kit link lets anyone holding it download, after
accepting the terms, the listed items policy.press_kit_access allows, in the sizes staff chose.
"""
from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from gallery import clock, policy
from gallery.exceptions import Forbidden, GalleryError, NotFound, ValidationError
from gallery.extensions import db
from gallery.models import DownloadEvent, Lightbox, LightboxLink, PressKitAcceptance, User, utcnow
from gallery.services import fields, lightboxes, unit
from gallery.services.apitokens import hash_token
from gallery.services.downloads import SIZE_EDGES_LABEL

LABEL_LIMIT = 120
TOKEN_LIMIT = 100  # longer text is no token of ours: refused before hashing
MAX_LINKS = 50  # live links per lightbox


class LinkGone(GalleryError):
    """A link that existed but was revoked or has expired."""

    status = 410


@dataclass
class LinkRow:
    """A link with its download count, for the lightbox page and the staff list."""

    link: LightboxLink
    downloads: int

    @property
    def state(self) -> str:
        """live, expired or revoked."""
        return state_of(self.link)

    @property
    def expires_on(self) -> dt.date | None:
        """The last day the link opens (it ends at the close of that day, UTC)."""
        return expires_on(self.link)


def expires_on(link: LightboxLink) -> dt.date | None:
    """The last day a link opens, or None when it never expires."""
    return (link.expires_at - dt.timedelta(days=1)).date() if link.expires_at else None


def state_of(link: LightboxLink) -> str:
    """live, expired or revoked, on the schedules' clock."""
    if link.revoked_at is not None:
        return "revoked"
    if link.expires_at is not None and link.expires_at <= clock.now():
        return "expired"
    return "live"


def expiry(value: Any) -> dt.datetime | None:
    """The end of an 'expires on' date (UTC), which must not be in the past; empty: never."""
    day = fields.date(value, "expires_on")
    if day is None:
        return None
    if day.year > 9998:
        raise ValidationError("The expiry date is too far away.", field="expires_on")
    if day < clock.today():
        raise ValidationError("The expiry date is in the past.", field="expires_on")
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time())


def clean_sizes(values: Any) -> list[str]:
    """The press kit's download sizes: one or more of policy.DOWNLOAD_SIZES, in their order."""
    if isinstance(values, str):
        values = [values]
    if not isinstance(values, (list, tuple)) or not values:
        raise ValidationError("Choose at least one size recipients may download.", field="sizes")
    unknown = [v for v in values if v not in policy.DOWNLOAD_SIZES]
    if unknown:
        names = ", ".join(f"{s} ({SIZE_EDGES_LABEL[s]})" for s in policy.DOWNLOAD_SIZES)
        raise ValidationError(f"Sizes must be among: {names}.", field="sizes")
    return [s for s in policy.DOWNLOAD_SIZES if s in values]


@unit.use_case
def create(user: User, lightbox: Lightbox, kind: str, *, label: Any = "", expires_on: Any = None,
           sizes: Any = None) -> tuple[LightboxLink, str]:
    """Make a shared link (any owner) or a press-kit link (staff); returns the row and its token, shown once."""
    lightboxes.get(user, lightbox.id)
    user = policy.unproxied(user)
    kind = fields.choice(kind, ("share", "presskit"), "kind")
    if kind == "presskit" and not policy.is_staff(user):
        raise Forbidden("Only the media team makes press-kit links.")
    live = [link for link in links_of(lightbox) if link.state == "live"]
    if len(live) >= MAX_LINKS:
        raise ValidationError(f"This lightbox has {MAX_LINKS} live links: revoke one first.", field="kind")
    token = secrets.token_urlsafe(32)
    link = LightboxLink(lightbox_id=lightbox.id, kind=kind, token_hash=hash_token(token),
                        label=fields.text(label, "label", LABEL_LIMIT), created_by_id=user.id,
                        expires_at=expiry(expires_on),
                        sizes=clean_sizes(sizes) if kind == "presskit" else [])
    db.session.add(link)
    unit.commit(drain=False)
    return link, token


def links_of(lightbox: Lightbox) -> list[LinkRow]:
    """A lightbox's links, newest first, with how many files each has given."""
    return _with_counts(select(LightboxLink).where(LightboxLink.lightbox_id == lightbox.id))


def press_kits() -> list[LinkRow]:
    """Every press-kit link, newest first, with its download count (the staff list)."""
    return _with_counts(select(LightboxLink).where(LightboxLink.kind == "presskit"))


def _with_counts(query) -> list[LinkRow]:
    counts = (select(DownloadEvent.link_id, func.count().label("n"))
              .where(DownloadEvent.link_id.is_not(None)).group_by(DownloadEvent.link_id).subquery())
    rows = db.session.execute(
        query.add_columns(func.coalesce(counts.c.n, 0)).outerjoin(counts, counts.c.link_id == LightboxLink.id)
        .order_by(LightboxLink.created_at.desc(), LightboxLink.id.desc()))
    return [LinkRow(link, int(n)) for link, n in rows]


@unit.use_case
def revoke(user: User, link_id: Any) -> LightboxLink:
    """Revoke a link at once: its owner may, and staff may revoke any press kit."""
    link = db.session.get(LightboxLink, lid) if (lid := fields.as_id(link_id)) else None
    user = policy.unproxied(user)
    owner = link is not None and policy.is_authenticated(user) and link.lightbox.user_id == user.id
    if link is None or not (owner or (link.kind == "presskit" and policy.is_staff(user))):
        raise NotFound("No such link.")
    if link.revoked_at is None:
        link.revoked_at = utcnow()
        unit.commit(drain=False)
    return link


def resolve(token: Any, kind: str) -> LightboxLink:
    """The live link of this kind a token opens; NotFound if none, LinkGone if revoked or expired."""
    if not isinstance(token, str) or not token or len(token) > TOKEN_LIMIT:
        raise NotFound("This link is not valid: check that it was copied whole.")
    link = db.session.scalar(select(LightboxLink).where(LightboxLink.token_hash == hash_token(token)))
    if link is None or link.kind != kind:
        raise NotFound("This link is not valid: check that it was copied whole.")
    state = state_of(link)
    if state == "revoked":
        raise LinkGone("This link has been withdrawn by the person who shared it.")
    if state == "expired":
        raise LinkGone("This link has expired. Ask the person who sent it for a new one.")
    return link


def press_kit_entries(link: LightboxLink) -> list[lightboxes.Entry]:
    """The press kit's items, each with its asset only if policy.press_kit_access allows it."""
    return [lightboxes.Entry(e.item, e.item.asset if policy.press_kit_access(
        e.item.asset, "thumb", link.sizes) is policy.Access.OK else None)
        for e in lightboxes.entries(None, link.lightbox)]


@unit.use_case
def accept_terms(link: LightboxLink, version: Any) -> PressKitAcceptance:
    """Record that a recipient accepted the terms in force on this press kit's page."""
    current = policy.current_terms_version()
    if version is not None and fields.as_id(version) != current:
        raise ValidationError("The terms changed while you were reading them; please read them "
                              "again.", field="version")
    row = PressKitAcceptance(link_id=link.id, terms_version=current)
    db.session.add(row)
    unit.commit(drain=False)
    return row


def has_accepted(link: LightboxLink, accepted: Any) -> bool:
    """Whether the session's record ({link id: terms version}) covers this link and the terms in force."""
    if not isinstance(accepted, dict):
        return False
    return accepted.get(str(link.id)) == policy.current_terms_version()

"""Links to a lightbox: read-only shared links, and press-kit links staff send to journalists.

A link's token is shown once and only its SHA-256 is stored (as API tokens). Revocation and
expiry (on gallery/clock.py) take effect on the next request. A shared link shows each viewer
what the policy lets *them* see; a press-kit link lets anyone holding it download, after
accepting the terms, the listed items policy.press_kit_access allows, in the sizes staff chose.
A link lives only while the account that made it is active (and, for a press kit, still staff):
deactivating, demoting or deleting the account ends its links at once. A token carries its
lightbox owner's id, signed with the secret key (bound to the token's random part): when the rows
went with a deleted account, the link still answers 410 Gone, not 404, without keeping a record.
"""
from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from typing import Any

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import func, select

from gallery import clock, policy
from gallery.exceptions import Forbidden, GalleryError, NotFound, ValidationError
from gallery.extensions import db
from gallery.i18n.service_messages import N_
from gallery.models import (
    Asset,
    DownloadEvent,
    Lightbox,
    LightboxLink,
    PressKitAcceptance,
    User,
    utcnow,
)
from gallery.services import downloads, fields, lightboxes, unit
from gallery.services.apitokens import hash_token

LABEL_LIMIT = 120
RECIPIENT_LIMIT = 120  # a press-kit recipient's name and organisation
TOKEN_LIMIT = 100  # longer text is no token of ours: refused before hashing
MAX_LINKS = 50  # live links per lightbox
OWNER_GONE = "This link's owner no longer has an account."
KIT_ENDED = "This press kit is no longer available."


class LinkGone(GalleryError):
    """A link that existed but was revoked, has expired or lost its owner's account."""

    status = 410


@dataclass
class LinkRow:
    """A link with its download count, for the lightbox page and the staff list."""

    link: LightboxLink
    downloads: int

    @property
    def state(self) -> str:
        """live, expired, revoked or closed."""
        return state_of(self.link)

    @property
    def expires_on(self) -> dt.date | None:
        """The last day the link opens (it ends at the close of that day, UTC)."""
        return expires_on(self.link)


def expires_on(link: LightboxLink) -> dt.date | None:
    """The last day a link opens, or None when it never expires."""
    return (link.expires_at - dt.timedelta(days=1)).date() if link.expires_at else None


def state_of(link: LightboxLink) -> str:
    """live, expired, revoked or closed (its maker's account is), on the schedules' clock."""
    if link.revoked_at is not None:
        return "revoked"
    if not _maker_may_share(link):
        return "closed"
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
        names = ", ".join(f"{s} ({downloads.SIZE_EDGES_LABEL[s]})" for s in policy.DOWNLOAD_SIZES)
        raise ValidationError(N_("Sizes must be among: %(sizes)s.", sizes=names), field="sizes")
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
        raise ValidationError(N_("This lightbox has %(limit)s live links: revoke one first.", limit=MAX_LINKS), field="kind")
    token = _new_token(lightbox.user_id)
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
    if link is None:
        owner_id = _owner_of(token)
        if owner_id is not None and db.session.get(User, owner_id) is None:
            raise LinkGone(OWNER_GONE)  # its account was deleted, and its links with it
    if link is None or link.kind != kind:
        raise NotFound("This link is not valid: check that it was copied whole.")
    state = state_of(link)
    if state == "closed":
        # A demoted maker still has an account: only their press kits close, for that reason.
        raise LinkGone(OWNER_GONE if _account_gone(link) else KIT_ENDED)
    if state == "revoked":
        raise LinkGone("This link has been withdrawn by the person who shared it.")
    if state == "expired":
        raise LinkGone("This link has expired. Ask the person who sent it for a new one.")
    return link


def _new_token(owner_id: int) -> str:
    """A random part, then the owner's id signed for this random part ("random.owner.signature")."""
    random_part = secrets.token_urlsafe(32)  # never holds a dot
    return f"{random_part}.{_signer(random_part).dumps(owner_id)}"


def _owner_of(token: str) -> int | None:
    """The owner id a token of ours carries, or None (an older token, or a forged or mangled one)."""
    random_part, _, signed = token.partition(".")
    if not signed:
        return None
    try:
        owner_id = _signer(random_part).loads(signed)
    except BadSignature:
        return None
    return owner_id if isinstance(owner_id, int) and not isinstance(owner_id, bool) else None


def _signer(random_part: str) -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=f"lightbox-link-owner:{random_part}")


def _maker_may_share(link: LightboxLink) -> bool:
    """Whether the account behind a link still stands: its maker and the lightbox's owner active,
    and a press kit's maker still staff (only staff make them)."""
    if _account_gone(link):
        return False
    return link.kind != "presskit" or policy.is_staff(db.session.get(User, link.created_by_id))


def _account_gone(link: LightboxLink) -> bool:
    """Whether the link's maker or its lightbox's owner is deleted or deactivated."""
    maker, owner = db.session.get(User, link.created_by_id) if link.created_by_id else None, link.lightbox.user
    return maker is None or not maker.active or not owner.active


def press_kit_entries(link: LightboxLink) -> list[lightboxes.Entry]:
    """The press kit's items, each with its asset only if policy.press_kit_access allows it."""
    return [lightboxes.Entry(e.item, e.item.asset if policy.press_kit_access(
        e.item.asset, "thumb", link.sizes) is policy.Access.OK else None)
        for e in lightboxes.entries(None, link.lightbox)]


@unit.use_case
def accept_terms(link: LightboxLink, version: Any, *, name: Any = None, organisation: Any = None,
                 intended_use: Any = None) -> PressKitAcceptance:
    """Record that a recipient accepted the terms in force, with their name, organisation and use."""
    current = policy.current_terms_version()
    if version is not None and fields.as_id(version) != current:
        raise ValidationError("The terms changed while you were reading them; please read them "
                              "again.", field="version")
    name = fields.text(name, "name", RECIPIENT_LIMIT, required=True, label="Your name")
    organisation = fields.text(organisation, "organisation", RECIPIENT_LIMIT, label="Organisation")
    if not isinstance(intended_use, str) or not intended_use.strip():
        raise ValidationError("Say what you will use these files for.", field="use")
    row = PressKitAcceptance(link_id=link.id, terms_version=current, name=name,
                             organisation=organisation,
                             intended_use=downloads.clean_intended_use(intended_use))
    db.session.add(row)
    unit.commit(drain=False)
    return row


def remember(accepted: Any, row: PressKitAcceptance) -> dict[str, list[int]]:
    """The session's record with this acceptance: {link id: [terms version, acceptance id]}."""
    out = dict(accepted) if isinstance(accepted, dict) else {}
    out[str(row.link_id)] = [row.terms_version, row.id]
    return out


def acceptance_for(link: LightboxLink, accepted: Any) -> PressKitAcceptance | None:
    """The session's acceptance of this link under the terms in force, or None (ask again)."""
    if not isinstance(accepted, dict):
        return None
    entry = accepted.get(str(link.id))
    if not (isinstance(entry, list) and len(entry) == 2 and entry[0] == policy.current_terms_version()):
        return None
    row = db.session.get(PressKitAcceptance, aid) if (aid := fields.as_id(entry[1])) else None
    return row if row is not None and row.link_id == link.id else None


def downloads_of(link: LightboxLink) -> list[tuple[DownloadEvent, Asset | None, PressKitAcceptance | None]]:
    """A press kit's downloads, newest first: what, when, and who said they were (staff page)."""
    return list(db.session.execute(
        select(DownloadEvent, Asset, PressKitAcceptance)
        .outerjoin(Asset, Asset.id == DownloadEvent.asset_id)
        .outerjoin(PressKitAcceptance, PressKitAcceptance.id == DownloadEvent.acceptance_id)
        .where(DownloadEvent.link_id == link.id)
        .order_by(DownloadEvent.created_at.desc(), DownloadEvent.id.desc())).all())


def press_kit(link_id: Any) -> LightboxLink:
    """A press-kit link by id (the staff page of its downloads); NotFound for anything else."""
    link = db.session.get(LightboxLink, lid) if (lid := fields.as_id(link_id)) else None
    if link is None or link.kind != "presskit":
        raise NotFound("No such press kit.")
    return link

"""Typed SQLAlchemy 2 models of the catalogue."""
from __future__ import annotations

import datetime as dt
from typing import Any

from flask_babel import gettext
from flask_login import UserMixin
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, WriteOnlyMapped, mapped_column, relationship

from gallery.db import Base
from gallery.i18n.names import N_

MEDIA_TYPES = ("image", "video", "audio")
STATUSES = ("draft", "published")
ROLES = ("member", "editor", "admin")
# withheld: never shown to the public; unknown: shown unless PUBLISH_UNKNOWN_CONSENT is False.
CONSENT_STATUSES = ("unknown", "obtained", "not_needed", "withheld")
MEDIA_NOUNS = {"image": "Photo", "video": "Video", "audio": "Audio recording"}
_NUMBERED = {"image": N_("Photo %(num)s of %(gallery)s"), "video": N_("Video %(num)s of %(gallery)s"),
             "audio": N_("Audio recording %(num)s of %(gallery)s"),
             None: N_("Item %(num)s of %(gallery)s")}


def utcnow() -> dt.datetime:
    """Current time in UTC, naive, as stored in the database."""
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


class Category(Base):
    """A theme galleries are filed under (Health, Shelter, ...)."""

    __tablename__ = "categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    position: Mapped[int] = mapped_column(Integer, default=0)


class Country(Base):
    """An ISO 3166-1 country, keyed by its alpha-3 code."""

    __tablename__ = "countries"

    alpha3: Mapped[str] = mapped_column(String(3), primary_key=True)
    alpha2: Mapped[str] = mapped_column(String(2), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    official_name: Mapped[str | None] = mapped_column(String(200))

    @property
    def slug(self) -> str:
        """Lower-case code used in URLs."""
        return self.alpha3.lower()


class Gallery(Base):
    """A collection of assets with batch metadata."""

    __tablename__ = "galleries"
    __table_args__ = (
        Index("ix_galleries_status_created", "status", "created_at"),
        Index("ix_galleries_pick", "editors_pick", "pick_position"),
        # Covers the public lists (newest first, by category or country) and the category and
        # country counts: with 40,000 galleries they walk this index, never the rows.
        Index("ix_galleries_listing", "status", "created_at", "id", "deleted_at", "embargo_until",
              "category_id", "country_code"),
        # The counts of a category's, a country's and a crossing's galleries read only their own
        # entries; the dashboard's newest-changed first reads 24.
        Index("ix_galleries_category_place", "category_id", "country_code", "status", "deleted_at",
              "embargo_until"),
        Index("ix_galleries_country_place", "country_code", "category_id", "status", "deleted_at",
              "embargo_until"),
        Index("ix_galleries_updated", "updated_at"),
        Index("ix_galleries_created_by", "created_by_id"),  # the dashboard's list of owners
        Index("ix_galleries_asset_count", "asset_count"),  # the dashboard's "Most items" first
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    slug: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    # The language title and description (and its assets' texts) were written in, and their
    # translations into the other interface languages: {"fr": {"title": "..."}} (services/translations.py).
    language: Mapped[str] = mapped_column(String(8), default="en", server_default="en")
    translations: Mapped[dict[str, dict[str, str]]] = mapped_column(
        JSON, default=dict, server_default=text("'{}'"))
    credit: Mapped[str] = mapped_column(String(300), default="")
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"), index=True)
    country_code: Mapped[str | None] = mapped_column(
        ForeignKey("countries.alpha3"), index=True
    )
    date: Mapped[dt.date | None] = mapped_column(Date)
    cover_asset_id: Mapped[int | None] = mapped_column(
        ForeignKey("assets.id", use_alter=True, name="fk_galleries_cover_asset", ondelete="SET NULL")
    )
    status: Mapped[str] = mapped_column(String(16), default="draft")
    # Embargo: a published gallery stays hidden from the public until then (UTC); the schedule
    # (services/schedule.py) clears it once passed, so counts and search follow.
    embargo_until: Mapped[dt.datetime | None] = mapped_column(DateTime, index=True)
    # Rights and usage terms of every asset in the gallery unless an asset says otherwise
    # (services/rights.py): a licence key, a usage-terms sentence and restrictions.
    licence: Mapped[str] = mapped_column(String(32), default="")
    usage_terms: Mapped[str] = mapped_column(String(500), default="")
    restrictions: Mapped[str] = mapped_column(String(500), default="")
    editors_pick: Mapped[bool] = mapped_column(Boolean, default=False)
    pick_position: Mapped[int | None] = mapped_column(Integer)
    # Counts of the assets the public sees (policy.public_asset_clause) per media type, kept by
    # counts.refresh_counts so that list pages never count per card.
    image_count: Mapped[int] = mapped_column(Integer, default=0)
    video_count: Mapped[int] = mapped_column(Integer, default=0)
    audio_count: Mapped[int] = mapped_column(Integer, default=0)
    # Its assets out of the trash, drafts and withheld ones included (the dashboard's Items and
    # its "Most items" sort), kept by the same refresh: counting them per gallery to sort the
    # dashboard counted a million assets at 40,000 galleries.
    asset_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    deleted_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    category: Mapped[Category] = relationship(lazy="joined")
    country: Mapped[Country | None] = relationship(lazy="joined")
    cover_asset: Mapped[Asset | None] = relationship(foreign_keys=[cover_asset_id], post_update=True)
    assets: WriteOnlyMapped[Asset] = relationship(
        foreign_keys="Asset.gallery_id", back_populates="gallery", passive_deletes=True
    )

    @property
    def item_count(self) -> int:
        """Number of published assets of every media type."""
        return self.image_count + self.video_count + self.audio_count


class GalleryTally(Base):
    """Galleries counted per (category, country), kept by services/tallies.py before each commit.

    country_code is "" for galleries without a country (a key column cannot be NULL). No foreign
    key: a category merge deletes its category in the transaction that recounts its rows.
    """

    __tablename__ = "gallery_tallies"

    category_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    country_code: Mapped[str] = mapped_column(String(3), primary_key=True)
    # What the public sees (policy.public_gallery_clause): galleries, those with at least one
    # public image, video or audio item, and the public items they hold (Gallery.item_count).
    galleries: Mapped[int] = mapped_column(Integer, default=0)
    image_galleries: Mapped[int] = mapped_column(Integer, default=0)
    video_galleries: Mapped[int] = mapped_column(Integer, default=0)
    audio_galleries: Mapped[int] = mapped_column(Integer, default=0)
    items: Mapped[int] = mapped_column(Integer, default=0)
    # What staff see: galleries out of the trash per status, embargoed or not.
    drafts: Mapped[int] = mapped_column(Integer, default=0)
    published: Mapped[int] = mapped_column(Integer, default=0)
    # The earliest embargo still ahead among the published ones: from then until the schedule
    # lifts it the public counts are stale, and readers count live instead.
    next_change: Mapped[dt.datetime | None] = mapped_column(DateTime)


class Asset(Base):
    """One photo, video or audio file with its descriptive metadata."""

    __tablename__ = "assets"
    __table_args__ = (
        Index("ix_assets_gallery_position", "gallery_id", "position"),
        Index("ix_assets_media_type_created", "media_type", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    gallery_id: Mapped[int] = mapped_column(ForeignKey("galleries.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer, default=0)
    media_type: Mapped[str] = mapped_column(String(16))
    original_filename: Mapped[str] = mapped_column(String(255), default="")
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    storage_key: Mapped[str] = mapped_column(String(255))
    mime_type: Mapped[str] = mapped_column(String(100))
    bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    # The served original (services/served.py): what original downloads, zips and playback send.
    # The stored original itself when it holds no location, else a location-free copy; size and
    # CRC-32 known in advance let zips write each entry's header before its bytes. NULL: not made yet.
    served_key: Mapped[str | None] = mapped_column(String(255))
    served_bytes: Mapped[int | None] = mapped_column(BigInteger)
    served_crc32: Mapped[int | None] = mapped_column(BigInteger)
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    duration: Mapped[float | None] = mapped_column(Float)
    codec: Mapped[str | None] = mapped_column(String(64))
    camera: Mapped[str | None] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(String(300), default="")
    caption: Mapped[str] = mapped_column(Text, default="")
    alt_text: Mapped[str] = mapped_column(Text, default="")
    # Title, caption and alt text in other languages than the gallery's: {"fr": {"caption": "..."}}.
    translations: Mapped[dict[str, dict[str, str]]] = mapped_column(
        JSON, default=dict, server_default=text("'{}'"))
    credit: Mapped[str] = mapped_column(String(300), default="")
    creator: Mapped[str] = mapped_column(String(300), default="")
    copyright: Mapped[str] = mapped_column(String(300), default="")
    keywords: Mapped[list[str]] = mapped_column(JSON, default=list)
    city: Mapped[str] = mapped_column(String(200), default="")
    country_code: Mapped[str | None] = mapped_column(ForeignKey("countries.alpha3"), index=True)
    date_taken: Mapped[dt.date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="published")
    embargo_until: Mapped[dt.datetime | None] = mapped_column(DateTime, index=True)  # as galleries
    # Usage rights end on this date (UTC): from then on the asset is withdrawn from public view
    # and downloads; withdrawn_at marks that the schedule has applied it (counts, search).
    rights_expire_on: Mapped[dt.date | None] = mapped_column(Date, index=True)
    withdrawn_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    licence: Mapped[str] = mapped_column(String(32), default="")  # empty: the gallery's
    usage_terms: Mapped[str] = mapped_column(String(500), default="")
    restrictions: Mapped[str] = mapped_column(String(500), default="")
    consent: Mapped[str] = mapped_column(String(16), default="unknown")
    sensitive: Mapped[bool] = mapped_column(Boolean, default=False)
    extra: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    deleted_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    gallery: Mapped[Gallery] = relationship(foreign_keys=[gallery_id], back_populates="assets")
    country: Mapped[Country | None] = relationship(lazy="joined")
    renditions: Mapped[list[Rendition]] = relationship(
        back_populates="asset", cascade="all, delete-orphan", passive_deletes=True
    )
    work: Mapped[list[AssetWork]] = relationship(
        back_populates="asset", cascade="all, delete-orphan", passive_deletes=True
    )

    @property
    def display_title(self) -> str:
        """Title, else the start of the caption, else 'Photo 3 of <gallery>': never the file name."""
        # Uploaded file names carry names, ages and places of the people pictured: never public.
        if self.title:
            return self.title
        if self.caption:
            return self.caption if len(self.caption) <= 80 else self.caption[:77] + "..."
        return self.numbered_title()

    def numbered_title(self, index: int | None = None) -> str:
        """'Photo 3 of <gallery title>' (Video, Audio recording), numbered by position unless given."""
        # In the page's language (English outside a request: downloads, the API, the CLI).
        pattern = _NUMBERED.get(self.media_type, _NUMBERED[None])
        return gettext(pattern, num=self.position if index is None else index,
                       gallery=self.gallery.title)

    @property
    def staff_title(self) -> str:
        """For staff pages only: the title, else the caption's start, else the uploaded file name."""
        if self.title or self.caption or not self.original_filename:
            return self.display_title
        return self.original_filename

    def rendition(self, size: str) -> Rendition | None:
        """The rendition of this size, if made."""
        return next((r for r in self.renditions if r.size == size), None)


class Rendition(Base):
    """A derived JPEG of an asset at a named size."""

    __tablename__ = "renditions"
    __table_args__ = (UniqueConstraint("asset_id", "size", name="uq_renditions_asset_size"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("assets.id", ondelete="CASCADE"))
    size: Mapped[str] = mapped_column(String(16))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    bytes: Mapped[int] = mapped_column(BigInteger)
    storage_key: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    asset: Mapped[Asset] = relationship(back_populates="renditions")


WORK_STATES = ("pending", "running", "ready", "failed")


class AssetWork(Base):
    """One piece of derived work of an asset (large, served; later proxy) and where it stands.

    The database holds the truth; a queue message only says "look at asset N" (services/work.py).
    lease_until: a pending piece not started by then, or a running one not finished by then, was
    lost (a dropped message, a killed worker) and the sweeper queues it again. not_before: a
    piece waiting for its retry (backoff) is not taken before then.
    """

    __tablename__ = "asset_work"
    __table_args__ = (UniqueConstraint("asset_id", "piece", name="uq_asset_work_asset_piece"),
                      Index("ix_asset_work_state_lease", "state", "lease_until"))

    id: Mapped[int] = mapped_column(primary_key=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("assets.id", ondelete="CASCADE"))
    piece: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    reason: Mapped[str] = mapped_column(Text, default="")
    lease_until: Mapped[dt.datetime | None] = mapped_column(DateTime)
    not_before: Mapped[dt.datetime | None] = mapped_column(DateTime)
    started_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    # The fraction done of a running piece that reports it (a video's proxy), written every few
    # seconds in its own short transaction; None before its first report.
    progress: Mapped[float | None] = mapped_column(Float)

    asset: Mapped[Asset] = relationship(back_populates="work")


class User(UserMixin, Base):
    """A registered account: member, editor or admin."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    organisation: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16), default="member")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Changes whenever the password changes, so old sessions and reset links stop working.
    session_token: Mapped[str] = mapped_column(String(64), default="")
    terms_version: Mapped[int | None] = mapped_column(Integer)
    terms_accepted_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    last_login_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    # The interface language the user last chose (switcher, /fr/ URL, account page): the language
    # of the mail sent to them outside a request; None until they choose (English).
    language: Mapped[str | None] = mapped_column(String(8))

    def get_id(self) -> str:
        """Session id for Flask-Login: user id and session token."""
        return f"{self.id}:{self.session_token}"

    @property
    def is_active(self) -> bool:  # type: ignore[override]
        """Deactivated accounts cannot log in."""
        return self.active

    @property
    def is_staff(self) -> bool:
        """Editors and admins manage content."""
        return self.role in ("editor", "admin")

    @property
    def is_admin(self) -> bool:
        """Admins manage users, categories and site text."""
        return self.role == "admin"


class DownloadEvent(Base):
    """One download of one asset at one size."""

    __tablename__ = "download_events"
    __table_args__ = (Index("ix_download_events_created", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    asset_id: Mapped[int | None] = mapped_column(ForeignKey("assets.id", ondelete="SET NULL"), index=True)
    gallery_id: Mapped[int | None] = mapped_column(ForeignKey("galleries.id", ondelete="SET NULL"))
    size: Mapped[str] = mapped_column(String(16))
    via: Mapped[str] = mapped_column(String(16), default="file")
    intended_use: Mapped[str] = mapped_column(String(32), default="")
    # A press-kit download (user_id NULL: an unregistered recipient) is logged against its link.
    link_id: Mapped[int | None] = mapped_column(
        ForeignKey("lightbox_links.id", ondelete="SET NULL"), index=True)
    # ... and against the recipient's acceptance of the terms (their name, organisation, use).
    acceptance_id: Mapped[int | None] = mapped_column(
        ForeignKey("press_kit_acceptances.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class SearchOutbox(Base):
    """One entry of the search change log, written in the same transaction as the change.

    Append-only: every server follows it into its own index from its own cursor, and pruning
    deletes what every server has passed (services/search/changelog.py). The log's order is
    (txid, id): on PostgreSQL txid is the writing transaction's id (ids from a sequence are not
    given in commit order); on SQLite it is 0 (one writer at a time: ids are in commit order).
    """

    __tablename__ = "search_outbox"
    # AUTOINCREMENT: SQLite would otherwise give an emptied (pruned) table its ids again.
    __table_args__ = (Index("ix_search_outbox_position", "txid", "id"),
                      Index("ix_search_outbox_queued_at", "queued_at"),
                      {"sqlite_autoincrement": True})

    id: Mapped[int] = mapped_column(primary_key=True)
    txid: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))
    asset_id: Mapped[int] = mapped_column(Integer, index=True)
    operation: Mapped[str] = mapped_column(String(16), default="upsert")
    queued_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class SearchServer(Base):
    """A server following the search change log: how far its index has applied it, and when it last said so."""

    __tablename__ = "search_servers"

    name: Mapped[str] = mapped_column(String(255), primary_key=True)
    cursor_txid: Mapped[int] = mapped_column(BigInteger, default=0)
    cursor_id: Mapped[int] = mapped_column(BigInteger, default=0)
    # JSON [[txid, id], ...]: entries applied past the position (Cursor.applied).
    cursor_applied: Mapped[str | None] = mapped_column(Text)
    last_seen: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class SearchLogFloor(Base):
    """The one row saying how far the change log has been pruned; a cursor below it must rebuild."""

    __tablename__ = "search_log_floor"

    id: Mapped[int] = mapped_column(primary_key=True)
    txid: Mapped[int] = mapped_column(BigInteger, default=0)
    entry_id: Mapped[int] = mapped_column(BigInteger, default=0)
    pruned_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class SiteText(Base):
    """Editable site text (terms of use, about, help) in Markdown."""

    __tablename__ = "site_texts"

    key: Mapped[str] = mapped_column(String(32), primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class SiteTextTranslation(Base):
    """A site text in another language, for the version of the English text it translates."""

    __tablename__ = "site_text_translations"

    key: Mapped[str] = mapped_column(String(32), primary_key=True)
    language: Mapped[str] = mapped_column(String(8), primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    # The English text's version when this was saved: a newer English text outdates it.
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class ApiToken(Base):
    """A personal API token; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100), default="")
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # What the token may do is decided by its prefix (covered by the hash); this is for display.
    scope: Mapped[str] = mapped_column(String(20), default="editor", server_default="editor")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    user: Mapped[User] = relationship()


class ActivityLog(Base):
    """Who changed what and when, per gallery and per asset."""

    __tablename__ = "activity_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    gallery_id: Mapped[int | None] = mapped_column(Integer, index=True)
    asset_id: Mapped[int | None] = mapped_column(Integer, index=True)
    action: Mapped[str] = mapped_column(String(64))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    user: Mapped[User | None] = relationship()


class DownloadApproval(Base):
    """A member's request to download a sensitive asset, decided by an editor."""

    __tablename__ = "download_approvals"
    __table_args__ = (UniqueConstraint("user_id", "asset_id", name="uq_download_approvals_user_asset"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    asset_id: Mapped[int] = mapped_column(ForeignKey("assets.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    reason: Mapped[str] = mapped_column(Text, default="")
    requested_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class RateLimit(Base):
    """A failure counter shared by every worker and server when Redis is not configured."""

    __tablename__ = "rate_limits"

    # SHA-256 of the counter's name: the table never holds the emails and addresses it counts.
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)
    # Seconds since the epoch on the limiter's clock (tests move that clock).
    window_ends: Mapped[float] = mapped_column(Float, index=True)
    last_at: Mapped[float] = mapped_column(Float)


class Lightbox(Base):
    """A user's named selection of assets from any gallery (services/lightboxes.py)."""

    __tablename__ = "lightboxes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    note: Mapped[str] = mapped_column(Text, default="")
    # The one made on first use; it cannot be deleted, so every user always has one.
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)

    user: Mapped[User] = relationship()
    items: Mapped[list[LightboxItem]] = relationship(
        back_populates="lightbox", cascade="all, delete-orphan", passive_deletes=True,
        order_by="(LightboxItem.position, LightboxItem.id)")


class LightboxItem(Base):
    """One asset in a lightbox, at a position, with the collector's note."""

    __tablename__ = "lightbox_items"
    __table_args__ = (UniqueConstraint("lightbox_id", "asset_id", name="uq_lightbox_items_asset"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    lightbox_id: Mapped[int] = mapped_column(ForeignKey("lightboxes.id", ondelete="CASCADE"))
    asset_id: Mapped[int] = mapped_column(ForeignKey("assets.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    note: Mapped[str] = mapped_column(String(500), default="")
    added_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    lightbox: Mapped[Lightbox] = relationship(back_populates="items")
    asset: Mapped[Asset] = relationship()


LINK_KINDS = ("share", "presskit")


class LightboxLink(Base):
    """A read-only link to a lightbox (share) or a press kit; only its token's SHA-256 is stored."""

    __tablename__ = "lightbox_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    lightbox_id: Mapped[int] = mapped_column(ForeignKey("lightboxes.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16), default="share")
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str] = mapped_column(String(120), default="")
    # Press kits: the download sizes staff chose (policy.DOWNLOAD_SIZES names).
    sizes: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[dt.datetime | None] = mapped_column(DateTime)  # UTC, on gallery/clock.py
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    lightbox: Mapped[Lightbox] = relationship()


class PressKitAcceptance(Base):
    """Terms of use accepted on a press-kit page: one row per recipient's visit (browser session)."""

    __tablename__ = "press_kit_acceptances"

    id: Mapped[int] = mapped_column(primary_key=True)
    link_id: Mapped[int] = mapped_column(ForeignKey("lightbox_links.id", ondelete="CASCADE"), index=True)
    terms_version: Mapped[int] = mapped_column(Integer)
    # Who the recipient says they are and what for: shown to staff with their downloads.
    name: Mapped[str] = mapped_column(String(120), default="")
    organisation: Mapped[str] = mapped_column(String(120), default="")
    intended_use: Mapped[str] = mapped_column(String(32), default="")
    accepted_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class OaiRecord(Base):
    """An asset's record as OAI-PMH harvesters see it: its datestamp, and whether it is deleted.

    One row per asset that was ever harvestable, kept after the asset stops being public or is
    purged (no foreign key: a tombstone outlives its asset), so harvesters learn of deletions.
    The datestamp moves only when the fingerprint of the public record changes
    (services/oai_records.py). category, country and gallery_id are the record's sets as last
    public: a deleted record stays in the sets it was harvested from.
    """

    __tablename__ = "oai_records"
    __table_args__ = (Index("ix_oai_records_datestamp", "datestamp", "asset_id"),
                      Index("ix_oai_records_category", "category", "datestamp", "asset_id"),
                      Index("ix_oai_records_country", "country", "datestamp", "asset_id"),
                      Index("ix_oai_records_gallery", "gallery_id", "datestamp", "asset_id"))

    asset_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    datestamp: Mapped[dt.datetime] = mapped_column(DateTime)  # UTC, whole seconds
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    fingerprint: Mapped[str] = mapped_column(String(64), default="")
    category: Mapped[str | None] = mapped_column(String(120))
    country: Mapped[str | None] = mapped_column(String(3))
    gallery_id: Mapped[int | None] = mapped_column(Integer)


class OaiState(Base):
    """The one row that orders OAI-PMH datestamps and says whether every asset has a record yet.

    Every writer of records and every harvest request updates it first: its row lock makes a
    harvest wait for records being written, so no record gets a datestamp before a harvest that
    could not see it. built: False until a full pass gave every harvestable asset a record (an
    upgraded catalogue, or after `gallery oai-rebuild`).
    """

    __tablename__ = "oai_state"

    id: Mapped[int] = mapped_column(primary_key=True)
    built: Mapped[bool] = mapped_column(Boolean, default=False)
    touched_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class SavedSearch(Base):
    """A user's search kept by name (query and filters), with an optional daily e-mail of new results."""

    __tablename__ = "saved_searches"
    __table_args__ = (Index("ix_saved_searches_digest", "email_daily", "checked_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    # The /search arguments (q and filters) as the search page gave them.
    args: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    email_daily: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    # When the digest last looked for new results (due again a day later) and last sent a mail.
    checked_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    mailed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    user: Mapped[User] = relationship()


class SavedSearchSeen(Base):
    """An asset a saved search's owner was already told about (or that matched when mail was turned on)."""

    __tablename__ = "saved_search_seen"

    saved_search_id: Mapped[int] = mapped_column(
        ForeignKey("saved_searches.id", ondelete="CASCADE"), primary_key=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("assets.id", ondelete="CASCADE"), primary_key=True)

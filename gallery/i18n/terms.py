"""Words the code keeps as values (roles, statuses, media types, report columns) and their labels."""
from __future__ import annotations

from flask_babel import gettext

from gallery.i18n.names import N_

# Value as stored or passed around: its label, marked for the catalogues. A value missing here
# is shown as it is.
LABELS = {
    "member": N_("member"), "editor": N_("editor"), "admin": N_("admin"),
    "draft": N_("draft"), "published": N_("published"),
    "active": N_("active"), "inactive": N_("inactive"), "waiting for approval": N_("waiting for approval"),
    "pending": N_("pending"), "approved": N_("approved"), "refused": N_("refused"),
    "live": N_("Live"), "expired": N_("Expired"), "revoked": N_("Revoked"), "closed": N_("Closed"),
    "image": N_("Image"), "video": N_("Video"), "audio": N_("Audio"),
    "asset": N_("asset"), "gallery": N_("gallery"), "user": N_("user"), "month": N_("month"),
    "asset id": N_("Asset id"), "gallery id": N_("Gallery id"), "user id": N_("User id"),
    "title": N_("Title"), "downloads": N_("Downloads"), "users": N_("Users"),
    "last download": N_("Last download"), "assets": N_("Assets"), "email": N_("Email"),
    "name": N_("Name"), "organisation": N_("Organisation"),
    # Intended uses of a download (services/downloads.py INTENDED_USES): stored in English.
    "Press": N_("Press"), "Web": N_("Web"), "Print": N_("Print"), "TV": N_("TV"),
    "Internal": N_("Internal"), "Other": N_("Other"),
    # Licence names (gallery/licences.py) in words; the Creative Commons codes read the same everywhere.
    "The organisation's terms of use": N_("The organisation's terms of use"),
    "CC0 1.0 (public domain)": N_("CC0 1.0 (public domain)"),
}


# The name every user's first lightbox is given (services/lightboxes.py): stored in English,
# shown in the page's language while the user keeps it.
DEFAULT_LIGHTBOX = N_("My lightbox")


def lightbox_name(name: str | None) -> str:
    """A lightbox's name as shown: the default name in the page's language, any other as the user wrote it."""
    return gettext(DEFAULT_LIGHTBOX) if name == DEFAULT_LIGHTBOX else (name or "")


def term(value: object) -> str:
    """The label of a stored value in the page's language."""
    label = LABELS.get(str(value)) if value is not None else None
    return gettext(label) if label else ("" if value is None else str(value))

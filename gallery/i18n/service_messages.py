"""Messages the services raise, marked for the catalogues: pages and flashes translate them.

Services raise English (the JSON API, the logs and the command line keep it); the error page and
flash messages pass the message through translate(), which finds it in the catalogues. A message
built from values is raised as N_("... %(name)s ...", name=value): a Message, English as a string,
that keeps its msgid and values so a page can translate it later, in the visitor's language.
tests/test_i18n_catalogues.py fails when a service raises a fixed message missing here, or builds
one with an f-string.
"""
from __future__ import annotations

from typing import Any


class Message(str):
    """English text built from values that remembers its msgid and values, for translate()."""

    msgid: str
    values: dict[str, Any]

    def __new__(cls, msgid: str, **values: Any) -> Message:
        self = super().__new__(cls, msgid % values if values else msgid)
        self.msgid = msgid
        self.values = values
        return self


def N_(msgid: str, **values: Any) -> str:
    """Mark a message for the catalogues (pybabel's N_ keyword); with values, a Message pages translate."""
    return Message(msgid, **values) if values else msgid


def term(text: str) -> Message:
    """A value inside a message that is itself an interface string (a field label, a media type)."""
    return text if isinstance(text, Message) else Message(text)


def translate(message: str) -> str:
    """The message in the current request's language (English outside a request or if not catalogued)."""
    from flask_babel import gettext

    if not isinstance(message, Message):
        return gettext(message) if message else message
    values = {key: translate(value) if isinstance(value, Message) else value
              for key, value in message.values.items()}
    return gettext(message.msgid, **values) if values else gettext(message.msgid)


MESSAGES = (
    N_('The JSON body is nested too deeply.'),
    N_('Enter a valid email address.'),
    N_('Names are limited to 200 characters.'),
    N_('An account with this email already exists.'),
    N_('This link has already been used, or a newer one was sent. Log in, or register again to get a new link.'),
    N_('There is no such account.'),
    N_('The current password is not correct.'),
    N_('This reset link has already been used. Ask for a new one.'),
    N_('Only admins change roles.'),
    N_('You cannot change your own role.'),
    N_('Only admins activate accounts.'),
    N_('You cannot deactivate your own account.'),
    N_('You may only create tokens for yourself.'),
    N_('API tokens are for active accounts.'),
    N_('Scope must be editor or download.'),
    N_('Editor tokens are for editors and admins; members get download tokens.'),
    N_('No such token.'),
    N_('This item does not need an approval.'),
    N_('Say briefly how you will use this item.'),
    N_('Only editors decide download approvals.'),
    N_('Decide approved or refused.'),
    N_('No such request.'),
    N_('zip archives inside zip archives are not accepted.'),
    N_('not a readable zip archive.'),
    N_('The asset is already in that gallery.'),
    N_('Select at least one asset.'),
    N_('Choose at least one field to set.'),
    N_('No such gallery to move to.'),
    N_('That is the same file as the current one.'),
    N_('The order must list every category exactly once.'),
    N_('No such category.'),
    N_('Choose a different category to merge into.'),
    N_('A category with this name already exists.'),
    N_('The “from” date must be on or before the “to” date.'),
    N_('There is no such download size.'),
    N_('Country must be a name or an ISO code.'),
    N_('Keywords must be a list or comma-separated text.'),
    N_('Each keyword must be text.'),
    N_('A gallery needs a title.'),
    N_('Choose a category.'),
    N_('The order must list every asset of the gallery exactly once.'),
    N_('Some of these files are not in this gallery.'),
    N_('No such asset.'),
    N_('The cover must be an asset of this gallery.'),
    N_('status must be draft or published.'),
    N_('The file of this item is missing; the problem has been logged.'),
    N_('Only editors and admins may do this.'),
    N_('Only admins may do this.'),
    N_('The original file is missing; the media team has been told.'),
    N_('No such page.'),
    N_('The terms changed while you were reading them; please read them again.'),
    N_('Restore its gallery first.'),
    N_('Some of the ticked items are not in this gallery.'),
    N_('Tick at least one item to download.'),
    N_('No such gallery.'),
    N_('Send a JSON object with Content-Type: application/json.'),
    N_('Choose a file to upload.'),
    N_('The file of this image cannot be read; the problem has been logged.'),
    N_('The expiry date is too far away.'),
    N_('The expiry date is in the past.'),
    N_('Choose at least one size recipients may download.'),
    N_('Only the media team makes press-kit links.'),
    N_('No such link.'),
    N_('This link is not valid: check that it was copied whole.'),
    N_("This link's owner no longer has an account."),
    N_('This press kit is no longer available.'),
    N_('No such lightbox.'),
    N_('Choose an item to add.'),
    N_('Send every item of the lightbox once, in the new order.'),
    N_('That item is not in this lightbox.'),
    N_('No such item.'),
    N_('A translation needs a title and a text.'),
    N_('Send asset_ids, a list of asset ids.'),
    N_('This press kit does not offer that size.'),
    N_('Say what you will use these files for.'),
    N_('No such press kit.'),
    N_('That saved search does not exist.'),
    N_('Log in to save a search.'),
    N_('Search for something (or choose a filter) before saving.'),
    N_('Tick the box to accept the terms of use.'),
    # Media types as messages name them ("image files may be at most 50 MB").
    N_('image'), N_('video'), N_('audio'),
    N_('Translations must be an object of languages.'),
    N_("Each language's translations must be an object of fields."),
)

# Raised only where no visitor reads them (storage internals, the command line, locks).
INTERNAL = {
    "Stored files have no local path on this backend: use local_copy().",
    "Invalid temp file name.",
    "Invalid storage key.",
    "a link pointing outside the folder.",
    "Another process holds the search index writer; run the repair again.",
}

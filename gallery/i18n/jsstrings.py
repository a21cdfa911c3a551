"""The strings of gallery/static/js in the page's language: one JSON blob base.html carries."""
from __future__ import annotations

from flask_babel import gettext

from gallery.i18n.names import N_

# Keys are the English strings the scripts fall back to; %(name)s placeholders are filled by
# galleryText() in gallery.js.
MESSAGES = (
    N_("Copied"),
    N_("Select and copy"),
    N_("Credit line copied to the clipboard"),  # data-what + " copied to the clipboard"
    N_("Caption copied to the clipboard"),
    N_("Copy was refused: the text is selected, press Ctrl+C"),
    N_("Order saved."),
    N_("The order could not be saved; reload the page and try again."),
    N_("Waiting"),
    N_("Uploading"),
    N_("Processing"),
    N_("Upload of %(name)s"),
    N_("The server refused the upload (HTTP %(status)s)."),
    N_("The connection failed; try this file again."),
    N_("Added: "),
    N_("Already in the catalogue"),
    N_("Refused: %(reason)s"),
    N_("1 added"),  # a singular of its own: French and Spanish agree with the count
    N_("%(count)s added"),
    N_("1 already in the catalogue"),
    N_("1 refused"),
    N_("%(count)s already in the catalogue"),
    N_("%(count)s refused"),
    N_("no files"),
    N_("%(done)s of %(total)s uploads sent."),
    N_("%(done)s of 1 upload sent."),
    N_("Files: %(tally)s"),
    N_(" The order could not be saved: reorder the files on the gallery's page."),
    N_("link copied to the clipboard"),  # lightbox links (data-what="link")
    N_("Embed code copied to the clipboard"),  # the embed snippet (data-what="Embed code")
    N_("Remove from"),  # the lightbox buttons: "Add to" / "Remove from" + "lightbox"
    N_("Add to"),
    N_("Added to %(name)s: 1 item."),
    N_("Added to %(name)s: %(count)s items."),
    N_("Removed from %(name)s: 1 item."),
    N_("Removed from %(name)s: %(count)s items."),
    N_("Moved to place %(place)s of %(total)s."),
    N_("1 item"),
    N_("%(count)s items"),
    N_("Removed. 1 item left."),
    N_("Removed. %(count)s items left."),
    N_("Note saved."),
)


def catalogue() -> dict[str, str]:
    """Each script string and its translation in the page's language."""
    return {message: gettext(message) for message in MESSAGES}

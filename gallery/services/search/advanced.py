"""The advanced search form's fields turned into a query string a journalist could have typed."""
from __future__ import annotations

import re

from gallery.i18n.names import N_

# Labels are catalogue msgids (N_): the form shows them in the page's language.
FIELD_CHOICES = (("", N_("Anywhere")), ("caption", N_("Caption")), ("title", N_("Title")),
                 ("credit", N_("Credit")), ("creator", N_("Photographer")),
                 ("keywords", N_("Keywords")), ("gallery", N_("Gallery")))
_WORD = re.compile(r'[^\s"]+')


def build_query(all_words: str = "", phrase: str = "", any_words: str = "", none_words: str = "",
                field: str = "", credit: str = "", gallery: str = "") -> str:
    """all words ANDed, "exact phrase", (a OR b), -none (bound to `field` if chosen), byline:, gallery:."""
    prefix = f"{field}:" if field in {f for f, _ in FIELD_CHOICES if f} else ""
    parts = [prefix + w for w in _WORD.findall(all_words or "")]
    phrase = (phrase or "").replace('"', " ").strip()
    if phrase:
        parts.append(f'{prefix}"{phrase}"')
    anys = [prefix + w for w in _WORD.findall(any_words or "")]
    if anys:
        parts.append(" OR ".join(anys))
    parts += [f"-{prefix}{w}" for w in _WORD.findall(none_words or "")]
    parts += [f"byline:{w}" for w in _WORD.findall(credit or "")]  # the credit or the photographer
    parts += [f"gallery:{w}" for w in _WORD.findall(gallery or "")]
    return " ".join(parts)

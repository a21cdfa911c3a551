"""The advanced search form's fields turned into a query string a journalist could have typed."""
from __future__ import annotations

import re

FIELD_CHOICES = (("", "Anywhere"), ("caption", "Caption"), ("title", "Title"), ("credit", "Credit"),
                 ("creator", "Photographer"), ("keywords", "Keywords"), ("gallery", "Gallery"))
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

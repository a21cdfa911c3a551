"""Dates, numbers and file sizes in the page's language, through Babel (CLDR)."""
from __future__ import annotations

import datetime as dt

from babel import dates, numbers, units

from gallery.i18n.locale import DEFAULT, current

# English keeps the gallery's own forms ("14 March 2023", "1.2 MB"); the others use CLDR's long
# date ("5 septembre 2023", "5 de septiembre de 2023") and short units ("12,4 Mo").
_UNITS = (("digital-byte", "bytes"), ("digital-kilobyte", "KB"), ("digital-megabyte", "MB"),
          ("digital-gigabyte", "GB"))


def filesize(n: int | None, language: str | None = None) -> str:
    """A file size: 1.2 MB, 1,2 Mo, 1,2 MB (1,024 bytes to the KB, as before)."""
    if n is None:
        return ""
    language = language or current()
    size = float(n)
    for index, (unit, english) in enumerate(_UNITS):
        if size < 1024 or index == len(_UNITS) - 1:
            if language == DEFAULT:
                return f"{int(size)} {english}" if index == 0 else f"{size:.1f} {english}"
            pattern = "#,##0" if index == 0 else "#,##0.0"
            return units.format_unit(int(size) if index == 0 else size, unit, length="short",
                                     format=pattern, locale=language)
        size /= 1024
    return ""  # not reached: the last unit always returns


def format_date(value: dt.date | dt.datetime | None, language: str | None = None) -> str:
    """A date: 14 March 2023, 14 mars 2023, 14 de marzo de 2023."""
    if value is None:
        return ""
    language = language or current()
    if language == DEFAULT:
        return f"{value.day} {value:%B %Y}"
    day = value.date() if isinstance(value, dt.datetime) else value
    return dates.format_date(day, "long", locale=language)


def format_datetime(value: dt.datetime | None, language: str | None = None) -> str:
    """A stored (naive UTC) time to the minute: 01 July 2030, 09:30 UTC; 1 juillet 2030, 09:30 UTC."""
    if value is None:
        return ""
    language = language or current()
    if language == DEFAULT:
        return f"{value:%d %B %Y, %H:%M} UTC"
    return f"{format_date(value, language)}, {value:%H:%M} UTC"


def number(value: int | float | None, language: str | None = None) -> str:
    """A number with the language's grouping: 1 234 in French, 1.234 in Spanish; English as is."""
    if value is None:
        return ""
    language = language or current()
    if language == DEFAULT:  # English pages keep their plain counts ("2000 items"), as before
        return str(value)
    return numbers.format_decimal(value, locale=language)


def datetime_short(value: dt.datetime | None, language: str | None = None) -> str:
    """A stored time in a badge: 05 Sep 2023 10:00 (the language's short month)."""
    if value is None:
        return ""
    language = language or current()
    if language == DEFAULT:
        return f"{value:%d %b %Y %H:%M}"
    return dates.format_datetime(value, "d MMM y HH:mm", locale=language)

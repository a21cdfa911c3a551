"""A search as query arguments: what /search, its feed and saved searches read and keep."""
from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from gallery.services.search.engine import Filters

# The arguments that say what a search finds (not its page, view or sort).
SEARCH_ARGS = ("q", "category", "country", "type", "year", "credit", "gallery", "date_from", "date_to")
MAX_ARG = 500  # longest value kept of any argument (a saved search stores them)


def search_args(args: Mapping[str, str]) -> dict[str, str]:
    """The query and filters of a search, trimmed, without empty ones."""
    return {k: v[:MAX_ARG] for k in SEARCH_ARGS if (v := (args.get(k) or "").strip())}


def parse_filters(args: Mapping[str, str]) -> Filters:
    """The filters of a search from its arguments; a bad date or gallery id is left out."""
    filters = Filters(category=_arg(args, "category"), country=_arg(args, "country"),
                      media_type=_arg(args, "type"), year=_arg(args, "year"),
                      credit=_arg(args, "credit"), gallery=_arg(args, "gallery"),
                      date_from=_date(args.get("date_from")), date_to=_date(args.get("date_to")))
    if filters.gallery and not (filters.gallery.isascii() and filters.gallery.isdigit()):
        filters.gallery = ""
    return filters


def _arg(args: Mapping[str, str], key: str) -> str:
    return (args.get(key) or "").strip()


def _date(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat((value or "").strip()) if value else None
    except ValueError:
        return None

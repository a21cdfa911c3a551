"""CSV cells a spreadsheet opens as text: no cell runs as a formula (CSV injection)."""
from __future__ import annotations

from typing import Any

# What spreadsheet programs read as the start of a formula (tab and CR too: some strip them first).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(value: Any) -> Any:
    """A CSV cell: text starting like a formula gets a leading apostrophe; None becomes ''."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def row(values: list[Any]) -> list[Any]:
    """Every cell of a row made safe with cell()."""
    return [cell(v) for v in values]

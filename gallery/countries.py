"""Country names and codes as files and forms write them, mapped to ISO 3166-1 alpha-3 (no models)."""
from __future__ import annotations

import pycountry


def country_code(value: str | None) -> str | None:
    """Map a country name or ISO code (alpha-2 or alpha-3, any case) to alpha-3, or None."""
    if not value or not value.strip():
        return None
    value = value.strip()
    try:
        found = pycountry.countries.lookup(value)
    except LookupError:
        try:
            found = pycountry.countries.search_fuzzy(value)[0]
        except LookupError:
            return None
    return found.alpha_3

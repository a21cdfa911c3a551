"""The one clock of schedules (embargoes, rights expiry): tests move it instead of waiting."""
from __future__ import annotations

import datetime as dt


def now() -> dt.datetime:
    """Current time in UTC, naive, as stored in the database."""
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


def today() -> dt.date:
    """Today's date in UTC (rights end at the start of their expiry date, UTC)."""
    return now().date()

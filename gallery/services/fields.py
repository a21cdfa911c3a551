"""Parse and check field values from forms and JSON: every error names its field."""
from __future__ import annotations

import datetime as dt
import re
from typing import Any, Iterable, Mapping

from gallery.countries import country_code
from gallery.exceptions import ValidationError
from gallery.i18n.service_messages import N_, term
from gallery.licences import LICENCES, RIGHTS_TEXT_LIMIT

# The range of the database's `integer` (PostgreSQL refuses anything outside it with an error).
MAX_INT = 2**31 - 1
MIN_INT = -(2**31)
WHOLE_NUMBER = re.compile(r"-?[0-9]{1,30}")  # ASCII digits ("²" is a digit to str.isdigit)
TRUE = ("1", "true", "on", "yes")
FALSE = ("0", "false", "off", "no", "")
MAX_KEYWORDS = 100
MAX_KEYWORD_LENGTH = 100
# The one table of an asset's text fields and their longest value. Ingest (form, manifest, API and
# embedded metadata), the caption grid, the edit form, bulk edit and the editor API all use it, so
# whatever one way in accepts, every other way can save again unchanged.
ASSET_TEXT_LIMITS = {"title": 300, "caption": 20_000, "alt_text": 2_000, "credit": 300,
                     "creator": 300, "copyright": 300, "city": 200}


def text(value: Any, field: str, max_length: int, required: bool = False,
         label: str | None = None) -> str:
    """A stripped string no longer than max_length."""
    label = term(label or _label(field))
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ValidationError(N_("%(label)s must be text.", label=label), field=field)
    value = value.strip()
    if required and not value:
        raise ValidationError(N_("%(label)s cannot be empty.", label=label), field=field)
    if len(value) > max_length:
        raise ValidationError(N_("%(label)s is longer than %(limit)s characters.", label=label, limit=max_length),
                              field=field)
    return value


def asset_text(value: Any, name: str, field: str | None = None) -> str:
    """An asset text field checked against the table; field is where the error points (grid cells)."""
    return text(value, field or name, ASSET_TEXT_LIMITS[name], label=_label(name))


def embedded_text(value: Any, name: str) -> str:
    """Text read from a file's own metadata, cut to the table's limit: a long caption never blocks a photo."""
    if not isinstance(value, str):
        return ""
    return value.strip()[:ASSET_TEXT_LIMITS[name]].strip()


def embedded_keywords(value: Any) -> list[str]:
    """Keywords read from a file, made to fit the edit form's rules by cutting instead of refusing."""
    if not isinstance(value, (list, tuple)):
        return []
    # The edit form separates keywords with commas, so a comma inside one would split it on saving.
    items = (" ".join(part.split())[:MAX_KEYWORD_LENGTH].strip()
             for item in value for part in str(item).split(","))
    return _fold(items)[:MAX_KEYWORDS]


def date(value: Any, field: str) -> dt.date | None:
    """A date from a date object or an ISO string (YYYY-MM-DD); empty means none."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ValidationError(N_("%(label)s must be a date like 2024-03-14.", label=_label(field)), field=field)


def moment(value: Any, field: str) -> dt.datetime | None:
    """A time in UTC (naive, as stored) from ISO text: with an offset or Z, else taken as UTC."""
    if value is None or value == "":
        return None
    found = value if isinstance(value, dt.datetime) else None
    if isinstance(value, str) and len(value) <= 40:
        try:
            found = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            found = None
    if found is None or not 1900 <= found.year <= 9998:
        raise ValidationError(N_("%(label)s must be a date and time like 2024-03-14T09:00 (UTC).",
                                 label=_label(field)), field=field)
    if found.tzinfo is not None:
        found = found.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return found.replace(second=0, microsecond=0)


def country(value: Any, field: str = "country") -> str | None:
    """An ISO alpha-3 code from a name or code; empty means none."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str):
        raise ValidationError("Country must be a name or an ISO code.", field=field)
    code = country_code(value)
    if code is None:
        raise ValidationError(N_("Unknown country: %(value)s", value=value), field=field)
    return code


def keywords(value: Any, field: str = "keywords") -> list[str]:
    """A list of keywords from a list or a comma-separated string, de-duplicated in order."""
    if value is None:
        return []
    if isinstance(value, str):
        items: Iterable[Any] = value.split(",")
    elif isinstance(value, (list, tuple)):
        items = value
    else:
        raise ValidationError("Keywords must be a list or comma-separated text.", field=field)
    words = []
    for item in items:
        if not isinstance(item, str):
            raise ValidationError("Each keyword must be text.", field=field)
        word = " ".join(item.split())
        if len(word) > MAX_KEYWORD_LENGTH:
            raise ValidationError(N_("A keyword is longer than %(limit)s characters.", limit=MAX_KEYWORD_LENGTH),
                                  field=field)
        words.append(word)
    folded = _fold(words)
    if len(folded) > MAX_KEYWORDS:
        raise ValidationError(N_("At most %(limit)s keywords.", limit=MAX_KEYWORDS), field=field)
    return folded


def _fold(words: Iterable[str]) -> list[str]:
    """Non-empty words without case-insensitive repeats, each kept in its first spelling."""
    seen: dict[str, str] = {}
    for word in words:
        if word and word.lower() not in seen:
            seen[word.lower()] = word
    return list(seen.values())


def boolean(value: Any, field: str) -> bool:
    """A boolean from JSON true/false or a form value (on, 1, true, yes / off, 0, false, no)."""
    if isinstance(value, bool):
        return value
    if value is None:
        return False
    if isinstance(value, str) and value.strip().lower() in TRUE + FALSE:
        return value.strip().lower() in TRUE
    raise ValidationError(N_("%(label)s must be true or false.", label=_label(field)), field=field)


def choice(value: Any, choices: Iterable[str], field: str) -> str:
    """One of the allowed values."""
    choices = tuple(choices)
    if not isinstance(value, str) or value not in choices:
        raise ValidationError(N_("%(label)s must be one of: %(choices)s.", label=_label(field),
                                 choices=", ".join(choices)), field=field)
    return value


def integer(value: Any, field: str, minimum: int | None = None, maximum: int | None = None,
            optional: bool = False) -> int | None:
    """An integer from a number or digits, within the database's range; empty is None when optional."""
    if optional and (value is None or value == ""):
        return None
    if isinstance(value, bool):
        raise ValidationError(N_("%(label)s must be a whole number.", label=_label(field)), field=field)
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and WHOLE_NUMBER.fullmatch(value.strip()):
        number = int(value.strip())
    else:
        raise ValidationError(N_("%(label)s must be a whole number.", label=_label(field)), field=field)
    minimum = MIN_INT if minimum is None else max(minimum, MIN_INT)
    maximum = MAX_INT if maximum is None else min(maximum, MAX_INT)
    if number < minimum:
        raise ValidationError(N_("%(label)s must be at least %(minimum)s.", label=_label(field), minimum=minimum),
                              field=field)
    if number > maximum:
        raise ValidationError(N_("%(label)s must be at most %(maximum)s.", label=_label(field), maximum=maximum),
                              field=field)
    return number


def id_list(value: Any, field: str) -> list[int]:
    """A list of positive integer ids, without repeats."""
    if not isinstance(value, (list, tuple)):
        raise ValidationError(N_("%(label)s must be a list of ids.", label=_label(field)), field=field)
    ids = [integer(v, field, minimum=1) for v in value]
    if len(set(ids)) != len(ids):
        raise ValidationError(N_("%(label)s lists an id twice.", label=_label(field)), field=field)
    return ids  # type: ignore[return-value]


def as_id(value: Any) -> int | None:
    """An id from an int or ASCII digits, or None for anything no row's id can be."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and WHOLE_NUMBER.fullmatch(value.strip()):
        value = int(value.strip())
    return value if isinstance(value, int) and 1 <= value <= MAX_INT else None


def id_text(values: Iterable[str], field: str) -> list[int]:
    """Ids from query-string or comma-separated text: positive, within range, else a 400."""
    return [integer(v, field, minimum=1) for v in values if v.strip()]  # type: ignore[misc]


def jsonable(value: Any) -> Any:
    """A value fit for the activity log's JSON details."""
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    return value


def _label(field: str) -> str:
    return term(field.replace("_", " ").capitalize())


def schedule_fields(values: Mapping[str, Any]) -> dict[str, Any]:
    """embargo_until (a UTC time) and rights_expire_on (a date), as given; empty clears them."""
    out: dict[str, Any] = {}
    if "embargo_until" in values:
        out["embargo_until"] = moment(values["embargo_until"], "embargo_until")
    if "rights_expire_on" in values:
        out["rights_expire_on"] = date(values["rights_expire_on"], "rights_expire_on")
    return out


def rights_fields(values: Mapping[str, Any]) -> dict[str, Any]:
    """licence (a key of rights.LICENCES, or empty), usage_terms and restrictions, as given."""
    out: dict[str, Any] = {}
    if "licence" in values:
        out["licence"] = choice(values["licence"] or "", ("", *LICENCES), "licence")
    for name in ("usage_terms", "restrictions"):
        if name in values:
            out[name] = text(values[name], name, RIGHTS_TEXT_LIMIT)
    return out

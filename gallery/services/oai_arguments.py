"""OAI-PMH arguments: the verbs' arguments checked, dates, identifiers and resumption tokens."""
from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from gallery.formats import oaipmh as xml
from gallery.services.fields import MAX_INT

GRANULARITY = "YYYY-MM-DDThh:mm:ssZ"
FORMATS = {"oai_dc": (xml.OAI_DC_XSD, xml.OAI_DC_NS), "iptc_core": (None, xml.IPTC_NS)}
VERBS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {  # required, optional arguments
    "Identify": ((), ()),
    "ListMetadataFormats": ((), ("identifier",)),
    "ListSets": ((), ("resumptionToken",)),
    "ListIdentifiers": (("metadataPrefix",), ("from", "until", "set", "resumptionToken")),
    "ListRecords": (("metadataPrefix",), ("from", "until", "set", "resumptionToken")),
    "GetRecord": (("identifier", "metadataPrefix"), ()),
}
MAX_ARGUMENT = 500  # characters: no argument of ours is longer (tokens are about 200)
DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
SECOND = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")


class OaiError(Exception):
    """One of the protocol's errors: its code and a message for the harvester's operator."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


@dataclass(frozen=True)
class Query:
    """A list request: format, set and dates, and where the previous page ended."""

    prefix: str
    set_spec: str | None = None
    start: dt.datetime | None = None
    end: dt.datetime | None = None
    after: tuple[dt.datetime, int] | None = None
    cursor: int = 0
    total: int = 0


def parse(pairs: Sequence[tuple[str, str]]) -> dict[str, str]:
    """The verb and its arguments, each once, none unknown, required ones there (else the error)."""
    verbs = [v for k, v in pairs if k == "verb"]
    if not verbs:
        raise OaiError("badVerb", "The verb argument is missing.")
    if len(verbs) > 1:
        raise OaiError("badVerb", "The verb argument is repeated.")
    verb = verbs[0]
    if verb not in VERBS:
        raise OaiError("badVerb", "The verb is not one of OAI-PMH's six verbs.")
    required, optional = VERBS[verb]
    args: dict[str, str] = {}
    for key, value in pairs:
        if key in args:
            raise OaiError("badArgument", f"The argument {key[:40]} is repeated.")
        if key != "verb" and key not in required + optional:
            raise OaiError("badArgument", f"{verb} takes no argument named {key[:40]}.")
        if len(value) > MAX_ARGUMENT:
            raise OaiError("badArgument", f"The argument {key} is too long.")
        args[key] = value
    if "resumptionToken" in args:
        if set(args) != {"verb", "resumptionToken"}:
            raise OaiError("badArgument", "resumptionToken is an exclusive argument.")
        return args
    missing = [name for name in required if not args.get(name)]
    if missing:
        raise OaiError("badArgument", f"{verb} needs the argument {missing[0]}.")
    return args


def stamp_text(value: dt.datetime) -> str:
    """A datestamp as the protocol writes it: YYYY-MM-DDThh:mm:ssZ."""
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def identifier(repository_id: str, asset_id: int) -> str:
    """The OAI identifier of an asset's record."""
    return f"oai:{repository_id}:asset/{asset_id}"


def asset_id_of(value: str, repository_id: str) -> int:
    """The asset id an identifier of this repository names (else idDoesNotExist)."""
    prefix = f"oai:{repository_id}:asset/"
    number = value[len(prefix):] if value.startswith(prefix) else ""
    if not (number.isascii() and number.isdigit()) or len(number) > 10 or int(number) > MAX_INT:
        raise OaiError("idDoesNotExist", "No record has this identifier.")
    return int(number)


def check_format(prefix: str) -> str:
    """The metadataPrefix, if this repository offers it (else cannotDisseminateFormat)."""
    if prefix not in FORMATS:
        raise OaiError("cannotDisseminateFormat",
                       "This repository offers the formats oai_dc and iptc_core.")
    return prefix


def _parse_date(value: str, name: str, end: bool) -> tuple[dt.datetime, bool]:
    """A from/until argument at day or second granularity (UTC); until a day means its last second."""
    try:
        if SECOND.fullmatch(value):
            return dt.datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ"), True
        if DAY.fullmatch(value):
            day = dt.datetime.strptime(value, "%Y-%m-%d")
            return (day + dt.timedelta(days=1, seconds=-1) if end else day), False
    except ValueError:  # 2031-02-30, year 0
        pass
    raise OaiError("badArgument", f"{name} must be a UTC date as YYYY-MM-DD or {GRANULARITY}.")


def list_query(args: dict[str, str]) -> Query:
    """The list request of the arguments, or of the resumption token."""
    if "resumptionToken" in args:
        return _untoken(args["resumptionToken"])
    query = Query(check_format(args["metadataPrefix"]), args.get("set") or None)
    start = end = None
    if args.get("from"):
        start, fine_start = _parse_date(args["from"], "from", end=False)
    if args.get("until"):
        end, fine_end = _parse_date(args["until"], "until", end=True)
    if start and end:
        if fine_start != fine_end:
            raise OaiError("badArgument", "from and until must have the same granularity.")
        if start > end:
            raise OaiError("badArgument", "from is later than until.")
    return replace(query, start=start, end=end)


def token(query: Query) -> str:
    """The resumption token of the page after `query.after`: the query itself, base64url JSON."""
    data = {"m": query.prefix, "s": query.set_spec, "f": query.start and stamp_text(query.start),
            "u": query.end and stamp_text(query.end), "d": stamp_text(query.after[0]), "i": query.after[1],
            "c": query.cursor, "n": query.total}
    raw = json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _untoken(text: str) -> Query:
    """The query a token carries; any token this repository did not hand out is badResumptionToken."""
    bad = OaiError("badResumptionToken", "The resumption token is not valid.")
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        data = json.loads(raw)
        when = dt.datetime.strptime(data["d"], "%Y-%m-%dT%H:%M:%SZ")
        dates = [dt.datetime.strptime(data[k], "%Y-%m-%dT%H:%M:%SZ") if data[k] else None
                 for k in ("f", "u")]
        numbers = [data[k] for k in ("i", "c", "n")]
    except (ValueError, KeyError, TypeError, binascii.Error, UnicodeDecodeError):
        raise bad from None
    if (not isinstance(data, dict) or data["m"] not in FORMATS
            or not (data["s"] is None or isinstance(data["s"], str))
            or not all(type(n) is int and 0 <= n <= MAX_INT for n in numbers)):
        raise bad
    return Query(data["m"], data["s"], dates[0], dates[1], (when, numbers[0]), numbers[1],
                 numbers[2])

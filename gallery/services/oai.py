"""OAI-PMH 2.0: the six verbs over the harvested records (services/oai_records.py), every error code.

Records are listed in (datestamp, asset id) order and a resumption token carries the last
position seen (a keyset, never an offset): records added or changed during a harvest come after
it, so a harvest in pages misses nothing. A record is shown with metadata only while its asset is
harvestable now (policy.harvestable_clause, asked in the same query); otherwise its header says
deleted, with the datestamp of the change.
"""
from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from flask import current_app, url_for
from sqlalchemy import and_, case, func, select, tuple_
from sqlalchemy.orm import contains_eager

from gallery import policy
from gallery.extensions import db
from gallery.formats import oaipmh as xml
from gallery.models import Asset, Category, Country, Gallery, OaiRecord
from gallery.services import oai_records
from gallery.services.fields import MAX_INT
from gallery.services.rights import of as rights_of
from gallery.templating import gallery_url

GRANULARITY = "YYYY-MM-DDThh:mm:ssZ"
FORMATS = {"oai_dc": (xml.OAI_DC_XSD, xml.OAI_DC_NS), "iptc_core": (None, xml.IPTC_NS)}
SCHEMA_FILE = "oai/iptc-core-1.0.xsd"
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
REPOSITORY_ID = re.compile(r"[a-zA-Z][a-zA-Z0-9\-]*(\.[a-zA-Z][a-zA-Z0-9\-]*)+")
SET_KINDS = ("category", "country", "gallery")


class OaiError(Exception):
    """One of the protocol's errors: its code and a message for the harvester's operator."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


@dataclass(frozen=True)
class Site:
    """What every answer needs: the base URL, the repository identifier and the responseDate."""

    base_url: str
    repository_id: str
    stamp: dt.datetime


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


def respond(pairs: Sequence[tuple[str, str]], base_url: str, host: str) -> bytes:
    """The whole response to one request's arguments (query string or form), errors included."""
    stamp = oai_records.harvest_point(db.session)
    args: dict[str, str] = {}
    request_attrs: dict[str, str] | None = None
    root = None
    try:
        args = _arguments(pairs)
        request_attrs = args
        root = xml.envelope(_date(stamp), base_url, request_attrs)
        HANDLERS[args["verb"]](root, args, Site(base_url, _repository_id(host), stamp))
    except OaiError as exc:
        if root is None or exc.code in ("badVerb", "badArgument"):
            root = xml.envelope(_date(stamp), base_url, None)
        else:  # the handler may have begun its element: the error replaces it
            for child in list(root)[2:]:
                root.remove(child)
        xml.error(root, exc.code, exc.message)
    return xml.to_bytes(root)


def _arguments(pairs: Sequence[tuple[str, str]]) -> dict[str, str]:
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


def _repository_id(host: str) -> str:
    """OAI_REPOSITORY_IDENTIFIER, else the site's host name (when it is a domain name)."""
    configured = current_app.config.get("OAI_REPOSITORY_IDENTIFIER")
    if configured:
        return configured
    name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    return name if REPOSITORY_ID.fullmatch(name) else "gallery.invalid"


def _date(value: dt.datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def identifier(repository_id: str, asset_id: int) -> str:
    """The OAI identifier of an asset's record."""
    return f"oai:{repository_id}:asset/{asset_id}"


def _asset_id(value: str, repository_id: str) -> int:
    prefix = f"oai:{repository_id}:asset/"
    number = value[len(prefix):] if value.startswith(prefix) else ""
    if not (number.isascii() and number.isdigit()) or len(number) > 10 or int(number) > MAX_INT:
        raise OaiError("idDoesNotExist", "No record has this identifier.")
    return int(number)


def _format(prefix: str) -> str:
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


def _query(args: dict[str, str]) -> Query:
    """The list request of the arguments, or of the resumption token."""
    if "resumptionToken" in args:
        return _untoken(args["resumptionToken"])
    query = Query(_format(args["metadataPrefix"]), args.get("set") or None)
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


def _token(query: Query) -> str:
    data = {"m": query.prefix, "s": query.set_spec, "f": query.start and _date(query.start),
            "u": query.end and _date(query.end), "d": _date(query.after[0]), "i": query.after[1],
            "c": query.cursor, "n": query.total}
    raw = json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _untoken(token: str) -> Query:
    """The query a token carries; any token this repository did not hand out is badResumptionToken."""
    bad = OaiError("badResumptionToken", "The resumption token is not valid.")
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
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


def _set_filter(spec: str | None):
    """The WHERE clause of a set, or None for a set no record can be in."""
    if spec is None:
        return True
    kind, _, value = spec.partition(":")
    if kind not in SET_KINDS or ":" in value:
        return None
    column = {"category": OaiRecord.category, "country": OaiRecord.country,
              "gallery": OaiRecord.gallery_id}[kind]
    if not value:
        return column.is_not(None)
    if kind == "gallery":
        if not (value.isascii() and value.isdigit()) or len(value) > 10 or int(value) > MAX_INT:
            return None
        return column == int(value)
    return column == value


def _filters(query: Query):
    where = _set_filter(query.set_spec)
    if where is None:
        return None
    clauses = [where]
    if query.start:
        clauses.append(OaiRecord.datestamp >= query.start)
    if query.end:
        clauses.append(OaiRecord.datestamp <= query.end)
    return and_(*clauses)


def _rows(where, after: tuple[dt.datetime, int] | None, limit: int):
    """Records with their asset (and gallery) and whether they are shown now, in keyset order."""
    shown = and_(OaiRecord.deleted.is_(False), policy.harvestable_clause())
    query = (select(OaiRecord, Asset, case((shown, True), else_=False).label("shown"))
             .outerjoin(Asset, Asset.id == OaiRecord.asset_id)
             .outerjoin(Gallery, Gallery.id == Asset.gallery_id)
             .options(contains_eager(Asset.gallery)).where(where))
    if after is not None:
        query = query.where(tuple_(OaiRecord.datestamp, OaiRecord.asset_id) > tuple_(*after))
    return db.session.execute(query.order_by(OaiRecord.datestamp, OaiRecord.asset_id)
                              .limit(limit)).all()


def _list(root: ET.Element, args: dict[str, str], site: Site) -> None:
    """ListIdentifiers and ListRecords: one page, and the token of the next."""
    query = _query(args)
    where = _filters(query)
    if where is None:
        raise OaiError("noRecordsMatch", "No record is in this set.")
    if query.after is None:
        query = replace(query, total=db.session.scalar(
            select(func.count()).select_from(OaiRecord).where(where)) or 0)
    size = current_app.config["OAI_PAGE_SIZE"]
    rows = _rows(where, query.after, size + 1)
    if not rows:
        if query.after is None:
            raise OaiError("noRecordsMatch", "No record matches these arguments.")
        raise OaiError("badResumptionToken", "The resumption token is not valid.")
    verb = args["verb"]
    element = xml.sub(root, verb)
    page = rows[:size]
    for row in page:
        _record(element, row, site.repository_id, query.prefix, headers_only=verb == "ListIdentifiers")
    if len(rows) > size:
        last = page[-1].OaiRecord
        following = replace(query, after=(last.datestamp, last.asset_id),
                            cursor=query.cursor + len(page))
        xml.resumption(element, _token(following), query.total, query.cursor)
    elif query.after is not None:
        xml.resumption(element, "", max(query.total, query.cursor + len(page)), query.cursor)


def _record(parent: ET.Element, row, repository_id: str, prefix: str, headers_only: bool) -> None:
    record, asset, shown = row.OaiRecord, row.Asset, bool(row.shown)
    specs = [f"category:{record.category}" if record.category else "",
             f"country:{record.country}" if record.country else "",
             f"gallery:{record.gallery_id}" if record.gallery_id else ""]
    target = parent if headers_only else xml.sub(parent, "record")
    xml.header(target, identifier(repository_id, record.asset_id), _date(record.datestamp),
               [s for s in specs if s], deleted=not shown)
    if headers_only or not shown:
        return
    metadata = xml.sub(target, "metadata")
    fields = _fields(asset)
    if prefix == "oai_dc":
        xml.oai_dc(metadata, _dublin_core(fields))
    else:
        xml.iptc_core(metadata, _iptc(fields), url_for("static", filename=SCHEMA_FILE,
                                                      _external=True))


def _fields(asset: Asset) -> dict[str, Any]:
    """The record's plain fields plus the URLs of this site."""
    organisation = current_app.config["ORGANISATION"]
    fields = oai_records.record_fields(asset, organisation)
    fields.update(organisation=organisation, licence_url=rights_of(asset).licence_url,
                  page_url=url_for("browse.asset", asset_id=asset.id, _external=True),
                  gallery_url=gallery_url(asset.gallery, _external=True),
                  preview_url=url_for("media.rendition", asset_id=asset.id, size="preview",
                                      _external=True))
    return fields


def _dublin_core(f: dict[str, Any]) -> list[tuple[str, str]]:
    rights = " ".join(p.rstrip(".") + "." for p in (f["licence_name"], f["usage_terms"]) if p)
    if f["restrictions"]:
        rights += f" Restrictions: {f['restrictions'].rstrip('.')}."
    return [("title", f["title"]), ("creator", f["creator"]),
            *[("subject", k) for k in f["keywords"]], ("subject", f["category"]),
            ("description", f["description"]), ("publisher", f["organisation"]),
            ("contributor", f["credit"]), ("date", f["date"]), ("type", f["dc_type"]),
            ("format", f["mime_type"]), ("identifier", f["page_url"]),
            ("relation", f["gallery_url"]), ("coverage", f["city"]),
            ("coverage", f["country_name"]), ("coverage", f["country_code"]),
            ("rights", f["copyright"]), ("rights", rights.strip()), ("rights", f["licence_url"])]


def _iptc(f: dict[str, Any]) -> dict[str, Any]:
    return {"title": f["title"], "description": f["description"], "altText": f["alt_text"],
            "keywords": f["keywords"], "creator": f["creator"], "creditLine": f["credit"],
            "copyrightNotice": f["copyright"], "rightsUsageTerms": f["usage_terms"],
            "webStatementOfRights": f["licence_url"], "licenceName": f["licence_name"],
            "instructions": f["restrictions"], "dateCreated": f["date"], "city": f["city"],
            "countryName": f["country_name"], "countryCode": f["country_code"],
            "category": f["category"], "mediaType": f["media_type"], "format": f["mime_type"],
            "width": f["width"], "height": f["height"],
            "duration": f"{f['duration']:.3f}" if f["duration"] else None,
            "galleryTitle": f["gallery_title"], "galleryUrl": f["gallery_url"],
            "pageUrl": f["page_url"], "previewUrl": f["preview_url"]}


def _get_record(root: ET.Element, args: dict[str, str], site: Site) -> None:
    prefix = _format(args["metadataPrefix"])
    asset_id = _asset_id(args["identifier"], site.repository_id)
    rows = _rows(OaiRecord.asset_id == asset_id, None, 1)
    if not rows:
        raise OaiError("idDoesNotExist", "No record has this identifier.")
    _record(xml.sub(root, "GetRecord"), rows[0], site.repository_id, prefix, headers_only=False)


def _identify(root: ET.Element, args: dict[str, str], site: Site) -> None:
    config = current_app.config
    earliest = db.session.scalar(select(func.min(OaiRecord.datestamp))) or site.stamp
    element = xml.sub(root, "Identify")
    for name, text in (("repositoryName", config["OAI_REPOSITORY_NAME"] or config["ORGANISATION"]),
                       ("baseURL", site.base_url),
                       ("protocolVersion", "2.0"), ("adminEmail", config["OAI_ADMIN_EMAIL"] or config["MAIL_SENDER"]),
                       ("earliestDatestamp", _date(earliest)), ("deletedRecord", "persistent"),
                       ("granularity", GRANULARITY)):
        xml.sub(element, name, text)
    xml.identify_description(element, site.repository_id, identifier(site.repository_id, 1))


def _metadata_formats(root: ET.Element, args: dict[str, str], site: Site) -> None:
    if "identifier" in args:
        asset_id = _asset_id(args["identifier"], site.repository_id)
        if db.session.get(OaiRecord, asset_id) is None:
            raise OaiError("idDoesNotExist", "No record has this identifier.")
    element = xml.sub(root, "ListMetadataFormats")
    schema = url_for("static", filename=SCHEMA_FILE, _external=True)
    for prefix, (location, namespace) in FORMATS.items():
        entry = xml.sub(element, "metadataFormat")
        xml.sub(entry, "metadataPrefix", prefix)
        xml.sub(entry, "schema", location or schema)
        xml.sub(entry, "metadataNamespace", namespace)


def _sets(root: ET.Element, args: dict[str, str], site: Site) -> None:
    if "resumptionToken" in args:
        raise OaiError("badResumptionToken", "ListSets answers in one response: no token is valid.")
    element = xml.sub(root, "ListSets")
    live = OaiRecord.deleted.is_(False)
    entries = [("category", "Categories"), ("country", "Countries"), ("gallery", "Galleries")]
    entries += [(f"category:{c.slug}", c.name) for c in db.session.scalars(
        select(Category).order_by(Category.position, Category.name))]
    entries += [(f"country:{c.slug}", c.name) for c in db.session.scalars(
        select(Country).where(Country.alpha3.in_(
            select(func.upper(OaiRecord.country)).where(live).distinct())).order_by(Country.name))]
    entries += [(f"gallery:{g_id}", title) for g_id, title in db.session.execute(
        select(Gallery.id, Gallery.title).where(policy.public_gallery_clause(), Gallery.id.in_(
            select(OaiRecord.gallery_id).where(live).distinct())).order_by(Gallery.id))]
    for spec, name in entries:
        entry = xml.sub(element, "set")
        xml.sub(entry, "setSpec", spec)
        xml.sub(entry, "setName", name)


HANDLERS = {"Identify": _identify, "ListMetadataFormats": _metadata_formats, "ListSets": _sets,
            "ListIdentifiers": _list, "ListRecords": _list, "GetRecord": _get_record}

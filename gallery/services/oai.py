"""OAI-PMH 2.0: the six verbs over the harvested records (services/oai_records.py), every error code.

Records are listed in (datestamp, asset id) order and a resumption token carries the last
position seen (a keyset, never an offset): records added or changed during a harvest come after
it, so a harvest in pages misses nothing. A record is shown with metadata only while its asset is
harvestable now (policy.harvestable_clause, asked in the same query); otherwise its header says
deleted, with the datestamp of the change.
"""
from __future__ import annotations

import datetime as dt
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
from gallery.services import oai_arguments, oai_records
from gallery.services.fields import MAX_INT
from gallery.services.rights import of as rights_of
from gallery.templating import gallery_url

SCHEMA_FILE = "oai/iptc-core-1.0.xsd"
REPOSITORY_ID = re.compile(r"[a-zA-Z][a-zA-Z0-9\-]*(\.[a-zA-Z][a-zA-Z0-9\-]*)+")
SET_KINDS = ("category", "country", "gallery")


@dataclass(frozen=True)
class Site:
    """What every answer needs: the base URL, the repository identifier and the responseDate."""

    base_url: str
    repository_id: str
    stamp: dt.datetime


def respond(pairs: Sequence[tuple[str, str]], base_url: str, host: str) -> bytes:
    """The whole response to one request's arguments (query string or form), errors included."""
    stamp = oai_records.harvest_point(db.session)
    args: dict[str, str] = {}
    request_attrs: dict[str, str] | None = None
    root = None
    try:
        args = oai_arguments.parse(pairs)
        request_attrs = args
        root = xml.envelope(oai_arguments.stamp_text(stamp), base_url, request_attrs)
        HANDLERS[args["verb"]](root, args, Site(base_url, _repository_id(host), stamp))
    except oai_arguments.OaiError as exc:
        if root is None or exc.code in ("badVerb", "badArgument"):
            root = xml.envelope(oai_arguments.stamp_text(stamp), base_url, None)
        else:  # the handler may have begun its element: the error replaces it
            for child in list(root)[2:]:
                root.remove(child)
        xml.error(root, exc.code, exc.message)
    return xml.to_bytes(root)


def _repository_id(host: str) -> str:
    """OAI_REPOSITORY_IDENTIFIER, else the site's host name (when it is a domain name)."""
    configured = current_app.config.get("OAI_REPOSITORY_IDENTIFIER")
    if configured:
        return configured
    name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    return name if REPOSITORY_ID.fullmatch(name) else "gallery.invalid"


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


def _filters(query: oai_arguments.Query):
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
    query = oai_arguments.list_query(args)
    where = _filters(query)
    if where is None:
        raise oai_arguments.OaiError("noRecordsMatch", "No record is in this set.")
    if query.after is None:
        query = replace(query, total=db.session.scalar(
            select(func.count()).select_from(OaiRecord).where(where)) or 0)
    size = current_app.config["OAI_PAGE_SIZE"]
    rows = _rows(where, query.after, size + 1)
    if not rows:
        if query.after is None:
            raise oai_arguments.OaiError("noRecordsMatch", "No record matches these arguments.")
        raise oai_arguments.OaiError("badResumptionToken", "The resumption token is not valid.")
    verb = args["verb"]
    element = xml.sub(root, verb)
    page = rows[:size]
    for row in page:
        _record(element, row, site.repository_id, query.prefix, headers_only=verb == "ListIdentifiers")
    if len(rows) > size:
        last = page[-1].OaiRecord
        following = replace(query, after=(last.datestamp, last.asset_id),
                            cursor=query.cursor + len(page))
        xml.resumption(element, oai_arguments.token(following), query.total, query.cursor)
    elif query.after is not None:
        xml.resumption(element, "", max(query.total, query.cursor + len(page)), query.cursor)


def _record(parent: ET.Element, row, repository_id: str, prefix: str, headers_only: bool) -> None:
    record, asset, shown = row.OaiRecord, row.Asset, bool(row.shown)
    specs = [f"category:{record.category}" if record.category else "",
             f"country:{record.country}" if record.country else "",
             f"gallery:{record.gallery_id}" if record.gallery_id else ""]
    target = parent if headers_only else xml.sub(parent, "record")
    xml.header(target, oai_arguments.identifier(repository_id, record.asset_id), oai_arguments.stamp_text(record.datestamp),
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
    prefix = oai_arguments.check_format(args["metadataPrefix"])
    asset_id = oai_arguments.asset_id_of(args["identifier"], site.repository_id)
    rows = _rows(OaiRecord.asset_id == asset_id, None, 1)
    if not rows:
        raise oai_arguments.OaiError("idDoesNotExist", "No record has this identifier.")
    _record(xml.sub(root, "GetRecord"), rows[0], site.repository_id, prefix, headers_only=False)


def _identify(root: ET.Element, args: dict[str, str], site: Site) -> None:
    config = current_app.config
    earliest = db.session.scalar(select(func.min(OaiRecord.datestamp))) or site.stamp
    element = xml.sub(root, "Identify")
    for name, text in (("repositoryName", config["OAI_REPOSITORY_NAME"] or config["ORGANISATION"]),
                       ("baseURL", site.base_url),
                       ("protocolVersion", "2.0"), ("adminEmail", config["OAI_ADMIN_EMAIL"] or config["MAIL_SENDER"]),
                       ("earliestDatestamp", oai_arguments.stamp_text(earliest)), ("deletedRecord", "persistent"),
                       ("granularity", oai_arguments.GRANULARITY)):
        xml.sub(element, name, text)
    xml.identify_description(element, site.repository_id, oai_arguments.identifier(site.repository_id, 1))


def _metadata_formats(root: ET.Element, args: dict[str, str], site: Site) -> None:
    if "identifier" in args:
        asset_id = oai_arguments.asset_id_of(args["identifier"], site.repository_id)
        if db.session.get(OaiRecord, asset_id) is None:
            raise oai_arguments.OaiError("idDoesNotExist", "No record has this identifier.")
    element = xml.sub(root, "ListMetadataFormats")
    schema = url_for("static", filename=SCHEMA_FILE, _external=True)
    for prefix, (location, namespace) in oai_arguments.FORMATS.items():
        entry = xml.sub(element, "metadataFormat")
        xml.sub(entry, "metadataPrefix", prefix)
        xml.sub(entry, "schema", location or schema)
        xml.sub(entry, "metadataNamespace", namespace)


def _sets(root: ET.Element, args: dict[str, str], site: Site) -> None:
    if "resumptionToken" in args:
        raise oai_arguments.OaiError("badResumptionToken", "ListSets answers in one response: no token is valid.")
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

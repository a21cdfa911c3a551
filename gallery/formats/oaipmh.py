"""OAI-PMH 2.0 responses as XML bytes: the envelope, errors, headers, oai_dc and the IPTC core format.

Plain values in, bytes out (the stdlib's ElementTree): services/oai.py decides what to say.
"""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from typing import Any

OAI_NS = "http://www.openarchives.org/OAI/2.0/"
OAI_XSD = "http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd"
OAI_DC_NS = "http://www.openarchives.org/OAI/2.0/oai_dc/"
OAI_DC_XSD = "http://www.openarchives.org/OAI/2.0/oai_dc.xsd"
DC_NS = "http://purl.org/dc/elements/1.1/"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
ID_NS = "http://www.openarchives.org/OAI/2.0/oai-identifier"
ID_XSD = "http://www.openarchives.org/OAI/2.0/oai-identifier.xsd"
# The IPTC core format is this software's own: a UUID URN names it (no one else's domain is
# borrowed), and each site serves its XSD (static/oai/iptc-core-1.0.xsd); see docs/harvesting.md.
IPTC_NS = "urn:uuid:3ea0afc8-7e13-4bca-9b6b-e74aa51b1a72"

for _prefix, _uri in (("", OAI_NS), ("oai_dc", OAI_DC_NS), ("dc", DC_NS), ("xsi", XSI_NS),
                      ("iptc", IPTC_NS), ("oai-identifier", ID_NS)):
    ET.register_namespace(_prefix, _uri)

# Characters XML 1.0 cannot carry (control characters, unpaired surrogates, U+FFFE/U+FFFF): a
# caption pasted from a word processor must not make the whole response unreadable.
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def clean(value: Any) -> str:
    """Text safe in XML 1.0."""
    return NOT_XML.sub("", "" if value is None else str(value))


def _q(ns: str, tag: str) -> str:
    return f"{{{ns}}}{tag}"


def sub(parent: ET.Element, tag: str, text: Any = None, ns: str = OAI_NS, **attrs: str) -> ET.Element:
    """A child element with text and attributes (cleaned)."""
    child = ET.SubElement(parent, _q(ns, tag), {k: clean(v) for k, v in attrs.items()})
    if text is not None:
        child.text = clean(text)
    return child


def envelope(response_date: str, base_url: str, request: dict[str, str] | None) -> ET.Element:
    """The OAI-PMH root with responseDate and request (attributes left out after badVerb or badArgument)."""
    root = ET.Element(_q(OAI_NS, "OAI-PMH"),
                      {_q(XSI_NS, "schemaLocation"): f"{OAI_NS} {OAI_XSD}"})
    sub(root, "responseDate", response_date)
    sub(root, "request", base_url, **(request or {}))
    return root


def error(root: ET.Element, code: str, message: str) -> None:
    """One <error code="..."> element."""
    sub(root, "error", message, code=code)


def header(parent: ET.Element, identifier: str, datestamp: str, set_specs: Iterable[str],
           deleted: bool) -> ET.Element:
    """A record header; a deleted record's carries status="deleted"."""
    head = sub(parent, "header", **({"status": "deleted"} if deleted else {}))
    sub(head, "identifier", identifier)
    sub(head, "datestamp", datestamp)
    for spec in set_specs:
        sub(head, "setSpec", spec)
    return head


def resumption(parent: ET.Element, token: str, complete: int, cursor: int) -> None:
    """The resumptionToken of an incomplete list (empty on its last page)."""
    sub(parent, "resumptionToken", token or None, completeListSize=str(complete),
        cursor=str(cursor))


def oai_dc(parent: ET.Element, values: list[tuple[str, str]]) -> None:
    """Simple Dublin Core: (element, text) pairs in order, empty texts left out."""
    dc = ET.SubElement(parent, _q(OAI_DC_NS, "dc"),
                       {_q(XSI_NS, "schemaLocation"): f"{OAI_DC_NS} {OAI_DC_XSD}"})
    for name, text in values:
        if text:
            sub(dc, name, text, ns=DC_NS)


IPTC_ORDER = ("title", "description", "altText", "keywords", "creator", "creditLine",
              "copyrightNotice", "rightsUsageTerms", "webStatementOfRights", "licenceName",
              "instructions", "dateCreated", "city", "countryName", "countryCode", "category",
              "mediaType", "format", "width", "height", "duration", "galleryTitle", "galleryUrl",
              "pageUrl", "previewUrl")


def iptc_core(parent: ET.Element, values: dict[str, Any], schema_url: str) -> None:
    """The IPTC core record (static/oai/iptc-core-1.0.xsd): elements in schema order, empty ones left out."""
    record = ET.SubElement(parent, _q(IPTC_NS, "record"),
                           {_q(XSI_NS, "schemaLocation"): f"{IPTC_NS} {schema_url}"})
    for name in IPTC_ORDER:
        value = values.get(name)
        if name == "keywords":
            if value:
                words = sub(record, "keywords", ns=IPTC_NS)
                for word in value:
                    sub(words, "keyword", word, ns=IPTC_NS)
        elif value not in (None, ""):
            sub(record, name, value, ns=IPTC_NS)


def identify_description(parent: ET.Element, repository_id: str, sample: str) -> None:
    """The oai-identifier description of Identify: how this repository's identifiers are made."""
    description = sub(parent, "description")
    ident = ET.SubElement(description, _q(ID_NS, "oai-identifier"),
                          {_q(XSI_NS, "schemaLocation"): f"{ID_NS} {ID_XSD}"})
    for name, text in (("scheme", "oai"), ("repositoryIdentifier", repository_id),
                       ("delimiter", ":"), ("sampleIdentifier", sample)):
        sub(ident, name, text, ns=ID_NS)


def to_bytes(root: ET.Element) -> bytes:
    """The document as UTF-8 with its XML declaration."""
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)

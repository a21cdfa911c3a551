"""Descriptive metadata embedded in image files: XMP, IPTC IIM and EXIF, read with Pillow.

Only descriptive fields are read. GPS is never read, so it can never reach the catalogue.
"""
from __future__ import annotations

import datetime as dt
import re
from typing import Any, Callable

from defusedxml import ElementTree
from PIL import Image, IptcImagePlugin

NS = {
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "dc": "http://purl.org/dc/elements/1.1/",
    "photoshop": "http://ns.adobe.com/photoshop/1.0/",
    "Iptc4xmpCore": "http://iptc.org/std/Iptc4xmpCore/1.0/xmlns/",
    "xml": "http://www.w3.org/XML/1998/namespace",
}
TEXT_FIELDS = ("title", "caption", "alt_text", "creator", "credit", "copyright", "city")

# Strings cameras write into ImageDescription by default: not a caption anyone wrote.
CAMERA_JUNK = {"olympus digital camera", "sony dsc", "digital camera", "default", "image",
               "samsung", "lg digital camera", "minolta digital camera", "kodak digital still camera"}

# EXIF tags (IFD0 unless noted).
EXIF_DESCRIPTION, EXIF_MAKE, EXIF_MODEL, EXIF_ORIENTATION = 0x010E, 0x010F, 0x0110, 0x0112
EXIF_ARTIST, EXIF_COPYRIGHT, EXIF_IFD, EXIF_DATETIME_ORIGINAL = 0x013B, 0x8298, 0x8769, 0x9003

IPTC_UTF8 = b"\x1b%G"

# Maps a country name or code found in a file to ISO alpha-3, or None. The caller passes the
# catalogue's own lookup, so reading a file needs no database; without one no country is read.
CountryLookup = Callable[[str], "str | None"]


def read_metadata(im: Image.Image, country_code: CountryLookup | None = None) -> dict[str, Any]:
    """Descriptive metadata of an open image; XMP wins over IPTC, which wins over EXIF."""
    merged: dict[str, Any] = {}
    for source in (read_exif(im), read_iptc(im, country_code), read_xmp(im, country_code)):
        merged.update({k: v for k, v in source.items() if v not in (None, "", [])})
    return merged


def camera(im: Image.Image) -> str | None:
    """'Make Model' from EXIF, without repeating the make when the model already starts with it."""
    exif = _exif(im)
    make = fix_text(exif.get(EXIF_MAKE))
    model = fix_text(exif.get(EXIF_MODEL))
    if model and make and model.lower().startswith(make.split()[0].lower()):
        return model[:200]
    return " ".join(p for p in (make, model) if p)[:200] or None


def orientation(im: Image.Image) -> int:
    """EXIF orientation 1-8 (1 when absent or invalid)."""
    value = _exif(im).get(EXIF_ORIENTATION, 1)
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


# --- text repair -------------------------------------------------------------------------------

_MOJIBAKE = re.compile("[\u00c2-\u00f4][\u0080-\u00bf]")


def fix_text(value: Any) -> str:
    """A clean string from a tag value: bytes decoded, UTF-8 read as Latin-1 repaired, NULs cut."""
    if value is None:
        return ""
    if isinstance(value, bytes):
        text = decode_bytes(value)
    else:
        text = str(value)
        if _MOJIBAKE.search(text):
            # EXIF "ASCII" often holds UTF-8, which Pillow decodes as Latin-1: "PeÃ±a" -> "Peña".
            try:
                text = text.encode("latin-1").decode("utf-8")
            except UnicodeError:
                pass
    return text.replace("\x00", "").strip()


def decode_bytes(data: bytes, utf8: bool | None = None) -> str:
    """Bytes to text: UTF-8 when declared or when valid, otherwise Latin-1."""
    if utf8 is not False:
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            pass
    return data.decode("latin-1")


# --- EXIF --------------------------------------------------------------------------------------

def _exif(im: Image.Image) -> Image.Exif:
    try:
        return im.getexif()
    except Exception:  # a damaged EXIF block must not lose the image; Pillow raises many kinds
        return Image.Exif()


def read_exif(im: Image.Image) -> dict[str, Any]:
    """Caption, creator, copyright and date from EXIF."""
    exif = _exif(im)
    out: dict[str, Any] = {}
    description = fix_text(exif.get(EXIF_DESCRIPTION))
    if description and description.lower() not in CAMERA_JUNK:
        out["caption"] = description
    out["creator"] = fix_text(exif.get(EXIF_ARTIST))
    # Copyright may hold "photographer\0editor": keep the photographer's part.
    raw_copyright = exif.get(EXIF_COPYRIGHT)
    if isinstance(raw_copyright, str):
        raw_copyright = raw_copyright.split("\x00")[0]
    out["copyright"] = fix_text(raw_copyright)
    try:
        taken = exif.get_ifd(EXIF_IFD).get(EXIF_DATETIME_ORIGINAL)
    except Exception:  # same as above: a broken sub-IFD only loses the date
        taken = None
    out["date_taken"] = parse_date(fix_text(taken))
    return {k: v for k, v in out.items() if v}


# --- IPTC IIM ----------------------------------------------------------------------------------

def read_iptc(im: Image.Image, country_code: CountryLookup | None = None) -> dict[str, Any]:
    """Caption, by-line, credit, copyright, keywords, place and date from IPTC IIM (APP13)."""
    try:
        info = IptcImagePlugin.getiptcinfo(im) or {}
    except Exception:  # a malformed APP13 block is common and must not refuse the photo
        return {}
    if not info:
        return {}
    charset = info.get((1, 90))
    utf8 = True if isinstance(charset, bytes) and IPTC_UTF8 in charset else None

    def values(record: int) -> list[str]:
        raw = info.get((2, record))
        if raw is None:
            return []
        items = raw if isinstance(raw, list) else [raw]
        return [t for t in (fix_text(decode_bytes(v, utf8)) for v in items if isinstance(v, bytes)) if t]

    def first(*records: int) -> str:
        for record in records:
            found = values(record)
            if found:
                return found[0]
        return ""

    out: dict[str, Any] = {
        "title": first(5, 105),
        "caption": first(120),
        "creator": "; ".join(values(80)),
        "credit": first(110),
        "copyright": first(116),
        "keywords": _unique(values(25)),
        "city": first(90),
        "country_code": _country(country_code, first(100)) or _country(country_code, first(101)),
        "date_taken": parse_date(first(55)),
    }
    return {k: v for k, v in out.items() if v}


# --- XMP ---------------------------------------------------------------------------------------

def xmp_packet(im: Image.Image) -> bytes | None:
    """The raw XMP packet wherever the format keeps it."""
    for key in ("xmp", "XML:com.adobe.xmp"):
        value = im.info.get(key)
        if value:
            return value.encode("utf-8") if isinstance(value, str) else bytes(value)
    tag = getattr(im, "tag_v2", None)  # TIFF keeps XMP in tag 700
    if tag is not None and 700 in tag:
        value = tag[700]
        return value if isinstance(value, bytes) else str(value).encode("utf-8")
    return None


def read_xmp(im: Image.Image, country_code: CountryLookup | None = None) -> dict[str, Any]:
    """IPTC Core and Dublin Core fields from the XMP packet, parsed with defusedxml."""
    packet = xmp_packet(im)
    return parse_xmp(packet, country_code) if packet else {}


def parse_xmp(packet: bytes, country_code: CountryLookup | None = None) -> dict[str, Any]:
    """Fields from one XMP packet; a packet that does not parse yields nothing."""
    start = packet.find(b"<x:xmpmeta")
    if start < 0:
        start = packet.find(b"<rdf:RDF")
    end_tag = b"</x:xmpmeta>" if packet[start:start + 10] == b"<x:xmpmeta" else b"</rdf:RDF>"
    end = packet.rfind(end_tag)
    if start < 0 or end < 0:
        return {}
    try:
        root = ElementTree.fromstring(packet[start:end + len(end_tag)])
    except Exception:  # ParseError, and defusedxml's refusals of entities and DTDs
        return {}
    descriptions = root.iter(_q("rdf", "Description"))
    found: dict[str, Any] = {}
    for desc in descriptions:
        for name, prop in (("title", "dc:title"), ("caption", "dc:description"),
                           ("copyright", "dc:rights"), ("alt_text", "Iptc4xmpCore:AltTextAccessibility")):
            found.setdefault(name, _alt(desc, prop))
        found.setdefault("creator", "; ".join(_items(desc, "dc:creator")))
        found.setdefault("keywords", _unique(_items(desc, "dc:subject")))
        for name, prop in (("credit", "photoshop:Credit"), ("city", "photoshop:City"),
                           ("country_name", "photoshop:Country"),
                           ("country_code", "Iptc4xmpCore:CountryCode"),
                           ("date_taken", "photoshop:DateCreated")):
            found.setdefault(name, _simple(desc, prop))
        found = {k: v for k, v in found.items() if v}
    code = (_country(country_code, found.pop("country_code", ""))
            or _country(country_code, found.pop("country_name", "")))
    found.pop("country_name", None)
    if code:
        found["country_code"] = code
    if "date_taken" in found:
        found["date_taken"] = parse_date(found["date_taken"])
    return {k: (fix_text(v) if isinstance(v, str) else v) for k, v in found.items() if v}


def _q(prefix: str, name: str) -> str:
    return f"{{{NS[prefix]}}}{name}"


def _prop(qualified: str) -> str:
    prefix, name = qualified.split(":")
    return _q(prefix, name)


def _simple(desc: Any, qualified: str) -> str:
    """A simple property, written either as an attribute or as a child element."""
    attr = desc.get(_prop(qualified))
    if attr:
        return attr
    el = desc.find(_prop(qualified))
    return (el.text or "") if el is not None else ""


def _alt(desc: Any, qualified: str) -> str:
    """A language alternative: x-default, else the first."""
    el = desc.find(_prop(qualified))
    if el is None:
        return desc.get(_prop(qualified)) or ""
    items = el.findall(f"{_q('rdf', 'Alt')}/{_q('rdf', 'li')}")
    if not items:
        return el.text or ""
    for li in items:
        if li.get(_q("xml", "lang")) == "x-default":
            return li.text or ""
    return items[0].text or ""


def _items(desc: Any, qualified: str) -> list[str]:
    """The members of an rdf:Seq or rdf:Bag."""
    el = desc.find(_prop(qualified))
    if el is None:
        attr = desc.get(_prop(qualified))
        return [attr] if attr else []
    return [(li.text or "").strip() for li in el.iter(_q("rdf", "li")) if (li.text or "").strip()]


# --- helpers -----------------------------------------------------------------------------------

def parse_date(value: str | None) -> dt.date | None:
    """A date from EXIF ('2023:03:14 10:30:00'), IPTC ('20230314') or XMP ('2023-03-14T...')."""
    if not value:
        return None
    digits = re.match(r"\s*(\d{4})[:\-]?(\d{2})[:\-]?(\d{2})", value)
    if not digits:
        return None
    try:
        found = dt.date(*(int(g) for g in digits.groups()))
    except ValueError:
        return None  # "0000:00:00" and other placeholders
    return found if 1826 <= found.year <= dt.date.today().year + 1 else None


def _country(lookup: CountryLookup | None, value: str | None) -> str | None:
    """ISO alpha-3 for a country name or code found in a file, or None."""
    if not value or lookup is None:
        return None
    return lookup(value)


def _unique(items: list[str]) -> list[str]:
    seen: dict[str, None] = {}
    for item in items:
        seen.setdefault(item.strip(), None)
    return [k for k in seen if k]

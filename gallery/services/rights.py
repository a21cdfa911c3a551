"""Rights and usage terms: the licence, usage-terms sentence and restrictions an asset carries.

Set per gallery, overridden per asset field by field (an empty asset field means the gallery's).
Shown next to the credit, given in the API and captions.csv, and written into every downloaded
size (formats/credits.py: XMP xmpRights and dc:rights, IPTC 2:116).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import current_app, has_request_context, url_for

from gallery.licences import LICENCES
from gallery.models import Asset, Gallery


@dataclass(frozen=True)
class Rights:
    """The rights an asset carries, its own fields over its gallery's."""

    licence: str
    licence_name: str
    licence_url: str
    usage_terms: str
    restrictions: str

    @property
    def statement(self) -> str:
        """One line for files and CSV: 'CC BY 4.0. Editorial use only. Restrictions: ...'."""
        parts = [p.rstrip(".") + "." for p in (self.licence_name, self.usage_terms) if p]
        if self.restrictions:
            parts.append(f"Restrictions: {self.restrictions.rstrip('.')}.")
        return " ".join(parts)

    def as_json(self) -> dict[str, Any]:
        """The API's shape."""
        return {"licence": self.licence or None, "licence_name": self.licence_name or None,
                "licence_url": self.licence_url or None, "usage_terms": self.usage_terms,
                "restrictions": self.restrictions}


def of(asset: Asset) -> Rights:
    """The effective rights of an asset."""
    return _rights(asset.licence or asset.gallery.licence,
                   asset.usage_terms or asset.gallery.usage_terms,
                   asset.restrictions or asset.gallery.restrictions)


def of_gallery(gallery: Gallery) -> Rights:
    """A gallery's own rights (what its assets inherit)."""
    return _rights(gallery.licence, gallery.usage_terms, gallery.restrictions)


def _rights(licence: str, usage_terms: str, restrictions: str) -> Rights:
    name, url = LICENCES.get(licence, ("", ""))
    if licence and url is None:  # the organisation's terms: where they are published
        url = current_app.config["TERMS_URL"] or (
            url_for("browse.terms", _external=True) if has_request_context() else "")
    return Rights(licence if name else "", name, url or "", usage_terms or "", restrictions or "")

"""What a file says about itself: the credit line and the credits written into downloads and proxies."""
from __future__ import annotations

import datetime as dt

from gallery.formats.credits import Credits
from gallery.models import Asset
from gallery.services.rights import of as rights_of

MEDIA_CREDIT = {"image": "Photo", "video": "Video", "audio": "Audio"}


def credit_line(asset: Asset, organisation: str) -> str:
    """A ready-to-paste credit: '© Owner 2023 / Creator'."""
    owner = _rights_holder(asset, organisation)
    line = owner if owner.startswith("©") else f"© {owner}"
    if asset.creator and asset.creator in line:
        return line  # already a complete credit, as the editor wrote it
    year = _year(asset)
    if year and str(year) not in line:
        line = f"{line} {year}"
    if asset.creator:
        line = f"{line} / {asset.creator}"
    return line


def caption_line(asset: Asset, organisation: str) -> str:
    """A newsroom caption: 'Caption. City, Country, 14 March 2023. Photo: © Owner 2023 / Creator'."""
    country = asset.country or asset.gallery.country
    place = ", ".join(p for p in (asset.city, country.name if country else "") if p)
    when = asset.date_taken
    dated = f"{when.day} {when:%B %Y}" if when else ""
    parts = [asset.caption.strip().rstrip(".") + "." if asset.caption.strip() else "",
             ", ".join(p for p in (place, dated) if p) + "." if place or dated else "",
             f"{MEDIA_CREDIT[asset.media_type]}: {credit_line(asset, organisation)}"]
    return " ".join(p for p in parts if p)


def credits_for(asset: Asset, organisation: str) -> Credits:
    """The caption, creator, credit and copyright written into a downloaded rendition."""
    rights = asset.copyright or credit_line(asset, organisation).split(" / ")[0]
    credit = asset.credit or asset.gallery.credit or organisation
    terms = rights_of(asset)
    return Credits(title=asset.title, caption=asset.caption, creator=asset.creator,
                   credit=credit, copyright=rights, usage_terms=terms.statement,
                   web_statement=terms.licence_url)


def _rights_holder(asset: Asset, organisation: str) -> str:
    if asset.copyright:
        text = asset.copyright.strip()
        for prefix in ("(c)", "(C)", "Copyright", "copyright"):
            if text.startswith(prefix):
                text = "©" + text[len(prefix):]
        return text
    return asset.credit or asset.gallery.credit or organisation


def _year(asset: Asset) -> int | None:
    """The year the work was made: taken, else the gallery's date; never the upload's year."""
    when: dt.date | None = asset.date_taken or asset.gallery.date
    return when.year if when else None

"""Import manifests: read and validate the JSON, resolve files inside the manifest's folder."""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import Any

from gallery.countries import country_code
from gallery.exceptions import ValidationError
from gallery.services import fields, translations
from gallery.services.galleries import get_category
from gallery.services.ingest import clean_fields, parse_date

GALLERY_KEYS = {"title", "description", "category", "country", "credit", "date", "status",
                "editors_pick", "embargo_until", "licence", "usage_terms", "restrictions", "assets",
                "language", "translations"}
ASSET_KEYS = {"file", "title", "caption", "credit", "creator", "copyright", "keywords", "city",
              "country", "date_taken", "alt_text", "status", "embargo_until", "rights_expire_on",
              "licence", "usage_terms", "restrictions", "translations"}


class ManifestError(ValidationError):
    """A manifest that cannot be imported; problems lists every reason found."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass
class AssetSpec:
    """One file of a manifest: its path as written, where it is on disk, and its explicit fields."""

    file: str
    path: str
    fields: dict[str, Any] = field(default_factory=dict)


@dataclass
class GallerySpec:
    """One gallery of a manifest with the values to create it with, and its files."""

    title: str
    category: str
    country: str | None = None
    description: str = ""
    credit: str = ""
    date: Any = None
    status: str = "draft"
    editors_pick: bool = False
    embargo_until: Any = None
    rights: dict[str, str] = field(default_factory=dict)
    language: str = "en"  # what the plain strings of the gallery and its files are written in
    translations: dict[str, dict[str, str]] = field(default_factory=dict)  # {"fr": {"title": "..."}}
    assets: list[AssetSpec] = field(default_factory=list)


def load(path: str) -> list[GallerySpec]:
    """Read a manifest file; raises ManifestError listing every problem, before anything is imported."""
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except OSError as exc:
        raise ManifestError([f"cannot read {path}: {exc.strerror}"]) from exc
    except UnicodeDecodeError as exc:
        raise ManifestError(["the manifest is not UTF-8 text."]) from exc
    except json.JSONDecodeError as exc:
        raise ManifestError([f"not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}."]) from exc
    return parse(data, os.path.dirname(os.path.abspath(path)))


def parse(data: Any, base: str) -> list[GallerySpec]:
    """Validate a decoded manifest; file paths are resolved against base and may not leave it."""
    problems: list[str] = []
    if not isinstance(data, dict) or not isinstance(data.get("galleries"), list) or not data["galleries"]:
        raise ManifestError(['the manifest needs a "galleries" list with at least one gallery.'])
    specs = []
    for i, raw in enumerate(data["galleries"]):
        spec = _gallery(raw, f"galleries[{i}]", base, problems)
        if spec is not None:
            specs.append(spec)
    if problems:
        raise ManifestError(problems)
    return specs


def resolve(base: str, file: str) -> str | None:
    """Absolute path of a manifest file inside base, or None if it would escape it."""
    if os.path.isabs(file) or "\\" in file or "\x00" in file:
        return None
    root = os.path.realpath(base)
    full = os.path.realpath(os.path.join(root, file))
    return full if full.startswith(root + os.sep) else None


def _an_object(raw: Any, known: set[str], where: str, problems: list[str]) -> bool:
    """Whether raw is an object; its unknown fields are reported either way."""
    if not isinstance(raw, dict):
        problems.append(f"{where}: must be an object.")
        return False
    for key in sorted(set(raw) - known):
        problems.append(f"{where}: unknown field {key!r}.")
    return True


def _gallery(raw: Any, where: str, base: str, problems: list[str]) -> GallerySpec | None:
    if not _an_object(raw, GALLERY_KEYS, where, problems):
        return None
    language = _check(problems, where, lambda: translations.check_language(
        raw.get("language", translations.DEFAULT))) or translations.DEFAULT
    # Title and description may be language maps: the gallery's language is the original.
    split = _check(problems, where, lambda: translations.parse(
        raw, translations.GALLERY_FIELDS, language, None)) or ({}, None)
    raw = {**raw, **split[0]}
    title = raw.get("title")
    if not isinstance(title, str) or not title.strip():
        problems.append(f"{where}.title: a gallery needs a title.")
    category = raw.get("category")
    if not isinstance(category, str) or not category.strip():
        problems.append(f"{where}.category: a gallery needs a category.")
    else:
        _check(problems, where, lambda: get_category(category))
    country = raw.get("country")
    if country is not None and (not isinstance(country, str) or country_code(country) is None):
        problems.append(f"{where}.country: unknown country {country!r}.")
    date = None
    if raw.get("date"):
        date = _check(problems, where, lambda: parse_date(raw["date"], "date"))
    embargo = None
    if raw.get("embargo_until"):
        embargo = _check(problems, where, lambda: fields.moment(raw["embargo_until"], "embargo_until"))
    rights = _check(problems, where, lambda: fields.rights_fields(raw)) or {}
    status = raw.get("status", "draft")
    if status not in ("draft", "published"):
        problems.append(f"{where}.status: must be draft or published.")
    if not isinstance(raw.get("editors_pick", False), bool):
        problems.append(f"{where}.editors_pick: must be true or false.")
    for key in ("description", "credit"):
        if not isinstance(raw.get(key, ""), str) and not (key == "description" and split[1]):
            problems.append(f"{where}.{key}: must be text.")
    assets = raw.get("assets", [])
    if not isinstance(assets, list):
        problems.append(f"{where}.assets: must be a list.")
        assets = []
    specs = [s for j, a in enumerate(assets)
             if (s := _asset(a, f"{where}.assets[{j}]", base, problems, language)) is not None]
    if not isinstance(title, str) or not isinstance(category, str):
        return None
    description = raw.get("description", "")
    return GallerySpec(title=title.strip(), category=category, country=country,
                       description=description if isinstance(description, str) else "",
                       credit=raw.get("credit", ""), language=language,
                       translations=split[1] or {},
                       date=date, status=status, editors_pick=bool(raw.get("editors_pick")),
                       embargo_until=embargo, rights=rights, assets=specs)


def _asset(raw: Any, where: str, base: str, problems: list[str],
           language: str = translations.DEFAULT) -> AssetSpec | None:
    if not _an_object(raw, ASSET_KEYS, where, problems):
        return None
    file = raw.get("file")
    if not isinstance(file, str) or not file.strip():
        problems.append(f"{where}.file: each asset needs a file path.")
        return None
    path = resolve(base, file)
    if path is None:
        problems.append(f"{where}.file: {file!r} is outside the manifest's folder.")
        return None
    given = {k: v for k, v in raw.items() if k != "file"}
    cleaned = _check(problems, where, lambda: clean_fields(given, language))
    return AssetSpec(file=file, path=path, fields=given) if cleaned is not None else None


def _check(problems: list[str], where: str, call):
    """Run a validating call; a ValidationError becomes a problem naming the field."""
    try:
        return call()
    except ValidationError as exc:
        problems.append(f"{where}.{exc.field}: {exc.message}" if exc.field else f"{where}: {exc.message}")
        return None

"""Running a search: access rules, filters, facets, sorting, pages, highlights, suggestions."""
from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from flask import current_app
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import joinedload
from whoosh import query as wq
from whoosh.index import LockError

import gallery.services.search.execute as execute
import gallery.services.search.rows as rows
import gallery.services.search.spelling as spelling
import gallery.services.search.store as store
from gallery import policy
from gallery.exceptions import GalleryError
from gallery.extensions import db
from gallery.i18n import locale as i18n_locale
from gallery.i18n import names as i18n_names
from gallery.i18n import terms
from gallery.models import Asset, Category, Country, Gallery
from gallery.services import translations
from gallery.services.search.analysis import LANGUAGES
from gallery.services.search.query import Parsed, fold, highlight, parse, restrict
from gallery.services.search.schema import SEARCH_FACETS, lang_field

SORTS = ("relevance", "newest", "oldest")
FILTERS = ("category", "country", "media_type", "year", "credit", "gallery")
SUGGEST_BELOW = 3
MAX_PAGE = 1000


@dataclass
class Filters:
    """Exact filters beside the query text; empty values are ignored."""

    category: str = ""
    country: str = ""
    media_type: str = ""
    year: str = ""
    credit: str = ""
    gallery: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None

    def active(self) -> dict[str, str]:
        """The filters in use, by name, as strings (for chips and links)."""
        out = {k: getattr(self, k) for k in FILTERS if getattr(self, k)}
        if self.date_from:
            out["date_from"] = self.date_from.isoformat()
        if self.date_to:
            out["date_to"] = self.date_to.isoformat()
        return out


@dataclass
class Hit:
    """One asset in the results with its highlighted caption and title (and their languages).

    Highlighted when first read: the JSON API shows no title highlight.
    """

    asset: rows.ResultAsset  # reads like an Asset: its columns, gallery, country, renditions
    parsed: Parsed
    caption_text: str = ""
    title_text: str = ""
    caption_lang: str = "en"
    title_lang: str = "en"

    @cached_property
    def caption(self) -> Markup:
        """The caption's excerpt around the first match, matches marked."""
        return highlight(self.caption_text, self.parsed, lang=self.caption_lang)

    @cached_property
    def title(self) -> Markup:
        """The title, matches marked."""
        return highlight(self.title_text, self.parsed, limit=300, lang=self.title_lang)


@dataclass
class Results:
    """One page of search results with facets, gallery matches and a suggestion."""

    q: str
    total: int
    page: int
    per_page: int
    hits: list[Hit] = field(default_factory=list)
    counts: dict[str, list[tuple[str, int]]] = field(default_factory=dict)  # facets, in order
    galleries: list[Gallery] = field(default_factory=list)
    suggestion: str | None = None

    @property
    def pages(self) -> int:
        """Number of pages."""
        return max(1, -(-self.total // self.per_page))

    @cached_property
    def facets(self) -> dict[str, list[tuple[str, int, str]]]:
        """(value, count, label) per facet; labelled when first read (the JSON API shows none)."""
        return _label_facets(self.counts)


def run(q: str, user: Any, filters: Filters | None = None, sort: str = "relevance", page: int = 1,
        per_page: int | None = None, with_galleries: bool = True, lang: str = "en") -> Results:
    """Search assets the user may see; never raises on bad query syntax.

    lang is the reader's language: captions and titles are shown in it where translated, and
    "did you mean" looks in its words first.
    """
    filters = filters or Filters()
    per_page = max(1, min(per_page or current_app.config.get("SEARCH_PER_PAGE", 24),
                          current_app.config.get("API_MAX_PER_PAGE", 200)))
    page = max(1, min(page, MAX_PAGE))
    sort = sort if sort in SORTS else "relevance"
    parsed = parse(q)
    mask = hidden_from(user)
    filt = _filter_query(filters)
    with _lease() as searcher:
        total, ids, facet_counts = query_index(searcher, parsed, mask, filt, sort, page, per_page)
        gallery_ids = _matching_galleries(searcher, parsed, mask) if with_galleries else []
        suggestion = (_suggest(searcher, q, parsed, total, mask, filt, lang)
                      if total < SUGGEST_BELOW else None)
    results = Results(q=q, total=total, page=page, per_page=per_page, suggestion=suggestion)
    results.hits = [_hit(a, parsed, lang) for a in _load_assets(ids, user)]
    results.counts = _order_facets(facet_counts)
    results.galleries = _load_galleries(gallery_ids, user)
    return results


def matching_ids(q: str, user: Any, filters: Filters | None = None, limit: int = 5000,
                 sort: str = "relevance") -> tuple[int, list[int]]:
    """(total, ids) of every asset a search finds for this user, up to limit, in relevance order (or sort)."""
    parsed = parse(q)
    with _lease() as searcher:
        total, ids, _facets = query_index(searcher, parsed, hidden_from(user), _filter_query(filters or Filters()),
                                          sort if sort in SORTS else "relevance", 1, limit, facets=False)
    return total, ids


def newest_added(q: str, user: Any, filters: Filters | None = None, count: int = 30,
                 window: int = 5000) -> list[Asset]:
    """The items a search finds that were added to the library last (feeds): newest upload first.

    The index orders by the date an item was made, not added, so the window (its newest `window`
    by that date) is ordered again by the rows' creation time.
    """
    _total, ids = matching_ids(q, user, filters, window, sort="newest")
    if not ids:
        return []
    found = db.session.scalars(select(Asset).where(Asset.id.in_(ids))
                               .order_by(Asset.created_at.desc(), Asset.id.desc())
                               .options(joinedload(Asset.gallery)).limit(count * 2)).unique().all()
    return [a for a in found if policy.can_view_asset(user, a)][:count]


def hidden_from(user: Any) -> wq.Query:
    """Index documents this user must not find: policy.can_view_asset's rules, in index terms."""
    if policy.is_staff(user):
        return wq.Term("trashed", "1")
    hidden: list[wq.Query] = [wq.Term("visible", "0")]
    if not policy.publish_unknown_consent():
        hidden.append(wq.Term("consent", "unknown"))
    return wq.Or(hidden)


class SearchBusy(GalleryError):
    """The index is being made by another process and this request will not wait for it."""

    status = 503


@contextlib.contextmanager
def _lease() -> Iterator:
    """A searcher of the app's index; making a first index waits only SEARCH_LOCK_TIMEOUT.

    With SEARCH_WRITER = "sync" a web process never makes one: `gallery search-sync` builds it.
    """
    cfg = current_app.config
    cache = store.searcher_cache(cfg["SEARCH_INDEX_DIR"])
    with contextlib.ExitStack() as stack:
        try:
            searcher = stack.enter_context(cache.lease(
                timeout=cfg.get("SEARCH_LOCK_TIMEOUT", 0.5),
                create=cfg.get("SEARCH_WRITER", "inline") != "sync"))
        except (LockError, store.IndexMissing) as exc:
            raise SearchBusy("Search is being set up; try again in a moment.") from exc
        yield searcher


def warm_up() -> bool:
    """Open this process's searcher and prepare its result rows' statements now, as a web worker
    starts; False when there is no index yet.

    At a million assets opening it takes about a second: paid at start, not by a first visitor.
    Never makes an index (that is `gallery init`'s or the sync's work) and never stops a start.
    """
    cache = store.searcher_cache(current_app.config["SEARCH_INDEX_DIR"])
    try:
        with cache.lease(create=False):
            pass
    except (LockError, store.IndexMissing):
        return False
    except Exception:  # a damaged index: requests say so through SearchBusy or a 500 log later
        current_app.logger.exception("search: could not open the index at start")
        return False
    try:  # the result rows' statements too (rows.warm)
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            rows.warm(conn)
    except Exception:  # a database not up yet: the first search compiles them
        current_app.logger.exception("search: could not read the database at start")
    return True


def query_index(searcher, parsed: Parsed, mask, filt, sort: str = "relevance", page: int = 1,
                per_page: int = 24, facets: bool = True) -> tuple[int, list[int], dict[str, dict]]:
    """The index part of a search: total, asset ids of one page in order, facet counts."""
    if parsed.empty and sort == "relevance":
        sort = "newest"  # nothing to rank by: newest first
    out = execute.run(searcher, parsed.query, exclude=mask, allow=filt, sort=sort, page=page,
                      per_page=per_page,
                      facets=SEARCH_FACETS if facets else None)
    ids = [int(searcher.stored_fields(d)["id"]) for d in out.docnums]
    return out.total, ids, out.facets


def _filter_query(f: Filters) -> wq.Query | None:
    terms: list[wq.Query] = []
    if f.category:
        terms.append(wq.Term("f_category", f.category))
    if f.country:
        terms.append(wq.Term("f_country", f.country.upper()))
    if f.media_type:
        terms.append(wq.Term("f_media_type", f.media_type))
    if f.year:
        terms.append(wq.Term("f_year", str(f.year)))
    if f.credit:
        terms.append(wq.Term("f_credit", f.credit))
    if f.gallery:
        terms.append(wq.Term("gallery_id", str(f.gallery)))
    if f.date_from or f.date_to:
        start = dt.datetime.combine(f.date_from, dt.time.min) if f.date_from else None
        end = dt.datetime.combine(f.date_to, dt.time.max) if f.date_to else None
        terms.append(wq.DateRange("date", start, end))
    if not terms:
        return None
    return terms[0] if len(terms) == 1 else wq.And(terms)


def _matching_galleries(searcher, parsed: Parsed, mask, limit: int = 4) -> list[int]:
    """Galleries whose title or description match, most matching assets first."""
    q = restrict(parsed, "gallery")
    if q is None:
        return []
    counts = execute.View(searcher).gallery_counts(q, mask, limit)
    return [int(g) for g, _ in sorted(counts.items(), key=lambda kv: -kv[1])[:limit]]


def _hit(asset: rows.ResultAsset, parsed: Parsed, lang: str) -> Hit:
    """A result with its caption and title in the reader's language where translated."""
    caption, caption_lang = translations.text_for(asset, "caption", lang)
    title, title_lang = translations.text_for(asset, "title", lang)
    return Hit(asset, parsed, caption, title, caption_lang, title_lang)


def _suggest(searcher, q: str, parsed: Parsed, total: int, mask, filt,
             lang: str = "en") -> str | None:
    """A respelled query that finds more than this one, or None.

    A word no caption or title holds in any language is respelled from the words of the
    reader's language first, then of the others.
    """
    words = parsed.words
    if not words:
        return None
    reader = searcher.reader()
    fields = [lang_field("plain", code) for code in (lang, *LANGUAGES) if code in LANGUAGES]
    fields = [f for f in dict.fromkeys(fields) if f in searcher.schema]
    text = q
    changed = False
    for item in words:
        word = fold(item.text)
        if not word.isalpha() or len(word) < 3 or any(reader.doc_frequency(f, word) for f in fields):
            continue
        for fieldname in fields:
            found = spelling.nearest(searcher, fieldname, word)
            if found and found != word:
                text = _replace_word(text, item.text, found)
                changed = True
                break
    if not changed:
        return None
    better = parse(text)
    count = execute.run(searcher, better.query, exclude=mask, allow=filt, per_page=0).total
    return text if count > total else None


def _replace_word(text: str, old: str, new: str) -> str:
    idx = text.find(old)
    return text if idx < 0 else text[:idx] + new + text[idx + len(old):]


def _load_assets(ids: list[int], user: Any) -> list[rows.ResultAsset]:
    """Rows in rank order, each checked against the policy again (the index can lag)."""
    if not ids:
        return []
    # On a connection of their own outside any transaction: read-only statements read what is
    # committed either way, and a search then begins and rolls back none (two round trips a
    # request on PostgreSQL).
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        by_id = rows.load(conn, ids)
    return [by_id[i] for i in ids if i in by_id and policy.can_view_asset(user, by_id[i])]


def _load_galleries(ids: list[int], user: Any) -> list[Gallery]:
    if not ids:
        return []
    rows = {g.id: g for g in db.session.scalars(select(Gallery).where(Gallery.id.in_(ids)))}
    return [rows[i] for i in ids if i in rows and policy.can_view_gallery(user, rows[i])]


def _order_facets(counts: dict[str, dict]) -> dict[str, list[tuple[str, int]]]:
    """(value, count) per facet, most frequent first (years newest first)."""
    out: dict[str, list[tuple[str, int]]] = {}
    for facet, values in counts.items():
        items = [(str(v), int(c)) for v, c in values.items() if v not in (None, "")]
        if facet == "year":
            items.sort(key=lambda vc: vc[0], reverse=True)
        else:
            items.sort(key=lambda vc: (-vc[1], vc[0]))
        out[facet] = items
    return out


def _label_facets(counts: dict[str, list[tuple[str, int]]]) -> dict[str, list[tuple[str, int, str]]]:
    """(value, count, label) per facet, labels in the page's language."""
    names: dict[str, dict[str, str]] = {}
    cats = [v for v, _c in counts.get("category", [])]
    if cats:  # labels in the page's language (UN country names; the seeded categories' names)
        # (slug, name) rows, not Category objects: admins rename categories, so read every time.
        names["category"] = {c.slug: i18n_names.category_name(c) for c in db.session.execute(
            select(Category.slug, Category.name).where(Category.slug.in_(cats)))}
    codes = [v for v, _c in counts.get("country", [])]
    if codes:
        names["country"] = _country_labels(codes)
    names["media_type"] = {v: terms.term(v) for v in ("image", "video", "audio")}
    out: dict[str, list[tuple[str, int, str]]] = {}
    for facet, items in counts.items():
        labels = names.get(facet, {})
        out[facet] = [(v, c, labels.get(v, v.capitalize() if facet == "media_type" else v))
                      for v, c in items]
    return out


def _country_labels(codes: list[str]) -> dict[str, str]:
    """Countries' names in the page's language by alpha-3 code, read once per app and language.

    Countries are reference rows (services/reference.py) that are added, never renamed, so a
    search does not read up to 249 of them again for its facet.
    """
    kept = current_app.extensions.setdefault("search_country_labels", {}).setdefault(
        i18n_locale.current(), {})
    missing = [code for code in codes if code not in kept]
    if missing:
        kept.update({c.alpha3: i18n_names.country_name(c) for c in db.session.scalars(
            select(Country).where(Country.alpha3.in_(missing)))})
    return {code: kept[code] for code in codes if code in kept}

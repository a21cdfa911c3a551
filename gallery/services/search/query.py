"""The query language a journalist can guess, parsed forgivingly into Whoosh queries."""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from markupsafe import Markup, escape
from whoosh import query as wq

from gallery.services.search.analysis import LANGUAGES, PLAIN, STEMS, fold, rules
from gallery.services.search.schema import (
    DEFAULT_FIELDS,
    FIELD_GROUPS,
    QUERY_FIELDS,
    TRANSLATED,
    any_field,
    lang_field,
)

MAX_CHARS = 500
# Languages whose stemmers read accents (analysis.py): see _item_query.
ACCENTED = tuple(lang for lang in LANGUAGES if not rules(lang).folds_first)
PLAIN_WORD = re.compile(r"\w+")
MAX_ITEMS = 32
# Short metadata fields: a phrase there needs all its words, not adjacent pairs.
META_FIELDS = tuple(name for name, _boost in DEFAULT_FIELDS if name not in ("caption", "title"))
_FIELD_RE = re.compile(r"([A-Za-z_]+):")
_QUOTES = str.maketrans({"\u201c": '"', "\u201d": '"', "\u201e": '"', "\u00ab": '"', "\u00bb": '"'})


@dataclass
class Item:
    """One word, phrase or prefix of the query, maybe negated or bound to a field."""

    text: str
    kind: str = "word"  # word | phrase | prefix
    field: str | None = None
    negated: bool = False
    or_next: bool = False


@dataclass
class Parsed:
    """A parsed query: the Whoosh query plus what highlighting and suggestions need."""

    query: wq.Query
    items: list[Item] = field(default_factory=list)
    terms: set[str] = field(default_factory=set)
    prefixes: list[str] = field(default_factory=list)
    plain: set[str] = field(default_factory=set)  # words typed without accents, as written
    empty: bool = True
    # Per language, whether a word as written matches (highlight's cache for this query).
    marks: dict[str, dict[str, bool]] = field(default_factory=dict, repr=False, compare=False)

    @property
    def words(self) -> list[Item]:
        """Positive single words: candidates for "did you mean"."""
        return [i for i in self.items if i.kind == "word" and not i.negated]


def tokenize(text: str) -> list[Item]:
    """Split the query into items; unbalanced quotes, stray operators and junk are tolerated."""
    text = (text or "")[:MAX_CHARS].translate(_QUOTES)
    items: list[Item] = []
    i, n = 0, len(text)
    negate_next = False
    while i < n and len(items) < MAX_ITEMS:
        ch = text[i]
        if ch.isspace() or ch in "()":
            i += 1
            continue
        negated = negate_next
        negate_next = False
        if ch == "-" and i + 1 < n and not text[i + 1].isspace():
            negated = True
            i += 1
        fieldname = None
        m = _FIELD_RE.match(text, i)
        if m and m.group(1).lower() in QUERY_FIELDS:
            fieldname = QUERY_FIELDS[m.group(1).lower()]
            i = m.end()
            if i >= n or text[i].isspace():
                continue  # "field:" with nothing after it: ignore the field
        if i < n and text[i] == '"':
            end = text.find('"', i + 1)
            end = n if end == -1 else end
            body = text[i + 1:end]
            i = end + 1
            if body.strip():
                items.append(Item(body, "phrase", fieldname, negated))
            continue
        j = i
        while j < n and not text[j].isspace() and text[j] not in '"()':
            j += 1
        word = text[i:j]
        i = j
        if word in ("OR", "|") and fieldname is None:
            if items and not negated:
                items[-1].or_next = True
            continue
        if word in ("AND", "&&", "+") and fieldname is None:
            continue
        if word == "NOT" and fieldname is None:
            negate_next = True
            continue
        kind = "word"
        if word.endswith("*") and len(word.rstrip("*")) >= 2:
            kind, word = "prefix", word.rstrip("*")
        items.append(Item(word.strip("*"), kind, fieldname, negated))
    if items:
        items[-1].or_next = False
    return items


def _stems(text: str, lang: str = "en") -> list[str]:
    return [t.text for t in STEMS[lang](text, mode="query")]


def _per_language(text: str) -> dict[str, list[str]]:
    """A word or phrase analysed in every language of the index."""
    return {lang: _stems(text, lang) for lang in LANGUAGES}


def _item_query(item: Item, parsed: Parsed) -> wq.Query | None:
    if item.field in FIELD_GROUPS:
        found = [q for f in FIELD_GROUPS[item.field] if (q := _item_query(replace(item, field=f), parsed))]
        return wq.Or(found) if found else None
    if item.kind == "prefix":
        return _prefix_query(item, parsed)
    translated = item.field is None or item.field in TRANSLATED
    per = _per_language(item.text) if translated else {"en": _stems(item.text)}
    if not any(per.values()):
        return None
    if not item.negated:
        for stems in per.values():
            parsed.terms.update(stems)
    subs: list[wq.Query] = []
    for lang, stems in per.items():
        if stems:
            q = _language_query(stems, lang, item.field)
            subs.extend(q.subqueries if isinstance(q, wq.Or) else [q])
        elif not item.negated:
            # A stop word in this language (la, de, the): its texts need not hold it.
            subs.append(wq.Term("lang", lang))
    word = fold(item.text)
    if not item.negated and word == item.text.lower() and item.field in (None, "caption", "title") \
            and PLAIN_WORD.fullmatch(word):
        parsed.plain.add(word)
        # Typed without accents: French and Spanish stems need them ("deplacees" is not stemmed
        # like "déplacées"), so the word as written is looked up among their unstemmed words.
        subs.extend(wq.Term(lang_field("plain", lang), word, boost=2.0) for lang in ACCENTED)
    return subs[0] if len(subs) == 1 else wq.Or(subs)


def _language_query(stems: list[str], lang: str, fieldname: str | None) -> wq.Query:
    """One language's stems of a word or phrase, on that language's fields."""
    if len(stems) == 1:
        return _term(stems[0], fieldname, lang)
    # A phrase (or a hyphenated word): consecutive word pairs on the shingle field of caption and
    # title; short metadata fields (English only) fall back to all words present.
    shingle = lang_field("shingle", lang)
    pairs = wq.And([wq.Term(shingle, f"{a} {b}") for a, b in zip(stems, stems[1:])])
    if fieldname:
        field = lang_field(fieldname, lang) if fieldname in TRANSLATED else fieldname
        if fieldname in ("caption", "title"):
            return wq.And([pairs, *(wq.Term(field, s) for s in stems)])
        return wq.And([wq.Term(field, s) for s in stems])
    if lang != "en":
        # A gallery's keywords are in its language too (schema.make_document).
        return wq.Or([pairs, wq.And([wq.Term(lang_field("keywords", lang), s) for s in stems])])
    return wq.Or([pairs, *(wq.And([wq.Term(f, s) for s in stems]) for f in META_FIELDS)])


def _prefix_query(item: Item, parsed: Parsed) -> wq.Query | None:
    plain = [t.text for t in PLAIN(item.text)]
    if not plain:
        return None
    prefix = plain[-1]
    if not item.negated:
        parsed.prefixes.append(prefix)
    if item.field:
        langs = LANGUAGES if item.field in TRANSLATED else ("en",)
        return wq.Or([wq.Prefix(lang_field(item.field, lang), p) for lang in langs
                      for p in {prefix, rules(lang).term(prefix)}])
    # Each language's text fields hold stems: the prefix as typed ("vaccination*") and as that
    # language stems it ("vaccin") are both looked up, so neither a longer word nor a stem is missed.
    return wq.Or([wq.Prefix(any_field(lang), p) for lang in LANGUAGES
                  for p in dict.fromkeys((prefix, rules(lang).term(prefix)))])


def _term(stem: str, fieldname: str | None, lang: str = "en") -> wq.Query:
    if fieldname:
        return wq.Term(lang_field(fieldname, lang) if fieldname in TRANSLATED else fieldname, stem)
    return wq.Term(any_field(lang), stem)  # the language's text fields, summed (tables.py)


def parse(text: str) -> Parsed:
    """Parse a query string; never raises, and an empty or junk query matches everything."""
    items = tokenize(text)
    parsed = Parsed(query=wq.Every(), items=items)
    positives: list[wq.Query] = []
    negatives: list[wq.Query] = []
    group: list[wq.Query] = []
    for item in items:
        q = _item_query(item, parsed)
        if item.negated:
            if q is not None:
                negatives.append(q)
            continue
        if q is not None:
            group.append(q)
        if not item.or_next and group:
            positives.append(group[0] if len(group) == 1 else wq.Or(group))
            group = []
    if group:
        positives.append(group[0] if len(group) == 1 else wq.Or(group))
    if positives or negatives:
        parsed.empty = False
        base = wq.And(positives) if len(positives) > 1 else (positives[0] if positives else wq.Every())
        parsed.query = wq.AndNot(base, wq.Or(negatives)) if negatives else base
    return parsed


def restrict(parsed: Parsed, fieldname: str) -> wq.Query | None:
    """The positive words and phrases of a parsed query, all on one text field in any language."""
    subs = []
    for item in parsed.items:
        if item.negated or item.field:
            continue
        if item.kind == "prefix":
            subs.append(wq.Or([wq.Prefix(lang_field(fieldname, lang), fold(item.text))
                               for lang in LANGUAGES]))
            continue
        per = [wq.And([wq.Term(lang_field(fieldname, lang), s) for s in stems])
               for lang, stems in _per_language(item.text).items() if stems]
        if per:
            subs.append(per[0] if len(per) == 1 else wq.Or(per))
    return wq.And(subs) if subs else None


# Per language, a word as written -> (folded, its index term or None for a stop word): captions
# repeat their vocabulary, and a lookup costs less than folding and stemming again.
_WORDS: dict[str, dict[str, tuple[str, str | None]]] = {}
WORDS_KEPT = 200_000


def _word(r, word: str, words: dict) -> tuple[str, str | None]:
    found = words[word] = (fold(word), r.index_term(word))
    if len(words) > WORDS_KEPT:
        words.clear()
        words[word] = found
    return found


def _matches(r, word: str, words: dict, parsed: Parsed) -> bool:
    """Whether a word as written in a text (of r's language) is one the query looks for."""
    found = words.get(word)
    if found is None:
        found = _word(r, word, words)
    written, term = found
    if term is None:
        return False
    return term in parsed.terms or written in parsed.plain or (
        bool(parsed.prefixes) and any(written.startswith(p) for p in parsed.prefixes))


def highlight(text: str, parsed: Parsed, limit: int = 240, lang: str = "en") -> Markup:
    """An escaped excerpt of `text` (in `lang`) around the first match, matches in <mark>."""
    text = text or ""
    spans = []
    if parsed.terms or parsed.prefixes:
        # The index analyzer's words and terms (STEMS[lang]), read straight off the regex: a
        # page highlights 48 texts, and tokens cost more than the words. Matches past the
        # excerpt that the first one opens are never shown, so reading stops there.
        r = rules(lang)
        words = _WORDS.setdefault(r.code, {})
        # Whether a word as written is a match, decided once per query: a page's texts repeat words.
        marks = parsed.marks.setdefault(r.code, {})
        for m in r.word.finditer(text):
            if spans and m.start() > spans[0][0] + limit:
                break
            hit = marks.get(m.group())
            if hit is None:
                hit = marks[m.group()] = _matches(r, m.group(), words, parsed)
            if hit:
                spans.append(m.span())
    start = 0
    if spans and len(text) > limit:
        start = max(0, spans[0][0] - limit // 4)
        while start > 0 and not text[start - 1].isspace():
            start -= 1
    end = min(len(text), start + limit)
    if end < len(text):
        cut = text.rfind(" ", start, end)
        end = cut if cut > start else end
    # Plain strings joined once: each Markup operation escapes its operands again.
    out = ["\u2026" if start > 0 else ""]
    pos = start
    for s, e in spans:
        if s < start or e > end:
            continue
        out += (escape(text[pos:s]), "<mark>", escape(text[s:e]), "</mark>")
        pos = e
    out.append(escape(text[pos:end]))
    if end < len(text):
        out.append("\u2026")
    return Markup("".join(out))

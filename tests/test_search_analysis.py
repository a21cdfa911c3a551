"""The one-pass analyzers produce exactly what the equivalent chains of Whoosh filters produce."""
from __future__ import annotations

import pickle

import pytest
from whoosh.analysis import (
    CharsetFilter,
    LowercaseFilter,
    RegexTokenizer,
    ShingleFilter,
    StemFilter,
    StopFilter,
)
from whoosh.formats import Frequency
from whoosh.support.charset import accent_map

from gallery.services.search.analysis import (
    PLAIN,
    SHINGLE,
    STEM,
    Counts,
    FoldingAnalyzer,
)

CHAIN_PLAIN = RegexTokenizer() | LowercaseFilter() | CharsetFilter(accent_map)
CHAIN_STEM = CHAIN_PLAIN | StopFilter() | StemFilter(lang="en")
CHAIN_SHINGLE = CHAIN_STEM | ShingleFilter(size=2, sep=" ")
TEXTS = [
    "Women collect clean water at a newly repaired borehole outside Lodwar.",
    "Una asistente del programa de retorno voluntario en Bilwi, "
    "Región Autónoma de la Costa Caribe Norte.",
    "Des bénévoles distribuent de l'eau potable aux rapatriés à Jérémie; l'école a rouvert.",
    "Health workers vaccinated 1,200 children in Danlí (Honduras) — the 3.5 km walk, "
    "Türkiye, ÆSIR straße",
    "A", "", "   ", "the of and", "vaccines vaccination vaccinated displaced displacement",
    "e-mail U.N. 2023-03-14 COVID-19 x",
    "Danli\u0301 sa\u0303o Joa\u0303o: decomposed accents from a Mac",
]


@pytest.mark.parametrize("text", TEXTS)
@pytest.mark.parametrize("mode", ["index", "query"])
def test_same_terms_as_the_whoosh_chains(text, mode):
    for fast, chain in ((STEM, CHAIN_STEM), (PLAIN, CHAIN_PLAIN), (SHINGLE, CHAIN_SHINGLE)):
        assert [t.text for t in fast(text, mode=mode)] == [t.text for t in chain(text, mode=mode)]


@pytest.mark.parametrize("text", TEXTS)
def test_same_character_offsets_for_highlighting(text):
    for fast, chain in ((STEM, CHAIN_STEM), (PLAIN, CHAIN_PLAIN)):
        got = [(t.text, t.startchar, t.endchar) for t in fast(text, chars=True, mode="index")]
        want = [(t.text, t.startchar, t.endchar) for t in chain(text, chars=True, mode="index")]
        assert got == want


def test_repeated_text_is_remembered_and_the_memo_is_never_pickled():
    analyzer = FoldingAnalyzer()
    first = analyzer.terms("Región Autónoma de la Costa Caribe Norte")
    assert analyzer.terms("Región Autónoma de la Costa Caribe Norte") is first
    copy = pickle.loads(pickle.dumps(analyzer))
    assert copy == analyzer and not copy._memo


@pytest.mark.parametrize("text", TEXTS)
def test_counts_format_gives_what_frequency_gives(text):
    for analyzer in (STEM, PLAIN, SHINGLE):
        fast = sorted(Counts(field_boost=1.0).word_values(text, analyzer, mode="index"))
        slow = sorted(Frequency(field_boost=1.0).word_values(text, analyzer, mode="index"))
        assert fast == slow

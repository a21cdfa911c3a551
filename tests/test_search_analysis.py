"""The one-pass analyzers produce exactly what the equivalent chains of Whoosh filters produce,
in each language, and each language's rules: stems, elision, accents, stop words."""
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
    ELIDING_WORD,
    LANGUAGES,
    PLAINS,
    RULES,
    SHINGLES,
    STEMS,
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
    "Qu'il pleuve, jusqu\u2019à l\u2019aube : L'ÉTÉ d'urgence, aujourd'hui, c'est-à-dire l'O.N.U.",
    "Las familias desplazadas están en la Región; él sí, más vacunación y árboles.",
    "l' eau, d'  l' potable", "''l'eau j'ai n'a m'y t'es s'il pleut",
]
# Per language, the Whoosh chain each analyzer stands for. French and Spanish stem before
# folding: their Snowball stemmers need the accents. French tokens skip elided articles.
FR_ES_TOKENS = {lang: RegexTokenizer(ELIDING_WORD if lang == "fr" else RegexTokenizer().expression)
                for lang in ("fr", "es")}
CHAINS = {"en": (CHAIN_STEM, CHAIN_PLAIN, CHAIN_SHINGLE)}
for _lang, _tokens in FR_ES_TOKENS.items():
    _stem = (_tokens | LowercaseFilter() | StopFilter(stoplist=RULES[_lang].stop)
             | StemFilter(lang=_lang) | CharsetFilter(accent_map))
    CHAINS[_lang] = (_stem, _tokens | LowercaseFilter() | CharsetFilter(accent_map),
                     _stem | ShingleFilter(size=2, sep=" "))


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("text", TEXTS)
@pytest.mark.parametrize("mode", ["index", "query"])
def test_same_terms_as_the_whoosh_chains(text, mode, lang):
    chain_stem, chain_plain, chain_shingle = CHAINS[lang]
    for fast, chain in ((STEMS[lang], chain_stem), (PLAINS[lang], chain_plain),
                        (SHINGLES[lang], chain_shingle)):
        assert [t.text for t in fast(text, mode=mode)] == [t.text for t in chain(text, mode=mode)]
        for word in RULES[lang].word.findall(text):  # one term (tokenize=False), as a parser asks
            assert ([t.text for t in fast(word, tokenize=False)]
                    == [t.text for t in chain(word, tokenize=False)])


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("text", TEXTS)
def test_same_character_offsets_for_highlighting(text, lang):
    chain_stem, chain_plain, _shingle = CHAINS[lang]
    for fast, chain in ((STEMS[lang], chain_stem), (PLAINS[lang], chain_plain)):
        got = [(t.text, t.startchar, t.endchar) for t in fast(text, chars=True, mode="index")]
        want = [(t.text, t.startchar, t.endchar) for t in chain(text, chars=True, mode="index")]
        assert got == want


def test_repeated_text_is_remembered_and_the_memo_is_never_pickled():
    analyzer = FoldingAnalyzer()
    first = analyzer.terms("Región Autónoma de la Costa Caribe Norte")
    assert analyzer.terms("Región Autónoma de la Costa Caribe Norte") is first
    copy = pickle.loads(pickle.dumps(analyzer))
    assert copy == analyzer and not copy._memo
    french = pickle.loads(pickle.dumps(FoldingAnalyzer(lang="fr")))
    assert french.lang == "fr" and french != analyzer
    # An index written before languages pickled no language: it reads as English.
    old = FoldingAnalyzer.__new__(FoldingAnalyzer)
    old.__setstate__({"stems": True, "pairs": False})
    assert old == analyzer


@pytest.mark.parametrize("text", TEXTS)
def test_counts_format_gives_what_frequency_gives(text):
    for analyzer in (*STEMS.values(), *PLAINS.values(), *SHINGLES.values()):
        fast = sorted(Counts(field_boost=1.0).word_values(text, analyzer, mode="index"))
        slow = sorted(Frequency(field_boost=1.0).word_values(text, analyzer, mode="index"))
        assert fast == slow


def terms(text: str, lang: str, analyzers=STEMS) -> list[str]:
    return [t.text for t in analyzers[lang](text, mode="query")]


@pytest.mark.parametrize("lang, words", [
    ("fr", ["déplacées", "déplacés", "déplacé", "déplacement", "Déplacements"]),
    ("fr", ["réfugiés", "réfugiée", "réfugié"]),
    ("fr", ["infirmière", "infirmières", "infirmier"]),
    ("es", ["desplazadas", "desplazados", "desplazada", "desplazamiento"]),
    ("es", ["vacunación", "vacunaciones", "vacunas", "vacunar"]),
    ("es", ["refugiados", "refugiadas", "refugiado"]),
    ("en", ["vaccines", "vaccination", "vaccinated"]),
])
def test_each_language_stems_its_own_words_together(lang, words):
    stems = {tuple(terms(w, lang)) for w in words}
    assert len(stems) == 1 and all(stems.pop())


def test_stems_need_the_accents_so_french_and_spanish_fold_after_stemming():
    # Folded first, the Snowball stemmers part words they join with their accents.
    assert terms("déplacées", "fr") == terms("déplacés", "fr") == ["deplac"]
    assert terms("vacunación", "es") == terms("vacunaciones", "es") == ["vacun"]
    # and the index holds no accent either way: a word typed without them stems alike when the
    # stemmer does not need them
    assert terms("sante", "fr") == terms("Santé", "fr") == ["sant"]
    assert terms("region autonoma", "es") == terms("Región Autónoma", "es")
    assert terms("Danlí", "en") == terms("danli", "en") == ["dan"]


def test_french_elision_drops_the_article_not_the_word():
    assert terms("l'eau d'urgence qu'il jusqu'à l\u2019école", "fr") == ["eau", "urgenc", "ecol"]
    assert terms("qu'il jusqu'à", "fr", PLAINS) == ["il", "a"]
    assert terms("L'EAU", "fr", PLAINS) == ["eau"]
    assert terms("aujourd'hui", "fr", PLAINS) == ["aujourd", "hui"]  # a word, not an article
    assert terms("l'eau potable", "fr", SHINGLES) == ["eau potabl"]
    # English keeps its rules: "children's" is not elided, the lone s is dropped as before
    assert terms("children's water", "en") == ["children", "water"]


def test_stop_words_are_per_language():
    assert terms("les the la", "en") == ["les", "la"]
    assert terms("les the la", "fr") == ["the"]
    assert terms("les the la", "es") == ["the"]
    assert terms("está esta él el", "es") == []  # with and without accents
    assert terms("été ete", "fr") == []

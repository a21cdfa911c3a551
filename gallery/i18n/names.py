"""Country and category names in the page's language, and sorting by the language's alphabet."""
from __future__ import annotations

import unicodedata
from functools import lru_cache
from typing import Any, Callable, Iterable, NamedTuple, TypeVar

import pycountry
from babel import Locale
from flask_babel import gettext

from gallery.i18n.locale import current

T = TypeVar("T")

# Country names are the UN's short names (UNTERM; M49 for areas that are not States). CLDR's
# default name is used where it is the same; this table holds the names where it differs, as
# (English, French, Spanish). Codes absent here and from CLDR fall back to pycountry's name.
UN_NAMES: dict[str, tuple[str, str, str]] = {
    "BN": ("Brunei Darussalam", "Brunéi Darussalam", "Brunei Darussalam"),
    "BO": ("Bolivia (Plurinational State of)", "Bolivie (État plurinational de)",
           "Bolivia (Estado Plurinacional de)"),
    "CD": ("Democratic Republic of the Congo", "République démocratique du Congo",
           "República Democrática del Congo"),
    "CG": ("Congo", "Congo", "Congo"),
    "CV": ("Cabo Verde", "Cabo Verde", "Cabo Verde"),
    "FK": ("Falkland Islands (Malvinas)", "Îles Falkland (Malvinas)", "Islas Malvinas (Falkland)"),
    "FM": ("Micronesia (Federated States of)", "Micronésie (États fédérés de)",
           "Micronesia (Estados Federados de)"),
    "GB": ("United Kingdom of Great Britain and Northern Ireland",
           "Royaume-Uni de Grande-Bretagne et d’Irlande du Nord",
           "Reino Unido de Gran Bretaña e Irlanda del Norte"),
    "HK": ("China, Hong Kong Special Administrative Region",
           "Chine, région administrative spéciale de Hong Kong",
           "China, región administrativa especial de Hong Kong"),
    "IR": ("Iran (Islamic Republic of)", "Iran (République islamique d’)",
           "Irán (República Islámica del)"),
    "KN": ("Saint Kitts and Nevis", "Saint-Kitts-et-Nevis", "Saint Kitts y Nevis"),
    "KP": ("Democratic People’s Republic of Korea", "République populaire démocratique de Corée",
           "República Popular Democrática de Corea"),
    "KR": ("Republic of Korea", "République de Corée", "República de Corea"),
    "LA": ("Lao People’s Democratic Republic", "République démocratique populaire lao",
           "República Democrática Popular Lao"),
    "MD": ("Republic of Moldova", "République de Moldova", "República de Moldova"),
    "MM": ("Myanmar", "Myanmar", "Myanmar"),
    "MO": ("China, Macao Special Administrative Region",
           "Chine, région administrative spéciale de Macao",
           "China, región administrativa especial de Macao"),
    "NL": ("Netherlands (Kingdom of the)", "Pays-Bas (Royaume des)", "Países Bajos (Reino de los)"),
    "PS": ("State of Palestine", "État de Palestine", "Estado de Palestina"),
    "RU": ("Russian Federation", "Fédération de Russie", "Federación de Rusia"),
    "ST": ("Sao Tome and Principe", "Sao Tomé-et-Principe", "Santo Tomé y Príncipe"),
    "SY": ("Syrian Arab Republic", "République arabe syrienne", "República Árabe Siria"),
    "SZ": ("Eswatini", "Eswatini", "Eswatini"),
    "TL": ("Timor-Leste", "Timor-Leste", "Timor-Leste"),
    "TR": ("Türkiye", "Türkiye", "Türkiye"),
    "TZ": ("United Republic of Tanzania", "République-Unie de Tanzanie",
           "República Unida de Tanzanía"),
    "US": ("United States of America", "États-Unis d’Amérique", "Estados Unidos de América"),
    "VA": ("Holy See", "Saint-Siège", "Santa Sede"),
    "VE": ("Venezuela (Bolivarian Republic of)", "Venezuela (République bolivarienne du)",
           "Venezuela (República Bolivariana de)"),
    "VI": ("United States Virgin Islands", "Îles Vierges américaines",
           "Islas Vírgenes de los Estados Unidos"),
    "VN": ("Viet Nam", "Viet Nam", "Viet Nam"),
}
_COLUMN = {"en": 0, "fr": 1, "es": 2}

# The 18 seeded categories; a category staff add or rename shows the name they gave it.
CATEGORY_NAMES = {  # slug: English name, marked for the catalogues with N_
    "crisis-response": "Crisis Response",
    "international-cooperation-and-partnerships": "International Cooperation and Partnerships",
    "covid-19-response": "COVID-19 Response",
    "health": "Health",
    "un-network-on-migration": "UN Network on Migration",
    "events": "Events",
    "environmental-migration": "Environmental Migration",
    "trafficking": "Trafficking",
    "internally-displaced-persons": "Internally Displaced Persons",
    "community-development": "Community Development",
    "return-and-reintegration": "Return and Reintegration",
    "movement-assistance": "Movement Assistance",
    "labour": "Labour",
    "resettlement": "Resettlement",
    "shelter": "Shelter",
    "training-and-education": "Training and Education",
    "history": "History",
    "media-and-communications": "Media and Communications",
}


def N_(message: str) -> str:
    """Mark a string for the catalogues without translating it here (pybabel's N_ keyword)."""
    return message


_CATEGORY_MSGIDS = [N_("Crisis Response"), N_("International Cooperation and Partnerships"),
                    N_("COVID-19 Response"), N_("Health"), N_("UN Network on Migration"),
                    N_("Events"), N_("Environmental Migration"), N_("Trafficking"),
                    N_("Internally Displaced Persons"), N_("Community Development"),
                    N_("Return and Reintegration"), N_("Movement Assistance"), N_("Labour"),
                    N_("Resettlement"), N_("Shelter"), N_("Training and Education"),
                    N_("History"), N_("Media and Communications")]


@lru_cache(maxsize=1024)
def un_name(alpha2: str, language: str) -> str | None:
    """The UN short name of a country (alpha-2) in a language, None for an unknown code."""
    alpha2 = (alpha2 or "").upper()
    if alpha2 in UN_NAMES:
        return UN_NAMES[alpha2][_COLUMN.get(language, 0)]
    name = Locale.parse(language).territories.get(alpha2)
    if name and language == "en":
        # CLDR's English writes "St. Lucia" and "Trinidad & Tobago"; the UN writes them out.
        name = name.replace(" & ", " and ")
        name = "Saint " + name[4:] if name.startswith("St. ") else name
    if name is None:
        found = pycountry.countries.get(alpha_2=alpha2)
        name = (getattr(found, "common_name", None) or found.name) if found else None
    return name


def country_name(country: Any, language: str | None = None) -> str:
    """A country (a Country row, or an ISO alpha-2/alpha-3 code) by its UN name in the language."""
    if country is None:
        return ""
    language = language or current()
    if isinstance(country, str):
        code = country.upper()
        if len(code) == 3:
            found = pycountry.countries.get(alpha_3=code)
            alpha2, fallback = (found.alpha_2 if found else ""), country
        else:
            alpha2, fallback = code, country
    else:
        alpha2, fallback = getattr(country, "alpha2", "") or "", getattr(country, "name", "")
        if not alpha2 and getattr(country, "alpha3", None):  # (alpha3, name) rows
            found = pycountry.countries.get(alpha_3=country.alpha3)
            alpha2 = found.alpha_2 if found else ""
    return un_name(alpha2, language) or fallback


def category_name(category: Any) -> str:
    """A category's name in the page's language (seeded ones only; others as staff named them)."""
    if category is None:
        return ""
    name = category.name
    if CATEGORY_NAMES.get(category.slug) == name:
        return gettext(name)
    return name


def sort_key(text: str, language: str | None = None) -> tuple[str, str]:
    """A sort key close to the language's collation: case and accents only break ties.

    PyICU has no wheels on PyPI, so this folds by Unicode decomposition: "Égypte" sorts under E,
    "Åland" under A. Spanish keeps ñ as its own letter after n.
    """
    language = language or current()
    folded = []
    for char in text.casefold():
        if language == "es" and char == "ñ":
            folded.append("n\U0010ffff")
            continue
        base = unicodedata.normalize("NFKD", char)
        folded.append("".join(c for c in base if not unicodedata.combining(c)))
    return "".join(folded).replace("’", "'"), text


def sorted_by_name(items: Iterable[T], name: Callable[[T], str] | None = None) -> list[T]:
    """Items sorted by their displayed name in the page's language (countries by default).

    (country, count) pairs sort by the country.
    """
    language = current()
    name = name or (lambda item: country_name(item[0] if isinstance(item, tuple) else item,
                                              language))
    return sorted(items, key=lambda item: sort_key(name(item), language))


def country_options(rows: Iterable[Any]) -> tuple[tuple[str, str], ...]:
    """(alpha-3, name) of (alpha3, name) country rows, sorted by name in the page's language."""
    # Every manage form lists the 249 countries; naming and sorting them was a third of the
    # manage page's time. The list is the same for each language until the table changes.
    return _country_options(tuple((row.alpha3, row.name) for row in rows), current())


@lru_cache(maxsize=16)
def _country_options(rows: tuple[tuple[str, str], ...], language: str) -> tuple[tuple[str, str], ...]:
    named = [(code, country_name(_CodeRow(code, name), language)) for code, name in rows]
    return tuple(sorted(named, key=lambda option: sort_key(option[1], language)))


class _CodeRow(NamedTuple):
    """An (alpha3, name) row as country_name takes it."""

    alpha3: str
    name: str

"""Synthetic, realistic caption records for the search benchmark (deterministic per seed)."""
from __future__ import annotations

import datetime as dt
import random
from types import SimpleNamespace

PLACES = ["Lodwar", "Turkana", "Cox's Bazar", "Danlí", "Tegucigalpa", "Región Autónoma", "Gaziantep",
          "Hatay", "Kakuma", "Dadaab", "Goma", "Bunia", "Maiduguri", "Agadez", "Tapachula", "Cúcuta",
          "Mocoa", "Port-au-Prince", "Jérémie", "Bamako", "Mopti", "Aden", "Marib", "Kabul", "Herat",
          "Sittwe", "Ouagadougou", "Diffa", "Lviv", "Kharkiv", "Mykolaiv", "Beira", "Pemba", "Juba",
          "Malakal", "Ndjamena", "Abéché", "Darién", "Arauca", "San Pedro Sula"]
PEOPLE = ["Amina Yusuf", "José Hernández", "María López", "Fatima Noor", "Jean-Pierre Mbala",
          "Élodie Martin", "Ahmed Hassan", "Grace Achieng", "Olena Kovalenko", "Mohammed Ali",
          "Ana Gómez", "Françoise Diallo", "Chidi Okafor", "Leila Haddad", "Pedro Sánchez"]
SUBJECTS = ["displaced families", "migrants", "returnees", "children", "health workers",
            "volunteers", "community leaders", "women", "farmers", "fishermen", "students",
            "nurses", "young people", "elderly residents", "survivors of trafficking"]
ACTIONS = ["receive hygiene kits", "queue for vaccination", "collect clean water at a borehole",
           "attend a training session on safe migration", "build emergency shelters",
           "register for cash assistance", "unload relief supplies from a truck",
           "take part in a community dialogue", "wait at the border crossing",
           "receive vaccines against cholera", "rebuild houses damaged by the floods",
           "plant trees to fight desertification", "learn to read in a temporary classroom",
           "are screened for malnutrition", "board a bus home after years of displacement"]
CONTEXTS = ["after the floods destroyed their homes", "during the drought that hit the region",
            "as the conflict forced thousands to flee", "in a camp for internally displaced persons",
            "supported by the emergency response team", "as part of the return and reintegration programme",
            "at a transit centre near the border", "following the earthquake",
            "during the COVID-19 response", "in partnership with local authorities"]
ES = ["Familias desplazadas reciben asistencia en {p}, tras las inundaciones.",
      "Niños en una escuela temporal de {p}; la salud y la educación son prioridades.",
      "Migrantes esperan en la frontera cerca de {p}, en la Región Autónoma.",
      "Una enfermera vacuna a un niño en {p} durante la campaña de vacunación."]
FR = ["Des familles déplacées reçoivent des kits d'hygiène à {p}.",
      "Une infirmière prépare les vaccins au centre de santé de {p}.",
      "Les élèves étudient dans une école temporaire à {p} après la sécheresse.",
      "Des bénévoles distribuent de l'eau potable aux rapatriés à {p}."]
# Whole captions in French and Spanish, for galleries written in those languages (--languages).
WORDS = {
    "fr": {
        "subjects": ["familles déplacées", "migrants", "rapatriés", "enfants", "agents de santé",
                     "bénévoles", "responsables communautaires", "femmes", "agriculteurs",
                     "pêcheurs", "élèves", "infirmières", "jeunes", "personnes âgées",
                     "réfugiés", "survivantes de la traite"],
        "actions": ["reçoivent des kits d'hygiène", "attendent la vaccination",
                    "puisent de l'eau potable au forage", "suivent une formation sur la migration sûre",
                    "construisent des abris d'urgence", "s'inscrivent à l'aide en espèces",
                    "déchargent des secours d'un camion", "participent à un dialogue communautaire",
                    "attendent au poste frontière", "sont vaccinés contre le choléra",
                    "reconstruisent les maisons endommagées par les inondations",
                    "plantent des arbres contre la désertification",
                    "apprennent à lire dans une école temporaire"],
        "contexts": ["après les inondations qui ont détruit leurs maisons",
                     "pendant la sécheresse qui a frappé la région",
                     "alors que le conflit a forcé des milliers de personnes à fuir",
                     "dans un camp de personnes déplacées internes", "avec l'équipe d'intervention d'urgence",
                     "dans le cadre du programme de retour et de réintégration",
                     "dans un centre de transit près de la frontière", "après le séisme",
                     "pendant la riposte à la COVID-19", "en partenariat avec les autorités locales"],
        "says": "{who}, {age} ans, raconte que les {subject} de {place} {action} chaque semaine.",
        "team": "L'équipe a travaillé avec {n} ménages à {place} {context}.",
        "gallery": "{subject} à {place} {year}",
    },
    "es": {
        "subjects": ["familias desplazadas", "migrantes", "retornados", "niños y niñas",
                     "trabajadores de salud", "voluntarios", "líderes comunitarios", "mujeres",
                     "agricultores", "pescadores", "estudiantes", "enfermeras", "jóvenes",
                     "personas mayores", "refugiados", "sobrevivientes de trata"],
        "actions": ["reciben kits de higiene", "hacen fila para la vacunación",
                    "recogen agua potable en un pozo", "asisten a una capacitación sobre migración segura",
                    "construyen refugios de emergencia", "se registran para la asistencia en efectivo",
                    "descargan suministros de socorro de un camión",
                    "participan en un diálogo comunitario", "esperan en el cruce fronterizo",
                    "reciben vacunas contra el cólera",
                    "reconstruyen casas dañadas por las inundaciones",
                    "plantan árboles para combatir la desertificación",
                    "aprenden a leer en un aula temporal"],
        "contexts": ["después de que las inundaciones destruyeron sus casas",
                     "durante la sequía que afectó a la región",
                     "mientras el conflicto obligaba a miles de personas a huir",
                     "en un campamento de desplazados internos", "con el equipo de respuesta a emergencias",
                     "como parte del programa de retorno y reintegración",
                     "en un centro de tránsito cerca de la frontera", "tras el terremoto",
                     "durante la respuesta a la COVID-19", "en alianza con las autoridades locales"],
        "says": "{who}, de {age} años, cuenta que los {subject} de {place} {action} cada semana.",
        "team": "El equipo trabajó con {n} hogares en {place} {context}.",
        "gallery": "{subject} en {place} {year}",
    },
}
CREDITS = ["Photo: A. Yusuf", "Photo: J. Hernández", "Photo: M. López", "Photo: E. Martin",
           "Photo: G. Achieng", "Photo: O. Kovalenko", "Photo: C. Okafor", "Photo: L. Haddad"]
CATEGORIES = [("Crisis Response", "crisis-response"), ("Health", "health"),
              ("Shelter", "shelter"), ("Internally Displaced Persons", "internally-displaced-persons"),
              ("Return and Reintegration", "return-and-reintegration"), ("Labour", "labour"),
              ("Trafficking", "trafficking"), ("Training and Education", "training-and-education"),
              ("Environmental Migration", "environmental-migration"), ("Events", "events")]
COUNTRIES = [("KEN", "KE", "Kenya"), ("HND", "HN", "Honduras"), ("TUR", "TR", "Türkiye"),
             ("BGD", "BD", "Bangladesh"), ("COD", "CD", "Congo, The Democratic Republic of the"),
             ("NGA", "NG", "Nigeria"), ("MEX", "MX", "Mexico"), ("COL", "CO", "Colombia"),
             ("HTI", "HT", "Haiti"), ("MLI", "ML", "Mali"), ("YEM", "YE", "Yemen"),
             ("AFG", "AF", "Afghanistan"), ("UKR", "UA", "Ukraine"), ("MOZ", "MZ", "Mozambique"),
             ("SSD", "SS", "South Sudan")]


def caption(rng: random.Random, lang: str = "en") -> str:
    """A caption of about 20 to 80 words: English with some Spanish or French, or all in `lang`."""
    if lang in WORDS:
        return _caption_in(rng, WORDS[lang])
    place = rng.choice(PLACES)
    kind = rng.random()
    if kind < 0.12:
        first = rng.choice(ES).format(p=place)
    elif kind < 0.22:
        first = rng.choice(FR).format(p=place)
    else:
        first = (f"{place}: {rng.choice(SUBJECTS).capitalize()} {rng.choice(ACTIONS)} "
                 f"{rng.choice(CONTEXTS)}.")
    sentences = [first]
    target = rng.randint(20, 80)
    while sum(len(s.split()) for s in sentences) < target:
        r = rng.random()
        if r < 0.4:
            sentences.append(f"{rng.choice(PEOPLE)}, {rng.randint(19, 71)}, says the "
                             f"{rng.choice(SUBJECTS)} of {rng.choice(PLACES)} "
                             f"{rng.choice(ACTIONS)} every week.")
        elif r < 0.7:
            sentences.append(f"{rng.choice(SUBJECTS).capitalize()} {rng.choice(ACTIONS)} "
                             f"{rng.choice(CONTEXTS)}.")
        else:
            sentences.append(f"The team worked with {rng.randint(20, 900)} households in "
                             f"{rng.choice(PLACES)} {rng.choice(CONTEXTS)}.")
    return " ".join(sentences)


def _caption_in(rng: random.Random, w: dict) -> str:
    """A caption wholly in one of WORDS' languages, built like the English ones."""
    sentences = [f"{rng.choice(PLACES)} : {rng.choice(w['subjects']).capitalize()} "
                 f"{rng.choice(w['actions'])} {rng.choice(w['contexts'])}."]
    target = rng.randint(20, 80)
    while sum(len(s.split()) for s in sentences) < target:
        r = rng.random()
        if r < 0.4:
            sentences.append(w["says"].format(who=rng.choice(PEOPLE), age=rng.randint(19, 71),
                                              subject=rng.choice(w["subjects"]),
                                              place=rng.choice(PLACES), action=rng.choice(w["actions"])))
        elif r < 0.7:
            sentences.append(f"{rng.choice(w['subjects']).capitalize()} {rng.choice(w['actions'])} "
                             f"{rng.choice(w['contexts'])}.")
        else:
            sentences.append(w["team"].format(n=rng.randint(20, 900), place=rng.choice(PLACES),
                                              context=rng.choice(w["contexts"])))
    return " ".join(sentences)


def records(n: int, seed: int = 42, galleries: int | None = None, languages: float = 0.0):
    """Yield n asset-like objects with their gallery, category and country attached.

    languages: the share of galleries written wholly in French or Spanish (half each).
    """
    rng = random.Random(seed)
    yield from assets(rng, make_galleries(rng, galleries or max(1, n // 40), languages), n)


def make_galleries(rng: random.Random, ngal: int, languages: float = 0.0) -> list[SimpleNamespace]:
    """Gallery-like objects with ids 1..ngal, each with its category, country and language."""
    gals = []
    for gid in range(1, ngal + 1):
        cname, cslug = rng.choice(CATEGORIES)
        a3, a2, cn = rng.choice(COUNTRIES)
        year = rng.randint(2005, 2024)
        # No draw at all without languages: the English corpus stays what earlier runs measured.
        lang = rng.choice(["fr", "es"]) if languages and rng.random() < languages else "en"
        title = (f"{rng.choice(SUBJECTS).capitalize()} in {rng.choice(PLACES)} {year}" if lang == "en"
                 else WORDS[lang]["gallery"].format(subject=rng.choice(WORDS[lang]["subjects"]).capitalize(),
                                                    place=rng.choice(PLACES), year=year))
        gals.append(SimpleNamespace(
            id=gid, title=title, language=lang,
            description=caption(rng, lang)[:200], status="published", deleted_at=None,
            date=dt.date(year, rng.randint(1, 12), rng.randint(1, 28)),
            category=SimpleNamespace(name=cname, slug=cslug),
            country=SimpleNamespace(alpha3=a3, alpha2=a2, name=cn, official_name=None)))
    return gals


def assets(rng: random.Random, gals: list[SimpleNamespace], n: int, gallery_for=None):
    """Yield n asset-like objects (ids 1..n); gallery_for(i, rng) picks each one's gallery index."""
    ngal = len(gals)
    for i in range(1, n + 1):
        g = gals[gallery_for(i, rng) if gallery_for else rng.randrange(ngal)]
        yield SimpleNamespace(
            id=i, gallery=g, title="" if rng.random() < 0.6 else f"{rng.choice(SUBJECTS).capitalize()} in {rng.choice(PLACES)}",
            caption=caption(rng, g.language), alt_text="", keywords=rng.sample(["water", "health", "shelter",
                                                                      "border", "vaccination", "flood",
                                                                      "drought", "school", "camp"], 2),
            credit=rng.choice(CREDITS), creator=rng.choice(PEOPLE), city=rng.choice(PLACES),
            country=None, media_type="image" if rng.random() < 0.85 else rng.choice(["video", "audio"]),
            status="published", deleted_at=None, consent="obtained",
            date_taken=g.date + dt.timedelta(days=rng.randint(0, 20)), created_at=None)

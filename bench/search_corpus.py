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


def caption(rng: random.Random) -> str:
    """A caption of about 20 to 80 words, mostly English, some Spanish or French."""
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


def records(n: int, seed: int = 42, galleries: int | None = None):
    """Yield n asset-like objects with their gallery, category and country attached."""
    rng = random.Random(seed)
    yield from assets(rng, make_galleries(rng, galleries or max(1, n // 40)), n)


def make_galleries(rng: random.Random, ngal: int) -> list[SimpleNamespace]:
    """Gallery-like objects with ids 1..ngal, each with its category and country."""
    gals = []
    for gid in range(1, ngal + 1):
        cname, cslug = rng.choice(CATEGORIES)
        a3, a2, cn = rng.choice(COUNTRIES)
        year = rng.randint(2005, 2024)
        gals.append(SimpleNamespace(
            id=gid, title=f"{rng.choice(SUBJECTS).capitalize()} in {rng.choice(PLACES)} {year}",
            description=caption(rng)[:200], status="published", deleted_at=None,
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
            caption=caption(rng), alt_text="", keywords=rng.sample(["water", "health", "shelter",
                                                                      "border", "vaccination", "flood",
                                                                      "drought", "school", "camp"], 2),
            credit=rng.choice(CREDITS), creator=rng.choice(PEOPLE), city=rng.choice(PLACES),
            country=None, media_type="image" if rng.random() < 0.85 else rng.choice(["video", "audio"]),
            status="published", deleted_at=None, consent="obtained",
            date_taken=g.date + dt.timedelta(days=rng.randint(0, 20)), created_at=None)

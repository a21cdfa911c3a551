"""`gallery demo`: demo galleries with images drawn by Pillow, a clip and a chime, and captions."""
from __future__ import annotations

import datetime as dt
import io
import random
import secrets
from dataclasses import dataclass, field

import click
from PIL import Image, ImageDraw, ImageOps
from sqlalchemy import func, select

from gallery import demo_media
from gallery.extensions import db
from gallery.models import Asset, Gallery, User
from gallery.services import accounts, galleries, ingest

CREDIT = "© Example Relief Agency"

# Landscape, portrait and square sizes, so grids and previews show every orientation.
SIZES = ((1800, 1200), (1000, 1500), (1600, 900), (1200, 1200), (1500, 1000), (900, 1350))

# Sky / ground colour pairs: dawn, midday, dusk, overcast, desert, rainy season.
PALETTES = (
    ((250, 196, 140), (92, 74, 58)), ((120, 170, 220), (110, 140, 70)),
    ((60, 60, 110), (180, 90, 60)), ((170, 175, 180), (85, 95, 90)),
    ((235, 210, 160), (190, 140, 80)), ((90, 110, 120), (60, 90, 60)),
)


@dataclass(frozen=True)
class Item:
    """One demo file (a photo unless `kind` says video or audio) and its descriptive fields."""

    title: str
    caption: str
    city: str
    keywords: tuple[str, ...] = ()
    kind: str = "image"
    # Title and caption in the other languages: {"en": {"title": ..., "caption": ...}}.
    translations: dict[str, dict[str, str]] = field(default_factory=dict)


@dataclass(frozen=True)
class DemoGallery:
    """One demo gallery with its batch metadata and photos."""

    title: str
    category: str
    country: str
    date: dt.date
    description: str
    creator: str
    items: tuple[Item, ...]
    status: str = "published"
    pick: int | None = None
    language: str = "en"  # the language title, description and captions are written in
    translations: dict[str, dict[str, str]] = field(default_factory=dict)  # title and description


GALLERIES = (
    DemoGallery(
        "Earthquake shelters in Hatay, Türkiye", "Shelter", "TUR", dt.date(2023, 3, 14),
        "Families who lost their homes in the February earthquakes move into container "
        "settlements in Antakya and İskenderun.\n\nThe settlements have water points, "
        "latrines and a small clinic run with the provincial health directorate.",
        "Ayşe Yılmaz",
        (
            Item("Container settlement at dawn", "Rows of containers in a settlement for families "
                 "displaced by the earthquake in Antakya, Hatay province, Türkiye.", "Antakya",
                 ("shelter", "earthquake", "settlement")),
            Item("Distribution of winter kits", "Volunteers hand out blankets and heaters to "
                 "families in İskenderun, Türkiye, ahead of the cold nights.", "İskenderun",
                 ("non-food items", "winter")),
            Item("A new home", "Gülsüm, 62, arranges her belongings in the container she now shares "
                 "with her son's family in Antakya.", "Antakya", ("shelter", "older people")),
            Item("Children's corner", "Children draw in a child-friendly space set up between the "
                 "containers of a settlement in Defne, Hatay.", "Defne", ("children", "protection")),
            Item("Water point", "A technician checks the chlorine level at a water point serving "
                 "1,200 residents in Antakya, Türkiye.", "Antakya", ("water", "WASH")),
        ),
        pick=1,
    ),
    DemoGallery(
        "Cholera prevention in Aden", "Health", "YEM", dt.date(2023, 9, 5),
        "Community health volunteers go door to door in Aden's districts to explain how to "
        "prevent cholera and to hand out oral rehydration salts.",
        "Mohammed Al-Sabri",
        (
            Item("Door-to-door visits", "A community health volunteer explains hand washing to a "
                 "mother in the Sheikh Othman district of Aden, Yemen.", "Aden",
                 ("cholera", "health promotion")),
            Item("Oral rehydration salts", "Boxes of oral rehydration salts ready for distribution at "
                 "a health centre in Aden, Yemen.", "Aden", ("cholera", "supplies")),
            Item("Water trucking", "A water truck fills tanks at a site for internally displaced "
                 "people on the edge of Aden.", "Aden", ("water", "displacement")),
            Item("Training the volunteers", "Volunteers rehearse a health message before a day of "
                 "visits in Al-Mansoura, Aden.", "Aden", ("training", "volunteers")),
        ),
        pick=2,
    ),
    DemoGallery(
        "Mobile clinics in Marib", "Health", "YEM", dt.date(2024, 2, 20),
        "Mobile health teams reach displacement sites in Marib governorate where the nearest "
        "hospital is hours away.",
        "Mohammed Al-Sabri",
        (
            Item("Consultation under a tent", "A doctor examines a child at a mobile clinic in a "
                 "displacement site in Marib, Yemen.", "Marib", ("health", "children")),
            Item("Vaccination day", "A nurse prepares measles vaccines at a mobile clinic in Marib "
                 "governorate.", "Marib", ("vaccination", "measles")),
            Item("Waiting area", "Women and children wait for consultations at a mobile clinic "
                 "near Marib city.", "Marib", ("health", "women")),
        ),
    ),
    DemoGallery(
        "After the floods in Danlí", "Crisis Response", "HND", dt.date(2024, 11, 22),
        "Heavy rains flooded neighbourhoods of Danlí, El Paraíso, in November. Teams delivered "
        "hygiene kits and helped families clear their homes.",
        "José Martínez",
        (
            Item("Clearing mud", "Residents of colonia San José clear mud from their street after the "
                 "floods in Danlí, El Paraíso, Honduras.", "Danlí", ("floods", "recovery")),
            Item("Hygiene kits", "Volunteers unload hygiene kits at the municipal gym in Danlí, "
                 "used as a collective centre.", "Danlí", ("floods", "hygiene kits")),
            Item("Collective centre", "Families rest in the collective centre in Danlí while the "
                 "water recedes from their homes.", "Danlí", ("floods", "shelter")),
            Item("Repairing a roof", "Don Próspero repairs his roof with materials from a cash grant, "
                 "Danlí, Honduras.", "Danlí", ("cash assistance", "shelter")),
        ),
    ),
    DemoGallery(
        "Coming home to the Caribbean coast", "Return and Reintegration", "NIC",
        dt.date(2024, 6, 8),
        "Returning migrants in the Región Autónoma de la Costa Caribe Norte restart small "
        "businesses with reintegration grants and training.",
        "María Fernández",
        (
            Item("A fishing cooperative", "Returnees mend nets at a fishing cooperative in Bilwi, "
                 "Región Autónoma de la Costa Caribe Norte, Nicaragua.", "Bilwi",
                 ("reintegration", "livelihoods")),
            Item("Business training", "A trainer explains bookkeeping to returnees in Bilwi, "
                 "Nicaragua.", "Bilwi", ("training", "reintegration")),
            Item("A small shop", "Doña Ramona, who returned from Costa Rica last year, opened a "
                 "grocery with her reintegration grant in Waspám.", "Waspám",
                 ("reintegration", "women")),
        ),
    ),
    DemoGallery(
        "Learning a trade in Cox's Bazar", "Training and Education", "BGD", dt.date(2024, 4, 17),
        "Young people in Cox's Bazar learn tailoring, solar panel repair and mobile phone "
        "repair in a vocational training centre.",
        "Rahim Uddin",
        (
            Item("Tailoring class", "Young women learn to use sewing machines at a vocational "
                 "training centre in Cox's Bazar, Bangladesh.", "Cox's Bazar",
                 ("training", "youth", "women")),
            Item("Solar repair workshop", "Trainees test a solar panel during a repair course in "
                 "Ukhiya, Cox's Bazar.", "Ukhiya", ("training", "energy")),
            Item("Certificates", "Graduates show their certificates at the end of a six-month "
                 "course in Cox's Bazar.", "Cox's Bazar", ("training", "youth")),
            Item("Phone repair", "A trainee replaces a phone screen under the eye of his "
                 "instructor, Teknaf, Bangladesh.", "Teknaf", ("training", "livelihoods")),
        ),
        pick=3,
    ),
    DemoGallery(
        "Drought and displacement in Baidoa", "Environmental Migration", "SOM",
        dt.date(2022, 10, 3),
        "Years of failed rains pushed pastoralist families from their land into sites around "
        "Baidoa, Bay region.",
        "Abdi Hassan",
        (
            Item("Arriving at the site", "A family arrives at a displacement site in Baidoa after "
                 "walking for five days with their remaining goats.", "Baidoa",
                 ("drought", "displacement")),
            Item("Emergency shelters", "Makeshift shelters of branches and plastic sheeting in a "
                 "site on the outskirts of Baidoa, Somalia.", "Baidoa", ("drought", "shelter")),
            Item("Water queue", "Women queue with jerrycans at a borehole in Baidoa, Bay region.",
                 "Baidoa", ("drought", "water")),
        ),
    ),
    DemoGallery(
        "Support for survivors of trafficking in Chișinău", "Trafficking", "MDA",
        dt.date(2023, 7, 12),
        "A rehabilitation centre in Chișinău offers survivors of trafficking counselling, "
        "legal aid and vocational courses. No survivor is identifiable in these photos.",
        "Ion Popescu",
        (
            Item("The centre", "The entrance of a rehabilitation centre for survivors of "
                 "trafficking in Chișinău, Republic of Moldova.", "Chișinău",
                 ("trafficking", "protection")),
            Item("Counselling room", "A counselling room at the rehabilitation centre in Chișinău.",
                 "Chișinău", ("trafficking", "psychosocial support")),
            Item("Hotline", "A hotline operator answers calls about job offers abroad, Chișinău.",
                 "Chișinău", ("trafficking", "prevention")),
        ),
    ),
    DemoGallery(
        "Water committees in Turkana", "Community Development", "KEN", dt.date(2025, 1, 15),
        "Draft: community water committees in Turkana county manage new boreholes.",
        "Grace Wanjiru",
        (
            Item("Committee meeting", "Members of a water committee meet under a tree in Lodwar, "
                 "Turkana, Kenya.", "Lodwar", ("water", "community")),
            Item("New borehole", "A solar-powered borehole built with the community in Kakuma, "
                 "Turkana.", "Kakuma", ("water", "energy")),
        ),
        status="draft",
    ),
    DemoGallery(
        "Community radio in Kakuma", "Media and Communications", "KEN", dt.date(2024, 8, 20),
        "Radio Ata Kakuma broadcasts news, health messages and music in six languages to the "
        "camp and the host community. The station's dawn programme starts at six.",
        "Grace Akinyi",
        (
            Item("On air", "Presenters prepare the morning news bulletin in the studio of Radio "
                 "Ata Kakuma, Turkana, Kenya.", "Kakuma", ("radio", "media")),
            Item("Dawn over Kakuma", "Sunrise over Kakuma, Turkana, filmed from the radio "
                 "station's mast before the dawn programme.", "Kakuma", ("radio", "timelapse"),
                 kind="video"),
            Item("Station chime", "The two-note chime Radio Ata Kakuma plays before each news "
                 "bulletin.", "Kakuma", ("radio", "sound"), kind="audio"),
        ),
    ),
)

# Content written in French and in Spanish, with translations, so content languages and each
# language's search show from the start ("eau" on /fr/search, "agua" on /es/search).
GALLERIES += (
    DemoGallery(
        "L'eau potable revient aux Gonaïves", "Health", "HTI", dt.date(2024, 10, 2),
        "Après les inondations, les bornes-fontaines des quartiers du bas de la ville sont "
        "réparées et l'eau est traitée au chlore avant chaque distribution.",
        "Marie-Claude Joseph",
        (
            Item("Borne-fontaine réparée", "Des femmes remplissent des bidons d'eau potable à une "
                 "borne-fontaine réparée aux Gonaïves, Haïti.", "Gonaïves", ("eau", "assainissement"),
                 translations={
                     "en": {"title": "A repaired water point", "caption": "Women fill jerrycans with "
                            "drinking water at a repaired water point in Gonaïves, Haiti."},
                     "es": {"title": "Una fuente reparada", "caption": "Mujeres llenan bidones de agua "
                            "potable en una fuente reparada en Gonaïves, Haití."}}),
            Item("Contrôle du chlore", "Un technicien mesure le chlore de l'eau d'un réservoir "
                 "communautaire avant la distribution.", "Gonaïves", ("eau", "santé"),
                 translations={
                     "en": {"title": "Checking the chlorine", "caption": "A technician measures the "
                            "chlorine in a community water tank before the distribution."},
                     "es": {"title": "Control del cloro", "caption": "Un técnico mide el cloro del "
                            "agua de un depósito comunitario antes del reparto."}}),
            Item("Séance d'hygiène", "Des élèves apprennent à se laver les mains lors d'une séance "
                 "d'hygiène dans une école des Gonaïves.", "Gonaïves", ("hygiène", "école"),
                 translations={
                     "en": {"title": "Hygiene session", "caption": "Pupils learn to wash their "
                            "hands during a hygiene session at a school in Gonaïves."},
                     "es": {"title": "Sesión de higiene", "caption": "Alumnos aprenden a lavarse "
                            "las manos en una sesión de higiene en una escuela de Gonaïves."}}),
        ),
        language="fr",
        translations={
            "en": {"title": "Drinking water returns to Gonaïves", "description": "After the floods, "
                   "the water points of the lower town are repaired and the water is chlorinated "
                   "before each distribution."},
            "es": {"title": "El agua potable vuelve a Gonaïves", "description": "Tras las "
                   "inundaciones, se reparan las fuentes de los barrios bajos de la ciudad y el agua "
                   "se clora antes de cada reparto."}},
    ),
    DemoGallery(
        "Cosechas de café en Huehuetenango", "Labour", "GTM", dt.date(2024, 12, 3),
        "Trabajadores temporales que regresan de México encuentran empleo en las fincas "
        "cafetaleras de Huehuetenango durante la cosecha.",
        "Lucía Pérez",
        (
            Item("Recolectores al amanecer", "Recolectores de café llegan a una finca de "
                 "Huehuetenango, Guatemala, al amanecer.", "Huehuetenango", ("café", "trabajo"),
                 translations={
                     "en": {"title": "Pickers at dawn", "caption": "Coffee pickers arrive at a farm "
                            "in Huehuetenango, Guatemala, at dawn."},
                     "fr": {"title": "Cueilleurs à l'aube", "caption": "Des cueilleurs de café "
                            "arrivent dans une exploitation de Huehuetenango, au Guatemala, à l'aube."}}),
            Item("Pesaje de la cosecha", "Una trabajadora pesa los sacos de café cosechados en "
                 "la finca.", "Huehuetenango", ("café", "trabajo"),
                 translations={
                     "en": {"title": "Weighing the harvest", "caption": "A worker weighs the sacks "
                            "of coffee picked on the farm."},
                     "fr": {"title": "Pesée de la récolte", "caption": "Une travailleuse pèse les "
                            "sacs de café récoltés dans l'exploitation."}}),
        ),
        language="es",
        translations={
            "en": {"title": "Coffee harvests in Huehuetenango", "description": "Seasonal workers "
                   "coming back from Mexico find work on the coffee farms of Huehuetenango during "
                   "the harvest."},
            "fr": {"title": "Récoltes de café à Huehuetenango", "description": "Des travailleurs "
                   "saisonniers de retour du Mexique trouvent un emploi dans les exploitations de "
                   "café de Huehuetenango pendant la récolte."}},
    ),
)

DEMO_USERS = (("admin", "admin@example.org", "Demo Admin"),
              ("editor", "editor@example.org", "Demo Editor"))


def picture(seed: int, size: tuple[int, int]) -> bytes:
    """A photo-like JPEG: sky and ground gradients, a sun, hills and shelters. Same seed, same bytes."""
    rng = random.Random(seed)
    width, height = size
    sky, ground = PALETTES[seed % len(PALETTES)]
    im = ImageOps.colorize(Image.linear_gradient("L").resize(size), sky, ground)
    draw = ImageDraw.Draw(im)
    horizon = int(height * rng.uniform(0.45, 0.7))
    sun_r = int(min(size) * rng.uniform(0.05, 0.1))
    sx, sy = rng.randint(sun_r, width - sun_r), rng.randint(sun_r, max(sun_r + 1, horizon // 2))
    draw.ellipse((sx - sun_r, sy - sun_r, sx + sun_r, sy + sun_r), fill=(255, 236, 180))
    for layer in range(3):
        shade = tuple(max(0, c - 25 * layer) for c in ground)
        points = [(0, height)]
        for x in range(0, width + 100, 100):
            points.append((x, horizon + layer * height // 14 + rng.randint(-height // 12, height // 20)))
        points.append((width, height))
        draw.polygon(points, fill=shade)
    base = horizon + height // 6
    for _ in range(rng.randint(4, 9)):
        w = rng.randint(width // 14, width // 7)
        x = rng.randint(0, width - w)
        y = base + rng.randint(-height // 20, height // 6)
        colour = rng.choice(((235, 235, 230), (70, 110, 170), (200, 160, 90), (160, 60, 50)))
        draw.rectangle((x, y - w // 2, x + w, y), fill=colour)
        draw.polygon(((x - w // 10, y - w // 2), (x + w // 2, y - w), (x + w + w // 10, y - w // 2)),
                     fill=tuple(max(0, c - 40) for c in colour))
    for _ in range(rng.randint(2, 6)):  # people, as simple silhouettes
        px, py = rng.randint(0, width), rng.randint(base, height - height // 10)
        h = height // 10
        draw.ellipse((px - h // 8, py - h, px + h // 8, py - h + h // 4), fill=(40, 30, 25))
        draw.rectangle((px - h // 7, py - h + h // 4, px + h // 7, py), fill=(40, 30, 25))
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=88)
    return buf.getvalue()


def run() -> None:
    """Add the demo galleries, photos and accounts that are missing; print what was done."""

    added_assets = 0
    for g_index, spec in enumerate(GALLERIES):
        gallery = db.session.scalar(select(Gallery).where(
            Gallery.title == spec.title, Gallery.deleted_at.is_(None)))
        if gallery is None:
            gallery = galleries.create_gallery(dict(
                title=spec.title, category=spec.category, country=spec.country,
                description=spec.description, credit=f"{CREDIT} / {spec.creator}", date=spec.date,
                status=spec.status, editors_pick=spec.pick is not None, pick_position=spec.pick,
                language=spec.language, translations=spec.translations), None, script=True)
        elif _asset_count(gallery) >= len(spec.items):
            continue
        for i_index, item in enumerate(spec.items):
            seed = g_index * 100 + i_index
            data, ext = _file(item, seed)
            fields = {
                "title": item.title, "caption": item.caption, "alt_text": item.title,
                "creator": spec.creator, "credit": f"{CREDIT} / {spec.creator}",
                "copyright": f"{CREDIT}, {spec.date.year}", "keywords": list(item.keywords),
                "city": item.city, "date_taken": spec.date + dt.timedelta(days=i_index // 2),
                # The title doubles as the alt text, in every language.
                "translations": {lang: {**texts, "alt_text": texts["title"]}
                                 for lang, texts in item.translations.items()},
            }
            result = ingest.ingest(gallery, io.BytesIO(data), f"demo-{seed:04d}.{ext}", fields)
            if result.status == "rejected":
                raise click.ClickException(result.reason)
            added_assets += result.status == "accepted"
        click.echo(f"Gallery “{spec.title}” ({spec.status}): {len(spec.items)} files.")
    click.echo(f"{added_assets} demo files added.")
    _users()


def _file(item: Item, seed: int) -> tuple[bytes, str]:
    """The bytes and extension of one demo file."""
    if item.kind == "video":
        return demo_media.clip(), "mp4"
    if item.kind == "audio":
        return demo_media.chime(), "wav"
    return picture(seed, SIZES[seed % len(SIZES)]), "jpg"


def _asset_count(gallery: Gallery) -> int:
    return db.session.scalar(select(func.count()).select_from(Asset).where(
        Asset.gallery_id == gallery.id)) or 0


def _users() -> None:
    """Create the demo admin and editor with random passwords, printed once."""
    for role, email, name in DEMO_USERS:
        if db.session.scalar(select(User.id).where(User.email == email)) is not None:
            click.echo(f"Demo {role} {email} already exists (password unchanged).")
            continue
        password = secrets.token_urlsafe(12)
        accounts.create_user(email=email, password=password, role=role, name=name)
        click.echo(f"Demo {role}: {email}  password: {password}")

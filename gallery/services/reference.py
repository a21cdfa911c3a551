"""Reference data: the category themes and the ISO 3166-1 countries (from pycountry) as rows."""
from __future__ import annotations

import pycountry
from sqlalchemy import select
from sqlalchemy.orm import Session

from gallery.models import Category, Country
from gallery.text import slugify

CATEGORIES = (
    "Crisis Response",
    "International Cooperation and Partnerships",
    "COVID-19 Response",
    "Health",
    "UN Network on Migration",
    "Events",
    "Environmental Migration",
    "Trafficking",
    "Internally Displaced Persons",
    "Community Development",
    "Return and Reintegration",
    "Movement Assistance",
    "Labour",
    "Resettlement",
    "Shelter",
    "Training and Education",
    "History",
    "Media and Communications",
)


def seed(session: Session) -> tuple[int, int]:
    """Add missing categories and countries; safe to run again. Returns (categories, countries) added."""
    have_cats = set(session.scalars(select(Category.slug)))
    added_cats = 0
    for position, name in enumerate(CATEGORIES):
        if slugify(name) not in have_cats:
            session.add(Category(name=name, slug=slugify(name), position=position))
            added_cats += 1
    have_countries = set(session.scalars(select(Country.alpha3)))
    added_countries = 0
    for c in pycountry.countries:
        if c.alpha_3 not in have_countries:
            session.add(Country(
                alpha3=c.alpha_3,
                alpha2=c.alpha_2,
                name=getattr(c, "common_name", None) or c.name,
                official_name=getattr(c, "official_name", None),
            ))
            added_countries += 1
    session.commit()  # a set-up step on the session it is given (init, fixtures), not a use case
    return added_cats, added_countries


"""The manage blueprint, its staff-only gate and the form helpers its pages share."""
from __future__ import annotations

from typing import Any, Iterable, Mapping

from flask import Blueprint, redirect, request
from sqlalchemy import select

from gallery import policy
from gallery.extensions import db
from gallery.i18n.locale import LANGUAGES
from gallery.licences import LICENCES
from gallery.models import STATUSES, Category, Country
from gallery.views.access import refuse_unless, safe_next

bp = Blueprint("manage", __name__, url_prefix="/manage")


@bp.before_request
def staff_only():
    """Anonymous visitors are sent to log in; members get 403."""
    return refuse_unless(policy.is_staff)


def form_values(names: Iterable[str]) -> dict[str, str]:
    """The submitted form fields among names."""
    return {n: request.form[n] for n in names if n in request.form}


def translation_values(names: Iterable[str]) -> dict[str, dict[str, str]]:
    """The side-by-side translation fields of a form (title_fr, caption_es) as {"fr": {"title": ...}}."""
    out: dict[str, dict[str, str]] = {}
    for name in names:
        for code in LANGUAGES:
            if f"{name}_{code}" in request.form:
                out.setdefault(code, {})[name] = request.form[f"{name}_{code}"]
    return out


def choices() -> dict[str, Any]:
    """Categories, countries and licences for select boxes."""
    return {
        "licences": LICENCES,
        "categories": db.session.scalars(select(Category).order_by(Category.position, Category.name)).all(),
        # Rows, not ORM objects: every manage form lists all 249 countries.
        "countries": db.session.execute(select(Country.alpha3, Country.name).order_by(Country.name)).all(),
    }


def back(default: str):
    """Redirect to the posted `next` when it stays on this site, else to default."""
    return redirect(safe_next(request.form.get("next")) or default)


def bulk_values(form: Mapping[str, str]) -> dict[str, Any]:
    """The fields a bulk form asks to set (credit, keywords added or replaced, country, status)."""
    values: dict[str, Any] = {}
    for name in ("credit", "keywords", "country"):
        if form.get(f"apply_{name}"):
            values[name] = form.get(name, "")
    if form.get("status") in STATUSES:
        values["status"] = form["status"]
    if "keywords" in values:
        values["keywords_mode"] = form.get("keywords_mode", "add")
    return values

"""Search pages: results with facets, the advanced form, and the JSON API."""
from __future__ import annotations

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import select

from gallery import policy
from gallery.exceptions import GalleryError
from gallery.extensions import db
from gallery.i18n import locale
from gallery.i18n.names import N_
from gallery.i18n.service_messages import translate
from gallery.models import MEDIA_TYPES, STATUSES, Category, Country
from gallery.services import assets, search
from gallery.services.search import Filters
from gallery.services.search.advanced import FIELD_CHOICES, build_query
from gallery.services.search.args import parse_filters, search_args
from gallery.templating import asset_url, rendition_url, thumb_size
from gallery.views.access import safe_next, staff_required
from gallery.views.manage.blueprint import bulk_values, choices

bp = Blueprint("search", __name__)
BULK_LIMIT = 5000  # most results one bulk change of a whole search may touch

# Titles are the catalogues' msgids (N_): the template shows them in the page's language.
FACET_TITLES = {"category": N_("Category"), "country": N_("Country"), "media_type": N_("Media type"),
                "year": N_("Year"), "credit": N_("Credit")}
# Facet name -> query argument (the API's names: type= for media type).
FACET_ARGS = {"category": "category", "country": "country", "media_type": "type", "year": "year",
              "credit": "credit"}


@bp.get("/search")
def results():
    """Search results as a grid or list, with facets, chips, sorting and pages."""
    res, filters = _run(per_page=None)
    view = "list" if request.args.get("view") == "list" else "grid"
    chips = _chips(filters, res)
    facets = {name: [{"value": v, "count": c, "label": label} for v, c, label in values]
              for name, values in res.facets.items()}
    staff = policy.is_staff(current_user)
    kept = search_args(request.args)
    return render_template("search/results.html", res=res, view=view, chips=chips, facets=facets,
                           feed_url=url_for("feeds.search_results", **kept), search_args=kept,
                           facet_titles=FACET_TITLES, facet_args=FACET_ARGS,
                           sort=request.args.get("sort", "relevance"), staff=staff,
                           **(choices() | {"statuses": STATUSES} if staff else {}))


@bp.get("/search/advanced")
def advanced():
    """The advanced search form; submitting it redirects to /search with a built query."""
    args = request.args
    if args.get("submitted"):
        q = build_query(all_words=args.get("all", ""), phrase=args.get("phrase", ""),
                        any_words=args.get("any", ""), none_words=args.get("none", ""),
                        field=args.get("field", ""), credit=args.get("credit", ""),
                        gallery=args.get("gallery", ""))
        params = {"q": q}
        for key in ("category", "country", "type", "date_from", "date_to"):
            if args.get(key, "").strip():
                params[key] = args[key].strip()
        return redirect(url_for("search.results", **params))
    categories = db.session.scalars(select(Category).order_by(Category.position)).all()
    countries = db.session.scalars(select(Country).order_by(Country.name)).all()
    return render_template("search/advanced.html", categories=categories, countries=countries,
                           fields=FIELD_CHOICES, media_types=MEDIA_TYPES)


@bp.get("/api/search")
def api_search():
    """Search as JSON: total, page, per_page, results, facets, suggestion."""
    res, _facets = _run(per_page=request.args.get("per_page", type=int), galleries=False)
    return jsonify({
        "total": res.total, "page": res.page, "per_page": res.per_page,
        "results": [_hit_json(h) for h in res.hits],
        "facets": {name: [{"value": v, "count": c} for v, c in values]
                   for name, values in res.counts.items()},
        "suggestion": res.suggestion,
    })


@bp.post("/search/bulk")
@staff_required
def bulk():
    """Change the ticked results, or every result of the search, at once (staff)."""
    form = request.form
    back = safe_next(form.get("next")) or url_for("search.results", q=form.get("q", ""))
    if form.get("whole_result"):  # "all N results of this search", beyond the page shown
        total, ids = search.matching_ids(form.get("q", ""), current_user, parse_filters(form), BULK_LIMIT)
        if total > BULK_LIMIT:
            flash(_("This search finds %(total)s items; change at most %(limit)s at once: "
                    "narrow it with a filter.", total=total, limit=BULK_LIMIT), "error")
            return redirect(back)
    else:
        ids = [i for i in form.getlist("asset_ids") if i.isdigit()]
    try:
        changed = assets.bulk_update_assets(ids, bulk_values(form), current_user)
    except GalleryError as exc:
        flash(translate(exc.message), "error")
    else:
        flash(ngettext("%(num)s item changed.", "%(num)s items changed.", changed), "success")
    return redirect(back)


def _run(per_page: int | None, galleries: bool = True):
    args = request.args
    filters = parse_filters(args)
    page = args.get("page", 1, type=int) or 1
    res = search.run(args.get("q", ""), current_user, filters=filters,
                     sort=args.get("sort", "relevance"), page=page, per_page=per_page,
                     with_galleries=galleries, lang=locale.current())
    return res, filters


def _chips(filters: Filters, res) -> list[tuple[str, str, str]]:
    """(kind, label, argument) of each active filter, labelled like its facet."""
    labels = {name: {v: label for v, _c, label in values} for name, values in res.facets.items()}
    chips = []
    for name, value in filters.active().items():
        arg = {"media_type": "type"}.get(name, name)
        facet = name if name in labels else None
        label = labels.get(facet, {}).get(value, value) if facet else value
        if name == "country":
            label = labels["country"].get(value.upper(), value)
        kind = {"date_from": N_("From"), "date_to": N_("Until"), "gallery": N_("Gallery")}.get(
            name, FACET_TITLES.get(name, name))
        chips.append((kind, label, arg))
    return chips


def _hit_json(hit) -> dict:
    a = hit.asset
    country = a.country or a.gallery.country
    return {
        "id": a.id,
        "title": a.display_title,
        "caption": a.caption,
        "highlight": str(hit.caption),
        "credit": a.credit,
        "gallery": {"id": a.gallery.id, "title": a.gallery.title},
        "country": country.alpha3 if country else None,
        "category": a.gallery.category.slug,
        "media_type": a.media_type,
        "date_taken": a.date_taken.isoformat() if a.date_taken else None,
        "url": asset_url(a, _external=True),
        # The blurred thumb for a sensitive item the user may not see for real.
        "thumbnail_url": rendition_url(a, thumb_size(a), _external=True)
        if a.rendition("thumb") else None,
    }

"""Manage pages for galleries: the dashboard, editing, status, cover, bulk edits, order, activity."""
from __future__ import annotations

from typing import Any

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from gallery.exceptions import GalleryError
from gallery.i18n.service_messages import translate
from gallery.models import STATUSES
from gallery.services import (
    activity,
    assets,
    browsing,
    dashboard,
    fields,
    galleries,
    translations,
    trash,
    work,
)
from gallery.services.assets import load_asset
from gallery.services.galleries import load_gallery
from gallery.views.manage.blueprint import (
    back,
    bp,
    bulk_values,
    choices,
    form_values,
    translation_values,
)


@bp.get("/")
def index():
    """Dashboard: every gallery, drafts too, searched, filtered, sorted and paged."""
    query = dashboard.DashboardQuery.from_args(request.args)
    listed = dashboard.listing(current_user, query, current_app.config["DASHBOARD_PER_PAGE"])
    return render_template("manage/index.html", listed=listed, query=query, sorts=dashboard.SORTS,
                           owners=dashboard.owners(), statuses=STATUSES, **choices())


@bp.get("/galleries/<int:gallery_id>")
def gallery(gallery_id: int):
    """A gallery's assets with bulk editing and ordering controls."""
    found = load_gallery(gallery_id)
    listed = browsing.gallery_assets(current_user, found, browsing.parse_page(request.args.get("page")),
                                     current_app.config["MANAGE_ASSETS_PER_PAGE"])
    return render_template("manage/gallery.html", gallery=found, listed=listed, assets=listed.items,
                           work=work.states_of(a.id for a in listed.items), statuses=STATUSES,
                           **choices())


@bp.route("/galleries/<int:gallery_id>/edit", methods=["GET", "POST"])
def edit_gallery(gallery_id: int):
    """Edit a gallery's title, description, category, country, credit and date."""
    found = load_gallery(gallery_id)
    error = None
    if request.method == "POST":
        try:
            values = form_values(("title", "description", "category", "country", "credit", "date",
                                  "embargo_until", "licence", "usage_terms", "restrictions",
                                  "language"))
            translated = translation_values(translations.GALLERY_FIELDS)
            if translated:
                values["translations"] = translated
            galleries.update_gallery(found.id, values, current_user)
        except GalleryError as exc:
            error = exc
        else:
            flash(_("Gallery saved."), "success")
            return redirect(url_for("manage.gallery", gallery_id=found.id))
    return render_template("manage/gallery_edit.html", gallery=found, error=error,
                           form=request.form if error else None, **choices()), 400 if error else 200


@bp.post("/galleries/<int:gallery_id>/status")
def set_status(gallery_id: int):
    """Publish a gallery or take it back to draft."""
    if request.form.get("status") == "published":
        galleries.publish(gallery_id, current_user)
        flash(_("Gallery published."), "success")
    else:
        galleries.unpublish(gallery_id, current_user)
        flash(_("Gallery is a draft now: only staff can see it."), "success")
    return back(url_for("manage.gallery", gallery_id=gallery_id))


@bp.post("/galleries/<int:gallery_id>/pick")
def set_pick(gallery_id: int):
    """Turn the editors' pick on or off, with its position on the home page."""
    # An unticked checkbox sends nothing; a ticked one may come after a hidden "0" (older pages
    # sent both, and the first value won): any true value means picked.
    picked = any(v.strip().lower() in fields.TRUE for v in request.form.getlist("editors_pick"))
    values: dict[str, Any] = {"editors_pick": picked}
    if picked:
        values["pick_position"] = request.form.get("pick_position", "")
    try:
        galleries.update_gallery(gallery_id, values, current_user)
    except GalleryError as exc:
        flash(translate(exc.message), "error")
    else:
        flash(_("Editors' pick saved."), "success")
    return back(url_for("manage.gallery", gallery_id=gallery_id))


@bp.route("/galleries/<int:gallery_id>/cover", methods=["GET", "POST"])
def cover(gallery_id: int):
    """Choose the cover asset of a gallery."""
    found = load_gallery(gallery_id)
    if request.method == "POST":
        try:
            galleries.set_cover(found.id, request.form.get("cover_asset_id") or None, current_user)
        except GalleryError as exc:
            flash(translate(exc.message), "error")
        else:
            flash(_("Cover saved."), "success")
            return redirect(url_for("manage.gallery", gallery_id=found.id))
    return render_template("manage/cover.html", gallery=found, assets=galleries.gallery_assets(found.id))


@bp.route("/galleries/<int:gallery_id>/delete", methods=["GET", "POST"])
def delete_gallery(gallery_id: int):
    """Confirm, then move a gallery to the trash."""
    found = load_gallery(gallery_id)
    if request.method == "POST":
        trash.trash_gallery(found.id, current_user)
        flash(_("“%(title)s” moved to the trash.", title=found.title), "success")
        return redirect(url_for("manage.index"))
    return render_template("manage/confirm_delete.html", thing="gallery", title=found.title,
                           cancel=url_for("manage.gallery", gallery_id=found.id))


@bp.post("/galleries/<int:gallery_id>/bulk")
def bulk(gallery_id: int):
    """Set credit, keywords, country or status on the selected assets."""
    values = bulk_values(request.form)
    if request.form.get("whole_gallery"):  # "all N in this gallery", beyond the page shown
        ids: Any = galleries.asset_ids(gallery_id, current_user)
    else:
        ids = [i for i in request.form.getlist("asset_ids") if i.isdigit()]
    try:
        changed = assets.bulk_update(gallery_id, ids, values, current_user)
    except GalleryError as exc:
        flash(translate(exc.message), "error")
    else:
        flash(ngettext("%(num)s asset changed.", "%(num)s assets changed.", changed), "success")
    return redirect(url_for("manage.gallery", gallery_id=gallery_id))


@bp.post("/galleries/<int:gallery_id>/order")
def order(gallery_id: int):
    """Save an order posted as a list of asset ids (the drag-and-drop form)."""
    try:
        galleries.reorder(gallery_id, request.form.getlist("order"), current_user)
    except GalleryError as exc:
        flash(translate(exc.message), "error")
    else:
        flash(_("Order saved."), "success")
    return redirect(url_for("manage.gallery", gallery_id=gallery_id))


@bp.get("/galleries/<int:gallery_id>/activity")
def gallery_activity(gallery_id: int):
    """Who changed what in a gallery, newest first."""
    found = load_gallery(gallery_id, trashed=None)
    return render_template("manage/activity.html", subject=found.title,
                           entries=activity.for_gallery(found.id),
                           back=url_for("manage.gallery", gallery_id=found.id)
                           if found.deleted_at is None else url_for("manage.trash_page"))


@bp.get("/assets/<int:asset_id>/activity")
def asset_activity(asset_id: int):
    """Who changed what in an asset, newest first."""
    found = load_asset(asset_id, trashed=None)
    return render_template("manage/activity.html", subject=found.display_title,
                           entries=activity.for_asset(found.id),
                           back=url_for("manage.edit_asset", asset_id=found.id)
                           if found.deleted_at is None else url_for("manage.trash_page"))


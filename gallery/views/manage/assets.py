"""Manage pages for one asset: edit, move, replace the file, delete, reorder by a step, its downloads."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from gallery.exceptions import GalleryError
from gallery.i18n.service_messages import translate
from gallery.models import CONSENT_STATUSES, STATUSES
from gallery.services import assets, download_stats, translations, trash
from gallery.services.assets import ASSET_FIELDS, asset_choices_for_move, load_asset
from gallery.views.access import admin_required
from gallery.views.manage.blueprint import back, bp, choices, form_values, translation_values


@bp.route("/assets/<int:asset_id>/edit", methods=["GET", "POST"])
def edit_asset(asset_id: int):
    """Edit an asset's descriptive fields, consent, sensitivity and status."""
    asset = load_asset(asset_id)
    error = None
    if request.method == "POST":
        values = form_values(f for f in ASSET_FIELDS if f != "sensitive")
        values["sensitive"] = "sensitive" in request.form
        translated = translation_values(translations.ASSET_FIELDS)
        if translated:
            values["translations"] = translated
        try:
            assets.update_asset(asset.id, values, current_user)
        except GalleryError as exc:
            error = exc
        else:
            flash(_("Asset saved."), "success")
            return redirect(url_for("manage.edit_asset", asset_id=asset.id))
    return render_template("manage/asset_edit.html", asset=asset, error=error,
                           form=request.form if error else None, statuses=STATUSES,
                           consents=CONSENT_STATUSES, galleries=asset_choices_for_move(asset),
                           **choices()), 400 if error else 200


@bp.post("/assets/<int:asset_id>/move")
def move_asset(asset_id: int):
    """Move an asset to another gallery."""
    try:
        asset = assets.move_asset(asset_id, request.form.get("gallery_id", ""), current_user)
    except GalleryError as exc:
        flash(translate(exc.message), "error")
        return redirect(url_for("manage.edit_asset", asset_id=asset_id))
    flash(_("Moved to “%(title)s”.", title=asset.gallery.title), "success")
    return redirect(url_for("manage.edit_asset", asset_id=asset.id))


@bp.post("/assets/<int:asset_id>/position")
def position(asset_id: int):
    """Move an asset one place up or down in its gallery (works without JavaScript)."""
    asset = load_asset(asset_id)
    assets.move_in_order(asset.id, -1 if request.form.get("direction") == "up" else 1,
                            current_user)
    return back(url_for("manage.gallery", gallery_id=asset.gallery_id, _anchor=f"asset-{asset.id}"))


@bp.route("/assets/<int:asset_id>/replace", methods=["GET", "POST"])
def replace_file(asset_id: int):
    """Upload a new file for an asset, keeping its metadata."""
    asset = load_asset(asset_id)
    error = None
    if request.method == "POST":
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            error = GalleryError("Choose a file to upload.", field="file")
        else:
            try:
                assets.replace_file(asset.id, upload.stream, upload.filename, current_user)
            except GalleryError as exc:
                error = exc
            else:
                flash(_("File replaced; the previews were made again."), "success")
                return redirect(url_for("manage.edit_asset", asset_id=asset.id))
    status = 200 if error is None else (error.status if error.status < 500 else 400)
    return render_template("manage/replace.html", asset=asset, error=error), status


@bp.route("/assets/<int:asset_id>/delete", methods=["GET", "POST"])
def delete_asset(asset_id: int):
    """Confirm, then move an asset to the trash."""
    asset = load_asset(asset_id)
    if request.method == "POST":
        gallery_id = asset.gallery_id
        trash.trash_asset(asset.id, current_user)
        flash(_("“%(title)s” moved to the trash.", title=asset.display_title), "success")
        return redirect(url_for("manage.gallery", gallery_id=gallery_id))
    return render_template("manage/confirm_delete.html", thing="asset", title=asset.display_title,
                           cancel=url_for("manage.edit_asset", asset_id=asset.id))


@bp.get("/assets/<int:asset_id>/downloads")
@admin_required
def asset_downloads(asset_id: int):
    """Who downloaded an asset, when, at what size and for what use (admins: withdrawal notices)."""
    asset = load_asset(asset_id)
    return render_template("manage/asset_downloads.html", asset=asset,
                           rows=download_stats.downloaders(asset.id))

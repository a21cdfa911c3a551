"""Manage pages for admins: the trash, categories and site texts."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from gallery.exceptions import GalleryError
from gallery.i18n.service_messages import translate
from gallery.services import categories, sitetext, trash
from gallery.views.access import admin_required
from gallery.views.manage.blueprint import bp


@bp.get("/trash")
def trash_page():
    """Trashed galleries and assets; admins may restore or purge them."""
    return render_template("manage/trash.html", listing=trash.listing(current_user),
                           until=trash.restorable_until, days=trash.retention_days())


@bp.post("/trash/<kind>/<int:item_id>/<action>")
@admin_required
def trash_action(kind: str, item_id: int, action: str):
    """Restore or purge one trashed gallery or asset."""
    actions = {("galleries", "restore"): trash.restore_gallery, ("galleries", "purge"): trash.purge_gallery,
               ("assets", "restore"): trash.restore_asset, ("assets", "purge"): trash.purge_asset}
    if (kind, action) not in actions:
        abort(404)
    try:
        actions[(kind, action)](item_id, current_user)
    except GalleryError as exc:
        flash(translate(exc.message), "error")
    else:
        flash(_("Restored.") if action == "restore" else _("Deleted for good."), "success")
    return redirect(url_for("manage.trash_page"))


@bp.post("/trash/empty")
@admin_required
def empty_trash():
    """Delete everything in the trash for good."""
    galleries, assets = trash.empty_trash(current_user)
    flash(_("Trash emptied: %(galleries)s galleries and %(assets)s assets deleted for good.",
            galleries=galleries, assets=assets), "success")
    return redirect(url_for("manage.trash_page"))


@bp.get("/categories")
@admin_required
def categories_page():
    """Categories with their gallery counts, and forms to add, rename, reorder and merge."""
    return render_template("manage/categories.html", rows=categories.list_categories())


@bp.post("/categories")
@admin_required
def add_category():
    """Add a category."""
    return _run(lambda: categories.add_category(request.form.get("name", ""), current_user),
                "Category added.")


@bp.post("/categories/<int:category_id>/rename")
@admin_required
def rename_category(category_id: int):
    """Rename a category."""
    return _run(lambda: categories.rename_category(category_id, request.form.get("name", ""),
                                                   current_user), "Category renamed.")


@bp.post("/categories/<int:category_id>/position")
@admin_required
def move_category(category_id: int):
    """Move a category one place up or down."""
    offset = -1 if request.form.get("direction") == "up" else 1
    return _run(lambda: categories.move_category(category_id, offset, current_user), "Order saved.")


@bp.post("/categories/order")
@admin_required
def order_categories():
    """Save the category order from the drag-and-drop form."""
    return _run(lambda: categories.reorder_categories(request.form.getlist("order"), current_user),
                "Order saved.")


@bp.post("/categories/<int:category_id>/merge")
@admin_required
def merge_category(category_id: int):
    """Merge a category into another one."""
    return _run(lambda: categories.merge_categories(category_id, request.form.get("target", ""),
                                                    current_user), "Categories merged.")


@bp.get("/texts")
@admin_required
def texts():
    """The editable site texts, with their translations."""
    rows = [(key, sitetext.get_row(key), default,
             [(code, sitetext.get_row(key, code)) for code in sitetext.LANGUAGES if code != "en"])
            for key, default in sitetext.KEYS.items()]
    return render_template("manage/texts.html", rows=rows, current=sitetext.get_text)


@bp.route("/texts/<key>", methods=["GET", "POST"])
@admin_required
def edit_text(key: str):
    """Edit one site text in Markdown (English, or a translation: ?language=fr), with a preview."""
    language = request.args.get("language", "en")
    text = sitetext.get_row(key, language)
    english = sitetext.get_text(key)
    # The built-in default until the first save; a translation starts from what visitors see.
    shown = text if language != "en" and text is not None else sitetext.get_text(key, language)
    error = None
    if request.method == "POST":
        try:
            sitetext.save_text(key, {"title": request.form.get("title", ""),
                                     "body": request.form.get("body", "")}, current_user, language)
        except GalleryError as exc:
            error = exc
        else:
            flash(_("Saved."), "success")
            return redirect(url_for("manage.edit_text", key=key,
                                    language=None if language == "en" else language))
    title = request.form.get("title") if error else (shown.title if shown else sitetext.KEYS[key])
    body = request.form.get("body", "") if error else (shown.body if shown else "")
    return render_template("manage/text_edit.html", key=key, text=text, title=title, body=body,
                           preview=sitetext.render_markdown(body), error=error, language=language,
                           english=english, languages=sitetext.LANGUAGES), 400 if error else 200


def _run(work, message: str):
    """Run an admin action, flash its outcome and go back to the categories page."""
    try:
        work()
    except GalleryError as exc:
        flash(translate(exc.message), "error")
    else:
        flash(_(message), "success")
    return redirect(url_for("manage.categories_page"))

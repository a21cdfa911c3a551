"""Download administration: approvals for editors, statistics for admins, a member's own history."""
from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from gallery.exceptions import GalleryError
from gallery.i18n.service_messages import translate
from gallery.services import approvals, download_stats, downloads
from gallery.views.access import admin_required, staff_required

bp = Blueprint("download_admin", __name__)


@bp.get("/manage/approvals")
@staff_required
def approval_list():
    """Editors see open requests to download sensitive items, and the latest decisions."""
    return render_template("download_admin/approvals.html", pending=approvals.pending(),
                           decided=approvals.recent_decisions())


@bp.post("/manage/approvals/<int:approval_id>")
@staff_required
def approval_decide(approval_id: int):
    """Approve or refuse one request."""
    try:
        found = approvals.decide(approval_id, request.form.get("decision", ""), current_user)
    except GalleryError as exc:
        flash(translate(exc.message), "error")
    else:
        flash(_("Request %(id)s approved.", id=found.id) if found.status == "approved"
              else _("Request %(id)s refused.", id=found.id) if found.status == "refused"
              else _("Request %(id)s %(status)s.", id=found.id, status=found.status), "success")
    return redirect(url_for("download_admin.approval_list"))


@bp.get("/admin/downloads")
@admin_required
def stats():
    """Download statistics per asset, gallery, user or month, with CSV export."""
    group = request.args.get("by", "asset")
    if group not in download_stats.GROUPS:
        abort(404)
    dates = {"from": request.args.get("from", ""), "to": request.args.get("to", "")}
    try:
        period = download_stats.parse_period(dates["from"], dates["to"])
    except GalleryError as exc:
        # The form again with the message; no figures for a period that cannot be read.
        return render_template("download_admin/stats.html", group=group, groups=download_stats.GROUPS,
                               dates=dates, error=exc, period=None), 400
    if request.args.get("format") == "csv":
        response = Response(download_stats.as_csv(group, period), mimetype="text/csv")
        response.headers["Content-Disposition"] = (
            f'attachment; filename="downloads-by-{group}{period.slug()}.csv"')
        return response
    return render_template("download_admin/stats.html", group=group, groups=download_stats.GROUPS,
                           dates=dates, error=None, period=period,
                           headers=download_stats.HEADERS[group],
                           rows=download_stats.rows(group, limit=500, period=period),
                           totals=download_stats.totals(period))


@bp.get("/account/downloads")
@login_required
def history():
    """A member's own download history."""
    return render_template("download_admin/history_page.html",
                           history=downloads.history(current_user, limit=500))

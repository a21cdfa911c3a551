"""Manage pages for background work: /manage/jobs (queues, states, failures, timings) and Retry."""
from __future__ import annotations

from flask import flash, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from gallery.services import assets, jobs, work
from gallery.services.search import health
from gallery.views.manage.blueprint import back, bp


@bp.get("/jobs")
def jobs_page():
    """Queue lengths, counts per piece and state, running and failed pieces, timings, search lag."""
    return render_template("manage/jobs.html", overview=work.overview(),
                           queues=jobs.queue_lengths(), pieces=sorted(work.MAKERS),
                           search=health.readiness(), search_servers=health.servers())


@bp.post("/assets/<int:asset_id>/retry")
def retry_work(asset_id: int):
    """Staff's Retry on a failed piece of an asset's work (the piece is a form field)."""
    piece = request.form.get("piece", "")
    if assets.retry_work(asset_id, piece, current_user):
        flash(_("“%(piece)s” queued again.", piece=piece), "success")
    else:
        flash(_("“%(piece)s” is not failed: nothing to retry.", piece=piece), "info")
    return back(request.form.get("next") or url_for("manage.edit_asset", asset_id=asset_id))

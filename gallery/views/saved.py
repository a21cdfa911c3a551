"""Saved searches on the account: save from the search page, list, run, delete, daily e-mail on or off."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from gallery import policy
from gallery.exceptions import GalleryError
from gallery.extensions import csrf
from gallery.i18n.service_messages import translate
from gallery.services import digests, saved_searches
from gallery.services.search.args import search_args
from gallery.views.access import role_required

bp = Blueprint("saved", __name__)
logged_in = role_required(policy.is_authenticated)


@bp.get("/account/searches")
@logged_in
def index():
    """The user's saved searches with their e-mail setting."""
    return render_template("saved/index.html", searches=saved_searches.list_for(current_user))


@bp.post("/account/searches")
@logged_in
def create():
    """Save the search the form carries (query and filters) under a name."""
    form = request.form
    try:
        saved = saved_searches.save(current_user, form.get("name", ""), form.to_dict(),
                                    email_daily=form.get("email") == "1")
    except GalleryError as exc:
        flash(translate(exc.message), "error")
        return redirect(url_for("search.results", **search_args(form)))
    if saved.email_daily:
        flash(_("Saved “%(name)s”: new results will be e-mailed once a day.", name=saved.name), "success")
    else:
        flash(_("Saved “%(name)s”.", name=saved.name), "success")
    return redirect(url_for("saved.index"))


@bp.get("/account/searches/<int:saved_id>")
@logged_in
def run(saved_id: int):
    """Run a saved search: the search page with its query and filters."""
    saved = _mine(saved_id)
    return redirect(url_for("search.results", **saved.args))


@bp.post("/account/searches/<int:saved_id>/email")
@logged_in
def email(saved_id: int):
    """Turn a saved search's daily e-mail on or off."""
    saved = saved_searches.update_email(current_user, _mine(saved_id).id, request.form.get("email") == "1")
    if saved.email_daily:
        flash(_("Daily e-mail for “%(name)s” is on.", name=saved.name), "success")
    else:
        flash(_("Daily e-mail for “%(name)s” is off.", name=saved.name), "success")
    return redirect(url_for("saved.index"))


@bp.post("/account/searches/<int:saved_id>/delete")
@logged_in
def delete(saved_id: int):
    """Delete a saved search."""
    saved = _mine(saved_id)
    name = saved.name
    saved_searches.remove(current_user, saved.id)
    flash(_("Deleted the saved search “%(name)s”.", name=name), "success")
    return redirect(url_for("saved.index"))


@bp.route("/searches/unsubscribe/<token>", methods=["GET", "POST"])
@csrf.exempt  # RFC 8058 one-click: the mail client POSTs with no session; the signed token is the proof
def unsubscribe(token: str):
    """Stop a saved search's daily e-mail from the mail's link, without logging in (POST does it, again and again)."""
    saved = digests.unsubscribe_target(token) or abort(404)
    if request.method == "POST":
        digests.unsubscribe(saved)
        return render_template("saved/unsubscribed.html", saved=saved)
    return render_template("saved/unsubscribe.html", saved=saved, token=token)


def _mine(saved_id: int):
    try:
        return saved_searches.get(current_user, saved_id)
    except GalleryError:
        abort(404)

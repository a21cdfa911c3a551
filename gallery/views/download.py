"""Downloads: one asset at a size, a gallery zip, the API download, terms acceptance, approvals."""
from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    stream_with_context,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from gallery import policy
from gallery.errors import bearer_challenge, error_response, wants_json
from gallery.exceptions import GalleryError
from gallery.extensions import db
from gallery.i18n.locale import current as current_language
from gallery.i18n.service_messages import translate
from gallery.models import Asset, Gallery
from gallery.policy import Access
from gallery.services import approvals, credits, downloads, fields, sitetext, storage, terms, zips
from gallery.templating import asset_url, gallery_url
from gallery.views.access import safe_next

bp = Blueprint("download", __name__)


@bp.record_once
def _register_globals(state) -> None:
    state.app.jinja_env.globals["download_panel"] = download_panel
    state.app.jinja_env.globals["download_history"] = _own_history
    state.app.jinja_env.globals["intended_uses"] = downloads.INTENDED_USES
    state.app.jinja_env.globals["download_credit"] = _credit
    state.app.jinja_env.globals["newsroom_caption"] = _caption


@bp.get("/download/assets/<int:asset_id>/<size>")
def asset(asset_id: int, size: str):
    """Download one asset at a size (preview as Small, large, original), logged."""
    return _download(asset_id, size, "file")


@bp.get("/api/assets/<int:asset_id>/download")
def api_asset(asset_id: int):
    """API: the bytes of one asset at ?size= (default original), with the same policy."""
    return _download(asset_id, request.args.get("size", "original"), "api")


def _download(asset_id: int, size: str, via: str):
    """Serve one asset at a size if the policy allows it, and log the download."""
    found = db.session.get(Asset, asset_id)
    verdict = policy.access(current_user, found, size, download=True)
    if verdict is not Access.OK:
        return refuse(verdict, found)
    use = intended_use(request.args.get("use"))
    src = downloads.source(found, size, current_app.config["ORGANISATION"])
    downloads.log(current_user, [found], size, via, use)
    return file_response(src)


@bp.get("/download/galleries/<int:gallery_id>.zip")
def gallery_zip(gallery_id: int):
    """A whole gallery, or the ticked items, as one zip in a chosen size, streamed as it is built."""
    gallery = db.session.get(Gallery, gallery_id)
    if not policy.can_view_gallery(current_user, gallery):
        abort(404)
    gate = policy.download_gate(current_user)
    if gate is not Access.OK:
        return refuse(gate, None)
    size = request.args.get("size", "large")
    ids = fields.id_text(request.args.getlist("asset"), "asset")
    part = fields.integer(request.args.get("part"), "part", 1, optional=True)
    use = intended_use(request.args.get("use"))
    try:
        plan = zips.plan(current_user, gallery, size, ids or None,
                         current_app.config["ORGANISATION"],
                         current_app.config["MAX_ZIP_DOWNLOAD_FILES"], part, language=current_language())
    except GalleryError as exc:
        if wants_json():
            return error_response(exc.status, exc.message)
        flash(translate(exc.message), "error")
        return redirect(gallery_url(gallery))
    # Logged before the first byte (one statement for every file in the zip), so a download the
    # client aborts, or a stream that fails half way, is logged all the same.
    downloads.log(current_user, plan.assets, size, "zip", use)
    return zip_response(plan)


def zip_response(plan: zips.ZipPlan) -> Response:
    """A planned zip streamed as an attachment (galleries, lightboxes, press kits)."""
    # The request context stays while streaming: renditions made on first use need the database.
    response = Response(stream_with_context(plan.stream()), mimetype="application/zip",
                        direct_passthrough=True)
    response.headers["Content-Disposition"] = f'attachment; filename="{plan.name}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/terms/accept", methods=["GET", "POST"])
def accept_terms():
    """Ask a member to accept the terms in force (again when they change) before downloading."""
    if not current_user.is_authenticated:
        return redirect(_login_url(_here()))
    target = safe_next(request.values.get("next")) or url_for("browse.index")
    text = sitetext.get_text("terms", current_language())  # the version is the same in every language
    ask_use = current_app.config["ASK_INTENDED_USE"]
    error = None
    if request.method == "POST":
        if request.form.get("accept") != "yes":
            error = _("Tick the box to accept the terms of use.")
        else:
            try:
                use = intended_use(request.form.get("use")) if ask_use else ""
                version = request.form.get("version", type=int)
                terms.accept(current_user, version)
            except GalleryError as exc:
                error = translate(exc.message)
            else:
                if use:
                    session["intended_use"] = use
                flash(_("Thank you: you can now download."), "success")
                return redirect(target)
    status = 400 if error else 200
    return render_template("download/accept_terms.html", text=text, next=target, error=error,
                           ask_use=ask_use, uses=downloads.INTENDED_USES,
                           accepted=policy.has_accepted_terms(current_user),
                           chosen=request.form.get("use") or session.get("intended_use", "")), status


@bp.post("/assets/<int:asset_id>/approval")
def request_approval(asset_id: int):
    """A member asks for permission to download a sensitive asset."""
    found = db.session.get(Asset, asset_id)
    if not policy.can_view_asset(current_user, found):
        abort(404)
    if not current_user.is_authenticated:
        return redirect(_login_url(asset_url(found)))
    try:
        approvals.request_approval(current_user, found, request.form.get("reason", ""))
    except GalleryError as exc:
        flash(translate(exc.message), "error")
    else:
        flash(_("Your request has been sent to the media team."), "success")
    return redirect(asset_url(found))


def download_panel(found: Asset) -> dict[str, Any]:
    """What the asset page shows about downloads for the current user."""
    panel: dict[str, Any] = {"sizes": [], "state": "ok", "approval": None,
                             "uses": downloads.INTENDED_USES,
                             "ask_use": current_app.config["ASK_INTENDED_USE"],
                             "use": session.get("intended_use", ""),
                             "login_url": _login_url(asset_url(found)),
                             "terms_url": url_for("download.accept_terms", next=asset_url(found))}
    gate = policy.download_gate(current_user)
    if gate is not Access.OK:
        panel["state"] = gate.value
        return panel
    for size in policy.DOWNLOAD_SIZES:
        facts = downloads.available(found, size, current_app.config["RENDITION_SIZES"].get(size, 0))
        if facts is not None:
            panel["sizes"].append({"size": size, "label": downloads.label(size), **facts,
                                   "url": url_for("download.asset", asset_id=found.id, size=size)})
    if not policy.is_staff(current_user) and found.sensitive:
        panel["approval"] = policy.approval_status(current_user, found)
        if panel["approval"] != "approved":
            panel["state"] = "approval"
    return panel


def _credit(found: Asset) -> str:
    """The ready-to-paste credit line of an asset: '© Owner 2023 / Creator'."""
    return credits.credit_line(found, current_app.config["ORGANISATION"])


def _caption(found: Asset) -> str:
    """The newsroom caption line of an asset: caption, place, date and 'Photo: credit'."""
    return credits.caption_line(found, current_app.config["ORGANISATION"])


def _own_history(limit: int = 50):
    """The current user's latest downloads, for the account page."""
    if not current_user.is_authenticated:
        return []
    return downloads.history(current_user, limit)


def file_response(src: downloads.FileSource) -> Response:
    """An attachment response: renditions whole (they are small), originals streamed.

    Originals and proxies are sent as stored: by the front server or from a presigned URL when
    storage offers that (storage.offload), else by the app. Renditions get credits spliced in.
    """
    if src.kind == "rendition":
        response = Response(b"".join(src.chunks()), mimetype=src.mimetype)
    elif (sent := storage.offload(src.resolved().key, src.mimetype, attachment=src.filename)) is not None:
        sent.headers["Cache-Control"] = "private, no-store"
        return sent
    else:
        response = Response(src.chunks(), mimetype=src.mimetype, direct_passthrough=True)
        response.content_length = src.bytes  # the served original's exact size
    response.headers["Content-Disposition"] = f'attachment; filename="{src.filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


def refuse(verdict: Access, found: Asset | None):
    """Turn a policy refusal into a redirect (pages) or a JSON error (API and token requests)."""
    api = wants_json()
    if verdict is Access.NOT_FOUND:
        abort(404)
    if verdict is Access.FORBIDDEN:
        abort(403)
    if verdict is Access.LOGIN:
        if api:
            return bearer_challenge("Log in to download, or send Authorization: Bearer <token> "
                                    "with a live token.")
        return redirect(_login_url(_here()))
    if verdict is Access.TERMS:
        if api:
            # A script cannot accept for its owner: a person reads and accepts them on the site.
            accept = url_for("download.accept_terms", _external=True)
            return error_response(403, "Accept the terms of use first: log in on the web site as "
                                       f"this account and accept them at {accept}, then try again.")
        return redirect(url_for("download.accept_terms", next=_here()))
    message = "This item is sensitive: ask the media team for approval from its page first."
    if api:
        return error_response(403, message)
    flash(_(message), "error")
    return redirect(asset_url(found))


def intended_use(value: str | None) -> str:
    """The intended use from the request or, failing that, the one given earlier this session."""
    if current_app.config["ASK_INTENDED_USE"] is False:
        return ""
    return downloads.clean_intended_use(value or session.get("intended_use"))


def _here() -> str:
    """The current path and query, for coming back after login or terms."""
    return request.full_path.rstrip("?")


def _login_url(next_path: str) -> str:
    return url_for("auth.login", next=next_path)



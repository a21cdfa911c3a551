"""Lightbox pages: the list, one lightbox, one-click add and remove, order, notes, zip, links.

Every form works as a plain POST (CSRF checked); static/js/lightbox.js sends the same forms with
fetch and asks for JSON (Accept: application/json) so the page need not reload.
"""
from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from gallery import policy
from gallery.errors import error_response, wants_json
from gallery.exceptions import GalleryError
from gallery.i18n.locale import current as current_language
from gallery.i18n.service_messages import translate
from gallery.i18n.terms import lightbox_name
from gallery.models import Lightbox
from gallery.policy import Access
from gallery.services import downloads, fields, lightbox_links, lightboxes, zips
from gallery.views.access import safe_next
from gallery.views.download import intended_use, refuse, zip_response

bp = Blueprint("lightboxes", __name__)
CURRENT_KEY = "lightbox_id"  # the session's choice of the lightbox the one-click buttons fill


@bp.record_once
def _register_globals(state) -> None:
    state.app.jinja_env.globals["lightbox_state"] = lightbox_state


def lightbox_state() -> dict[str, Any] | None:
    """The current lightbox, its count and asset ids for the header and the buttons (once per request)."""
    if not current_user.is_authenticated:
        return None
    cached = getattr(request, "_gallery_lightbox", None)
    if cached is None:
        box = lightboxes.peek_current(current_user, session.get(CURRENT_KEY))
        ids = lightboxes.asset_ids(box)
        cached = {"lightbox": box, "ids": ids, "count": len(ids),
                  "name": lightbox_name(box.name if box else lightboxes.DEFAULT_NAME),
                  "next": request.full_path.rstrip("?")}
        request._gallery_lightbox = cached
    return cached


def _wants_json() -> bool:
    """A fetch from lightbox.js (it asks for JSON); a plain form post wants a page."""
    return request.accept_mimetypes.best == "application/json"


def _back(default: str) -> Any:
    """Back to the page the form was on (a path on this site), else default."""
    return redirect(safe_next(request.form.get("next")) or default)


def _failed(exc: GalleryError, default: str) -> Any:
    """A refused action: a JSON error for fetch, else a flash message on the page it came from."""
    if _wants_json():
        return error_response(exc.status, exc.message, exc.field, as_json=True)
    if exc.status == 404:
        abort(404)
    flash(translate(exc.message), "error")
    return _back(default)


@bp.get("/lightboxes")
@login_required
def index():
    """The user's lightboxes with their counts, and a form to make one."""
    rows = lightboxes.list_for(current_user)
    chosen = lightboxes.current(current_user, session.get(CURRENT_KEY))
    return render_template("lightboxes/index.html", rows=rows, chosen=chosen,
                           limits={"name": lightboxes.NAME_LIMIT, "note": lightboxes.NOTE_LIMIT})


@bp.post("/lightboxes")
@login_required
def create():
    """Make a named lightbox and fill it from now on."""
    try:
        box = lightboxes.create(current_user, request.form.get("name"), request.form.get("note", ""))
    except GalleryError as exc:
        return _failed(exc, url_for("lightboxes.index"))
    session[CURRENT_KEY] = box.id
    flash(_("Lightbox “%(name)s” made: the Add buttons now fill it.", name=lightbox_name(box.name)), "success")
    return redirect(url_for("lightboxes.show", lightbox_id=box.id))


@bp.get("/lightboxes/<int:lightbox_id>")
@login_required
def show(lightbox_id: int):
    """One lightbox: its items in order with notes, download, links."""
    return _show(_own(lightbox_id))


def _show(box: Lightbox, new_link: dict[str, str] | None = None):
    """The lightbox page (with a link made just now, whose address is shown this once)."""
    return render_template(
        "lightboxes/show.html", box=box, entries=lightboxes.entries(current_user, box),
        links=lightbox_links.links_of(box), is_current=_is_current(box), new_link=new_link,
        sizes=[(s, downloads.label(s)) for s in policy.DOWNLOAD_SIZES],
        limits={"name": lightboxes.NAME_LIMIT, "note": lightboxes.NOTE_LIMIT,
                "item_note": lightboxes.ITEM_NOTE_LIMIT})


@bp.post("/lightboxes/<int:lightbox_id>")
@login_required
def update(lightbox_id: int):
    """Rename a lightbox or change its note."""
    box = _own(lightbox_id)
    values = {k: request.form[k] for k in ("name", "note") if k in request.form}
    try:
        lightboxes.update(current_user, box, values)
    except GalleryError as exc:
        return _failed(exc, url_for("lightboxes.show", lightbox_id=lightbox_id))
    flash(_("Lightbox saved."), "success")
    return redirect(url_for("lightboxes.show", lightbox_id=lightbox_id))


@bp.post("/lightboxes/<int:lightbox_id>/delete")
@login_required
def delete(lightbox_id: int):
    """Delete a lightbox with its items and links."""
    box = _own(lightbox_id)
    name = box.name
    lightboxes.remove_lightbox(current_user, box)
    if session.get(CURRENT_KEY) == lightbox_id:
        session.pop(CURRENT_KEY)
    flash(_("Lightbox “%(name)s” deleted.", name=lightbox_name(name)), "success")
    return redirect(url_for("lightboxes.index"))


@bp.post("/lightboxes/<int:lightbox_id>/current")
@login_required
def choose(lightbox_id: int):
    """Make this the lightbox the Add buttons fill."""
    box = _own(lightbox_id)
    session[CURRENT_KEY] = box.id
    flash(_("The Add buttons now fill “%(name)s”.", name=lightbox_name(box.name)), "success")
    return _back(url_for("lightboxes.show", lightbox_id=box.id))


@bp.post("/lightboxes/items")
@login_required
def toggle():
    """The one-click button: add an asset to the current lightbox, or take it out (action=remove)."""
    box = lightboxes.current(current_user, session.get(CURRENT_KEY))
    asset_id = request.form.get("asset_id")
    action = request.form.get("action", "add")
    try:
        if action == "remove":
            lightboxes.remove(current_user, box, asset_id)
        else:
            lightboxes.add(current_user, box, [asset_id])
    except GalleryError as exc:
        return _failed(exc, url_for("lightboxes.show", lightbox_id=box.id))
    inside = action != "remove"
    count = lightboxes.count(box)
    if _wants_json():
        return jsonify({"in_lightbox": inside, "count": count,
                        "lightbox": {"id": box.id, "name": lightbox_name(box.name),
                                     "url": url_for("lightboxes.show", lightbox_id=box.id)}})
    flash(_("Added to “%(name)s” (%(count)s).", name=lightbox_name(box.name), count=count) if inside
          else _("Removed from “%(name)s”.", name=lightbox_name(box.name)), "success")
    return _back(url_for("lightboxes.show", lightbox_id=box.id))


@bp.post("/lightboxes/<int:lightbox_id>/items/<int:asset_id>/remove")
@login_required
def remove_item(lightbox_id: int, asset_id: int):
    """Take one item out of a lightbox (its page's Remove button)."""
    box = _own(lightbox_id)
    lightboxes.remove(current_user, box, asset_id)
    if _wants_json():
        return jsonify({"count": lightboxes.count(box)})
    flash(_("Removed from the lightbox."), "success")
    return redirect(url_for("lightboxes.show", lightbox_id=lightbox_id))


@bp.post("/lightboxes/<int:lightbox_id>/items/<int:asset_id>/move")
@login_required
def move_item(lightbox_id: int, asset_id: int):
    """Move an item one place up or down (offset -1 or 1)."""
    box = _own(lightbox_id)
    try:
        order = lightboxes.move(current_user, box, asset_id, request.form.get("offset"))
    except GalleryError as exc:
        return _failed(exc, url_for("lightboxes.show", lightbox_id=lightbox_id))
    if _wants_json():
        return jsonify({"order": order})
    return redirect(url_for("lightboxes.show", lightbox_id=lightbox_id) + f"#item-{asset_id}")


@bp.post("/lightboxes/<int:lightbox_id>/items/<int:asset_id>/note")
@login_required
def item_note(lightbox_id: int, asset_id: int):
    """Save the note on one item."""
    box = _own(lightbox_id)
    try:
        item = lightboxes.set_item_note(current_user, box, asset_id, request.form.get("note", ""))
    except GalleryError as exc:
        return _failed(exc, url_for("lightboxes.show", lightbox_id=lightbox_id))
    if _wants_json():
        return jsonify({"note": item.note})
    flash(_("Note saved."), "success")
    return redirect(url_for("lightboxes.show", lightbox_id=lightbox_id) + f"#item-{asset_id}")


@bp.get("/download/lightboxes/<int:lightbox_id>.zip")
def download(lightbox_id: int):
    """The lightbox as one streamed zip in a size, under the policy, terms and log of gallery zips."""
    if not current_user.is_authenticated:
        return refuse(Access.LOGIN, None)
    box = _own(lightbox_id)
    gate = policy.download_gate(current_user)
    if gate is not Access.OK:
        return refuse(gate, None)
    size = request.args.get("size", "large")
    try:
        zips.check_size(size)
        part = fields.integer(request.args.get("part"), "part", 1, optional=True)
        use = intended_use(request.args.get("use"))
        assets = lightboxes.visible_assets(current_user, box)
        chosen, suffix = zips.whole_part(assets, current_app.config["MAX_ZIP_DOWNLOAD_FILES"], part,
                                         "lightbox")
        plan = zips.build(chosen, policy.download_access(current_user, chosen, size), size,
                          current_app.config["ORGANISATION"], f"lightbox-{box.id}", box.updated_at,
                          suffix, language=current_language())
    except GalleryError as exc:
        if wants_json():  # a script with its download token: the reason as JSON
            return error_response(exc.status, exc.message, exc.field)
        flash(translate(exc.message), "error")
        return redirect(url_for("lightboxes.show", lightbox_id=box.id))
    downloads.log(current_user, plan.assets, size, "zip", use)
    return zip_response(plan)


@bp.post("/lightboxes/<int:lightbox_id>/links")
@login_required
def create_link(lightbox_id: int):
    """Make a shared link or (staff) a press-kit link; its address is shown once."""
    box = _own(lightbox_id)
    kind = request.form.get("kind", "share")
    try:
        link, token = lightbox_links.create(
            current_user, box, kind, label=request.form.get("label", ""),
            expires_on=request.form.get("expires_on"), sizes=request.form.getlist("sizes"))
    except GalleryError as exc:
        return _failed(exc, url_for("lightboxes.show", lightbox_id=lightbox_id))
    endpoint = "press_kits.press_kit" if link.kind == "presskit" else "press_kits.shared"
    # Rendered from the POST, not redirected: only the token's hash is kept, so this is the one
    # time its address can be shown (as API tokens).
    return _show(box, {"kind": link.kind, "url": url_for(endpoint, token=token, _external=True)})


@bp.post("/lightboxes/links/<int:link_id>/revoke")
@login_required
def revoke_link(link_id: int):
    """Revoke a link at once (the lightbox's owner; staff for any press kit)."""
    try:
        link = lightbox_links.revoke(current_user, link_id)
    except GalleryError as exc:
        return _failed(exc, url_for("lightboxes.index"))
    flash(_("Link revoked: it no longer opens."), "success")
    return _back(url_for("lightboxes.show", lightbox_id=link.lightbox_id))


def _own(lightbox_id: int) -> Lightbox:
    """The current user's lightbox, or 404 (another user's included)."""
    try:
        return lightboxes.get(current_user, lightbox_id)
    except GalleryError:
        abort(404)


def _is_current(box: Lightbox) -> bool:
    state = lightbox_state()
    return bool(state and state["lightbox"] is not None and state["lightbox"].id == box.id)

"""Pages opened by a link: a shared lightbox (read-only), a press kit, and the staff list of press kits.

A shared link shows each viewer what the policy lets that viewer see. A press kit needs no
account: the recipient accepts the terms on its page (recorded per visit, remembered in the
browser session) and then downloads what policy.press_kit_access allows; every file is logged
against the link.
"""
from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from gallery import policy
from gallery.errors import error_response
from gallery.exceptions import GalleryError, NotFound, ValidationError
from gallery.extensions import db
from gallery.i18n.locale import current as current_language
from gallery.i18n.service_messages import translate
from gallery.models import Asset, LightboxLink
from gallery.policy import Access
from gallery.services import downloads, fields, lightbox_links, lightboxes, sitetext, zips
from gallery.views.access import staff_required
from gallery.views.download import file_response, zip_response

bp = Blueprint("press_kits", __name__)
ACCEPTED_KEY = "press_kits"  # {link id: [terms version, acceptance id]} in this browser session
FORM_KEY = "press_kit_form"  # what a refused terms form said, to show it again


def _link(token: str, kind: str) -> LightboxLink | tuple:
    """The live link, or the clear page for an unknown (404), revoked or expired (410) one."""
    try:
        return lightbox_links.resolve(token, kind)
    except GalleryError as exc:
        return error_response(exc.status, exc.message)


@bp.get("/shared/<token>")
def shared(token: str):
    """A shared lightbox, read-only: each item as the viewer may see it."""
    link = _link(token, "share")
    if not isinstance(link, LightboxLink):
        return link
    entries = lightboxes.entries(current_user, link.lightbox)
    response = current_app.make_response(render_template(
        "lightboxes/shared.html", link=link, box=link.lightbox, entries=entries))
    _private(response)
    return response


@bp.get("/press/<token>")
def press_kit(token: str):
    """A press kit: the terms to accept, then the items with a download per size staff chose."""
    link = _link(token, "presskit")
    if not isinstance(link, LightboxLink):
        return link
    accepted = lightbox_links.acceptance_for(link, session.get(ACCEPTED_KEY)) is not None
    entries = lightbox_links.press_kit_entries(link)
    edges = current_app.config["RENDITION_SIZES"]
    # Per item, the chosen sizes it has (a photo has no Web video, a small original no Large).
    offered = {e.asset.id: [(s, downloads.label(s)) for s in link.sizes
                            if downloads.available(e.asset, s, edges.get(s, 0)) is not None]
               for e in entries if e.asset is not None}
    response = current_app.make_response(render_template(
        "lightboxes/press_kit.html", link=link, box=link.lightbox, token=token, accepted=accepted,
        entries=entries, offered=offered, terms=sitetext.get_text("terms", current_language()),
        version=policy.current_terms_version(), expires_on=lightbox_links.expires_on(link),
        sizes=[(s, downloads.label(s)) for s in link.sizes], uses=downloads.INTENDED_USES,
        limit=lightbox_links.RECIPIENT_LIMIT, form=session.pop(FORM_KEY, None) or {},
        # A kit bigger than one zip comes in parts: the recipient chooses one, not a URL parameter.
        parts=zips.parts_needed(len(offered), current_app.config["MAX_ZIP_DOWNLOAD_FILES"])))
    _private(response)
    return response


@bp.post("/press/<token>/accept")
def accept(token: str):
    """Record the recipient's acceptance of the terms for this press kit."""
    link = _link(token, "presskit")
    if not isinstance(link, LightboxLink):
        return link
    given = {k: request.form.get(k, "") for k in ("name", "organisation", "use")}
    try:
        if request.form.get("accept") != "yes":
            raise ValidationError("Tick the box to accept the terms of use.")
        row = lightbox_links.accept_terms(link, request.form.get("version"), name=given["name"],
                                          organisation=given["organisation"], intended_use=given["use"])
    except GalleryError as exc:
        flash(translate(exc.message), "error")
        # Kept (cut to the field's size) so that the recipient does not type it all again.
        session[FORM_KEY] = {k: v[:lightbox_links.RECIPIENT_LIMIT] for k, v in given.items()}
        return redirect(url_for("press_kits.press_kit", token=token))
    session[ACCEPTED_KEY] = lightbox_links.remember(session.get(ACCEPTED_KEY), row)
    flash(_("Thank you: you can now download these files."), "success")
    return redirect(url_for("press_kits.press_kit", token=token))


@bp.get("/press/<token>/files/<int:asset_id>/<size>")
def press_file(token: str, asset_id: int, size: str):
    """One press-kit file in a size staff chose, logged against the link."""
    link = _link(token, "presskit")
    if not isinstance(link, LightboxLink):
        return link
    found = db.session.get(Asset, asset_id)
    listed = found is not None and any(i.asset_id == found.id for i in link.lightbox.items)
    if not listed or policy.press_kit_access(found, size, link.sizes) is not Access.OK \
            or size not in policy.DOWNLOAD_SIZES:
        abort(404)
    recipient = lightbox_links.acceptance_for(link, session.get(ACCEPTED_KEY))
    if recipient is None:
        return redirect(url_for("press_kits.press_kit", token=token))
    try:
        src = downloads.source(found, size, current_app.config["ORGANISATION"])
    except NotFound:
        abort(404)
    downloads.log(None, [found], size, "file", recipient.intended_use, link_id=link.id,
                  acceptance_id=recipient.id)
    return file_response(src)


@bp.get("/press/<token>/zip")
def press_zip(token: str):
    """The whole press kit (or one part of it) as a zip in a size staff chose, logged against the link."""
    link = _link(token, "presskit")
    if not isinstance(link, LightboxLink):
        return link
    recipient = lightbox_links.acceptance_for(link, session.get(ACCEPTED_KEY))
    if recipient is None:
        return redirect(url_for("press_kits.press_kit", token=token))
    size = request.args.get("size", link.sizes[0] if link.sizes else "large")
    try:
        if size not in link.sizes:
            zips.check_size(size)
            raise NotFound("This press kit does not offer that size.", field="size")
        part = request.args.get("part")
        part = fields.integer(part, "part", 1, optional=True)
        assets = [e.asset for e in lightbox_links.press_kit_entries(link) if e.asset is not None]
        chosen, suffix = zips.whole_part(assets, current_app.config["MAX_ZIP_DOWNLOAD_FILES"],
                                         part, "press kit")
        verdicts = [policy.press_kit_access(a, size, link.sizes) for a in chosen]
        plan = zips.build(chosen, verdicts, size, current_app.config["ORGANISATION"],
                          f"press-kit-{link.id}", link.lightbox.updated_at, suffix,
                          language=current_language())
    except GalleryError as exc:
        flash(translate(exc.message), "error")
        return redirect(url_for("press_kits.press_kit", token=token))
    downloads.log(None, plan.assets, size, "zip", recipient.intended_use, link_id=link.id,
                  acceptance_id=recipient.id)
    return zip_response(plan)


@bp.get("/manage/press-kits")
@staff_required
def staff_list():
    """Every press-kit link: its lightbox, sizes, expiry, state and download count; revoke."""
    return render_template("lightboxes/press_kits.html", rows=lightbox_links.press_kits(),
                           label=downloads.label)


@bp.get("/manage/press-kits/<int:link_id>")
@staff_required
def staff_downloads(link_id: int):
    """One press kit's downloads: who (as they said on the terms step) downloaded what, when."""
    try:
        link = lightbox_links.press_kit(link_id)
    except NotFound:
        abort(404)
    return render_template("lightboxes/press_kit_downloads.html", link=link,
                           rows=lightbox_links.downloads_of(link), label=downloads.label,
                           state=lightbox_links.state_of(link))


def _private(response) -> None:
    """Link pages are for the link's holders: never kept by shared caches or sent on as referrers."""
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Referrer-Policy"] = "no-referrer"

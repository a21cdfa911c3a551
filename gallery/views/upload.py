"""Web upload for staff: a gallery with batch metadata, then files (zips too), then the caption grid."""
from __future__ import annotations

from itertools import chain

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import select

from gallery.errors import error_response
from gallery.exceptions import GalleryError
from gallery.extensions import db
from gallery.i18n.locale import LANGUAGES
from gallery.i18n.service_messages import N_, translate
from gallery.models import Gallery
from gallery.services import archives, browsing, fields, galleries, ingest, translations
from gallery.services.assets import CAPTION_FIELDS, update_captions
from gallery.services.ingest import IngestResult
from gallery.templating import asset_url, rendition_url
from gallery.views.access import staff_required
from gallery.views.upload_forms import NewGalleryForm

bp = Blueprint("upload", __name__, url_prefix="/manage")
CAPTION_GRID_MAX_FORM_PARTS = 50_000
CAPTION_GRID_MAX_FORM_MEMORY = 64 * 1024 * 1024


@bp.record_once
def _raise_form_limits(state) -> None:
    """The caption grid posts five fields per asset: more parts than the default allows."""

    def raise_limits() -> None:
        if request.endpoint == "upload.captions":
            request.max_form_parts = CAPTION_GRID_MAX_FORM_PARTS
            request.max_form_memory_size = CAPTION_GRID_MAX_FORM_MEMORY

    # First in line: CSRFProtect reads the form in an earlier before_request.
    state.app.before_request_funcs.setdefault(None, []).insert(0, raise_limits)


@bp.route("/upload", methods=["GET", "POST"])
@staff_required
def new():
    """Create a gallery with its batch metadata, then go on to add its files."""
    form = NewGalleryForm()
    if form.validate_on_submit():
        try:
            gallery = galleries.create_gallery({
                "title": form.title.data, "description": form.description.data or "",
                "category": form.category.data, "country": form.country.data or None,
                "credit": form.credit.data or "", "date": form.date.data,
                "status": form.status.data, "language": form.language.data},
                current_user._get_current_object())
        except GalleryError as exc:
            getattr(form, exc.field or "title").errors.append(translate(exc.message))
        else:
            return redirect(url_for("upload.files", gallery_id=gallery.id))
    recent = db.session.scalars(select(Gallery).where(Gallery.deleted_at.is_(None))
                                .order_by(Gallery.updated_at.desc()).limit(8)).all()
    status = 400 if form.errors else 200
    return render_template("upload/new.html", form=form, recent=recent), status


@bp.get("/galleries/<int:gallery_id>/upload")
@staff_required
def files(gallery_id: int):
    """The upload page of a gallery: drop zone and file picker."""
    gallery = _gallery(gallery_id)
    return render_template("upload/files.html", gallery=gallery)


@bp.post("/galleries/<int:gallery_id>/upload")
@staff_required
def receive(gallery_id: int):
    """Ingest the posted files (one from the script, many from the plain form); zips are unpacked."""
    gallery = _gallery(gallery_id)
    uploads = [f for f in request.files.getlist("files") if f.filename]
    wants_json = request.accept_mimetypes.best == "application/json"
    if not uploads:
        # The upload page's own script shows this message: it speaks the page's language.
        message = translate(N_("Choose at least one file."))
        if wants_json:
            return error_response(400, message, "files", as_json=True)
        return render_template("upload/files.html", gallery=gallery, error=message), 400
    items = chain.from_iterable(archives.expand(f.filename, f.stream) for f in uploads)
    results = list(ingest.ingest_many(gallery, items, current_user._get_current_object()))
    for upload in uploads:
        upload.close()
    order = request.form.get("order", "selection")
    added = [r.asset.id for r in results if r.status == "accepted" and r.asset is not None]
    if added and order != "selection":  # the plain form: files arrive in the order selected
        try:
            galleries.arrange(gallery.id, added, order, current_user)
        except GalleryError as exc:
            flash(translate(exc.message), "error")
    if wants_json:
        return jsonify({"results": [result_json(r) for r in results],
                        "captions_url": _captions_url(gallery, results)})
    return render_template("upload/results.html", gallery=gallery, results=results,
                           captions_url=_captions_url(gallery, results))


@bp.route("/galleries/<int:gallery_id>/captions", methods=["GET", "POST"])
@staff_required
def captions(gallery_id: int):
    """The caption grid: every asset (or the ones just uploaded) with its texts, saved by one form."""
    gallery = _gallery(gallery_id)
    listed = browsing.caption_grid(gallery, _ids(request.args.get("ids", "")),
                                   browsing.parse_page(request.args.get("page")),
                                   current_app.config["MANAGE_ASSETS_PER_PAGE"])
    assets = listed.items
    # The language selector: one translation column beside the original (none: the original only).
    column = request.args.get("lang", "")
    column = column if column in LANGUAGES and column != gallery.language else ""
    error = None
    if request.method == "POST":
        updates = {a.id: {k: request.form.get(f"{a.id}-{k}", "")
                          for k in CAPTION_FIELDS} for a in assets
                   if f"{a.id}-caption" in request.form}
        if column:
            for asset_id, values in updates.items():
                values["translations"] = {column: {
                    k: request.form[f"{asset_id}-{k}-{column}"] for k in translations.ASSET_FIELDS
                    if f"{asset_id}-{k}-{column}" in request.form}}
        try:
            changed = update_captions(gallery, updates, current_user._get_current_object())
        except GalleryError as exc:
            error = exc
        else:
            flash(ngettext("Saved: %(num)s file changed.", "Saved: %(num)s files changed.", len(changed)),
                  "success")
            return redirect(request.full_path.rstrip("?"))
    return render_template("upload/captions.html", gallery=gallery, assets=assets, listed=listed, error=error,
                           form=request.form if error else None, column=column), 400 if error else 200


def result_json(result: IngestResult) -> dict:
    """One file's outcome for the upload script."""
    out = {"filename": result.filename, "status": result.status, "reason": translate(result.reason)}
    if result.asset is not None:
        out.update(asset_id=result.asset.id, asset_url=asset_url(result.asset),
                   thumb_url=rendition_url(result.asset, "thumb"))
    if result.existing_id:
        out.update(existing_id=result.existing_id,
                   existing_url=url_for("browse.asset", asset_id=result.existing_id))
    return out


def _gallery(gallery_id: int) -> Gallery:
    gallery = db.session.get(Gallery, gallery_id)
    if gallery is None or gallery.deleted_at is not None:
        abort(404)
    return gallery


def _captions_url(gallery: Gallery, results: list[IngestResult]) -> str | None:
    ids = [r.asset.id for r in results if r.asset is not None]
    if not ids:
        return None
    return url_for("upload.captions", gallery_id=gallery.id, ids=",".join(map(str, ids)))


def _ids(text: str) -> list[int]:
    """The asset ids of `?ids=1,2,3` (the files just uploaded); a bad id is a 400."""
    return fields.id_text(text.split(",")[:5000], "ids")

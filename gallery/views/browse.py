"""Public browse pages: home, galleries, assets, terms."""
from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template
from flask_login import current_user
from sqlalchemy import select

from gallery import policy
from gallery.extensions import db
from gallery.models import Asset, Gallery
from gallery.templating import gallery_url

bp = Blueprint("browse", __name__)


@bp.get("/")
def index():
    """Home page: latest published galleries."""
    galleries = db.session.scalars(
        select(Gallery).where(Gallery.status == "published", Gallery.deleted_at.is_(None))
        .order_by(Gallery.created_at.desc()).limit(12)).all()
    return render_template("browse/index.html", galleries=galleries)


@bp.get("/galleries/<gallery_ref>")
def gallery(gallery_ref: str):
    """One gallery and its assets."""
    gid, _, slug = gallery_ref.partition("-")
    if not gid.isdigit():
        abort(404)
    found = db.session.get(Gallery, int(gid))
    if not policy.can_view_gallery(current_user, found):
        abort(404)
    if slug != found.slug:
        return redirect(gallery_url(found), 301)
    query = select(Asset).where(Asset.gallery_id == found.id).order_by(Asset.position, Asset.id)
    if not policy.is_staff(current_user):
        query = query.where(Asset.status == "published", Asset.deleted_at.is_(None))
    assets = db.session.scalars(query).unique().all()
    return render_template("browse/gallery.html", gallery=found, assets=assets)


@bp.get("/assets/<int:asset_id>")
def asset(asset_id: int):
    """One asset with its preview and metadata."""
    found = db.session.get(Asset, asset_id)
    if not policy.can_view_asset(current_user, found):
        abort(404)
    return render_template("browse/asset.html", asset=found)

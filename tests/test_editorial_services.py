"""Editorial services: galleries, assets, trash, bulk changes, order, with their log and outbox rows."""
from __future__ import annotations

import datetime as dt
import io
import os

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import func, select

from gallery.exceptions import Forbidden, GalleryError, NotFound, ValidationError
from gallery.extensions import db
from gallery.models import ActivityLog, Asset, Gallery, Rendition, SearchOutbox
from gallery.services import assets, galleries, search, storage, trash
from tests.conftest import image_bytes


def outbox(asset_id=None, operation=None):
    """Outbox rows, optionally for one asset / operation."""
    query = select(SearchOutbox)
    if asset_id is not None:
        query = query.where(SearchOutbox.asset_id == asset_id)
    if operation is not None:
        query = query.where(SearchOutbox.operation == operation)
    return db.session.scalars(query).all()


def log(action, **where):
    query = select(ActivityLog).where(ActivityLog.action == action)
    for key, value in where.items():
        query = query.where(getattr(ActivityLog, key) == value)
    return db.session.scalars(query).all()


def public_status(client, gallery):
    return client.get(f"/galleries/{gallery.id}-{gallery.slug}").status_code


def test_update_gallery_changes_fields_logs_and_reindexes(app, editor, make_gallery, make_asset, search_ids):
    gallery = make_gallery(title="Old title")
    asset = make_asset(gallery)
    assert search_ids("bazar", field="gallery") == set()
    galleries.update_gallery(gallery.id, {"title": "Shelter in Cox's Bazar", "country": "BGD",
                                          "category": "Shelter", "credit": "A. Photographer",
                                          "date": "2024-03-14", "description": "Camps."}, editor)
    db.session.expire_all()
    gallery = db.session.get(Gallery, gallery.id)
    assert (gallery.title, gallery.slug, gallery.country_code) == (
        "Shelter in Cox's Bazar", "shelter-in-cox-s-bazar", "BGD")
    assert gallery.category.name == "Shelter" and gallery.date == dt.date(2024, 3, 14)
    assert search_ids("bazar", field="gallery") == {asset.id}
    assert search.pending().entries == 0  # applied after the commit
    entry = log("gallery.update", gallery_id=gallery.id)[0]
    assert entry.user_id == editor.id
    assert entry.details["changes"]["title"] == ["Old title", "Shelter in Cox's Bazar"]


@pytest.mark.parametrize("values, field", [
    ({"title": ""}, "title"),
    ({"title": "x" * 301}, "title"),
    ({"country": "Atlantis"}, "country"),
    ({"category": "No such theme"}, "category"),
    ({"date": "14/03/2024"}, "date"),
    ({"status": "hidden"}, "status"),
    ({"pick_position": "first"}, "pick_position"),
    ({"colour": "red"}, "colour"),
])
def test_update_gallery_validation_names_the_field(editor, make_gallery, values, field):
    gallery = make_gallery(title="Keep me")
    with pytest.raises(ValidationError) as exc:
        galleries.update_gallery(gallery.id, values, editor)
    assert exc.value.field == field
    db.session.rollback()
    assert db.session.get(Gallery, gallery.id).title == "Keep me"


def test_members_and_anonymous_may_not_edit(member, make_gallery, make_asset):
    gallery = make_gallery()
    asset = make_asset(gallery)
    calls = [
        lambda u: galleries.create_gallery({"title": "X", "category": "Health"}, u),
        lambda u: galleries.update_gallery(gallery.id, {"title": "X"}, u),
        lambda u: galleries.publish(gallery.id, u),
        lambda u: trash.trash_gallery(gallery.id, u),
        lambda u: assets.update_asset(asset.id, {"caption": "X"}, u),
        lambda u: trash.trash_asset(asset.id, u),
        lambda u: galleries.reorder(gallery.id, [asset.id], u),
        lambda u: assets.bulk_update(gallery.id, [asset.id], {"credit": "X"}, u),
    ]
    for call in calls:
        for user in (member, None):
            with pytest.raises(Forbidden):
                call(user)


def test_unpublish_hides_gallery_at_once_and_publish_shows_it(client, editor, make_gallery, make_asset):
    gallery = make_gallery(title="Floods")
    make_asset(gallery)
    assert public_status(client, gallery) == 200
    galleries.unpublish(gallery.id, editor)
    assert public_status(client, gallery) == 404
    assert log("gallery.unpublish", gallery_id=gallery.id)
    galleries.publish(gallery.id, editor)
    assert public_status(client, gallery) == 200


def test_editors_pick_positions(editor, make_gallery):
    first, second = make_gallery(title="One"), make_gallery(title="Two")
    galleries.update_gallery(first.id, {"editors_pick": True}, editor)
    galleries.update_gallery(second.id, {"editors_pick": True}, editor)
    assert (first.editors_pick, first.pick_position, second.pick_position) == (True, 1, 2)
    galleries.update_gallery(second.id, {"editors_pick": True, "pick_position": 0}, editor)
    assert second.pick_position == 0
    galleries.update_gallery(first.id, {"editors_pick": False}, editor)
    assert (first.editors_pick, first.pick_position) == (False, None)
    assert log("gallery.pick", gallery_id=first.id)


def test_editors_pick_from_the_form_with_a_blank_position(editor, make_gallery):
    """The edit form sends an empty position: the pick goes last, and keeps its place on later saves."""
    first, second = make_gallery(title="One"), make_gallery(title="Two")
    galleries.update_gallery(first.id, {"editors_pick": True}, editor)
    galleries.update_gallery(second.id, {"editors_pick": True, "pick_position": ""}, editor)
    assert (second.editors_pick, second.pick_position) == (True, 2)
    galleries.update_gallery(second.id, {"editors_pick": True, "pick_position": "", "title": "Two!"},
                             editor)
    assert second.pick_position == 2


def test_cover_must_belong_to_the_gallery(editor, make_gallery, make_asset):
    gallery, other = make_gallery(title="A"), make_gallery(title="B")
    mine, theirs = make_asset(gallery), make_asset(other)
    galleries.set_cover(gallery.id, mine.id, editor)
    assert gallery.cover_asset_id == mine.id
    with pytest.raises(ValidationError) as exc:
        galleries.set_cover(gallery.id, theirs.id, editor)
    assert exc.value.field == "cover_asset_id"


def test_update_asset_fields_consent_sensitive_and_status(client, editor, make_gallery, make_asset,
                                                         search_ids):
    gallery = make_gallery()
    asset = make_asset(gallery, caption="Old caption")
    assert search_ids("women") == set()
    assets.update_asset(asset.id, {
        "title": "Borehole", "caption": "Women collect water.", "alt_text": "Two women at a pump",
        "credit": "IOM", "creator": "J. Doe", "copyright": "© IOM 2024",
        "keywords": "water, Borehole, water", "city": "Lodwar", "country": "Kenya",
        "date_taken": "2024-02-01", "consent": "obtained", "sensitive": True}, editor)
    assert asset.keywords == ["water", "Borehole"]
    assert (asset.country_code, asset.consent, asset.sensitive) == ("KEN", "obtained", True)
    assert asset.date_taken == dt.date(2024, 2, 1)
    assert search_ids("women") == {asset.id}  # the edited caption is searchable at once
    changes = log("asset.update", asset_id=asset.id)[0].details["changes"]
    assert changes["caption"] == ["Old caption", "Women collect water."]
    assert gallery.image_count == 1
    assets.update_asset(asset.id, {"status": "draft"}, editor)
    db.session.refresh(gallery)
    assert gallery.image_count == 0
    assert client.get(f"/assets/{asset.id}").status_code == 404
    assert search_ids("women") == set()


@pytest.mark.parametrize("values, field", [
    ({"consent": "maybe"}, "consent"), ({"sensitive": "perhaps"}, "sensitive"),
    ({"status": "archived"}, "status"), ({"date_taken": "yesterday"}, "date_taken"),
    ({"keywords": 5}, "keywords"), ({"caption": ["a"]}, "caption"), ({"gps": "1,2"}, "gps"),
])
def test_update_asset_validation(editor, make_gallery, make_asset, values, field):
    asset = make_asset(make_gallery())
    with pytest.raises(ValidationError) as exc:
        assets.update_asset(asset.id, values, editor)
    assert exc.value.field == field


def test_move_asset_updates_both_counts(editor, make_gallery, make_asset):
    source, target = make_gallery(title="Source"), make_gallery(title="Target")
    asset = make_asset(source)
    make_asset(target)
    galleries.set_cover(source.id, asset.id, editor)
    assets.move_asset(asset.id, target.id, editor)
    db.session.refresh(source)
    db.session.refresh(target)
    assert (source.image_count, target.image_count) == (0, 2)
    assert asset.gallery_id == target.id and asset.position == 2
    assert source.cover_asset_id is None
    assert log("asset.move_out", gallery_id=source.id) and log("asset.move_in", gallery_id=target.id)
    with pytest.raises(ValidationError) as exc:
        assets.move_asset(asset.id, 99999, editor)
    assert exc.value.field == "gallery_id"


def test_bulk_update_credit_keywords_country_status(editor, make_gallery, make_asset):
    gallery = make_gallery()
    a, b, c = (make_asset(gallery, keywords=["flood"]) for _ in range(3))
    changed = assets.bulk_update(gallery.id, [a.id, b.id], {
        "credit": "UN Photo", "keywords": "rescue, Flood", "keywords_mode": "add",
        "country": "PAK", "status": "draft"}, editor)
    assert changed == 2
    assert (a.credit, a.keywords, a.country_code, a.status) == ("UN Photo", ["flood", "rescue"], "PAK", "draft")
    assert c.credit == "" and c.status == "published"
    db.session.refresh(gallery)
    assert gallery.image_count == 1
    assets.bulk_update(gallery.id, [a.id], {"keywords": "boat", "keywords_mode": "replace"}, editor)
    assert a.keywords == ["boat"]
    assert len(log("asset.bulk_update", gallery_id=gallery.id)) == 3
    other = make_asset(make_gallery(title="Elsewhere"))
    with pytest.raises(ValidationError) as exc:
        assets.bulk_update(gallery.id, [a.id, other.id], {"credit": "X"}, editor)
    assert exc.value.field == "asset_ids"
    db.session.rollback()
    assert db.session.get(Asset, a.id).credit == "UN Photo"


def test_reorder_and_move_in_order(editor, make_gallery, make_asset):
    gallery = make_gallery()
    a, b, c = (make_asset(gallery) for _ in range(3))
    galleries.reorder(gallery.id, [c.id, a.id, b.id], editor)
    assert [x.id for x in galleries.gallery_assets(gallery.id)] == [c.id, a.id, b.id]
    assets.move_in_order(b.id, -1, editor)
    assert [x.id for x in galleries.gallery_assets(gallery.id)] == [c.id, b.id, a.id]
    assets.move_in_order(c.id, -1, editor)  # already first: stays
    assert [x.id for x in galleries.gallery_assets(gallery.id)][0] == c.id
    for bad in ([a.id, b.id], [a.id, b.id, c.id, c.id], "abc", [a.id, b.id, 99999]):
        with pytest.raises(ValidationError) as exc:
            galleries.reorder(gallery.id, bad, editor)
        assert exc.value.field == "order"
    assert log("gallery.reorder", gallery_id=gallery.id)


def test_trash_gallery_hides_it_everywhere_and_admin_restores(client, editor, admin, make_gallery, make_asset,
                                                             search_ids):
    gallery = make_gallery(title="To trash")
    asset = make_asset(gallery, caption="Tents after the cyclone")
    assert search_ids("cyclone") == {asset.id}
    trash.trash_gallery(gallery.id, editor)
    assert public_status(client, gallery) == 404
    assert client.get(f"/assets/{asset.id}").status_code == 404
    assert client.get(f"/media/{asset.id}/thumb.jpg").status_code == 404
    home = BeautifulSoup(client.get("/").data, "html.parser")
    assert "To trash" not in [a.get_text() for a in home.select("a")]
    assert search_ids("cyclone") == set()
    with pytest.raises(Forbidden):
        trash.restore_gallery(gallery.id, editor)
    trash.restore_gallery(gallery.id, admin)
    assert public_status(client, gallery) == 200
    assert search_ids("cyclone") == {asset.id}


def test_restore_only_within_retention(admin, editor, make_gallery):
    gallery = make_gallery()
    trash.trash_gallery(gallery.id, editor)
    gallery.deleted_at = gallery.deleted_at - dt.timedelta(days=31)
    db.session.commit()
    with pytest.raises(ValidationError):
        trash.restore_gallery(gallery.id, admin)


def files_of(asset):
    return [asset.storage_key] + [r.storage_key for r in asset.renditions]


def test_purge_gallery_removes_rows_then_files(admin, editor, make_gallery, make_asset, search_ids):
    gallery = make_gallery()
    assets = [make_asset(gallery), make_asset(gallery)]
    keys = [k for a in assets for k in files_of(a)]
    assert all(storage.exists(k) for k in keys)
    with pytest.raises(NotFound):  # only trashed galleries can be purged
        trash.purge_gallery(gallery.id, admin)
    trash.trash_gallery(gallery.id, editor)
    with pytest.raises(Forbidden):
        trash.purge_gallery(gallery.id, editor)
    trash.purge_gallery(gallery.id, admin)
    assert db.session.get(Gallery, gallery.id) is None
    assert db.session.scalar(select(func.count()).select_from(Asset)) == 0
    assert db.session.scalar(select(func.count()).select_from(Rendition)) == 0
    assert not any(storage.exists(k) for k in keys)
    assert search_ids(str(assets[0].id), field="id", visible_only=False) == set()
    assert log("gallery.purge", gallery_id=gallery.id)


def test_trash_restore_and_purge_asset(client, editor, admin, make_gallery, make_asset):
    gallery = make_gallery()
    keep, gone = make_asset(gallery), make_asset(gallery)
    galleries.set_cover(gallery.id, gone.id, editor)
    trash.trash_asset(gone.id, editor)
    db.session.refresh(gallery)
    assert gallery.image_count == 1 and gallery.cover_asset_id is None
    assert client.get(f"/assets/{gone.id}").status_code == 404
    trash.restore_asset(gone.id, admin)
    db.session.refresh(gallery)
    assert gallery.image_count == 2
    trash.trash_asset(gone.id, editor)
    keys = files_of(gone)
    trash.purge_asset(gone.id, admin)
    assert db.session.get(Asset, gone.id) is None
    assert not any(storage.exists(k) for k in keys)
    assert all(storage.exists(k) for k in files_of(keep))


def test_empty_trash_command(runner, editor, make_gallery, make_asset):
    old, recent = make_gallery(title="Old"), make_gallery(title="Recent")
    old_asset = make_asset(old)
    make_asset(recent)
    trash.trash_gallery(old.id, editor)
    trash.trash_gallery(recent.id, editor)
    old.deleted_at = old.deleted_at - dt.timedelta(days=40)
    db.session.commit()
    result = runner.invoke(args=["empty-trash"])
    assert result.exit_code == 0, result.output
    assert "Deleted 1 galleries and 0 assets" in result.output
    db.session.expire_all()
    assert db.session.get(Gallery, old.id) is None and db.session.get(Gallery, recent.id) is not None
    assert not storage.exists(old_asset.storage_key)
    result = runner.invoke(args=["empty-trash", "--all"])
    assert "Deleted 1 galleries" in result.output


def test_replace_file_keeps_metadata_and_remakes_renditions(editor, make_gallery, make_asset):
    asset = make_asset(make_gallery(), caption="Keep this caption", size=(640, 480))
    old_keys = files_of(asset)
    new = image_bytes(size=(800, 1000), color=(10, 120, 200))
    assets.replace_file(asset.id, io.BytesIO(new), "new.jpg", editor)
    db.session.expire_all()
    asset = db.session.get(Asset, asset.id)
    assert asset.caption == "Keep this caption"
    assert (asset.width, asset.height, asset.original_filename) == (800, 1000, "new.jpg")
    assert asset.rendition("thumb").height == 400
    assert not any(storage.exists(k) for k in old_keys)
    assert all(storage.exists(k) for k in files_of(asset))
    assert log("asset.replace_file", asset_id=asset.id)


def test_replace_file_with_bad_file_changes_nothing(editor, make_gallery, make_asset, app):
    asset = make_asset(make_gallery())
    before = (asset.sha256, files_of(asset))
    uploads = app.config["UPLOAD_DIR"]
    count = sum(len(f) for _, _, f in os.walk(uploads))
    with pytest.raises(GalleryError) as exc:
        assets.replace_file(asset.id, io.BytesIO(b"not an image at all"), "x.jpg", editor)
    assert exc.value.status == 415
    other = make_asset(make_gallery(title="Other"), color=(1, 2, 3))
    with pytest.raises(GalleryError) as exc:
        assets.replace_file(asset.id, io.BytesIO(image_bytes(color=(1, 2, 3))), "dup.jpg", editor)
    assert exc.value.status == 409
    db.session.expire_all()
    asset = db.session.get(Asset, asset.id)
    assert (asset.sha256, files_of(asset)) == before
    assert all(storage.exists(k) for k in before[1])
    # nothing left behind: only the other asset's files were added
    assert sum(len(f) for _, _, f in os.walk(uploads)) == count + len(files_of(other))


def test_a_use_case_that_raises_leaves_nothing_half_done(editor, make_gallery, make_asset):
    """The unit of work rolls back a failed use case: a view only has to show the message."""
    gallery = make_gallery()
    first = make_asset(gallery, caption="Before")
    with pytest.raises(NotFound):
        assets.update_captions(gallery, {first.id: {"caption": "After"}, 999_999: {"caption": "X"}},
                               editor)
    assert not db.session.dirty and not db.session.new
    assert first.caption == "Before"
    db.session.commit()  # a later commit in the same request writes nothing of the failed save
    db.session.expire_all()
    assert db.session.get(Asset, first.id).caption == "Before"

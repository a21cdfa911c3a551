"""The order of new files in a gallery follows the upload page's choice, not the order they arrived in."""
from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from gallery.extensions import db
from gallery.models import Asset
from gallery.text import natural_key
from tests.conftest import image_bytes


@pytest.fixture
def editor(make_user, login_as):
    return login_as(make_user("editor"))


def order_of(gallery) -> list[str]:
    db.session.expire_all()
    return list(db.session.scalars(select(Asset.original_filename).where(Asset.gallery_id == gallery.id)
                                   .order_by(Asset.position, Asset.id)))


def test_natural_order_of_file_names():
    names = ["IMG_10.jpg", "img_2.jpg", "IMG_1.jpg", "b.jpg", "A.jpg"]
    assert sorted(names, key=natural_key) == ["A.jpg", "b.jpg", "IMG_1.jpg", "img_2.jpg", "IMG_10.jpg"]


@pytest.mark.parametrize("order, expected", [
    ("selection", ["kept.jpg", "IMG_10.jpg", "IMG_2.jpg", "undated.jpg", "IMG_1.jpg"]),
    ("name", ["kept.jpg", "IMG_1.jpg", "IMG_2.jpg", "IMG_10.jpg", "undated.jpg"]),
    ("date", ["kept.jpg", "IMG_2.jpg", "IMG_1.jpg", "IMG_10.jpg", "undated.jpg"]),
])
def test_an_upload_batch_takes_the_chosen_order_and_other_items_stay(client, editor, make_gallery,
                                                                    make_asset, order, expected):
    gallery = make_gallery()
    make_asset(gallery, filename="kept.jpg")
    dates = {"IMG_10.jpg": "2023-03-03", "IMG_2.jpg": "2023-01-01", "undated.jpg": None,
             "IMG_1.jpg": "2023-02-02"}
    # They arrived in another order than the one selected (three at a time, big files last).
    arrived = {name: make_asset(gallery, filename=name, **({"date_taken": d} if d else {})).id
               for name, d in reversed(list(dates.items()))}
    selected = [arrived[name] for name in dates]
    response = client.post(f"/api/galleries/{gallery.id}/arrange", json={"ids": selected, "order": order})
    assert response.status_code == 200, response.json
    assert order_of(gallery) == expected
    assert response.json["ids"] == [arrived[n] for n in expected[1:]]


@pytest.mark.parametrize("body, message", [
    ({"ids": [999_999], "order": "name"}, "not in this gallery"),
    ({"ids": "1,2", "order": "name"}, "list of ids"),
    ({"ids": [], "order": "sideways"}, "must be one of"),
])
def test_bad_upload_order_requests_are_clear_and_change_nothing(client, editor, make_gallery, make_asset,
                                                               body, message):
    gallery = make_gallery()
    make_asset(gallery, filename="b.jpg")
    make_asset(gallery, filename="a.jpg")
    response = client.post(f"/api/galleries/{gallery.id}/arrange", json=body)
    assert response.status_code == 400 and message in response.json["error"]["message"]
    assert order_of(gallery) == ["b.jpg", "a.jpg"]


def test_members_cannot_order(client, make_user, login_as, make_gallery, make_asset):
    gallery = make_gallery()
    asset = make_asset(gallery)
    login_as(make_user("member"))
    response = client.post(f"/api/galleries/{gallery.id}/arrange", json={"ids": [asset.id]})
    assert response.status_code == 403


def test_plain_form_sorts_the_new_files_by_name(client, editor, make_gallery):
    gallery = make_gallery()
    files = [(io.BytesIO(image_bytes(color=(10 * n, 40, 90))), name)
             for n, name in enumerate(["c-3.jpg", "c-20.jpg", "c-1.jpg"], start=1)]
    response = client.post(f"/manage/galleries/{gallery.id}/upload", data={"files": files, "order": "name"})
    assert response.status_code == 200
    assert order_of(gallery) == ["c-1.jpg", "c-3.jpg", "c-20.jpg"]


def test_upload_page_offers_the_orders(client, editor, make_gallery):
    gallery = make_gallery()
    body = client.get(f"/manage/galleries/{gallery.id}/upload").get_data(as_text=True)
    assert 'name="order"' in body and "By date taken" in body
    assert f'data-order-url="/api/galleries/{gallery.id}/arrange"' in body


def test_files_that_arrived_together_with_one_position_still_take_the_order(client, editor, make_gallery,
                                                                           make_asset):
    gallery = make_gallery()
    first = make_asset(gallery, filename="first.jpg")
    batch = [make_asset(gallery, filename=name) for name in ("c.jpg", "a.jpg", "b.jpg")]
    last = make_asset(gallery, filename="last.jpg")
    for asset in batch:  # three uploads that computed the next position at the same moment
        asset.position = 2
    last.position = 3
    db.session.commit()
    response = client.post(f"/api/galleries/{gallery.id}/arrange",
                           json={"ids": [a.id for a in batch], "order": "name"})
    assert response.status_code == 200
    assert order_of(gallery) == ["first.jpg", "a.jpg", "b.jpg", "c.jpg", "last.jpg"]
    positions = list(db.session.scalars(select(Asset.position).where(Asset.gallery_id == gallery.id)
                                        .order_by(Asset.position)))
    assert positions == [1, 2, 3, 4, 5] and first.position == 1

"""IIIF Presentation API 3.0: gallery manifests and the collection, checked against the JSON schema."""
from __future__ import annotations

import datetime as dt
import io
import json
import os

import jsonschema
import pytest
from bs4 import BeautifulSoup

from gallery.extensions import db
from gallery.services import ingest, jobs
from tests.media_files import audio_bytes, video_bytes

SCHEMAS = os.path.join(os.path.dirname(__file__), "schemas")


def schema(name: str) -> jsonschema.protocols.Validator:
    with open(os.path.join(SCHEMAS, f"iiif_presentation_3_{name}.json"), encoding="utf-8") as fh:
        found = json.load(fh)
    return jsonschema.Draft202012Validator(found)


def ingested(gallery, data: bytes, name: str, **fields):
    result = ingest.ingest(gallery, io.BytesIO(data), name, fields, user=None)
    assert result.status == "accepted", result.reason
    return result.asset


def ids_of(gallery) -> list[int]:
    from sqlalchemy import select

    from gallery.models import Asset

    return list(db.session.scalars(select(Asset.id).where(Asset.gallery_id == gallery.id).order_by(Asset.id)))


@pytest.fixture
def gallery(app, make_gallery, make_asset):
    """A published gallery: two photos (one the cover), a video and an audio file, all public."""
    found = make_gallery(title="Clean water reaches Turkana", description="A borehole opens in Lodwar.",
                         credit="Example Relief Agency / Amina Odhiambo", licence="cc-by-4.0",
                         date=dt.date(2024, 3, 1))
    first = make_asset(found, size=(3000, 2000), caption="Women carry water from the new borehole.",
                       creator="Amina Odhiambo", city="Lodwar", keywords=["water", "borehole"],
                       date_taken=dt.date(2024, 2, 28))
    make_asset(found, size=(800, 1200), caption="A health worker tests the water.")
    ingested(found, video_bytes(seconds=1.0), "clip.mp4", caption="The pump starts.")
    ingested(found, audio_bytes(seconds=1.0), "voice.wav", caption="The committee speaks.")
    assert jobs.wait_idle()  # the web proxies: video and audio are public once they are made
    found.cover_asset_id = first.id
    db.session.commit()
    return found


def test_a_gallery_manifest_has_a_canvas_per_item_and_validates(client, gallery):
    response = client.get(f"/iiif/3/galleries/{gallery.id}/manifest.json")
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    manifest = response.get_json()
    errors = sorted(schema("manifest").iter_errors(manifest), key=str)
    assert not errors, "\n".join(str(e) for e in errors[:3])
    assert manifest["@context"] == "http://iiif.io/api/presentation/3/context.json"
    assert manifest["type"] == "Manifest"
    assert manifest["id"] == f"http://localhost/iiif/3/galleries/{gallery.id}/manifest.json"
    assert manifest["label"] == {"en": ["Clean water reaches Turkana"]}
    assert manifest["summary"] == {"en": ["A borehole opens in Lodwar."]}
    assert manifest["rights"] == "https://creativecommons.org/licenses/by/4.0/"
    assert "Example Relief Agency / Amina Odhiambo" in manifest["requiredStatement"]["value"]["en"][0]
    assert manifest["homepage"][0]["id"].startswith(f"http://localhost/galleries/{gallery.id}-")
    assert manifest["thumbnail"][0]["id"].startswith("http://localhost/media/")
    kinds = [c["items"][0]["items"][0]["body"]["type"] for c in manifest["items"]]
    assert kinds == ["Image", "Image", "Video", "Sound"]
    photo, _portrait, video, audio = manifest["items"]
    assert all(c["type"] == "Canvas" for c in manifest["items"])
    assert (photo["width"], photo["height"]) == (1280, 853)  # the public zooms to the preview size
    body = photo["items"][0]["items"][0]["body"]
    assert body["service"][0]["type"] == "ImageService3"
    facts = {m["label"]["en"][0]: m["value"]["en"][0] for m in photo["metadata"]}
    assert facts["Caption"] == "Women carry water from the new borehole."
    assert facts["Creator"] == "Amina Odhiambo"
    assert facts["Date"] == "2024-02-28"
    assert facts["Place"] == "Lodwar, Kenya"
    assert facts["Keywords"] == "water, borehole"
    assert "Amina Odhiambo" in facts["Credit"]
    # The image service the canvas names answers, at the canvas's size.
    info = client.get(body["service"][0]["id"].removeprefix("http://localhost") + "/info.json").get_json()
    assert (info["width"], info["height"]) == (photo["width"], photo["height"])
    # Time-based canvases play the web proxies and say how long they last.
    assert video["duration"] == pytest.approx(1.0, abs=0.1) and video["width"] > 0
    assert video["items"][0]["items"][0]["body"]["id"].endswith("/play/web")
    assert audio["duration"] == pytest.approx(1.0, abs=0.1) and "width" not in audio
    assert audio["items"][0]["items"][0]["body"]["format"] == "audio/mp4"
    played = client.get(audio["items"][0]["items"][0]["body"]["id"].removeprefix("http://localhost"))
    assert played.status_code == 200
    played.close()


def test_the_schema_check_can_fail(client, gallery):
    manifest = client.get(f"/iiif/3/galleries/{gallery.id}/manifest.json").get_json()
    del manifest["items"]
    assert list(schema("manifest").iter_errors(manifest))
    manifest = client.get(f"/iiif/3/galleries/{gallery.id}/manifest.json").get_json()
    manifest["label"] = "a plain string, not a language map"
    assert list(schema("manifest").iter_errors(manifest))


def test_hidden_items_and_galleries_stay_out(client, gallery, make_gallery, make_asset):
    from gallery.models import Asset

    ids = ids_of(gallery)
    hidden = ids[1]
    db.session.get(Asset, hidden).sensitive = True
    db.session.commit()
    manifest = client.get(f"/iiif/3/galleries/{gallery.id}/manifest.json").get_json()
    assert len(manifest["items"]) == 3
    assert all(f"/canvas/{hidden}" not in c["id"] for c in manifest["items"])
    draft = make_gallery(title="Not yet", status="draft")
    make_asset(draft)
    assert client.get(f"/iiif/3/galleries/{draft.id}/manifest.json").status_code == 404
    assert client.get("/iiif/3/galleries/99999/manifest.json").status_code == 404
    assert client.get("/iiif/3/galleries/99999999999999/manifest.json").status_code == 404
    collection = client.get("/iiif/3/collection.json").get_json()
    assert [m["id"].rsplit("/", 2)[-2] for m in collection["items"]] == [str(gallery.id)]


def test_the_collection_lists_public_galleries_and_validates(client, gallery, make_gallery, make_asset):
    other = make_gallery(title="Returnees rebuild in Danlí", country="HND", date=dt.date(2024, 5, 1))
    make_asset(other)
    response = client.get("/iiif/3/collection.json")
    assert response.status_code == 200 and response.headers["Access-Control-Allow-Origin"] == "*"
    collection = response.get_json()
    errors = list(schema("collection").iter_errors(collection))
    assert not errors, errors[:3]
    assert collection["type"] == "Collection"
    assert [m["label"]["en"][0] for m in collection["items"]] == ["Returnees rebuild in Danlí",
                                                                   "Clean water reaches Turkana"]
    assert all(m["type"] == "Manifest" for m in collection["items"])


def test_gallery_and_asset_pages_link_their_manifest(client, gallery):
    from gallery.templating import gallery_url

    with client.application.test_request_context():
        path = gallery_url(gallery)
    page = BeautifulSoup(client.get(path).data, "html.parser")
    link = page.select_one("a.iiif-link")
    assert link is not None and link["href"] == f"http://localhost/iiif/3/galleries/{gallery.id}/manifest.json"
    assert link.select_one("img")["alt"] == "IIIF manifest"
    assert page.select_one('link[rel="alternate"][type="application/ld+json"]')["href"] == link["href"]
    first = ids_of(gallery)[0]
    page = BeautifulSoup(client.get(f"/assets/{first}").data, "html.parser")
    link = page.select_one("a.iiif-link")
    assert link is not None and link["href"].endswith(f"/iiif/3/galleries/{gallery.id}/manifest.json")
    logo = client.get(link.select_one("img")["src"])
    assert logo.status_code == 200 and logo.mimetype == "image/svg+xml"
    logo.close()


def test_a_gallery_whose_items_are_all_hidden_has_no_manifest(client, make_gallery, make_asset):
    from gallery.models import Asset

    only = make_gallery(title="All withheld", status="published")
    asset = make_asset(only)
    db.session.get(Asset, asset.id).consent = "withheld"
    db.session.commit()
    response = client.get(f"/iiif/3/galleries/{only.id}/manifest.json")
    assert response.status_code == 404  # Presentation 3 allows no manifest without a canvas
    assert "nothing you may see" in response.get_json()["error"]["message"]

"""`gallery demo`: real content through ingest, printed accounts, safe to run twice."""
from __future__ import annotations

import re

from bs4 import BeautifulSoup
from PIL import Image
from sqlalchemy import func, select

from gallery import demo
from gallery.extensions import db
from gallery.models import Asset, Gallery, SiteText, User
from gallery.services import accounts, jobs, storage


def test_picture_is_deterministic_and_photo_sized():
    import io

    first = demo.picture(7, (1000, 1500))
    assert first == demo.picture(7, (1000, 1500))
    assert first != demo.picture(8, (1000, 1500))
    with Image.open(io.BytesIO(first)) as im:
        assert im.format == "JPEG" and im.size == (1000, 1500)
        assert len(im.convert("RGB").resize((40, 60)).getcolors(2400)) > 50  # not a flat colour


def test_demo_builds_a_browsable_library_once(runner, client):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    assert jobs.wait_idle()  # the video and audio are public once their web proxies are made
    galleries = db.session.scalars(select(Gallery)).all()
    published = [g for g in galleries if g.status == "published"]
    assert len({g.category_id for g in published}) >= 6
    assert len({g.country_code for g in published}) >= 6
    assert [g.title for g in galleries if g.status == "draft"] == ["Water committees in Turkana"]
    picks = sorted((g.pick_position, g.title) for g in galleries if g.editors_pick)
    assert len(picks) == 3
    assets = db.session.scalars(select(Asset)).all()
    assert len(assets) == sum(len(spec.items) for spec in demo.GALLERIES)
    assert all(a.renditions and storage.exists(a.storage_key) for a in assets)
    photos = [a for a in assets if a.media_type == "image"]
    assert any(a.height > a.width for a in photos) and any(a.width > a.height for a in photos)
    assert any("Danlí" in a.caption for a in assets) and any("Türkiye" in a.caption for a in assets)
    assert db.session.get(SiteText, "terms") is not None
    # One video and one audio file, so the Videos and Audio tabs have something to show.
    media = {a.media_type: a for a in assets if a.media_type != "image"}
    assert set(media) == {"video", "audio"}
    assert all(a.caption and a.duration and a.duration >= 2 for a in media.values())
    for kind, asset in media.items():
        with client.get(f"/galleries?type={kind}") as response:
            listed = BeautifulSoup(response.data, "html.parser")
        assert [t.get_text() for t in listed.select(".gallery-cards .card-title")] == [asset.gallery.title]

    # The printed passwords log in.
    for role in ("admin", "editor"):
        match = re.search(rf"Demo {role}: (\S+)\s+password: (\S+)", result.output)
        assert match, result.output
        user = db.session.scalar(select(User).where(User.email == match.group(1)))
        assert user.role == role and accounts.check_password(user, match.group(2))

    # The public sees the demo: picks on the home page, the draft nowhere.
    with client.get("/") as response:
        home = BeautifulSoup(response.data, "html.parser")
    assert [t.get_text() for t in home.select(".home-picks .card-title")] == [t for _, t in picks]
    assert "Water committees in Turkana" not in home.get_text()

    # Content written in French and in Spanish, translated: each language's pages and search show it.
    french = db.session.scalar(select(Gallery).where(Gallery.language == "fr"))
    spanish = db.session.scalar(select(Gallery).where(Gallery.language == "es"))
    with client.get("/fr/search?q=eau&view=list") as response:
        found = BeautifulSoup(response.data, "html.parser")
    titles = {h.get_text(strip=True): h.a.get("lang") for h in found.select(".search-results li h3")}
    assert {"Borne-fontaine réparée": None, "Contrôle du chlore": None}.items() <= titles.items()

    def heading(url: str) -> tuple[str, str | None]:
        with client.get(url) as response:
            span = BeautifulSoup(response.data, "html.parser").select_one("h1 span")
        return span.get_text(), span.get("lang")

    assert heading(f"/es/galleries/{french.id}-{french.slug}") == ("El agua potable vuelve a Gonaïves", None)
    assert heading(f"/galleries/{french.id}-{french.slug}") == ("Drinking water returns to Gonaïves", None)
    assert heading(f"/fr/galleries/{spanish.id}-{spanish.slug}") == ("Récoltes de café à Huehuetenango", None)
    assert heading(f"/es/galleries/{spanish.id}-{spanish.slug}") == ("Cosechas de café en Huehuetenango", None)

    again = runner.invoke(args=["demo"])
    assert again.exit_code == 0, again.output
    assert "0 demo files added." in again.output and "already exists (password unchanged)" in again.output
    assert db.session.scalar(select(func.count()).select_from(Gallery)) == len(galleries)
    assert db.session.scalar(select(func.count()).select_from(Asset)) == len(assets)
    assert db.session.scalar(select(func.count()).select_from(User)) == 2

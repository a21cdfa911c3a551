"""Each user's language (issue 17): chosen with the switcher, a /fr/ URL or the account page, and
spoken by the mail sent to them (digests, password resets, activation), through a real SMTP server."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import select

from gallery.extensions import db
from gallery.models import User
from gallery.services import saved_searches
from tests.smtp_sink import Sink

START = dt.datetime(2030, 3, 1, 9, 0)


@pytest.fixture
def sink(app):
    server = Sink()
    server.controller.start()
    app.config.update(server.settings(), PUBLIC_URL="https://media.example.org")
    try:
        yield server
    finally:
        server.controller.stop()


def reload(user: User) -> User:
    db.session.expire_all()
    return db.session.get(User, user.id)


def mails_to(sink, address: str) -> list:
    return [m for m in sink.messages if m["To"] == address]


@pytest.fixture
def borehole(make_gallery, make_asset):
    """An English gallery whose new item has a French caption and title; none in Spanish."""
    gallery = make_gallery(title="Water in Turkana", country="KEN")
    return gallery, make_asset


def digest_for(runner, set_clock, make_asset, gallery, user, count: int = 1):
    """Save a search with the daily e-mail for user, add an item, let a day pass, send the digests."""
    set_clock(START)
    saved_searches.save(user, "Boreholes", {"q": "borehole"}, email_daily=True)
    db.session.commit()
    asset = make_asset(gallery, title={"en": "New borehole", "fr": "Nouveau forage"},
                       caption={"en": "A new borehole in Kakuma.", "fr": "Un nouveau forage à Kakuma."},
                       date_taken="2030-02-27")
    set_clock(START + dt.timedelta(days=1))
    assert "Sent 1 " in runner.invoke(args=["send-digests"]).output
    return asset


def test_a_french_users_digest_is_french_with_the_caption_translation(runner, sink, borehole, make_user,
                                                                     set_clock):
    gallery, make_asset = borehole
    user = make_user(email="fr@example.org", language="fr")
    asset = digest_for(runner, set_clock, make_asset, gallery, user)
    assert sink.arrived(1)
    message = mails_to(sink, "fr@example.org")[0]
    assert message["Subject"] == "1 nouveau résultat pour « Boreholes » · Media Gallery"
    body = message.get_content()
    assert "Nouveau forage" in body and "Un nouveau forage à Kakuma." in body
    assert "A new borehole" not in body and "New borehole" not in body
    assert "27 février 2030" in body and "Kenya" in body
    assert "Nouveau dans votre recherche enregistrée" in body and "See every result" not in body
    # Links open the site in French; the one-click header stays a plain link too.
    assert f"https://media.example.org/fr/assets/{asset.id}" in body
    assert re.search(r"https://media\.example\.org/fr/searches/unsubscribe/\S+", body)
    assert message["List-Unsubscribe"].startswith("<https://media.example.org/fr/searches/unsubscribe/")


def test_a_user_without_a_language_gets_english(runner, sink, borehole, make_user, set_clock):
    gallery, make_asset = borehole
    user = make_user(email="plain@example.org")
    assert user.language is None
    asset = digest_for(runner, set_clock, make_asset, gallery, user)
    assert sink.arrived(1)
    message = mails_to(sink, "plain@example.org")[0]
    assert message["Subject"] == "1 new for “Boreholes” · Media Gallery"
    body = message.get_content()
    assert "New borehole" in body and "A new borehole in Kakuma." in body and "27 February 2030" in body
    assert "Nouveau" not in body and f"https://media.example.org/assets/{asset.id}" in body


def test_a_spanish_users_password_reset_is_spanish_whatever_the_page(app, client, sink, make_user):
    make_user(email="es@example.org", language="es")
    make_user(email="none@example.org")
    # Asked for from an English page, and from a French one: the account's language decides.
    assert client.post("/password/forgot", data={"email": "es@example.org"}).status_code == 200
    assert client.post("/fr/password/forgot", data={"email": "none@example.org"}).status_code == 200
    assert sink.arrived(2)
    spanish = mails_to(sink, "es@example.org")[0]
    assert spanish["Subject"] == "Restablezca su contraseña"
    assert "Elija una contraseña nueva aquí" in spanish.get_content()
    link = re.search(r"http://localhost(/es/password/reset/\S+)", spanish.get_content())
    assert link, spanish.get_content()
    page = BeautifulSoup(client.get(link.group(1)).data, "html.parser")
    assert page.html["lang"] == "es"
    english = mails_to(sink, "none@example.org")[0]
    assert english["Subject"] == "Reset your password"
    assert re.search(r"http://localhost/password/reset/\S+", english.get_content())


def test_activation_mail_speaks_the_page_the_account_registered_on(app, client, sink):
    data = {"name": "Ana Lima", "email": "ana@example.org", "password": "a good long password",
            "confirm": "a good long password", "accept_terms": "y"}
    assert client.post("/fr/register", data=data).status_code == 200
    assert sink.arrived(1)
    message = mails_to(sink, "ana@example.org")[0]
    assert message["Subject"] == "Confirmez votre compte"
    assert re.search(r"http://localhost/fr/register/confirm/\S+", message.get_content())
    assert db.session.scalar(select(User).where(User.email == "ana@example.org")).language == "fr"


def test_an_approved_account_is_told_in_its_language_not_the_admins_page(app, client, sink, make_user,
                                                                        login_as):
    app.config["REGISTRATION_MODE"] = "approval"
    newcomer = app.test_client()
    password = "a good long password"
    newcomer.post("/es/register", data={"name": "Nuevo", "email": "nuevo@example.org", "password": password,
                                        "confirm": password, "accept_terms": "y"})
    user = db.session.scalar(select(User).where(User.email == "nuevo@example.org"))
    assert user.language == "es" and not user.active
    login_as(make_user("admin", email="boss@example.org"))
    assert client.post(f"/fr/admin/users/{user.id}/active", data={"active": "1"}).status_code == 303
    assert sink.arrived(1)
    [approved] = mails_to(sink, "nuevo@example.org")
    assert approved["Subject"] == "Su cuenta ha sido aprobada"
    assert "http://localhost/es/login" in approved.get_content()


def test_the_switcher_and_prefixed_urls_set_the_language_only_when_it_changes(
        client, make_user, login_as, count_queries):
    user = login_as(make_user())
    assert client.get("/").status_code == 200 and reload(user).language is None  # unprefixed: no choice
    assert client.get("/language/fr?next=/galleries").status_code == 302
    assert reload(user).language == "fr"
    assert client.get("/es/galleries").status_code == 200
    assert reload(user).language == "es"
    with count_queries() as counter:
        assert client.get("/es/galleries").status_code == 200
    assert not [s for s in counter.statements if s.lstrip().upper().startswith("UPDATE USERS")]
    assert client.get("/language/en?next=/").status_code == 302
    assert reload(user).language == "en"
    # Anonymous visitors have nothing to remember.
    with client.application.test_client() as anonymous:
        assert anonymous.get("/fr/").status_code == 200


def test_the_account_page_chooses_the_language(client, make_user, login_as):
    user = login_as(make_user(name="Jo"))
    page = BeautifulSoup(client.get("/fr/account").data, "html.parser")
    assert reload(user).language == "fr"  # the /fr/ page itself
    form = page.select_one("#profile-form")
    select_ = form.select_one("select[name='profile-language']")
    assert select_.select_one("option[selected]")["value"] == "fr"
    assert page.select_one(f"label[for='{select_['id']}']").get_text() == "Langue"
    data = {field["name"]: field.get("value", "") for field in form.select("input") if field.get("name")}
    data["profile-language"] = "es"
    response = client.post(form["action"], data=data)
    assert response.status_code == 302 and response.headers["Location"] == "/es/account"
    assert "lang=es" in response.headers["Set-Cookie"]
    assert reload(user).language == "es"
    shown = BeautifulSoup(client.get("/es/account").data, "html.parser")
    assert shown.select_one(".flash-info").get_text(strip=True) == "Su perfil se ha guardado."
    assert reload(user).name == "Jo"
    data["profile-language"] = "de"
    refused = client.post("/es/account", data=data)
    assert refused.status_code == 400 and reload(user).language == "es"

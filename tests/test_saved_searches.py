"""Saved searches: saved from the search page, listed, run, deleted; the daily e-mail of new results."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import select

from gallery import clock
from gallery.extensions import db
from gallery.models import Asset, SavedSearch
from tests.smtp_sink import Sink


def page(client, url: str) -> BeautifulSoup:
    r = client.get(url)
    assert r.status_code == 200, r.data[:300]
    return BeautifulSoup(r.data, "html.parser")


def submit(client, form, **changes):
    """Post a form as a browser would: every rendered input (hidden ones too), ticked boxes only."""
    data = {}
    for field in form.select("input"):
        if field.get("type") == "checkbox" and not field.has_attr("checked"):
            continue
        if field.get("name"):
            data[field["name"]] = field.get("value", "")
    data.update({k: v for k, v in changes.items() if v is not None})
    for k in [k for k, v in changes.items() if v is None]:
        data.pop(k, None)
    return client.post(form["action"], data=data)


@pytest.fixture
def sink():
    server = Sink()
    server.controller.start()
    try:
        yield server
    finally:
        server.controller.stop()


@pytest.fixture
def water(make_gallery, make_asset):
    gallery = make_gallery(title="Water in Turkana", country="KEN")
    old = make_asset(gallery, caption="A borehole pump in Lodwar.", title="Old pump")
    return gallery, old


def save_from_search(client, url: str, name: str, email: bool):
    form = page(client, url).select_one("details.save-search form")
    assert form is not None
    if email:
        form.select_one("input[name=email]")["checked"] = ""
    return submit(client, form, name=name)


def test_save_list_run_and_delete_a_search(client, water, member, make_user, login_as):
    login_as(member)
    r = save_from_search(client, "/search?q=borehole&country=KEN&page=1&view=list", "Kenya boreholes", False)
    assert r.status_code == 302 and r.headers["Location"] == "/account/searches"
    listing = page(client, "/account/searches")
    row = listing.select_one("tr.saved-search")
    assert row.select_one("a").text == "Kenya boreholes"
    assert "Words: borehole" in row.text and "Country: KEN" in row.text and "Off" in row.text
    run = client.get(row.select_one("a")["href"])
    assert run.status_code == 302 and run.headers["Location"] == "/search?q=borehole&country=KEN"
    assert page(client, "/account").select_one("a[href='/account/searches']")

    other = make_user(email="other@example.org")
    saved_id = row["data-saved-id"]
    login_as(other)
    assert client.get(f"/account/searches/{saved_id}").status_code == 404
    assert client.post(f"/account/searches/{saved_id}/delete").status_code == 404
    assert page(client, "/account/searches").select("tr.saved-search") == []

    login_as(member)
    delete = page(client, "/account/searches").select_one(f"form[action='/account/searches/{saved_id}/delete']")
    assert submit(client, delete).status_code == 302
    assert page(client, "/account/searches").select("tr.saved-search") == []


def test_anonymous_visitors_cannot_save(client, water):
    assert page(client, "/search?q=borehole").select_one("details.save-search") is None
    r = client.post("/account/searches", data={"name": "x", "q": "borehole"})
    assert r.status_code == 302 and "/login" in r.headers["Location"]
    assert client.get("/account/searches").status_code == 302


@pytest.mark.parametrize("changes, message", [
    ({"name": "   "}, "The name cannot be empty"),
    ({"name": "n" * 121}, "longer than 120"),
    ({"q": None, "country": None}, "Search for something"),
])
def test_bad_saves_are_refused_with_a_message(client, water, member, login_as, changes, message):
    login_as(member)
    form = page(client, "/search?q=borehole&country=KEN").select_one("details.save-search form")
    r = submit(client, form, **changes)
    assert r.status_code == 302 and r.headers["Location"].startswith("/search")
    assert message in page(client, r.headers["Location"]).select_one(".flash-error").text
    assert db.session.scalars(select(SavedSearch)).all() == []
    assert client.post("/account/searches/99999999999/email", data={"email": "1"}).status_code == 404


def digest_mails(sink, to: str) -> list[str]:
    return [m.get_content() for m in sink.messages if m["To"] == to]


def test_daily_email_lists_new_results_only_and_the_clock_decides_daily(
        app, client, runner, sink, water, make_asset, member, login_as, monkeypatch):
    gallery, old = water
    app.config.update(sink.settings(), PUBLIC_URL="https://media.example.org")
    start = dt.datetime(2030, 3, 1, 9, 0)
    monkeypatch.setattr(clock, "now", lambda: start)
    login_as(member)
    save_from_search(client, "/search?q=borehole", "Boreholes", True)
    assert "On" in page(client, "/account/searches").select_one("tr.saved-search").text

    new = make_asset(gallery, caption="A new borehole in Kakuma.", title="New borehole", city="Kakuma")
    make_asset(gallery, caption="A water tank, not what was searched.")
    assert "Sent 0" in runner.invoke(args=["send-digests"]).output  # not a day yet
    monkeypatch.setattr(clock, "now", lambda: start + dt.timedelta(hours=23, minutes=59))
    assert "Sent 0" in runner.invoke(args=["send-digests"]).output
    monkeypatch.setattr(clock, "now", lambda: start + dt.timedelta(days=1))
    assert "Sent 1 " in runner.invoke(args=["send-digests"]).output
    assert sink.arrived(1)
    message = sink.messages[0]
    assert message["To"] == member.email and "Boreholes" in message["Subject"]
    body = message.get_content()
    assert "New borehole" in body and f"https://media.example.org/assets/{new.id}" in body
    assert "Kakuma, Kenya" in body
    assert "Old pump" not in body and f"/assets/{old.id}\n" not in body
    assert "water tank" not in body

    # The same day again: nothing; the next day with nothing new: no mail either.
    assert "Sent 0" in runner.invoke(args=["send-digests"]).output
    monkeypatch.setattr(clock, "now", lambda: start + dt.timedelta(days=2))
    assert "Sent 0" in runner.invoke(args=["send-digests"]).output
    newer = make_asset(gallery, caption="Another borehole, in Kalobeyei.", title="Newest borehole")
    monkeypatch.setattr(clock, "now", lambda: start + dt.timedelta(days=3))
    assert "Sent 1 " in runner.invoke(args=["send-digests"]).output
    second = sink.messages[1].get_content()
    assert "Newest borehole" in second and f"/assets/{newer.id}" in second and "New borehole\n" not in second

    # The unsubscribe link works without logging in, and only after its button (mail scanners GET links).
    link = re.search(r"https://media\.example\.org(/searches/unsubscribe/\S+)", second).group(1)
    client.post("/logout")
    with app.test_client() as stranger:
        confirm = BeautifulSoup(stranger.get(link).data, "html.parser")
        assert db.session.scalars(select(SavedSearch)).one().email_daily is True
        r = submit(stranger, confirm.select_one("main form"))
        assert r.status_code == 200 and "no more daily e-mails" in r.get_data(as_text=True)
        assert stranger.get(_mangled(link)).status_code == 404
    db.session.expire_all()
    assert db.session.scalars(select(SavedSearch)).one().email_daily is False
    make_asset(gallery, caption="A borehole after unsubscribing.")
    monkeypatch.setattr(clock, "now", lambda: start + dt.timedelta(days=5))
    assert "Sent 0" in runner.invoke(args=["send-digests"]).output


def test_the_workers_sweep_sends_due_digests(app, client, sink, water, make_asset, member, login_as, monkeypatch):
    from gallery.services import jobs

    gallery, _old = water
    app.config.update(sink.settings())
    login_as(member)
    save_from_search(client, "/search?q=borehole", "Boreholes", True)
    make_asset(gallery, caption="A new borehole in Kakuma.", title="New borehole")
    later = clock.now() + dt.timedelta(days=1, minutes=1)
    monkeypatch.setattr(clock, "now", lambda: later)
    jobs.sweep()  # what `gallery worker` runs every JOB_SWEEP_SECONDS
    assert sink.arrived(1) and "New borehole" in sink.messages[0].get_content()


def test_without_a_worker_a_request_sends_due_digests_in_a_thread(
        app, client, sink, water, make_asset, member, login_as, monkeypatch):
    gallery, _old = water
    login_as(member)
    save_from_search(client, "/search?q=borehole", "Boreholes", True)
    make_asset(gallery, caption="A new borehole in Kakuma.", title="New borehole")
    app.config.update(sink.settings(), JOB_THREAD=True)
    app.extensions["gallery.digests"]["checked"] = 0.0  # as in a process that has not looked yet
    later = clock.now() + dt.timedelta(days=1, minutes=1)
    monkeypatch.setattr(clock, "now", lambda: later)
    db.session.commit()
    client.get("/")
    assert sink.arrived(1) and "New borehole" in sink.messages[0].get_content()
    app.extensions["gallery.digests"]["thread"].join(60)


def test_digest_mail_offers_one_click_unsubscribe(app, runner, sink, water, make_asset, member, monkeypatch):
    """RFC 8058: List-Unsubscribe (the signed https link) and List-Unsubscribe-Post; a bare POST stops it."""
    from gallery.services import saved_searches

    gallery, _old = water
    app.config.update(sink.settings(), PUBLIC_URL="http://media.example.org", WTF_CSRF_ENABLED=True)
    start = dt.datetime(2030, 3, 1, 9, 0)
    monkeypatch.setattr(clock, "now", lambda: start)
    saved_searches.save(member, "Boreholes", {"q": "borehole"}, email_daily=True)
    db.session.commit()
    make_asset(gallery, caption="A new borehole in Kakuma.", title="New borehole")
    monkeypatch.setattr(clock, "now", lambda: start + dt.timedelta(days=1))
    assert "Sent 1 " in runner.invoke(args=["send-digests"]).output
    assert sink.arrived(1)
    message = sink.messages[0]
    header = message["List-Unsubscribe"]
    link = re.fullmatch(r"<https://media\.example\.org(/searches/unsubscribe/[\w.-]+)>", header)
    assert link, header  # https even when the site's address is http: RFC 8058 asks for it
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert link.group(1) in message.get_content()  # the same link as the body's
    # What a mail client sends: no session, no CSRF token, just the one field. Twice is fine.
    with app.test_client() as mail_client:
        for _ in range(2):
            r = mail_client.post(link.group(1), data={"List-Unsubscribe": "One-Click"})
            assert r.status_code == 200 and "no more daily e-mails" in r.get_data(as_text=True)
        assert mail_client.post(_mangled(link.group(1)),
                                data={"List-Unsubscribe": "One-Click"}).status_code == 404
    db.session.expire_all()
    assert db.session.scalars(select(SavedSearch)).one().email_daily is False
    # Other forms still need their CSRF token: the exemption is this link's alone.
    with app.test_client() as stranger:
        assert stranger.post("/account/searches", data={"name": "x", "q": "y"}).status_code == 400


def test_a_staff_users_digest_lists_only_what_the_public_may_see(app, runner, sink, make_gallery, make_asset,
                                                               make_user, monkeypatch):
    """A digest leaves the server: no drafts, withheld, sensitive or embargoed items, even for an editor."""
    from gallery.services import assets, saved_searches
    from gallery.services.search import engine

    editor = make_user("editor")
    app.config.update(sink.settings(), PUBLIC_URL="https://media.example.org")
    gallery = make_gallery(title="Water in Turkana", country="KEN")
    draft_gallery = make_gallery(title="Field notes", status="draft")
    start = dt.datetime(2030, 3, 1, 9, 0)
    monkeypatch.setattr(clock, "now", lambda: start)
    saved_searches.save(editor, "Boreholes", {"q": "borehole"}, email_daily=True)
    db.session.commit()
    public = make_asset(gallery, caption="A borehole in Kakuma.", title="Public borehole")
    hidden = {
        "Draft borehole": {"status": "draft"},
        "Withheld borehole": {"consent": "withheld"},
        "Sensitive borehole": {"sensitive": True},
        "Embargoed borehole": {"embargo_until": "2031-01-01T00:00:00Z"},
    }
    for title, change in hidden.items():
        asset = make_asset(gallery, caption=f"{title} in Lodwar.", title=title)
        assets.update_asset(asset.id, change, editor)
    make_asset(draft_gallery, caption="A borehole in a draft gallery.", title="Unpublished gallery borehole")
    # The editor's own search finds them all: the mail must not.
    assert len(engine.matching_ids("borehole", editor)[1]) == 6
    monkeypatch.setattr(clock, "now", lambda: start + dt.timedelta(days=1))
    assert "Sent 1 " in runner.invoke(args=["send-digests"]).output
    assert sink.arrived(1)
    message = sink.messages[0]
    body = message.get_content()
    assert "Public borehole" in body and f"/assets/{public.id}" in body
    for title in [*hidden, "Unpublished gallery borehole"]:
        assert title not in body, title
    assert message["Subject"].startswith("1 new for")
    # Published later, the draft is news then.
    draft = db.session.scalar(select(Asset).where(Asset.title == "Draft borehole"))
    assets.update_asset(draft.id, {"status": "published"}, editor)
    monkeypatch.setattr(clock, "now", lambda: start + dt.timedelta(days=2))
    assert "Sent 1 " in runner.invoke(args=["send-digests"]).output
    assert sink.arrived(2)
    second = sink.messages[1].get_content()
    assert "Draft borehole" in second and "Public borehole" not in second and "Sensitive" not in second


def _mangled(text: str) -> str:
    """text with its third character from the end changed, always to another one.

    Not the last: a base64 signature's last character holds padding bits a decoder ignores.
    """
    return text[:-3] + ("A" if text[-3] != "A" else "B") + text[-2:]

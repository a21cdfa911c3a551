"""Browser test harness: a live gallery on 127.0.0.1 and Debian's Chromium driven by Playwright.

The server runs the real app (CSRF on, real ingest) with werkzeug in a thread, on its own database
(SQLite file, or a private PostgreSQL database when GALLERY_TEST_DATABASE_URL is set) and demo-like
content made here. Nothing downloads a browser: without /usr/bin/chromium the tests are skipped.
"""
from __future__ import annotations

import datetime as dt
import io
import os
import threading
import uuid
from dataclasses import dataclass, field
from typing import Callable

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from werkzeug.serving import WSGIRequestHandler, make_server

from tests.browser.pictures import picture

PASSWORD = "correct horse battery staple"  # the same as tests/conftest.py

CHROMIUM = os.environ.get("GALLERY_CHROMIUM", "/usr/bin/chromium")
# Without the background-networking flags Chromium keeps calling home on a closed network.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SHOTS_DIR = os.path.join(ROOT, "tests", "screenshots")
README_SHOTS_DIR = os.path.join(ROOT, "docs", "screenshots")
AXE_JS = os.path.join(os.path.dirname(__file__), "vendor", "axe-core", "axe.min.js")
TIMEOUT_MS = 15_000

# Demo-like content: (title, category, country, credit, editors' pick, [(caption, size)]).
GALLERIES = [
    ("Clean water reaches Turkana", "Health", "KEN", "Example Relief Agency / Amina Odhiambo", True, [
        ("Women carry water from the new borehole in Lodwar, Turkana County, where the nearest "
         "source used to be a four-hour walk away.", (1600, 1067)),
        ("A health worker tests water quality at the borehole before it opens to the community.", (1067, 1600)),
        ("Children drink from the tap stand installed at the Kakuma primary school.", (1600, 900)),
        ("Members of the water committee learn to maintain the hand pump.", (1600, 1067)),
        ("Goats gather at the trough fed by the borehole's overflow at dusk.", (1200, 1200)),
    ]),
    ("Returnees rebuild in Danlí", "Return and Reintegration", "HND", "Example Relief Agency / José Peña", True, [
        ("A family that returned to Danlí, El Paraíso, in March rebuilds the walls of their house.", (1600, 1067)),
        ("Returnees learn carpentry at a workshop in Danlí run with the municipality.", (1600, 1067)),
        ("María Hernández opens the small shop she started with a reintegration grant.", (1067, 1600)),
        ("Coffee pickers return to the hillsides outside Danlí at the start of the harvest.", (1600, 900)),
    ]),
    ("Mobile clinics in El Paraíso", "Health", "HND", "Example Relief Agency / José Peña", False, [
        ("A nurse vaccinates a child at a mobile clinic on the road between Danlí and El Paraíso.", (1600, 1067)),
        ("Vaccination cards are checked before the clinic opens.", (1200, 1200)),
        ("The clinic's team unloads supplies in the village square.", (1600, 1067)),
    ]),
    ("Shelter after the floods in Sylhet", "Shelter", "BGD", "Example Relief Agency / Rahim Uddin", False, [
        ("Families rebuild a raised plinth so that their shelter stays dry in the next monsoon.", (1600, 1067)),
        ("Shelter kits are handed out at the distribution point in Sylhet.", (1600, 900)),
        ("A volunteer checks the list of households waiting for tarpaulins.", (1067, 1600)),
        ("Floodwater still covers the rice fields a week after the rains.", (1600, 1067)),
    ]),
    ("Training young mechanics in Gaziantep", "Training and Education", "TUR", "Example Relief Agency", False, [
        ("Apprentices from Türkiye and Syria repair an engine at the vocational centre in Gaziantep.", (1600, 1067)),
        ("The instructor explains the gearbox to a new group of trainees.", (1600, 1067)),
        ("A graduate receives her certificate at the end of the six-month course.", (1067, 1600)),
    ]),
]
DRAFT_GALLERY = ("Draft: field notes not yet published", "Events", "KEN")


@dataclass
class LiveServer:
    """The running app: its base URL, the app object and names of the content made for it."""

    url: str
    app: object
    galleries: dict[str, dict] = field(default_factory=dict)
    users: dict[str, str] = field(default_factory=dict)

    def gallery_path(self, title: str) -> str:
        """Path of a demo gallery by title."""
        return self.galleries[title]["path"]


def _database_url(tmp_path_factory) -> tuple[str, Callable[[], None]]:
    """A private database for the live server and a function that drops it."""
    pg = os.environ.get("GALLERY_TEST_DATABASE_URL")
    if not pg:
        path = tmp_path_factory.mktemp("browser-db") / "gallery.sqlite"
        return f"sqlite:///{path}", lambda: None
    server = make_url(pg)
    name = f"gallery_browser_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return server.set(database=name).render_as_string(hide_password=False), drop


def _make_content(live: LiveServer) -> None:
    """Galleries, photos and accounts like the demo's, ingested for real."""
    from gallery.extensions import db
    from gallery.services import accounts, galleries, ingest
    from gallery.templating import gallery_url

    editor = accounts.create_user(email="editor@example.org", password=PASSWORD, role="editor",
                                  name="Eda Editor")
    accounts.create_user(email="admin@example.org", password=PASSWORD, role="admin", name="Ada Admin")
    live.users = {"editor": editor.email, "admin": "admin@example.org"}
    seed = 0
    for n, (title, category, country, credit, pick, photos) in enumerate(GALLERIES):
        gallery = galleries.create_gallery(dict(
            title=title, category=category, country=country, credit=credit, status="published",
            date=dt.date(2024, 3, 1) + dt.timedelta(days=30 * n), editors_pick=pick,
            pick_position=n if pick else None,
            description=f"{photos[0][0]} Photos by {credit.split(' / ')[-1]}."), editor)
        ids = []
        for caption, size in photos:
            seed += 1
            result = ingest.ingest(gallery, io.BytesIO(picture(seed, size)), f"IMG_{1000 + seed}.jpg",
                                      {"caption": caption, "creator": credit.split(" / ")[-1],
                                       "keywords": ["demo", category.lower()]}, user=editor)
            assert result.status == "accepted", result.reason
            ids.append(result.asset.id)
        gallery.cover_asset_id = ids[0]
        db.session.commit()
        with live.app.test_request_context():
            live.galleries[title] = {"id": gallery.id, "path": gallery_url(gallery), "assets": ids,
                                     "category": category, "country": country}
    title, category, country = DRAFT_GALLERY
    draft = galleries.create_gallery({"title": title, "category": category, "country": country,
                                      "status": "draft"}, None, script=True)
    ingest.ingest(draft, io.BytesIO(picture(99)), "draft.jpg", {"caption": "Not public yet."})
    live.galleries[title] = {"id": draft.id, "assets": [], "category": category, "country": country}


class _ClosingBody:
    """A response body that closes its inner iterable once, however often it is asked."""

    def __init__(self, body):
        self.body, self.closed = body, False

    def __iter__(self):
        return iter(self.body)

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            if hasattr(self.body, "close"):
                self.body.close()


def _closing(app):
    """Keep each response body on its environ so the handler can close it whatever happens."""
    def wsgi(environ, start_response):
        body = _ClosingBody(app(environ, start_response))
        environ["tests.body"] = body
        return body
    return wsgi


class _QuietHandler(WSGIRequestHandler):
    """No request log lines in the test output, and no file left open by a dropped connection."""

    def log(self, *args, **kwargs) -> None:  # noqa: D102
        pass

    def run_wsgi(self) -> None:  # noqa: D102
        # When the browser drops a connection mid-file (it navigates on), werkzeug's clean-up
        # read can raise before it closes the body; the open file then warns when collected.
        try:
            super().run_wsgi()
        finally:
            body = getattr(self, "environ", {}).get("tests.body")
            if body is not None:
                body.close()


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    """The app served on 127.0.0.1 at a free port, with demo-like content."""
    from gallery import create_app, migrate
    from gallery.extensions import db
    from gallery.services import reference

    url, drop = _database_url(tmp_path_factory)
    base = tmp_path_factory.mktemp("browser-app")
    app = create_app({
        "DATABASE_URL": url, "SECRET_KEY": "browser-tests",
        "UPLOAD_DIR": str(base / "uploads"), "SEARCH_INDEX_DIR": str(base / "search_index"),
        "JOB_THREAD": True,  # the live server makes proxies in its thread, as a real one does
    })
    app.instance_path = str(base / "instance")
    server = make_server("127.0.0.1", 0, _closing(app), threaded=True, request_handler=_QuietHandler)
    live = LiveServer(url=f"http://127.0.0.1:{server.server_port}", app=app)
    with app.app_context():
        migrate.upgrade(app)
        reference.seed(db.session)
        _make_content(live)
        db.session.close()
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    yield live
    server.shutdown()
    server.server_close()
    thread.join(10)
    with app.app_context():
        db.engine.dispose()
    drop()


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium, headless; skipped where it is not installed."""
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"browser tests need Debian's Chromium at {CHROMIUM} (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    with sync_api.sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        sync_api.expect.set_options(timeout=TIMEOUT_MS)
        yield chromium
        chromium.close()


@pytest.fixture
def context(browser, live_server):
    """A fresh browser profile (no cookies) pointed at the live server."""
    ctx = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 860},
                              accept_downloads=True, locale="en-GB")
    ctx.set_default_timeout(TIMEOUT_MS)
    yield ctx
    ctx.close()


@pytest.fixture
def phone(browser, live_server):
    """A phone's browser profile (390 x 844, touch, no cookies) pointed at the live server."""
    ctx = browser.new_context(base_url=live_server.url, viewport={"width": 390, "height": 844},
                              is_mobile=True, has_touch=True, locale="en-GB")
    ctx.set_default_timeout(TIMEOUT_MS)
    yield ctx
    ctx.close()


@pytest.fixture
def page(context):
    """A page that fails the test on a JavaScript error, a CSP violation or a broken image/script/style."""
    tab = context.new_page()
    problems: list[str] = []
    tab.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    # Error pages the test asks for (404, 401) are logged as "Failed to load resource": those are
    # judged by the response handler below, which only fails on sub-resources.
    tab.on("console", lambda msg: problems.append(f"console {msg.type}: {msg.text}")
           if msg.type == "error" and not msg.text.startswith("Failed to load resource") else None)
    tab.on("response", lambda r: problems.append(f"{r.status} for {r.request.resource_type} {r.url}")
           if r.status >= 400 and r.request.resource_type != "document" else None)
    yield tab
    assert not problems, "\n".join(problems)


@pytest.fixture
def login_as(page):
    """Log in through the login form: login_as(email)."""

    def do(email: str, password: str = PASSWORD) -> None:
        page.goto("/login")
        page.get_by_label("Email").fill(email)
        page.get_by_label("Password", exact=True).fill(password)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_load_state()

    return do


@pytest.fixture
def as_editor(page, live_server, login_as) -> str:
    """The page logged in as the editor (through the form); returns the editor's email."""
    login_as(live_server.users["editor"])
    return live_server.users["editor"]


@pytest.fixture(scope="session")
def make_draft(live_server) -> Callable[..., dict]:
    """Factory: a draft gallery of a test's own, which only staff see (the other tests' pages stay
    as they are): make_draft(title, [(file name, caption, picture seed)], category) ->
    {"gallery": id, "assets": [ids]}."""
    from gallery.extensions import db
    from gallery.services import galleries, ingest

    def make(title: str, photos=(), category: str = "Events") -> dict:
        with live_server.app.app_context():
            gallery = galleries.create_gallery({"title": title, "category": category, "country": "KEN",
                                                "status": "draft"}, None, script=True)
            ids = []
            for filename, caption, seed in photos:
                result = ingest.ingest(gallery, io.BytesIO(picture(seed)), filename, {"caption": caption})
                assert result.status == "accepted", result.reason
                ids.append(result.asset.id)
            made = {"gallery": gallery.id, "assets": ids}
            db.session.close()
        return made

    return make


def shoot(page, name: str, readme: bool = False, full_page: bool = False) -> None:
    """Screenshots at 1280 px and 390 px wide into tests/screenshots/ (gitignored).

    README screenshots (readme=True) also go to docs/screenshots/ as JPEG when
    GALLERY_UPDATE_SCREENSHOTS=1, so an ordinary test run leaves the committed ones alone.
    """
    os.makedirs(SHOTS_DIR, exist_ok=True)
    original = page.viewport_size
    for width, height in ((1280, 860), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        page.evaluate("() => document.fonts.ready")
        page.screenshot(path=os.path.join(SHOTS_DIR, f"{name}-{width}.png"), full_page=full_page,
                        animations="disabled", caret="hide")
        if readme and os.environ.get("GALLERY_UPDATE_SCREENSHOTS") == "1":
            os.makedirs(README_SHOTS_DIR, exist_ok=True)
            page.screenshot(path=os.path.join(README_SHOTS_DIR, f"{name}-{width}.jpg"), type="jpeg",
                            quality=78, full_page=False, animations="disabled", caret="hide")
    page.set_viewport_size(original)


def check_accessibility(page, label: str) -> None:
    """Run axe-core on the page; fail on serious or critical violations."""
    with open(AXE_JS, encoding="utf-8") as fh:
        source = fh.read()
    # Evaluated through the DevTools protocol rather than a <script> tag, so the page's CSP
    # (no inline scripts) stays in force for the rest of the test.
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(source)
    result = page.evaluate("""async () => {
        const r = await axe.run(document, {resultTypes: ['violations']});
        return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ') + ' :: ' + n.failureSummary)}));
    }""")
    bad = [v for v in result if v["impact"] in ("serious", "critical")]
    details = "\n".join(f"{v['impact']} {v['id']}: {v['help']}\n    " + "\n    ".join(v["nodes"]) for v in bad)
    assert not bad, f"axe on {label}:\n{details}"

"""The French and Spanish catalogues cover every string the code and templates mark, and pages show them."""
from __future__ import annotations

import gettext
import io
import os
import re

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from bs4 import BeautifulSoup

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TRANSLATIONS = os.path.join(ROOT, "gallery", "translations")
LANGUAGES = ("fr", "es")
PLACEHOLDER = re.compile(r"%\((\w+)\)s")
# What `pybabel extract -F babel.cfg -k _l -k N_` finds (README: adding a language).
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "N_": None,
            "lazy_gettext": None}


def _extracted() -> dict[str, str | tuple[str, str]]:
    """Every msgid marked in gallery/ and templates/, extracted the way pybabel does."""
    method_map = [("gallery/**.py", "python"), ("templates/**.html", "jinja2"), ("templates/**.xml", "jinja2")]
    found: dict[str, str | tuple[str, str]] = {}
    for _file, _line, message, _comments, _context in extract_from_dir(
            ROOT, method_map, keywords=KEYWORDS, strip_comment_tags=True):
        key = message[0] if isinstance(message, tuple) else message
        found[key] = message
    return found


@pytest.fixture(scope="module")
def extracted():
    return _extracted()


def _catalogue(language: str):
    with open(os.path.join(TRANSLATIONS, language, "LC_MESSAGES", "messages.po"), "rb") as fh:
        return read_po(fh, locale=language)


def test_extraction_finds_the_interface(extracted):
    assert len(extracted) > 600
    assert "Skip to content" in extracted and "Crisis Response" in extracted
    assert extracted["%(num)s result"] == ("%(num)s result", "%(num)s results")


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_is_translated_with_its_placeholders(extracted, language):
    catalogue = _catalogue(language)
    problems = []
    for key, message in extracted.items():
        entry = catalogue.get(key)
        if entry is None:
            problems.append(f"missing: {key!r}")
            continue
        if entry.fuzzy:
            problems.append(f"fuzzy: {key!r}")
        ids = message if isinstance(message, tuple) else (message,)
        strings = entry.string if isinstance(entry.string, tuple) else (entry.string,)
        if not all(s and s.strip() for s in strings):
            problems.append(f"empty: {key!r}")
            continue
        wanted = {p for i in ids for p in PLACEHOLDER.findall(i)}
        for s in strings:
            if set(PLACEHOLDER.findall(s)) - wanted or (wanted - {"num"}) - set(PLACEHOLDER.findall(s)):
                problems.append(f"placeholders differ: {key!r} -> {s!r}")
        if key.count("<") != strings[0].count("<"):
            problems.append(f"markup differs: {key!r} -> {strings[0]!r}")
    assert not catalogue.fuzzy, f"the {language} catalogue's header is marked fuzzy"
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_compiled_catalogue_matches_its_source(language):
    """The committed .mo (what a fresh clone serves) holds exactly what the .po says."""
    buf = io.BytesIO()
    write_mo(buf, _catalogue(language))
    buf.seek(0)
    from_po = gettext.GNUTranslations(buf)
    with open(os.path.join(TRANSLATIONS, language, "LC_MESSAGES", "messages.mo"), "rb") as fh:
        committed = gettext.GNUTranslations(fh)
    assert committed._catalog == from_po._catalog, (
        f"gallery/translations/{language} .mo is stale: run pybabel compile -d gallery/translations")


# English sentences that must not appear on a French or Spanish page.
SENTINELS = ("Skip to content", "Search captions", "Log in", "Terms of use", "All galleries",
             "Latest galleries", "Narrow the results", "Browse by country", "No galleries yet",
             "Your account", "Editors' pick", "Save", "Keyboard:", "Download", "Site texts",
             "Background work", "Upload", "Manage", "Delete", "Copy credit", "Previous", "results",
             "Lightboxes", "Add to", "Share", "Make a link", "Press kits", "items",
             # Saved searches, embeds, press kits, filter notices, the default lightbox (issue 17's leftovers).
             "Saved searches", "Save this search", "Feed of this search", "Daily e-mail", "Turn off",
             "Stop the daily e-mail", "Copy embed code", "Paste this into a web page", "Your name",
             "Intended use", "Accept and show the downloads", "Download the zip",
             "Nothing downloaded from this press kit yet", "The filter was ignored", "There is no category",
             "My lightbox", "must be a whole number",
             # The caption grid, lightbox, shared-link and press-kit pages, staff pages' values.
             "Captions", "Translate into", "Save all captions", "A lightbox shared with you",
             "Items in this lightbox", "Items in this press kit", "Download the lightbox", "Press kit",
             "leave as is", "published", "The organisation's terms of use", "Language")


def _visible_text(html: str) -> str:
    page = BeautifulSoup(html, "html.parser")
    for hidden in page.select("script, style, code, kbd, [lang='en']"):
        hidden.decompose()
    texts = [page.get_text(" ")]
    texts += [el[attr] for attr in ("aria-label", "placeholder", "title", "alt")
              for el in page.select(f"[{attr}]")]
    return " ".join(" ".join(texts).split())


@pytest.mark.parametrize("language", LANGUAGES)
def test_pages_show_no_english_sentences(client, make_user, login_as, make_gallery, make_asset, language):
    gallery = make_gallery(title="Agua · Eau", country="COD")
    asset = make_asset(gallery, caption="Lodwar")
    public = ["/", "/galleries", "/countries", f"/galleries/{gallery.id}-{gallery.slug}",
              f"/assets/{asset.id}", "/search?q=lodwar", "/search?q=nothingmatches", "/search/advanced",
              "/items?type=image", "/categories/health", "/countries/cod", "/login", "/register",
              "/password/forgot", "/terms", "/about", "/help", "/no-such-page",
              "/galleries?category=nope&type=pdf", f"/embed/assets/{asset.id}", f"/embed/galleries/{gallery.id}"]
    staff = ["/manage/", f"/manage/galleries/{gallery.id}", f"/manage/galleries/{gallery.id}/edit",
             f"/manage/galleries/{gallery.id}/cover", f"/manage/galleries/{gallery.id}/delete",
             f"/manage/galleries/{gallery.id}/activity", f"/manage/galleries/{gallery.id}/upload",
             f"/manage/galleries/{gallery.id}/captions", f"/manage/assets/{asset.id}/edit",
             f"/manage/assets/{asset.id}/replace", f"/manage/assets/{asset.id}/downloads",
             "/manage/trash", "/manage/texts", "/manage/texts/terms?language=" + language,
             "/manage/categories", "/manage/jobs", "/manage/upload", "/manage/approvals",
             "/admin/downloads", "/account", "/account/downloads", "/account/tokens/",
             "/admin/users/"]
    found = {}
    for path in public:
        found[path] = client.get(f"/{language}{path}")
    from gallery.services import digests, lightbox_links, lightboxes, saved_searches

    admin = login_as(make_user("admin"))
    box = lightboxes.create(admin, "Water", "")
    lightboxes.add(admin, box, [asset.id])
    first = lightboxes.default_for(admin)  # "My lightbox", stored in English
    link, token = lightbox_links.create(admin, box, "presskit", sizes=["preview"])
    _shared, shared_token = lightbox_links.create(admin, box, "share")
    saved = saved_searches.save(admin, "Lodwar", {"q": "lodwar", "country": "COD"}, email_daily=True)
    staff += ["/lightboxes", f"/lightboxes/{box.id}", f"/lightboxes/{first.id}", "/manage/press-kits",
              f"/manage/press-kits/{link.id}", f"/press/{token}", f"/shared/{shared_token}",
              f"/manage/galleries/{gallery.id}/captions?lang={'fr' if language == 'es' else 'es'}",
              "/account/searches",
              f"/searches/unsubscribe/{digests.unsubscribe_token(saved)}", "/search?q=lodwar&saved=1"]
    for path in staff:
        found[path] = client.get(f"/{language}{path}")
    problems = []
    for path, response in found.items():
        if response.status_code not in (200, 404):
            problems.append(f"{path}: HTTP {response.status_code}")
            continue
        text = _visible_text(response.get_data(as_text=True))
        for sentence in SENTINELS:
            if re.search(rf"(?<![\w-]){re.escape(sentence)}(?![\w-])", text):
                problems.append(f"{path}: {sentence!r}")
    assert not problems, "\n".join(problems)


# Messages built from values where no visitor reads them: the command line, a start-up
# configuration error, a stream already under way. Everywhere else a built message is N_(..., **values).
BUILT_FOR_NO_VISITOR = {"gallery/commands/ingest_cli.py", "gallery/services/storage_migration.py",
                        "gallery/services/storage.py", "gallery/services/zips.py"}


def test_every_service_message_is_marked():
    """A service raising a new fixed message must list it in gallery/i18n/service_messages.py, and
    one built from values must use N_("... %(name)s ...", name=value), not an f-string."""
    import ast
    import glob
    import inspect

    import gallery.exceptions as exceptions
    from gallery.i18n import service_messages

    errors = {name for name, cls in vars(exceptions).items()
              if inspect.isclass(cls) and issubclass(cls, exceptions.GalleryError)}
    marked = set(service_messages.MESSAGES) | service_messages.INTERNAL
    unmarked = []
    for path in glob.glob(os.path.join(ROOT, "gallery", "**", "*.py"), recursive=True):
        if f"{os.sep}formats{os.sep}" in path or f"{os.sep}migrations{os.sep}" in path:
            continue
        relpath = os.path.relpath(path, ROOT).replace(os.sep, "/")
        with open(path, encoding="utf-8") as fh:
            tree = ast.parse(fh.read())
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and getattr(node.func, "id", None) in errors and node.args):
                continue
            first = node.args[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str) and first.value not in marked:
                unmarked.append(f"{relpath}: {first.value!r}")
            built = isinstance(first, ast.JoinedStr) or (
                isinstance(first, ast.BinOp) and isinstance(first.op, (ast.Add, ast.Mod)))
            if built and relpath not in BUILT_FOR_NO_VISITOR:
                unmarked.append(f"{relpath}:{node.lineno}: a message built in English; use N_(msgid, **values)")
    assert len(marked) > 50
    assert not unmarked, "\n".join(unmarked)


def test_a_message_built_from_values_is_english_until_a_page_translates_it(app):
    from flask_babel import force_locale

    from gallery.exceptions import ValidationError
    from gallery.i18n.service_messages import Message, translate
    from gallery.services import fields

    with pytest.raises(ValidationError) as raised:
        fields.text("x" * 20, "title", 10)
    message = raised.value.message
    assert isinstance(message, Message)
    assert message == "Title is longer than 10 characters."  # the API, the logs and the command line
    with app.test_request_context("/fr/"), force_locale("fr"):
        assert translate(message) == "Titre : 10 caractères au plus."  # the label is translated too
    with app.test_request_context("/es/"), force_locale("es"):
        assert translate(message) == "Título: 10 caracteres como máximo."
        assert translate("No such page.") == "Esa página no existe."  # fixed messages as before


def test_a_service_error_reaches_a_french_page_in_french(client, make_user, login_as):
    admin = login_as(make_user("admin"))
    response = client.post(f"/fr/admin/users/{admin.id}/role", data={"role": "member"},
                           follow_redirects=True)
    flashes = BeautifulSoup(response.get_data(as_text=True), "html.parser").select_one(".flashes")
    assert "Vous ne pouvez pas changer votre propre rôle." in flashes.get_text()
    api = client.post(f"/api/users/{admin.id}/role", json={"role": "member"})
    assert "changer" not in api.get_data(as_text=True)  # whatever the API answers, it is English

"""The journalist's and editor's flows once in French: switcher, search, asset, copy, upload; axe stays clean."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.conftest import check_accessibility


def test_french_visitor_switches_searches_and_copies(context, page, live_server):
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    page.goto("/")
    page.locator(".language-switcher").get_by_role("link", name="Français").click()
    expect(page).to_have_url(re.compile(r"/fr/$"))
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.get_by_role("heading", name="Dernières galeries")).to_be_visible()
    check_accessibility(page, "French home page")

    search = page.locator("header").get_by_role("searchbox")
    search.fill("Danli")
    search.press("Enter")
    expect(page).to_have_url(re.compile(r"/fr/search\?q=Danli"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Résultats pour « Danli »")
    expect(page.locator(".facets h2")).to_have_text("Affiner les résultats")
    page.wait_for_load_state("networkidle")
    check_accessibility(page, "French search results")

    asset_id = live_server.galleries["Returnees rebuild in Danlí"]["assets"][0]
    page.goto(f"/fr/assets/{asset_id}")
    expect(page.locator(".meta-table")).to_contain_text("Taille du fichier")
    check_accessibility(page, "French asset page")
    page.get_by_role("button", name="Copier le crédit").click()
    expect(page.get_by_role("button", name="Copié")).to_be_visible()
    expect(page.locator("[data-copy-status]").first).to_have_text(
        "Ligne de crédit copiée dans le presse-papiers")

    # The cookie the switcher set keeps unprefixed pages in French.
    page.goto("/countries")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.get_by_role("heading", level=1)).to_have_text("Pays")


def test_spanish_browser_gets_spanish_and_the_terms_page_is_clean(browser, live_server):
    ctx = browser.new_context(base_url=live_server.url, locale="es-ES")
    try:
        tab = ctx.new_page()
        tab.goto("/terms")
        expect(tab.locator("html")).to_have_attribute("lang", "es")
        expect(tab.get_by_role("heading", level=1)).to_have_text("Condiciones de uso")
        check_accessibility(tab, "Spanish terms of use")
    finally:
        ctx.close()


def test_french_upload_page_reports_in_french(page, login_as, live_server):
    from gallery.extensions import db
    from gallery.services import galleries

    with live_server.app.app_context():
        gallery_id = galleries.create_gallery({"title": "Brouillon : envoi", "category": "Events",
                                               "country": "KEN", "status": "draft"}, None, script=True).id
        db.session.close()
    login_as(live_server.users["editor"])
    page.goto(f"/fr/manage/galleries/{gallery_id}/upload")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    check_accessibility(page, "French upload page")
    page.get_by_label("Fichiers à envoyer").set_input_files(
        [{"name": "notes.txt", "mimeType": "text/plain", "buffer": b"not a picture"}])
    expect(page.locator("[data-summary]")).to_have_text("1 envoi sur 1 terminé. Fichiers : 1 refusé.")
    expect(page.locator(".upload-item.is-rejected").first).to_contain_text("Refusé :")


def test_a_member_fills_a_lightbox_in_spanish(page, live_server, login_as):
    """The lightbox buttons and their announcements come from the Spanish catalogue."""
    import uuid

    from gallery.extensions import db
    from gallery.services import accounts, terms
    from tests.browser.conftest import PASSWORD

    email = f"prensa-{uuid.uuid4().hex[:8]}@example.org"
    with live_server.app.app_context():
        terms.accept(accounts.create_user(email=email, password=PASSWORD, name="Pilar Prensa"))
        db.session.close()
    login_as(email)
    turkana = live_server.galleries["Clean water reaches Turkana"]
    page.goto("/es" + turkana["path"])
    tile = page.locator(f'.asset-grid > li[data-asset-id="{turkana["assets"][0]}"]')
    tile.get_by_role("button", name=re.compile("^Añadir a la mesa de luz")).click()
    expect(tile.get_by_role("button", name=re.compile("^Quitar de la mesa de luz"))).to_be_visible()
    expect(page.locator("[data-lightbox-status]")).to_have_text("Añadido a Mi mesa de luz: 1 elemento.")
    expect(page.locator(".lightbox-link")).to_contain_text("Mesa de luz")
    check_accessibility(page, "Spanish gallery with lightbox buttons")
    page.locator(".lightbox-link").click()
    expect(page).to_have_url(re.compile(r"/es/lightboxes$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Mesas de luz")
    check_accessibility(page, "Spanish lightboxes page")

"""A gallery's IIIF manifest opens in Mirador 4 in Chromium: the first canvas draws, the credit shows.

Mirador runs on a page of another origin (a second little server on the loopback: Chromium
refuses a public origin's requests to a loopback server), so the manifest, info.json and tiles
cross origins as they do for a museum's viewer: CORS is tested for real.
"""
from __future__ import annotations

import hashlib
import io
import os
import threading
import time

import pytest
from PIL import Image, ImageStat
from playwright.sync_api import expect
from werkzeug.serving import WSGIRequestHandler, make_server

MIRADOR_JS = os.path.join(os.path.dirname(__file__), "vendor", "mirador", "mirador.min.js")
MIRADOR_SHA256 = "86109137e947117095f44b800c69b27c0e0ac5ef41e0a354839f33e761cec0e3"
PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Mirador</title>
<style>html, body, #viewer {{ margin: 0; width: 100%; height: 100%; }}</style></head>
<body><div id="viewer"></div><script src="{origin}/mirador.min.js"></script>
<script>
Mirador.viewer({{
  id: "viewer",
  window: {{ sideBarOpenByDefault: true, defaultSideBarPanel: "info", allowClose: false }},
  windows: [{{ manifestId: "{manifest}" }}],
  workspaceControlPanel: {{ enabled: false }}
}});
</script></body></html>"""


class _Quiet(WSGIRequestHandler):
    def log(self, *args, **kwargs) -> None:  # noqa: D102
        pass


@pytest.fixture(scope="module")
def viewer(live_server):
    """A page with Mirador opening a gallery's manifest, served from its own origin; yields its URL."""
    gallery = live_server.galleries["Clean water reaches Turkana"]
    manifest = f"{live_server.url}/iiif/3/galleries/{gallery['id']}/manifest.json"
    with open(MIRADOR_JS, "rb") as fh:
        script = fh.read()

    def app(environ, start_response):
        if environ["PATH_INFO"] == "/mirador.min.js":
            start_response("200 OK", [("Content-Type", "text/javascript")])
            return [script]
        origin = f"http://127.0.0.1:{environ['SERVER_PORT']}"
        start_response("200 OK", [("Content-Type", "text/html; charset=utf-8")])
        return [PAGE.format(origin=origin, manifest=manifest).encode()]

    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_Quiet)
    thread = threading.Thread(target=server.serve_forever, name="mirador-page", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/"
    server.shutdown()
    server.server_close()
    thread.join(10)


def test_the_vendored_mirador_is_the_npm_release():
    with open(MIRADOR_JS, "rb") as fh:
        assert hashlib.sha256(fh.read()).hexdigest() == MIRADOR_SHA256


def test_a_gallery_manifest_opens_in_mirador(context, live_server, viewer):
    gallery = live_server.galleries["Clean water reaches Turkana"]
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    # Every answer of the gallery to the viewer must be a success (tiles, info.json, manifest).
    page.on("response", lambda r: problems.append(f"{r.status} {r.url}")
            if r.url.startswith(live_server.url) and r.status >= 400 else None)
    tiles: list[str] = []
    page.on("requestfinished", lambda r: tiles.append(r.url) if "/iiif/3/" in r.url and r.url.endswith(".jpg") else None)
    page.goto(viewer)

    # The information panel shows the manifest's metadata: the credit of the gallery.
    panel = page.locator("aside, section").filter(has_text="Example Relief Agency / Amina Odhiambo").first
    expect(panel).to_be_visible(timeout=30_000)
    expect(page.get_by_text("Clean water reaches Turkana").first).to_be_visible()

    # The first canvas draws: OpenSeadragon fetched tiles of the first photo and painted them.
    first = gallery["assets"][0]
    page.wait_for_function("() => !!document.querySelector('.openseadragon-canvas canvas')", timeout=30_000)
    page.wait_for_function(
        f"() => performance.getEntriesByType('resource').some(e => e.name.includes('/iiif/3/{first}/') && e.name.endsWith('.jpg'))",
        timeout=30_000)
    canvas = page.locator(".openseadragon-canvas").first
    picture = None
    deadline = time.monotonic() + 30
    while picture is None and time.monotonic() < deadline:
        # Until the tiles have faded in (OpenSeadragon blends them in over about half a second).
        shot = Image.open(io.BytesIO(canvas.screenshot())).convert("RGB")
        if max(ImageStat.Stat(shot).stddev) > 20:
            picture = shot
    assert picture is not None, "the canvas stayed blank"
    assert any(f"/iiif/3/{first}/" in url for url in tiles)
    assert not problems, "\n".join(problems)

"""The official IIIF Image API validator (iiif-validator on PyPI) against a live server: level 2 passes."""
from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
import threading

import pytest
from werkzeug.serving import WSGIRequestHandler, make_server

from tests.test_iiif_image import pattern

VALIDATE = shutil.which("iiif-validate.py", path=os.path.dirname(sys.executable)) or shutil.which("iiif-validate.py")


class _Quiet(WSGIRequestHandler):
    def log(self, *args, **kwargs) -> None:  # noqa: D102
        pass


@pytest.fixture
def live(app):
    """The app served on 127.0.0.1 at a free port, in a thread (as the browser tests' server)."""
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_Quiet)
    thread = threading.Thread(target=server.serve_forever, name="iiif-live", daemon=True)
    thread.start()
    yield f"127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()
    thread.join(10)


@pytest.fixture
def pattern_photo(app, make_gallery):
    """The validator's test pattern (1000 x 1000 coloured squares), published."""
    from gallery.services import ingest

    result = ingest.ingest(make_gallery(), io.BytesIO(pattern()), "pattern.jpg", {}, user=None)
    assert result.status == "accepted", result.reason
    return result.asset


def validate(server: str, identifier: int, *args: str) -> subprocess.CompletedProcess:
    """Run the validator's own command line; its exit code is the number of failed tests."""
    assert VALIDATE, "iiif-validator is not installed (pip install -e '.[test]')"
    return subprocess.run([sys.executable, VALIDATE, "--server", server, "--prefix", "iiif/3",
                           "--identifier", str(identifier), "--version", "3.0", *args],
                          capture_output=True, text=True, timeout=300)


def test_every_level_2_test_of_the_official_validator_passes(live, pattern_photo):
    run = validate(live, pattern_photo.id, "--level", "2")
    assert run.returncode == 0, run.stderr
    # The validator says PASS per test on stderr; level 2 of version 3.0 has 33 tests.
    assert run.stderr.count(" PASS") == 33, run.stderr
    assert "Done (33 tests, 0 failures)" in run.stderr


def test_the_extra_features_info_json_announces_pass_too(live, pattern_photo):
    # Mirroring is beyond level 2; info.json lists it, so it must work. (The validator's WebP
    # test cannot run on Python 3: it calls urllib.urlopen, which is Python 2's; test_iiif_image
    # checks WebP tiles instead.)
    run = validate(live, pattern_photo.id, "--test", "rot_mirror", "--test", "rot_mirror_180")
    assert run.returncode == 0, run.stderr
    assert "Done (2 tests, 0 failures)" in run.stderr


def test_the_validator_fails_a_server_that_breaks_the_rules(app, live, pattern_photo):
    # The same run against a server with CORS switched off: the validator notices (the test can fail).
    @app.after_request
    def no_cors(response):
        response.headers.pop("Access-Control-Allow-Origin", None)
        return response

    run = validate(live, pattern_photo.id, "--test", "cors")
    assert run.returncode == 1 and "FAIL" in run.stderr

"""gallery.formats stands alone: importing all of it loads no web, database or service code."""
from __future__ import annotations

import json
import subprocess
import sys

FORBIDDEN = ("flask", "sqlalchemy", "gallery.models", "gallery.extensions", "gallery.services")

SCRIPT = """
import importlib, json, pkgutil, sys
import gallery.formats
names = [m.name for m in pkgutil.walk_packages(gallery.formats.__path__, "gallery.formats.")]
for name in names:
    importlib.import_module(name)
print(json.dumps({"imported": names, "loaded": sorted(sys.modules)}))
"""


def test_formats_imports_no_flask_database_or_services():
    out = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, check=True)
    found = json.loads(out.stdout)
    assert "gallery.formats.location.images" in found["imported"]  # the walk reached the subpackage
    loaded = [m for m in found["loaded"] if any(m == f or m.startswith(f + ".") for f in FORBIDDEN)]
    assert loaded == []

"""The docs name every CLI command and every setting, and their links resolve: they cannot drift."""
from __future__ import annotations

import ast
import os
import re

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DOCS = os.path.join(ROOT, "docs")
LINK = re.compile(r"\]\(([^)\s]+)\)")


def _read(*parts: str) -> str:
    with open(os.path.join(ROOT, *parts), encoding="utf-8") as fh:
        return fh.read()


def _pages() -> list[str]:
    """README.md and every page under docs/, as paths relative to the project."""
    return ["README.md"] + sorted(os.path.join("docs", n) for n in os.listdir(DOCS)
                                  if n.endswith(".md"))


def _anchors(text: str) -> set[str]:
    """GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens."""
    out = set()
    for heading in re.findall(r"^#+ (.+)$", text, flags=re.M):
        slug = re.sub(r"[^\w\- ]", "", heading.strip().lower())
        out.add(slug.replace(" ", "-"))
    return out


def config_keys() -> list[str]:
    """UPPER_CASE names assigned at the top level of gallery/config.py."""
    tree = ast.parse(_read("gallery", "config.py"))
    keys = []
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else (
            [node.target] if isinstance(node, ast.AnnAssign) else [])
        keys.extend(t.id for t in targets if isinstance(t, ast.Name) and t.id.isupper())
    return keys


def test_every_config_key_is_documented():
    page = _read("docs", "configuration.md")
    keys = config_keys()
    assert "DATABASE_URL" in keys and "API_MAX_PER_PAGE" in keys  # the parser finds them
    missing = [k for k in keys if f"`{k}`" not in page]
    assert not missing, f"docs/configuration.md does not document these settings: {missing}"


def test_every_cli_command_is_documented(app):
    page = _read("docs", "operations.md")
    commands = sorted(app.cli.commands)
    assert {"init", "demo", "create-user"} <= set(commands)
    missing = [c for c in commands if f"`gallery {c}" not in page]
    assert not missing, f"docs/operations.md does not document these commands: {missing}"


def test_readme_starts_with_the_two_commands():
    blocks = _read("README.md").split("```sh\n")
    assert blocks[1].startswith("python3 -m venv .venv && .venv/bin/pip install -q -e . && "
                                ".venv/bin/gallery init && .venv/bin/gallery demo && .venv/bin/gallery run")
    assert blocks[2].startswith("python3 -m venv .venv && .venv/bin/pip install -q -e '.[test]' && "
                                ".venv/bin/python -m pytest")


def test_readme_links_every_page_under_docs():
    links = set(LINK.findall(_read("README.md")))
    missing = [p for p in _pages()[1:] if p not in links]
    assert not missing, f"README.md does not link these pages: {missing}"


def test_every_relative_link_resolves():
    broken = []
    for page in _pages():
        for target in LINK.findall(_read(page)):
            if re.match(r"[a-z]+:", target):
                continue  # http(s), mailto: not checked offline
            path, _, anchor = target.partition("#")
            dest = os.path.normpath(os.path.join(os.path.dirname(page), path)) if path else page
            if not os.path.exists(os.path.join(ROOT, dest)):
                broken.append(f"{page}: {target}")
            elif anchor and dest.endswith(".md") and anchor not in _anchors(_read(dest)):
                broken.append(f"{page}: {target}")
    assert not broken, f"links that lead nowhere: {broken}"

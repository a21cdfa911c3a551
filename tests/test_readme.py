"""The README documents every CLI command and every setting: it cannot drift from the code."""
from __future__ import annotations

import ast
import os

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _readme() -> str:
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as fh:
        return fh.read()


def config_keys() -> list[str]:
    """UPPER_CASE names assigned at the top level of gallery/config.py."""
    with open(os.path.join(ROOT, "gallery", "config.py"), encoding="utf-8") as fh:
        tree = ast.parse(fh.read())
    keys = []
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else (
            [node.target] if isinstance(node, ast.AnnAssign) else [])
        keys.extend(t.id for t in targets if isinstance(t, ast.Name) and t.id.isupper())
    return keys


def test_every_config_key_is_documented():
    readme = _readme()
    keys = config_keys()
    assert "DATABASE_URL" in keys and "API_MAX_PER_PAGE" in keys  # the parser finds them
    missing = [k for k in keys if f"`{k}`" not in readme]
    assert not missing, f"README.md does not document these settings: {missing}"


def test_every_cli_command_is_documented(app):
    readme = _readme()
    commands = sorted(app.cli.commands)
    assert {"init", "demo", "create-user"} <= set(commands)
    missing = [c for c in commands if f"`gallery {c}" not in readme]
    assert not missing, f"README.md does not document these commands: {missing}"


def test_readme_starts_with_the_two_commands():
    blocks = _readme().split("```sh\n")
    assert blocks[1].startswith("python3 -m venv .venv && .venv/bin/pip install -q -e . && "
                                ".venv/bin/gallery init && .venv/bin/gallery demo && .venv/bin/gallery run")
    assert blocks[2].startswith("python3 -m venv .venv && .venv/bin/pip install -q -e '.[test]' && "
                                ".venv/bin/python -m pytest")

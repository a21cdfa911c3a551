"""The app factory, config layering, migrations and the CLI basics."""
from __future__ import annotations

import os

from sqlalchemy import func, select

from gallery import create_app
from gallery.extensions import db
from gallery.models import Category, Country


def test_config_layers(tmp_path, monkeypatch):
    instance = tmp_path / "inst"
    instance.mkdir()
    (instance / "config.py").write_text("SITE_NAME = 'From instance'\nORGANISATION = 'Inst Org'\n")
    monkeypatch.setenv("GALLERY_INSTANCE_PATH", str(instance))
    monkeypatch.setenv("GALLERY_ORGANISATION", "Env Org")
    app = create_app({"TESTING": True})
    assert app.config["SITE_NAME"] == "From instance"
    assert app.config["ORGANISATION"] == "Env Org"
    assert create_app({"ORGANISATION": "Test Org"}).config["ORGANISATION"] == "Test Org"


def test_secret_key_generated_once(tmp_path, monkeypatch):
    monkeypatch.setenv("GALLERY_INSTANCE_PATH", str(tmp_path / "inst"))
    first = create_app().config["SECRET_KEY"]
    second = create_app().config["SECRET_KEY"]
    assert first == second and len(first) == 64
    assert oct(os.stat(tmp_path / "inst" / "SECRET_KEY").st_mode & 0o777) == "0o600"


def test_seeded_reference_data(app):
    assert db.session.scalar(select(func.count()).select_from(Category)) == 18
    assert db.session.get(Country, "YEM").name == "Yemen"
    assert db.session.scalar(select(func.count()).select_from(Country)) >= 249


def test_init_is_safe_to_run_twice(runner):
    first = runner.invoke(args=["init"])
    assert first.exit_code == 0, first.output
    second = runner.invoke(args=["init"])
    assert second.exit_code == 0
    assert "0 categories and 0 countries added" in second.output


def test_create_user_from_stdin(runner, app):
    from gallery.models import User

    result = runner.invoke(args=["create-user", "Ed@Example.org", "--role", "editor"],
                           input="a long enough password\n")
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.email == "ed@example.org"))
    assert user.role == "editor"
    assert user.password_hash.startswith("scrypt:")


def test_create_user_rejects_short_password(runner):
    result = runner.invoke(args=["create-user", "x@example.org"], input="short\n")
    assert result.exit_code != 0
    assert "at least 8 characters" in result.output

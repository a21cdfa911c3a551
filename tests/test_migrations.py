"""Migrations: one head, an empty database upgrades to it, and the models match the migrations."""
from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect

from gallery import create_app, migrate
from gallery.db import Base
from tests.conftest import PG_URL


def test_single_head(app):
    script = ScriptDirectory.from_config(migrate.alembic_config(app))
    assert len(script.get_heads()) == 1, "migrations have several heads: re-chain down_revision"


def test_models_match_migrations(app):
    """The migrated schema equals the models: a model change without its migration fails here."""
    with app.app_context():
        engine = create_engine(app.config["DATABASE_URL"])
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}),
                                    Base.metadata)
        engine.dispose()
    assert diff == []


def test_empty_database_upgrades_to_head(tmp_path):
    if PG_URL:
        pytest.skip("the PostgreSQL run migrates its empty database in the session fixture")
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path}/empty.sqlite", "SECRET_KEY": "x"})
    migrate.upgrade(app)
    engine = create_engine(app.config["DATABASE_URL"])
    assert {"galleries", "assets", "renditions", "users", "search_outbox"} <= set(
        inspect(engine).get_table_names())
    engine.dispose()

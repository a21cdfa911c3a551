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


def test_token_kinds_are_recovered_from_the_creation_log(tmp_path):
    """0004 labels existing download tokens from the activity log (only hashes are stored)."""
    if PG_URL:
        pytest.skip("the PostgreSQL run migrates its empty database in the session fixture")
    from sqlalchemy import text

    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path}/old.sqlite", "SECRET_KEY": "x"})
    migrate.upgrade(app, "0003")
    engine = create_engine(app.config["DATABASE_URL"])
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO users (id, email, name, organisation, password_hash, role, "
                          "active, session_token, created_at) VALUES (1, 'a@example.org', 'A', '', "
                          "'x', 'editor', 1, 's', '2026-01-01')"))
        for tid, scope in ((1, "editor"), (2, "download")):
            conn.execute(text("INSERT INTO api_tokens (id, user_id, name, token_hash, created_at) "
                              "VALUES (:id, 1, 'n', :h, '2026-01-01')"), {"id": tid, "h": f"h{tid}"})
            conn.execute(text("INSERT INTO activity_log (user_id, action, details, created_at) "
                              "VALUES (1, 'token.create', :d, '2026-01-01')"),
                         {"d": f'{{"token_id": {tid}, "name": "n", "scope": "{scope}"}}'})
    migrate.upgrade(app)
    with engine.connect() as conn:
        kinds = dict(conn.execute(text("SELECT id, scope FROM api_tokens")).all())
    engine.dispose()
    assert kinds == {1: "editor", 2: "download"}


def test_0009_keeps_the_outbox_rows_as_the_start_of_the_log(tmp_path):
    """Rows the old outbox held are the pending ones: txid 0, first in the log; ids never reused."""
    if PG_URL:
        pytest.skip("the PostgreSQL run migrates its empty database in the session fixture")
    from sqlalchemy import text

    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path}/old.sqlite", "SECRET_KEY": "x"})
    migrate.upgrade(app, "0008")
    engine = create_engine(app.config["DATABASE_URL"])
    with engine.begin() as conn:
        for asset_id in (5, 6):
            conn.execute(text("INSERT INTO search_outbox (asset_id, operation, queued_at) "
                              "VALUES (:a, 'upsert', '2026-01-01')"), {"a": asset_id})
    migrate.upgrade(app)
    with engine.begin() as conn:
        assert conn.execute(text("SELECT id, txid, asset_id FROM search_outbox ORDER BY txid, id")
                            ).all() == [(1, 0, 5), (2, 0, 6)]
        conn.execute(text("DELETE FROM search_outbox"))  # pruned to nothing
        conn.execute(text("INSERT INTO search_outbox (asset_id, operation, queued_at) "
                          "VALUES (7, 'upsert', '2026-01-02')"))
        assert conn.execute(text("SELECT id FROM search_outbox")).scalar_one() == 3
    engine.dispose()

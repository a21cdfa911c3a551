"""Alembic, driven from the app: upgrade to head and check for drift."""
from __future__ import annotations

import os

from alembic import command
from alembic.config import Config
from flask import Flask

MIGRATIONS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "migrations")


def alembic_config(app: Flask) -> Config:
    """An Alembic config pointing at the app's database and the packaged migrations."""
    cfg = Config()
    cfg.set_main_option("script_location", MIGRATIONS)
    cfg.set_main_option("sqlalchemy.url", app.config["DATABASE_URL"].replace("%", "%%"))
    return cfg


def upgrade(app: Flask, revision: str = "head") -> None:
    """Apply migrations up to a revision."""
    command.upgrade(alembic_config(app), revision)

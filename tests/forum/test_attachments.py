"""Attachments (issue 20): the settings that limit them and the migration of their table.
The library (forum/attachments/) comes with its own tests below."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import inspect as schema

from forum.db import alembic_config
from forum.services import Services
from forum.settings import Settings, SettingsError


def test_attachment_settings_have_defaults_and_bounds(tmp_path: Path) -> None:
    base = {"REMBUG_DATA_DIR": str(tmp_path), "REMBUG_SECRET_KEY": "k" * 40}
    defaults = Settings.from_env(base)
    assert (defaults.attachment_max_files, defaults.attachment_max_mb) == (4, 10)
    assert defaults.attachment_quota_mb == 200
    assert defaults.attachment_max_bytes == 10 * 1024 * 1024
    custom = Settings.from_env({**base, "REMBUG_ATTACHMENT_MAX_MB": "25"})
    assert custom.attachment_max_bytes == 25 * 1024 * 1024
    for name, value in (
        ("REMBUG_ATTACHMENT_MAX_FILES", "0"),
        ("REMBUG_ATTACHMENT_MAX_MB", "101"),
        ("REMBUG_ATTACHMENT_QUOTA_MB", "banyak"),
    ):
        with pytest.raises(SettingsError, match=name):
            Settings.from_env({**base, name: value})


# --- migration ------------------------------------------------------------------------------


def test_migration_0014_creates_and_drops_the_attachment_table(services: Services) -> None:
    config = alembic_config(services.settings.database_url)
    config.attributes["rembug_settings"] = services.settings
    with services.db.engine.connect() as conn:
        with conn.begin():
            config.attributes["connection"] = conn
            command.downgrade(config, "0013")
            assert "attachment" not in schema(conn).get_table_names()
        with conn.begin():
            command.upgrade(config, "heads")
            tables = schema(conn)
            assert "attachment" in tables.get_table_names()
            indexes = {i["name"]: i for i in tables.get_indexes("attachment")}
    assert indexes["ix_attachment_public_key"]["unique"]
    assert indexes["ix_attachment_account"]["column_names"] == ["account_id", "status"]

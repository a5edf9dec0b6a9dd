"""Rules about the project itself, checked by a machine: dependency directions, documented
settings, complete translations."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from forum.app import PLUGINS
from forum.settings import SETTINGS

ALL_SETTINGS = SETTINGS + tuple(s for plugin in PLUGINS for s in plugin.settings)

ROOT = Path(__file__).resolve().parent.parent


def test_forum_core_does_not_import_bots_search_or_moderation() -> None:
    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(lint)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "KEPT" in result.stdout and "BROKEN" not in result.stdout


def test_every_setting_is_documented() -> None:
    docs = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    example = (ROOT / ".env.example").read_text(encoding="utf-8")
    for setting in ALL_SETTINGS:
        assert f"`{setting.name}`" in docs, f"{setting.name} missing from docs/configuration.md"
        assert re.search(rf"^#?\s*{setting.name}=", example, re.M), (
            f"{setting.name} missing from .env.example"
        )


def test_only_the_settings_module_reads_the_environment() -> None:
    offenders = []
    for path in ROOT.glob("*/**/*.py"):
        if path.parts[len(ROOT.parts)] not in {"forum", "bots", "search", "moderation"}:
            continue
        if path.name == "settings.py":
            continue
        text = path.read_text(encoding="utf-8")
        if "os.environ" in text or "os.getenv" in text:
            offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


def test_every_ui_string_is_translated_in_indonesian_and_english() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "i18n.py"), "check"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout


def test_translations_keep_their_placeholders() -> None:
    from babel.messages.pofile import read_po

    placeholder = re.compile(r"%\((\w+)\)s")
    for locale in ("id", "en"):
        with (ROOT / "forum" / "locale" / locale / "LC_MESSAGES" / "messages.po").open("rb") as fh:
            catalog = read_po(fh, locale=locale)
        for message in catalog:
            if not message.id:
                continue
            ids = message.id if isinstance(message.id, tuple) else (message.id,)
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            wanted = set().union(*(placeholder.findall(i) for i in ids)) - {"num"}
            for string in strings:
                assert wanted <= set(placeholder.findall(string)), (locale, ids[0], string)


def test_migrations_match_the_models(database_url: str) -> None:
    """`rembug migrate` builds exactly the schema the models describe (no forgotten revision)."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext
    from sqlalchemy import create_engine
    from sqlmodel import SQLModel

    import forum.app  # noqa: F401 - every package's models

    engine = create_engine(database_url)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": False})
        diffs = [
            d
            for d in compare_metadata(context, SQLModel.metadata)
            if not (
                isinstance(d, tuple) and d[0] == "remove_table" and d[1].name == "alembic_version"
            )
        ]
    engine.dispose()
    assert diffs == []

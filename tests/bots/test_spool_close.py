"""The chat spool's SQLite file is closed when the application or a command stops (Python
3.13 warns about unclosed SQLite connections, and the suite turns warnings into errors)."""

from __future__ import annotations

import gc
import os
from pathlib import Path

from starlette.testclient import TestClient

from forum.app import build_services, create_app
from forum.settings import Settings
from forum.spool import Incoming, spool


def open_files() -> set[str]:
    found = set()
    for fd in os.listdir("/proc/self/fd"):
        try:
            found.add(os.readlink(f"/proc/self/fd/{fd}"))
        except OSError:
            continue
    return found


def spool_settings(tmp_path: Path) -> Settings:
    """A SQLite deployment (the file spool exists only there), whatever the suite runs on."""
    return Settings.from_env(
        {
            "REMBUG_DATA_DIR": str(tmp_path),
            "REMBUG_SECRET_KEY": "test-secret-key-with-enough-entropy-0123456789",
            "REMBUG_RUN_WORKER": "false",
        }
    )


def test_stopping_the_application_closes_the_spool_file(tmp_path: Path) -> None:
    services = build_services(spool_settings(tmp_path), check_schema=False)
    spool_file = str(tmp_path / "rembug.spool.sqlite3")
    with TestClient(create_app(services.settings, services=services)):
        assert spool(services).put([Incoming("telegram", "1", "chat-1", "{}")]) == [True]
        assert spool_file in open_files()
    assert spool_file not in open_files()
    assert spool(services).count_pending() == 1  # used again, it opens again
    services.close()
    assert spool_file not in open_files()


def test_a_spool_nobody_closed_closes_its_file_when_dropped(tmp_path: Path) -> None:
    services = build_services(spool_settings(tmp_path), check_schema=False)
    spool(services).put([Incoming("telegram", "2", "chat-2", "{}")])
    spool_file = str(tmp_path / "rembug.spool.sqlite3")
    assert spool_file in open_files()
    services.db.engine.dispose()
    del services
    gc.collect()
    assert spool_file not in open_files()

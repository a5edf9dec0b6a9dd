"""The ``rembug`` command as an operator runs it: migrate, demo, create-user, and a clear
refusal to serve an unmigrated database."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pyotp
import pytest
from sqlalchemy import create_engine, text
from sqlmodel import select

from forum import actions
from forum.app import build_services
from forum.models import Account, Aspiration, Comment, Consultation, Region
from forum.settings import Settings
from tests.conftest import fresh_postgres_database

RUN_WORKER_OFF = {
    "REMBUG_RUN_WORKER": "false",
    "REMBUG_PASSWORD_HASH_MEMORY_KIB": "1024",
    "REMBUG_PASSWORD_HASH_TIME_COST": "1",
}


def rembug(
    env: dict[str, str], *args: str, input: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "forum.cli", *args],
        env={**os.environ, **RUN_WORKER_OFF, **env},
        capture_output=True,
        text=True,
        input=input,
        timeout=300,
    )


@pytest.fixture
def fresh_env(tmp_path: Path) -> dict[str, str]:
    """A brand-new SQLite deployment (the CLI tests need their own empty database)."""
    return {"REMBUG_DATA_DIR": str(tmp_path / "var")}


def test_serve_refuses_an_unmigrated_database(fresh_env: dict[str, str]) -> None:
    result = rembug(fresh_env, "serve", "--port", "1")
    assert result.returncode != 0
    assert "rembug migrate" in result.stderr
    assert "belum dimigrasi" in result.stderr


def test_migrate_then_demo_then_create_user(fresh_env: dict[str, str]) -> None:
    migrated = rembug(fresh_env, "migrate")
    assert migrated.returncode == 0, migrated.stderr
    assert "Selesai" in migrated.stdout
    again = rembug(fresh_env, "migrate")  # idempotent
    assert again.returncode == 0 and "0 wilayah" in again.stdout

    demo = rembug(fresh_env, "demo")
    assert demo.returncode == 0, demo.stderr
    assert "admin@contoh.id" in demo.stdout or "@contoh.id" in demo.stdout
    passwords = (Path(fresh_env["REMBUG_DATA_DIR"]) / "demo-passwords.txt").read_text()
    assert len(passwords.splitlines()) >= 9
    assert (
        oct((Path(fresh_env["REMBUG_DATA_DIR"]) / "demo-passwords.txt").stat().st_mode)[-3:]
        == "600"
    )

    # Staff are enrolled in two-factor authentication: their key and otpauth URI follow the
    # password, and the key gives the codes that complete a login.
    rows = [line.split("\t") for line in passwords.splitlines()]
    staff = {row[0]: row for row in rows if len(row) == 4}
    assert "rahmat.hidayat@contoh.id" in staff and len(staff) >= 3
    assert all(row[3].startswith("otpauth://totp/") for row in staff.values())
    assert all(len(row) == 2 for row in rows if row[0] not in staff)
    assert "kunci 2FA" in demo.stdout

    settings = Settings.from_env({**RUN_WORKER_OFF, **fresh_env})
    services = build_services(settings)
    _, password, key, _ = staff["rahmat.hidayat@contoh.id"]
    # Without a phone, `rembug totp-code KEY` shows the code an authenticator app would.
    shown = rembug(fresh_env, "totp-code", key)
    assert shown.returncode == 0, shown.stderr
    code = shown.stdout.strip()
    assert len(code) == 6 and code.isdigit() and "detik" in shown.stderr
    assert rembug(fresh_env, "totp-code", "not base32!").returncode == 2
    if code != pyotp.TOTP(key).now():  # the 30-second step turned meanwhile: take the new one
        code = rembug(fresh_env, "totp-code", key).stdout.strip()
    with services.db.write() as db:
        step = actions.log_in(
            db,
            login="rahmat.hidayat@contoh.id",
            password=password,
            ip="127.0.0.1",
            user_agent="test",
            max_failures=5,
            max_failures_per_ip=20,
            window=timedelta(minutes=15),
            session_days=1,
        )
        assert step.second_step
        admin, _, _, _ = actions.complete_login(
            db,
            challenge_token=step.token,
            code=code,
            secret_key=settings.sealing_keys,
            ip="127.0.0.1",
            user_agent="test",
            limits=actions.CodeLimits(5, 20, timedelta(minutes=15)),
            session_days=1,
        )
        assert admin.role == "admin"
    with services.db.read() as db:
        consultations = db.exec(select(Consultation)).all()
        assert {c.status for c in consultations} == {"open", "concluded"}
        open_one = next(c for c in consultations if c.status == "open")
        assert open_one.title.startswith("Kebijakan dan Strategi Nasional")
        statuses = {c.status for c in db.exec(select(Comment))}
        assert statuses >= {"published", "pending", "rejected"}
        aspiration_states = {a.status for a in db.exec(select(Aspiration))}
        assert aspiration_states >= {"pending", "rejected", "responded"}
        roles = {a.role for a in db.exec(select(Account))}
        assert roles == {"citizen", "official", "moderator", "admin"}
        assert len(db.exec(select(Region)).all()) > 500
    services.db.engine.dispose()
    assert "sudah ada" in rembug(fresh_env, "demo").stdout  # a second run changes nothing

    created = rembug(
        fresh_env,
        "create-user",
        "--role",
        "official",
        "--agency",
        "komdigi",
        "--name",
        "Petugas Baru",
        "--email",
        "petugas.baru@contoh.id",
        "--password",
        "rahasia-sekali-123",
    )
    assert created.returncode == 0, created.stderr
    unknown = rembug(
        fresh_env,
        "create-user",
        "--role",
        "official",
        "--agency",
        "tidak-ada",
        "--name",
        "X",
        "--email",
        "x@contoh.id",
        "--password",
        "rahasia-sekali-123",
    )
    assert unknown.returncode != 0 and "tidak-ada" in unknown.stderr
    short = rembug(
        fresh_env,
        "create-user",
        "--role",
        "citizen",
        "--name",
        "Pendek",
        "--email",
        "p@contoh.id",
        "--password",
        "123",
    )
    assert short.returncode == 2 and "password" in short.stderr


def test_secret_key_is_generated_once_with_private_permissions(fresh_env: dict[str, str]) -> None:
    first = Settings.from_env(fresh_env).secret_key
    second = Settings.from_env(fresh_env).secret_key
    assert first == second and len(first) >= 40
    path = Path(fresh_env["REMBUG_DATA_DIR"]) / "secret_key"
    assert oct(path.stat().st_mode)[-3:] == "600"


def test_sqlite_runs_in_wal_mode_with_foreign_keys(fresh_env: dict[str, str]) -> None:
    assert rembug(fresh_env, "migrate").returncode == 0
    services = build_services(Settings.from_env({**RUN_WORKER_OFF, **fresh_env}))
    with services.db.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() >= 5000
    services.db.engine.dispose()
    plain = create_engine(f"sqlite:///{fresh_env['REMBUG_DATA_DIR']}/rembug.sqlite3")
    with plain.connect() as conn:
        assert conn.execute(text("PRAGMA integrity_check")).scalar() == "ok"
    plain.dispose()


def test_copy_db_moves_a_deployment_and_verifies_counts(
    fresh_env: dict[str, str], tmp_path: Path
) -> None:
    """SQLite → another database: PostgreSQL when the suite runs on it, else another SQLite."""
    assert rembug(fresh_env, "migrate").returncode == 0
    assert rembug(fresh_env, "demo").returncode == 0
    pg_url = os.environ.get("REMBUG_TEST_DATABASE_URL")
    if pg_url:
        target = fresh_postgres_database(pg_url, f"rembug_copy_{os.getpid()}")
    else:
        target = f"sqlite:///{tmp_path / 'copy.sqlite3'}"
    copied = rembug(fresh_env, "copy-db", "--to", target)
    assert copied.returncode == 0, copied.stderr
    assert "jumlah cocok" in copied.stdout
    again = rembug(fresh_env, "copy-db", "--to", target)
    assert again.returncode != 0 and "not empty" in again.stderr
    source = create_engine(f"sqlite:///{fresh_env['REMBUG_DATA_DIR']}/rembug.sqlite3")
    copy = create_engine(target)
    with source.connect() as a, copy.connect() as b:
        for table in (
            "account",
            "comment",
            "aspiration",
            "moderation_case",
            "outbox_job",
            "region",
        ):
            assert (
                a.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar()
                == b.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar()
            ), table
    source.dispose()
    copy.dispose()
    # The copy works: the app starts on it and new rows get fresh ids.
    moved = {**fresh_env, "REMBUG_DATABASE_URL": target}
    created = rembug(
        moved,
        "create-user",
        "--role",
        "citizen",
        "--name",
        "Baru",
        "--email",
        "baru.sekali@contoh.id",
        "--password",
        "rahasia-sekali-123",
    )
    assert created.returncode == 0, created.stderr


AGENCY_SET = """\
moderator: mod
agencies:
- slug: dinas-kominfo-contoh
  name: Dinas Komunikasi dan Informatika Kabupaten Contoh
accounts:
- {key: mod, name: Mira Moderator, email: mira@contoh.go.id, role: moderator}
- {key: ani, name: Ani Pejabat, email: ani@contoh.go.id, role: official,
   agency: dinas-kominfo-contoh}
- {key: warga, name: Wawan Warga, email: wawan@contoh.id, role: citizen}
consultations:
- key: pelatihan
  agency: dinas-kominfo-contoh
  author: ani
  text: rancangan.md
  opens: -1d
  closes: +14d
  published: -1d
"""


def test_demo_loads_an_agencys_own_data_set(fresh_env: dict[str, str], tmp_path: Path) -> None:
    folder = tmp_path / "pelatihan"
    folder.mkdir()
    (folder / "manifest.yaml").write_text(AGENCY_SET, encoding="utf-8")
    (folder / "rancangan.md").write_text("# Rancangan pelatihan\n\nIsi.\n", encoding="utf-8")
    (folder / "comments.yaml").write_text(
        "comments:\n- {consultation: pelatihan, author: warga, at: -2h, state: pending,"
        " body: Setuju.}\n",
        encoding="utf-8",
    )
    assert rembug(fresh_env, "migrate").returncode == 0
    (folder / "aspirations.yaml").write_text(
        "aspirations:\n- {author: warga, title: Jalan rusak, body: Tolong diperbaiki.,"
        " category: infrastruktur, region: '99.99', sent: -1d, state: pending}\n",
        encoding="utf-8",
    )
    refused = rembug(fresh_env, "demo", "--data", str(folder))
    assert refused.returncode != 0
    assert "aspirations.yaml, aspirations[0]: unknown region '99.99'" in refused.stderr
    (folder / "aspirations.yaml").unlink()
    loaded = rembug(fresh_env, "demo", "--data", str(folder))
    assert loaded.returncode == 0, loaded.stderr
    assert "wawan@contoh.id" in loaded.stdout
    settings = Settings.from_env({**RUN_WORKER_OFF, **fresh_env})
    services = build_services(settings)
    with services.db.read() as db:
        assert [a.email for a in db.exec(select(Account).order_by(Account.id))] == [
            "mira@contoh.go.id",
            "ani@contoh.go.id",
            "wawan@contoh.id",
        ]
        assert [c.body for c in db.exec(select(Comment))] == ["Setuju."]
        assert db.exec(select(Consultation)).one().title == "Rancangan pelatihan"
    services.db.engine.dispose()

"""Two-factor secrets at rest: AES-GCM with the keys of REMBUG_SEALING_KEYS (first seals,
all open), rotation without anyone enrolling again, migration 0008 of the former HMAC
construction, and tampered or moved ciphertext refused."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest
from alembic import command
from sqlmodel import select

from forum import actions, sealing, totp
from forum.db import MIGRATIONS_DIR, alembic_config
from forum.models import TotpCredential
from forum.settings import Settings, SettingsError
from tests.conftest import Browser, World, two_factor_secret

OLD = "old-sealing-key-0123456789abcdefghijklmnop"
NEW = "new-sealing-key-0123456789abcdefghijklmnop"


def migration_0008():  # type: ignore[no-untyped-def]
    path = MIGRATIONS_DIR / "versions" / "0008_seal_totp_secrets.py"
    spec = importlib.util.spec_from_file_location("migration_0008", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_rotation_keeps_old_rows_readable_and_reseal_moves_them_to_the_new_key() -> None:
    secret = totp.new_secret()
    sealed = totp.seal(secret, account_id=7, secret_key=OLD)
    rotated = f"{NEW},{OLD}"
    assert totp.unseal(sealed, account_id=7, secret_key=rotated) == secret
    assert totp.needs_reseal(sealed, secret_key=rotated)
    resealed = totp.seal(secret, account_id=7, secret_key=rotated)
    assert not totp.needs_reseal(resealed, secret_key=rotated)
    assert totp.unseal(resealed, account_id=7, secret_key=NEW) == secret  # old key dropped
    with pytest.raises(totp.SecretUnreadable):
        totp.unseal(sealed, account_id=7, secret_key=NEW)


@pytest.mark.parametrize("position", [0, 5, 14, 20, -1])
def test_tampered_ciphertext_is_refused(position: int) -> None:
    sealed = totp.seal(totp.new_secret(), account_id=3, secret_key=NEW)
    head, body = sealed.rsplit(".", 1)
    raw = bytearray(sealing.base64.urlsafe_b64decode(body))
    raw[position] ^= 0x01
    tampered = f"{head}.{sealing.base64.urlsafe_b64encode(bytes(raw)).decode()}"
    with pytest.raises(totp.SecretUnreadable, match="tampered"):
        totp.unseal(tampered, account_id=3, secret_key=NEW)
    with pytest.raises(totp.SecretUnreadable):
        totp.unseal(sealed, account_id=4, secret_key=NEW)  # moved to another account
    with pytest.raises(totp.SecretUnreadable):
        totp.unseal("v2.deadbeef.AAAA", account_id=3, secret_key=NEW)


def test_the_same_secret_seals_differently_each_time() -> None:
    secret = totp.new_secret()
    first = totp.seal(secret, account_id=1, secret_key=NEW)
    assert first != totp.seal(secret, account_id=1, secret_key=NEW)
    assert totp.b32(secret) not in first


def test_sealing_keys_setting_is_validated_and_required_in_production(tmp_path: Path) -> None:
    base = {"REMBUG_DATA_DIR": str(tmp_path), "REMBUG_SECRET_KEY": "k" * 40}
    assert Settings.from_env({**base, "REMBUG_SEALING_KEYS": f" {NEW} , {OLD} "}).sealing_keys == (
        f"{NEW},{OLD}"
    )
    with pytest.raises(SettingsError, match="REMBUG_SEALING_KEYS key 2 is shorter"):
        Settings.from_env({**base, "REMBUG_SEALING_KEYS": f"{NEW},short"})
    with pytest.raises(SettingsError, match="twice"):
        Settings.from_env({**base, "REMBUG_SEALING_KEYS": f"{NEW},{NEW}"})
    public = {**base, "REMBUG_BASE_URL": "https://rembug.contoh.go.id"}
    with pytest.raises(SettingsError, match="REMBUG_SEALING_KEYS must be set"):
        Settings.from_env(public)
    assert Settings.from_env({**public, "REMBUG_SEALING_KEYS": NEW}).is_production
    development = Settings.from_env(base)  # a key derived from REMBUG_SECRET_KEY
    assert development.sealing_keys == Settings.from_env(base).sealing_keys
    assert not development.is_production


def test_rotating_keys_and_resealing_keeps_staff_logging_in(browser: Browser, world: World) -> None:
    services = world.services
    assert world.moderator.id is not None
    before = two_factor_secret(services, world.moderator.id)
    old_ring = services.settings.sealing_keys
    object.__setattr__(services.settings, "sealing_keys", f"{NEW},{old_ring}")
    try:
        with services.db.write() as db:
            result = actions.reseal_two_factor_secrets(
                db, secret_key=services.settings.sealing_keys
            )
        assert result.resealed >= 1 and result.unreadable == 0
        with services.db.write() as db:
            again = actions.reseal_two_factor_secrets(db, secret_key=services.settings.sealing_keys)
        assert again.resealed == 0 and again.current == result.resealed + result.current
        object.__setattr__(services.settings, "sealing_keys", NEW)  # the old key removed
        assert two_factor_secret(services, world.moderator.id) == before
        browser.login(world.moderator)
        assert browser.get("/moderation").status_code == 200
    finally:
        object.__setattr__(services.settings, "sealing_keys", old_ring)


def test_migration_0008_reseals_rows_of_the_former_construction(world: World) -> None:
    services = world.services
    settings = services.settings
    assert world.moderator.id is not None
    secret = totp.from_b32(two_factor_secret(services, world.moderator.id))
    legacy = migration_0008()
    v1 = legacy.seal_v1(secret, world.moderator.id, settings.secret_key)
    assert legacy.open_v1(v1, world.moderator.id, settings.secret_key) == secret
    assert legacy.open_v1(v1, world.moderator.id, "another-secret-key") is None
    unreadable = legacy.seal_v1(secret, world.admin.id, "a-secret-key-changed-long-ago")
    config = alembic_config(settings.database_url)
    config.attributes["rembug_settings"] = settings
    with services.db.engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0006")
    with services.db.write() as db:
        for account_id, value in ((world.moderator.id, v1), (world.admin.id, unreadable)):
            credential = db.get(TotpCredential, account_id)
            assert credential is not None
            credential.secret = value
            db.add(credential)
    with services.db.engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "heads")
    with services.db.read() as db:
        rows = {c.account_id: c.secret for c in db.exec(select(TotpCredential))}
    assert rows[world.moderator.id].startswith("v2.")
    assert rows[world.admin.id] == unreadable  # left for an administrator to reset
    assert two_factor_secret(services, world.moderator.id) == totp.b32(secret)


def test_rembug_reseal_reports_what_it_did(world: World, tmp_path: Path) -> None:
    settings = world.services.settings
    env = {
        "REMBUG_DATA_DIR": str(settings.data_dir),
        "REMBUG_DATABASE_URL": settings.database_url,
        "REMBUG_SECRET_KEY": settings.secret_key,
        "REMBUG_SEALING_KEYS": f"{NEW},{settings.sealing_keys}",
        "REMBUG_RUN_WORKER": "false",
        "PATH": "/usr/bin:/bin",
    }
    done = subprocess.run(
        [sys.executable, "-m", "forum.cli", "reseal"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "re-sealed: " in done.stdout and "unreadable: 0" in done.stdout

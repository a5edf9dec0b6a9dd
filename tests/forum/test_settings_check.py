"""Settings fail at start with a message naming the setting; ``rembug check`` lists what an
operator left misconfigured; dates carry WIB, WITA or WIT by their zone."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from bots.plugin import PLUGIN as BOTS
from forum.checks import problems
from forum.cli import main
from forum.i18n import Formatter
from forum.settings import Settings, SettingsError

KEY = "k" * 40
SEALING = "s" * 40


def env(tmp_path: Path, **values: str) -> dict[str, str]:
    return {"REMBUG_DATA_DIR": str(tmp_path), "REMBUG_SECRET_KEY": KEY, **values}


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("REMBUG_TIMEZONE", "Asia/Bandung", "IANA time zone"),
        ("REMBUG_LOG_LEVEL", "LOUD", "REMBUG_LOG_LEVEL must be one of"),
        ("REMBUG_LOG_FORMAT", "xml", "REMBUG_LOG_FORMAT must be one of text, json"),
        ("REMBUG_BASE_URL", "https://", "REMBUG_BASE_URL must be an http"),
        ("REMBUG_BASE_URL", "ftp://forum.example", "REMBUG_BASE_URL must be an http"),
        ("REMBUG_DATABASE_URL", "mysql://db/rembug", "REMBUG_DATABASE_URL must start with"),
        ("REMBUG_SMTP_URL", "mail.example:25", "REMBUG_SMTP_URL must be smtp://"),
        ("REMBUG_SMTP_URL", "smtp://mail.example:99999", "invalid port"),
        ("REMBUG_EMAIL_FROM", "rembug", "REMBUG_EMAIL_FROM must be an email address"),
        ("REMBUG_SESSION_DAYS", "0", "REMBUG_SESSION_DAYS must be at least 1"),
        ("REMBUG_SESSION_DAYS", "3650", "REMBUG_SESSION_DAYS must be at most 365"),
        ("REMBUG_RESPONSE_DAYS", "lima", "REMBUG_RESPONSE_DAYS must be a whole number"),
        ("REMBUG_WORKER_POLL_SECONDS", "0", "REMBUG_WORKER_POLL_SECONDS must be above 0"),
        ("REMBUG_METRICS_TOKEN", "short", "REMBUG_METRICS_TOKEN must be at least 16"),
        ("REMBUG_METRICS_ALLOW", "10.0.0.0/8,intranet", "'intranet' is not an IP address"),
    ],
)
def test_an_invalid_setting_is_refused_at_start_naming_it(
    tmp_path: Path, name: str, value: str, message: str
) -> None:
    with pytest.raises(SettingsError, match=message):
        Settings.from_env(env(tmp_path, **{name: value}))


def test_the_command_line_says_which_setting_is_wrong(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in env(tmp_path, REMBUG_TIMEZONE="WIB").items():
        monkeypatch.setenv(name, value)
    with pytest.raises(SystemExit, match="invalid setting: REMBUG_TIMEZONE"):
        main(["check"])


def test_valid_settings_are_normalised(tmp_path: Path) -> None:
    settings = Settings.from_env(
        env(
            tmp_path,
            REMBUG_LOG_LEVEL="warning",
            REMBUG_TIMEZONE="Asia/Makassar",
            REMBUG_SMTP_URL="smtps://u:p@mail.example:465",
            REMBUG_METRICS_ALLOW="127.0.0.1, 10.0.0.0/8",
        )
    )
    assert settings.log_level == "WARNING" and settings.timezone == "Asia/Makassar"
    assert [str(n) for n in settings.metrics_networks] == ["127.0.0.1/32", "10.0.0.0/8"]


def test_rembug_check_lists_what_a_public_deployment_left_misconfigured(
    tmp_path: Path,
) -> None:
    settings = Settings.from_env(
        {
            "REMBUG_DATA_DIR": str(tmp_path),
            "REMBUG_BASE_URL": "https://aspirasi.contoh.go.id",
            "REMBUG_SEALING_KEYS": SEALING,
            "REMBUG_TELEGRAM_TOKEN": "123:abc",
            "REMBUG_WHATSAPP_TOKEN": "EAAG",
        }
    )
    found = "\n".join(problems(settings, plugins=[BOTS]))
    assert "REMBUG_SECRET_KEY is not set" in found
    assert "REMBUG_SMTP_URL is empty" in found
    assert "REMBUG_TELEGRAM_WEBHOOK_SECRET is empty" in found
    assert "REMBUG_WHATSAPP_APP_SECRET is empty" in found
    assert "No holidays" not in found
    http = Settings.from_env(env(tmp_path, REMBUG_BASE_URL="http://aspirasi.contoh.go.id"))
    found = "\n".join(problems(http, plugins=[BOTS]))
    assert "is not https" in found and "REMBUG_SEALING_KEYS is not set" in found


def test_rembug_check_passes_a_complete_configuration(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    complete = env(
        tmp_path,
        REMBUG_BASE_URL="https://aspirasi.contoh.go.id",
        REMBUG_SEALING_KEYS=SEALING,
        REMBUG_SMTP_URL="smtp://u:p@mail.contoh.go.id:587",
        REMBUG_EMAIL_FROM="aspirasi@contoh.go.id",
    )
    for name, value in complete.items():
        monkeypatch.setenv(name, value)
    assert main(["check"]) == 0
    assert "no problems found" in capsys.readouterr().out
    monkeypatch.delenv("REMBUG_SMTP_URL")
    assert main(["check"]) == 1
    assert "- REMBUG_SMTP_URL is empty" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("zone", "label", "hour"),
    [
        ("Asia/Jakarta", "WIB", "09.00"),
        ("Asia/Pontianak", "WIB", "09.00"),
        ("Asia/Makassar", "WITA", "10.00"),
        ("Asia/Jayapura", "WIT", "11.00"),
        ("Europe/Amsterdam", "UTC+01:00", "03.00"),
    ],
)
def test_dates_carry_the_label_of_their_zone(zone: str, label: str, hour: str) -> None:
    shown = Formatter("id", zone).datetime(datetime(2026, 1, 5, 2, 0, tzinfo=UTC))
    assert shown.endswith(f"{hour} {label}")


S3 = {
    "REMBUG_ATTACHMENT_STORE": "s3",
    "REMBUG_S3_BUCKET": "rembug-lampiran",
    "REMBUG_S3_ACCESS_KEY_ID": "AKIAREMBUG",
    "REMBUG_S3_SECRET_ACCESS_KEY": "very-secret-value-0123456789",
}


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"REMBUG_ATTACHMENT_STORE": "nfs"}, "REMBUG_ATTACHMENT_STORE must be one of local, s3"),
        ({"REMBUG_S3_BUCKET": "b"}, "REMBUG_S3_BUCKET set but REMBUG_ATTACHMENT_STORE is local"),
        ({**S3, "REMBUG_S3_BUCKET": ""}, "is s3 but REMBUG_S3_BUCKET not set"),
        (
            {**S3, "REMBUG_S3_SECRET_ACCESS_KEY": " "},
            "is s3 but REMBUG_S3_SECRET_ACCESS_KEY not set",
        ),
        ({**S3, "REMBUG_S3_BUCKET": "Lampiran_Warga"}, "is not a bucket name"),
        ({**S3, "REMBUG_S3_ENDPOINT_URL": "minio.internal:9000"}, "must be an http:// or"),
        ({**S3, "REMBUG_S3_ENDPOINT_URL": "https://minio:99999"}, "has an invalid port"),
        ({**S3, "REMBUG_S3_ENDPOINT_URL": "https://k:s@minio.internal"}, "only scheme, host"),
        ({**S3, "REMBUG_S3_ENDPOINT_URL": "https://minio/rembug"}, "only scheme, host"),
        ({**S3, "REMBUG_S3_PREFIX": "a/../b"}, "REMBUG_S3_PREFIX 'a/../b' may hold only"),
        ({**S3, "REMBUG_S3_REGION": "jakarta 1"}, "is not a region name"),
        ({**S3, "REMBUG_S3_ADDRESSING_STYLE": "dns"}, "must be one of path, virtual"),
    ],
)
def test_an_s3_store_without_what_it_needs_is_refused_at_start(
    tmp_path: Path, values: dict[str, str], message: str
) -> None:
    with pytest.raises(SettingsError, match=message) as refused:
        Settings.from_env(env(tmp_path, **values))
    assert "very-secret-value" not in str(refused.value)


def test_the_s3_settings_are_read_and_the_secret_is_never_shown(tmp_path: Path) -> None:
    settings = Settings.from_env(
        env(
            tmp_path,
            **S3,
            REMBUG_S3_ENDPOINT_URL="https://s3.kota-a.go.id:9000/",
            REMBUG_S3_PREFIX="/rembug/lampiran/",
            REMBUG_S3_REGION="jakarta-1",
        )
    )
    assert settings.attachment_store == "s3" and settings.s3 is not None
    assert settings.s3.endpoint_url == "https://s3.kota-a.go.id:9000"
    assert (settings.s3.prefix, settings.s3.region) == ("rembug/lampiran", "jakarta-1")
    assert settings.s3.addressing_style == "path"
    assert settings.s3.secret_access_key == "very-secret-value-0123456789"
    assert "very-secret-value" not in repr(settings.s3)
    local = Settings.from_env(env(tmp_path))
    assert (local.attachment_store, local.s3) == ("local", None)

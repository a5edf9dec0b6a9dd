"""The SMS settings are checked at start-up with a message naming the setting, and
``rembug check`` says what a provider set-up lacks."""

from __future__ import annotations

from pathlib import Path

import pytest

from bots.plugin import check
from bots.sms.config import SmsSettings
from bots.sms.gateways import make_gateway
from forum.settings import Settings, SettingsError


def _settings(tmp_path: Path, **env: str) -> Settings:
    return Settings.from_env(
        {
            "REMBUG_DATA_DIR": str(tmp_path),
            "REMBUG_SECRET_KEY": "test-secret-key-with-enough-entropy-0123456789",
            **env,
        }
    )


def test_defaults_are_the_console_and_three_segments(tmp_path: Path) -> None:
    config = SmsSettings.read(_settings(tmp_path))
    assert config.gateway == "console" and config.max_segments == 3
    assert check(_settings(tmp_path)) == []


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"REMBUG_SMS_MAX_SEGMENTS": "0"}, "REMBUG_SMS_MAX_SEGMENTS"),
        ({"REMBUG_SMS_DAILY_BUDGET": "banyak"}, "REMBUG_SMS_DAILY_BUDGET"),
        ({"REMBUG_SMS_NOTIFY": "published,gossip"}, "gossip"),
        ({"REMBUG_SMS_RATE_OVERALL": "0"}, "REMBUG_SMS_RATE_OVERALL"),
    ],
)
def test_wrong_values_are_refused_naming_the_setting(
    tmp_path: Path, env: dict[str, str], named: str
) -> None:
    with pytest.raises(SettingsError, match=named):
        SmsSettings.read(_settings(tmp_path, **env))


def _start(settings: Settings) -> None:
    """What the bots plugin's setup does with the settings (bots.sms.wiring.setup)."""
    make_gateway(settings, SmsSettings.read(settings))


def test_an_unknown_gateway_or_a_provider_without_credentials_stops_the_start(
    tmp_path: Path,
) -> None:
    with pytest.raises(SettingsError, match=r"REMBUG_SMS_GATEWAY must be one of .*twilio"):
        _start(_settings(tmp_path, REMBUG_SMS_GATEWAY="carrier-pigeon"))
    settings = _settings(tmp_path, REMBUG_SMS_GATEWAY="twilio")
    with pytest.raises(SettingsError, match="REMBUG_SMS_TWILIO_AUTH_TOKEN"):
        _start(settings)
    assert any("REMBUG_SMS_TWILIO_ACCOUNT_SID" in problem for problem in check(settings))
    complete = _settings(
        tmp_path,
        REMBUG_SMS_GATEWAY="twilio",
        REMBUG_SMS_TWILIO_ACCOUNT_SID="AC1",
        REMBUG_SMS_TWILIO_AUTH_TOKEN="token",
        REMBUG_SMS_TWILIO_FROM="+6281100001708",
    )
    assert any("https" in problem for problem in check(complete))  # http base URL

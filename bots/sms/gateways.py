"""Which ``Gateway`` carries SMS, chosen by ``REMBUG_SMS_GATEWAY``: the console (development,
the demo) or a Twilio-compatible HTTP provider. One registry, so a gateway is added in one
place."""

from __future__ import annotations

import logging
from collections.abc import Callable

from bots.channels import Outcome, SendResult
from bots.config import BotSettings
from bots.sms.config import SmsSettings
from bots.sms.gateway import Gateway
from bots.sms.twilio import TwilioGateway
from forum.settings import Settings, SettingsError

log = logging.getLogger("bots.console")

STATUS_PATH = "/webhooks/sms/twilio/status"


class ConsoleGateway:
    """Development: each SMS is logged (and printed by ``rembug sms console``) instead of
    sent; it has no delivery reports."""

    name = "console"
    receipts = False

    def __init__(self) -> None:
        self._counter = 0
        self.sent: list[tuple[str, str]] = []

    async def submit(self, to: str, text: str, reference: str) -> SendResult:
        self._counter += 1
        self.sent.append((to, text))
        log.info("[sms → %s] %s", to, text)
        return SendResult(Outcome.sent, message_id=f"console-{self._counter}")

    async def aclose(self) -> None:
        return None


def _console(settings: Settings, config: SmsSettings) -> Gateway:
    return ConsoleGateway()


def _twilio(settings: Settings, config: SmsSettings) -> Gateway:
    missing = [
        name
        for name, value in (
            ("REMBUG_SMS_TWILIO_ACCOUNT_SID", config.twilio_account_sid),
            ("REMBUG_SMS_TWILIO_AUTH_TOKEN", config.twilio_auth_token),
            ("REMBUG_SMS_TWILIO_FROM", config.twilio_from),
        )
        if not value
    ]
    if missing:
        raise SettingsError(f"REMBUG_SMS_GATEWAY=twilio needs {', '.join(missing)}")
    return TwilioGateway(
        config.twilio_account_sid,
        config.twilio_auth_token,
        config.twilio_from,
        config.twilio_api_url,
        settings.base_url.rstrip("/") + STATUS_PATH,
    )


def _gammu(settings: Settings, config: SmsSettings) -> Gateway:
    from bots.sms.gammu import GammuGateway

    if not BotSettings.read(settings).gammu_database_url:
        raise SettingsError("REMBUG_SMS_GATEWAY=gammu needs REMBUG_GAMMU_DATABASE_URL")
    return GammuGateway(settings)


# REMBUG_SMS_GATEWAY value → how to build that gateway from the settings.
GATEWAYS: dict[str, Callable[[Settings, SmsSettings], Gateway]] = {
    "console": _console,
    "gammu": _gammu,
    "twilio": _twilio,
}


def make_gateway(settings: Settings, config: SmsSettings) -> Gateway:
    """The gateway the settings name; an unknown name is a settings error at start-up."""
    build = GATEWAYS.get(config.gateway)
    if build is None:
        raise SettingsError(f"REMBUG_SMS_GATEWAY must be one of {', '.join(sorted(GATEWAYS))}")
    return build(settings, config)

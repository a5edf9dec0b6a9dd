"""How the SMS channel plugs into the bots plugin (``bots.plugin``): its settings, the channel
over the configured gateway, the ``sms`` intake processor, the cost controls, the webhook
routes and the start-up checks."""

from __future__ import annotations

from starlette.routing import BaseRoute, Route

from bots.delivery import Pace, register_channel, register_policy
from bots.sms import costs
from bots.sms.channel import SmsChannel
from bots.sms.config import SmsSettings
from bots.sms.conversation import SETTINGS
from bots.sms.gateway import CHANNEL
from bots.sms.gateways import STATUS_PATH, ConsoleGateway, make_gateway
from bots.sms.inbound import PROCESSOR
from bots.sms.webhook import INBOUND_PATH, twilio_inbound, twilio_status
from forum.intake import register_processor
from forum.services import Services
from forum.settings import Settings, SettingsError


def setup(services: Services, *, console: bool) -> None:
    """``console``: REMBUG_CHAT_CHANNEL_MODE=console logs every channel's messages."""
    config = SmsSettings.read(services.settings)
    services.extensions[SETTINGS] = config
    gateway = ConsoleGateway() if console else make_gateway(services.settings, config)
    channel = SmsChannel(gateway, config.max_segments, config.cost_per_segment)
    register_channel(services, channel, Pace(config.rate_overall, 1.0))
    register_processor(services, CHANNEL, PROCESSOR)
    register_policy(services, CHANNEL, costs.policy(config, services.settings.timezone))


def routes() -> list[BaseRoute]:
    return [
        Route(INBOUND_PATH, twilio_inbound, methods=["POST"]),
        Route(STATUS_PATH, twilio_status, methods=["POST"]),
    ]


def check(settings: Settings) -> list[str]:
    """``rembug check``: an SMS gateway that cannot work, from the settings alone."""
    try:
        config = SmsSettings.read(settings)
        if config.gateway != "console":
            make_gateway(settings, config)
    except SettingsError as exc:
        return [str(exc)]
    found = []
    if config.gateway == "twilio" and not settings.base_url.startswith("https://"):
        found.append(
            "The SMS provider signs the https URL it calls: REMBUG_BASE_URL is "
            f"{settings.base_url}, so X-Twilio-Signature will not verify behind TLS"
        )
    return found

"""The chat channels plug into the forum here: settings, tables, notification subscribers,
outbox jobs (process an update, deliver a message), the Telegram, WhatsApp and SMS webhooks and the
web pages (link a chat, delivery states), and the Telegram Application in the web process's
lifespan."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from starlette.routing import BaseRoute, Route

import bots.models
import bots.sms.models  # noqa: F401 - registers the SMS tables
from bots import login_codes, media, subscribers
from bots.actions import DELIVER_JOB, FETCH_JOB
from bots.channels import ConsoleChannel
from bots.config import SETTINGS, BotSettings
from bots.delivery import SETTINGS as SETTINGS_KEY
from bots.delivery import Pace, channels, deliver, register_channel
from bots.email import wiring as email_wiring
from bots.email.config import SETTINGS as EMAIL_SETTINGS
from bots.guard import GUARD, FailureLimiter
from bots.privacy import account_chat_data
from bots.sms import wiring as sms
from bots.sms.config import SETTINGS as SMS_SETTINGS
from bots.telegram.channel import TelegramChannel
from bots.telegram.commands import webhook_problems
from bots.telegram.webhook import PROCESSOR as TELEGRAM_PROCESSOR
from bots.telegram.webhook import UPDATE_JOB, telegram_webhook
from bots.whatsapp import webhook as whatsapp_webhook
from bots.whatsapp.channel import WhatsAppChannel
from bots.whatsapp.client import GraphClient
from forum.errors import N_
from forum.extensions import ACCOUNT_DATA, METRIC_READINGS, NAV_LINKS, PROFILE_LINKS
from forum.intake import legacy_update_job, register_processor
from forum.metrics import Reading
from forum.plugins import Plugin
from forum.services import Services
from forum.settings import Settings
from forum.spool import spool

HERE = Path(__file__).resolve().parent


def setup(services: Services) -> None:
    config = BotSettings.read(services.settings)
    services.extensions[SETTINGS_KEY] = config
    services.extensions[GUARD] = FailureLimiter(
        config.webhook_failure_limit, config.webhook_failure_window
    )
    telegram = (
        TelegramChannel(config.telegram_token, config.telegram_api_url)
        if config.telegram_live
        else ConsoleChannel("telegram")
    )
    register_channel(services, telegram, Pace(config.telegram_rate_overall, 1.0))
    whatsapp = (
        WhatsAppChannel(
            GraphClient(
                config.whatsapp_token,
                config.whatsapp_phone_number_id,
                config.whatsapp_api_url,
                config.whatsapp_api_version,
            ),
            config.whatsapp_template,
            {
                "id": config.whatsapp_template_lang,
                "en": config.whatsapp_template_lang_en or config.whatsapp_template_lang,
            },
            config.whatsapp_template_auth,
        )
        if config.whatsapp_live
        else ConsoleChannel("whatsapp")
    )
    register_channel(
        services,
        whatsapp,
        Pace(config.whatsapp_rate_overall, 1.0),
        Pace(1.0 / config.whatsapp_chat_interval, config.whatsapp_chat_burst),
    )
    sms.setup(services, console=config.mode == "console")
    email_wiring.setup(services)
    register_processor(services, "telegram", TELEGRAM_PROCESSOR)
    register_processor(services, "whatsapp", whatsapp_webhook.PROCESSOR)
    services.extensions.setdefault(METRIC_READINGS, []).append(spool_readings)
    services.job_handlers[UPDATE_JOB] = legacy_update_job
    services.job_handlers[whatsapp_webhook.UPDATE_JOB] = legacy_update_job
    services.job_handlers[DELIVER_JOB] = deliver
    services.job_handlers[FETCH_JOB] = media.fetch_job
    subscribers.subscribe(services)
    login_codes.register(services)
    services.extensions.setdefault(PROFILE_LINKS, []).append((N_("Link a chat"), "/saya/chat"))
    services.extensions.setdefault(ACCOUNT_DATA, []).append(account_chat_data)
    services.extensions.setdefault(NAV_LINKS, []).append(
        (N_("Chat deliveries"), "/kelola/pengiriman", ("official", "moderator", "admin"))
    )


def routes(services: Services) -> list[BaseRoute]:
    from bots import web

    return [
        Route("/webhooks/telegram", telegram_webhook, methods=["POST"]),
        Route("/webhooks/whatsapp", whatsapp_webhook.whatsapp_webhook, methods=["GET", "POST"]),
        *sms.routes(),
        *web.routes,
        *email_wiring.routes(),
    ]


@contextlib.asynccontextmanager
async def lifespan(services: Services) -> AsyncIterator[None]:
    channel = channels(services).get("telegram")
    try:
        if isinstance(channel, TelegramChannel):
            async with channel.running():
                yield
        else:
            yield
    finally:
        for each in channels(services).values():
            await each.aclose()


def spool_readings(services: Services) -> list[Reading]:
    """/metrics: chat updates and web submissions acknowledged and not processed yet."""
    return [
        Reading(
            "rembug_chat_spool_pending",
            "Chat updates and web submissions waiting in the spool for the intake job.",
            float(spool(services).count_pending()),
        )
    ]


def check(settings: Settings) -> list[str]:
    """``rembug check``: chat channels whose webhook cannot work, from the settings alone."""
    config = BotSettings.read(settings)
    found = []
    if config.telegram_token:
        if not config.telegram_secret:
            found.append(
                "REMBUG_TELEGRAM_TOKEN is set but REMBUG_TELEGRAM_WEBHOOK_SECRET is empty: the "
                "webhook refuses every update; set it, then run rembug telegram set-webhook"
            )
        if not settings.base_url.startswith("https://"):
            found.append(
                "Telegram delivers webhooks only to https: REMBUG_BASE_URL is "
                f"{settings.base_url}, so the webhook cannot be registered"
            )
    if config.whatsapp_token:
        for name, value in (
            ("REMBUG_WHATSAPP_APP_SECRET", config.whatsapp_app_secret),
            ("REMBUG_WHATSAPP_VERIFY_TOKEN", config.whatsapp_verify_token),
            ("REMBUG_WHATSAPP_PHONE_NUMBER_ID", config.whatsapp_phone_number_id),
        ):
            if not value:
                found.append(f"REMBUG_WHATSAPP_TOKEN is set but {name} is empty")
    if config.gammu_database_url:
        from bots.sms.gammu import GammuStore

        store = GammuStore(config.gammu_database_url)
        try:
            found.extend(store.problems())
        finally:
            store.close()
    found += sms.check(settings)
    return found + email_wiring.check(settings)


def add_cli_commands(subparsers: Any) -> None:
    """``rembug`` gets this package's subcommands."""
    from bots.cli import add_commands

    add_commands(subparsers)


PLUGIN = Plugin(
    name="bots",
    setup=setup,
    routes=routes,
    template_dir=HERE / "templates",
    locale_dir=HERE / "locale",
    lifespan=lifespan,
    check=check,
    check_online=webhook_problems,
    settings=SETTINGS + SMS_SETTINGS + EMAIL_SETTINGS,
    cli=add_cli_commands,
)

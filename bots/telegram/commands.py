"""Operator commands: register the webhook with its secret, check that it is registered
(``rembug check --online``), or poll for updates in development (each update is taken in
exactly like the webhook does, then processed)."""

from __future__ import annotations

import asyncio
import json
import logging

from telegram.error import TelegramError

from bots.config import BotSettings
from bots.delivery import channels
from bots.telegram.channel import TelegramChannel
from bots.telegram.webhook import store_update
from forum.services import Services
from forum.settings import Settings

log = logging.getLogger(__name__)
ALLOWED_UPDATES = ["message", "callback_query", "my_chat_member"]


def _channel(config: BotSettings) -> TelegramChannel:
    if not config.telegram_token:
        raise SystemExit("REMBUG_TELEGRAM_TOKEN is not set")
    return TelegramChannel(config.telegram_token, config.telegram_api_url)


async def set_webhook(services: Services, url: str | None = None) -> str:
    config = BotSettings.read(services.settings)
    if not config.telegram_secret:
        raise SystemExit("REMBUG_TELEGRAM_WEBHOOK_SECRET is not set")
    channel = _channel(config)
    target = url or f"{services.settings.base_url}/webhooks/telegram"
    bot = await channel.bot()
    try:
        await bot.set_webhook(
            url=target,
            secret_token=config.telegram_secret,
            allowed_updates=ALLOWED_UPDATES,
            max_connections=40,
        )
    finally:
        await channel.aclose()
    return target


async def poll(services: Services, stop: asyncio.Event, timeout: int = 25) -> None:
    """Development without a public URL: long-poll getUpdates (the webhook must be unset)."""
    channel = _channel(BotSettings.read(services.settings))
    bot = await channel.bot()
    offset = 0
    assert services.worker is not None
    try:
        while not stop.is_set():
            updates = await bot.get_updates(
                offset=offset, timeout=timeout, allowed_updates=ALLOWED_UPDATES
            )
            for update in updates:
                data = update.to_dict()
                await asyncio.to_thread(
                    store_update, services, json.dumps(data, ensure_ascii=False), data
                )
                offset = update.update_id + 1
            await services.worker.drain()
    finally:
        await channel.aclose()
        for each in channels(services).values():
            await each.aclose()


async def webhook_problems(settings: Settings) -> list[str]:
    """``rembug check --online``: is Telegram delivering to this deployment's webhook? Asks
    getWebhookInfo: not registered, registered for another address, or failing deliveries
    (Telegram's last error) each become a line; a token Telegram refuses too."""
    config = BotSettings.read(settings)
    if not config.telegram_token:
        return []
    expected = f"{settings.base_url}/webhooks/telegram"
    channel = _channel(config)
    try:
        bot = await channel.bot()
        info = await bot.get_webhook_info()
    except TelegramError as exc:
        return [f"Telegram: getWebhookInfo failed ({exc}); is REMBUG_TELEGRAM_TOKEN right?"]
    finally:
        await channel.aclose()
    found = []
    if not info.url:
        found.append(
            f"Telegram: no webhook is registered, so no update reaches {expected}; "
            "run rembug telegram set-webhook"
        )
    elif info.url != expected:
        found.append(
            f"Telegram: the webhook is registered for {info.url}, not {expected}; "
            "run rembug telegram set-webhook"
        )
    if info.last_error_message:
        when = f" at {info.last_error_date:%Y-%m-%d %H:%M} UTC" if info.last_error_date else ""
        found.append(
            f"Telegram: its last delivery to the webhook failed{when}: {info.last_error_message} "
            f"({info.pending_update_count} updates waiting)"
        )
    return found

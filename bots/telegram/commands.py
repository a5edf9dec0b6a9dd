"""Operator commands: register the webhook with its secret, or poll for updates in
development (each update is taken in exactly like the webhook does, then processed)."""

from __future__ import annotations

import asyncio
import json
import logging

from bots.config import BotSettings
from bots.delivery import channels
from bots.telegram.channel import TelegramChannel
from bots.telegram.webhook import store_update
from forum.services import Services

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

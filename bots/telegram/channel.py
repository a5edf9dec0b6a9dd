"""The Telegram ``ChatChannel``: sends through python-telegram-bot's Bot and maps its errors to
outcomes (429 → rate limited, 403 → blocked, 400 → permanent, network → transient)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import warnings
from collections.abc import AsyncIterator
from datetime import timedelta

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
)
from telegram.ext import Application
from telegram.request import HTTPXRequest

from bots.channels import MediaTooLarge, MediaUnavailable, Outcome, SendResult
from bots.messages import Outbound

log = logging.getLogger(__name__)

DOWNLOAD_TIMEOUT = 60.0  # seconds for one photo or document from the Bot API


def _retry_after_seconds(exc: RetryAfter) -> float:
    # PTB 22 warns while it moves retry_after from int to timedelta; accept both.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


class TelegramChannel:
    """One Bot per event loop: the web process's lifespan lends its Application's bot; a
    worker running in another loop (``rembug worker``, tests) gets its own, made on first use."""

    name = "telegram"

    def __init__(self, token: str, api_url: str) -> None:
        self.token = token
        self.base_url = f"{api_url.rstrip('/')}/bot"
        self.base_file_url = f"{api_url.rstrip('/')}/file/bot"
        self._bots: dict[asyncio.AbstractEventLoop, Bot] = {}
        self._lent: set[asyncio.AbstractEventLoop] = set()

    def make_bot(self) -> Bot:
        request = HTTPXRequest(connection_pool_size=16, read_timeout=15, connect_timeout=10)
        return Bot(
            self.token, base_url=self.base_url, base_file_url=self.base_file_url, request=request
        )

    def build_application(self) -> Application:  # type: ignore[type-arg,unused-ignore]
        """The Application the web process starts in its lifespan (no updater: the webhook
        route is ours)."""
        return (
            Application.builder()
            .token(self.token)
            .base_url(self.base_url)
            .base_file_url(self.base_file_url)
            .updater(None)
            .connection_pool_size(16)
            .build()
        )

    def lend(self, bot: Bot) -> None:
        loop = asyncio.get_running_loop()
        self._bots[loop] = bot
        self._lent.add(loop)

    def take_back(self) -> None:
        loop = asyncio.get_running_loop()
        self._bots.pop(loop, None)
        self._lent.discard(loop)

    async def bot(self) -> Bot:
        loop = asyncio.get_running_loop()
        for old in [old for old in self._bots if old.is_closed()]:
            self._bots.pop(old, None)
            self._lent.discard(old)
        bot = self._bots.get(loop)
        if bot is None:
            bot = self.make_bot()
            await bot.initialize()
            self._bots[loop] = bot
        return bot

    async def send(self, message: Outbound) -> SendResult:
        markup = None
        if message.buttons:
            markup = InlineKeyboardMarkup(
                [
                    [InlineKeyboardButton(b.label, callback_data=b.data) for b in row]
                    for row in message.buttons
                ]
            )
        try:
            bot = await self.bot()
            sent = await bot.send_message(
                chat_id=message.chat_id, text=message.text, reply_markup=markup
            )
        except RetryAfter as exc:
            return SendResult(Outcome.rate_limited, _retry_after_seconds(exc), error=str(exc))
        except Forbidden as exc:
            return SendResult(Outcome.blocked, error=str(exc))
        except (BadRequest, ChatMigrated) as exc:
            return SendResult(Outcome.permanent, error=str(exc))
        except (NetworkError, TelegramError) as exc:
            return SendResult(Outcome.transient, error=f"{type(exc).__name__}: {exc}")
        return SendResult(Outcome.sent, message_id=str(sent.message_id))

    async def fetch_media(self, ref: str, max_bytes: int) -> bytes:
        """A photo or document a citizen sent: ``getFile`` (which says its size: a larger one
        is not downloaded), then the download, both within DOWNLOAD_TIMEOUT."""
        try:
            bot = await self.bot()
            found = await bot.get_file(ref, read_timeout=DOWNLOAD_TIMEOUT)
            if found.file_size is not None and found.file_size > max_bytes:
                raise MediaTooLarge(found.file_size)
            data = bytes(await found.download_as_bytearray(read_timeout=DOWNLOAD_TIMEOUT))
        except TelegramError as exc:
            raise MediaUnavailable(f"{type(exc).__name__}: {exc}") from exc
        except RuntimeError as exc:  # no file_path: the Bot API cannot give this file
            raise MediaUnavailable(str(exc)) from exc
        if len(data) > max_bytes:
            raise MediaTooLarge(len(data))
        return data

    async def answer_callback(self, callback_id: str) -> None:
        """Stop the button's spinner; best effort (an old callback can no longer be answered)."""
        try:
            bot = await self.bot()
            await bot.answer_callback_query(callback_id)
        except TelegramError as exc:
            log.info("callback %s not answered: %s", callback_id, exc)

    async def aclose(self) -> None:
        loop = asyncio.get_running_loop()
        bot = self._bots.pop(loop, None)
        if bot is not None and loop not in self._lent:
            await bot.shutdown()
        self._lent.discard(loop)

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """The web process's lifespan: start the Application and lend its bot to this loop. A
        Bot API outage at start-up must not stop the forum: sending retries later."""
        application = self.build_application()
        try:
            await application.initialize()
            await application.start()
        except TelegramError as exc:
            log.warning("Telegram not reachable at start-up (%s); will retry on send", exc)
            with contextlib.suppress(Exception):
                await application.shutdown()
            yield
            return
        self.lend(application.bot)
        try:
            yield
        finally:
            self.take_back()
            await application.stop()
            await application.shutdown()

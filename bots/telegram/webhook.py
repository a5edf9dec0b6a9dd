"""``POST /webhooks/telegram``: check the secret in constant time, take the update in once
(unique update_id) and answer 200 as soon as it is on disk; the worker's drain job processes
it from there (forum.intake)."""

from __future__ import annotations

import hmac
import json
import logging
from typing import Any

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response

from bots.delivery import SETTINGS, channels, converse
from bots.guard import refused
from bots.telegram.channel import TelegramChannel
from bots.telegram.inbound import CHANNEL, chat_key, parse_update, to_inbound
from forum.intake import Processor, batcher, store_now
from forum.services import Services
from forum.spool import Incoming

log = logging.getLogger(__name__)

UPDATE_JOB = "bots.telegram.update"  # earlier versions' one job per stored update
MAX_UPDATE_BYTES = 1_000_000
SECRET_HEADER = "x-telegram-bot-api-secret-token"  # noqa: S105 - a header name


def secret_ok(expected: str, sent: str) -> bool:
    """Constant-time comparison; an unset secret accepts nothing."""
    return bool(expected) and hmac.compare_digest(sent.encode(), expected.encode())


def store_update(services: Services, raw: str, data: dict[str, Any]) -> bool:
    """Take an update in at once (the development poller)."""
    incoming = Incoming(CHANNEL, str(data["update_id"]), chat_key(data), raw)
    return store_now(services, [incoming])[0]


async def telegram_webhook(request: Request) -> Response:
    services: Services = request.app.state.services
    config = services.extensions[SETTINGS]
    if not secret_ok(config.telegram_secret, request.headers.get(SECRET_HEADER, "")):
        return refused(services, request)
    length = request.headers.get("content-length", "0")
    if not length.isdigit() or int(length) > MAX_UPDATE_BYTES:
        return PlainTextResponse("Too large", status_code=413)
    body = await request.body()
    try:
        data = json.loads(body)
        if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
            raise ValueError("no update_id")
    except ValueError:
        return PlainTextResponse("Bad update", status_code=400)
    await batcher(services).store(
        channel=CHANNEL,
        platform_id=str(data["update_id"]),
        chat_key=chat_key(data),
        raw=body.decode("utf-8"),
    )
    return JSONResponse({"ok": True})


def handle_update(services: Services, db: Session, raw: str) -> None:
    """In the drain's transaction: the update goes through the shared conversation; its
    replies are queued as deliveries."""
    inbound = to_inbound(parse_update(json.loads(raw)))
    if inbound is not None:
        converse(services, db, inbound)


async def after_update(services: Services, raw: str) -> None:
    """Once processed: stop the pressed button's spinner."""
    callback = (json.loads(raw).get("callback_query") or {}).get("id")
    channel = channels(services).get(CHANNEL)
    if callback and isinstance(channel, TelegramChannel):
        await channel.answer_callback(str(callback))


PROCESSOR = Processor(handle_update, after_update)

"""``POST /webhooks/telegram``: check the secret in constant time, take the update in once
(unique update_id) and answer 200 at once; the outbox worker processes it from the database."""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from collections.abc import Callable
from typing import Any

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response

from bots import actions
from bots.delivery import SETTINGS, channels, converse, process_stored
from bots.guard import refused
from bots.intake import batcher
from bots.models import ChatInbound
from bots.telegram.channel import TelegramChannel
from bots.telegram.inbound import CHANNEL, chat_key, parse_update, to_inbound
from forum.outbox import JobContext, RetryLater
from forum.services import Services

log = logging.getLogger(__name__)

UPDATE_JOB = "bots.telegram.update"
MAX_UPDATE_BYTES = 1_000_000
SECRET_HEADER = "x-telegram-bot-api-secret-token"  # noqa: S105 - a header name


def secret_ok(expected: str, sent: str) -> bool:
    """Constant-time comparison; an unset secret accepts nothing."""
    return bool(expected) and hmac.compare_digest(sent.encode(), expected.encode())


def store_update(services: Services, raw: str, data: dict[str, Any]) -> bool:
    with services.db.write(durable=True) as db:
        return actions.record_inbound(
            db,
            channel=CHANNEL,
            platform_id=str(data["update_id"]),
            chat_key=chat_key(data),
            raw=raw,
            job_kind=UPDATE_JOB,
        )


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
        job_kind=UPDATE_JOB,
    )
    return JSONResponse({"ok": True})


def _converse(services: Services, data: dict[str, Any]) -> Callable[[Session, ChatInbound], None]:
    def handle(db: Session, row: ChatInbound) -> None:
        inbound = to_inbound(parse_update(data))
        if inbound is not None:
            converse(services, db, inbound)

    return handle


async def process_update(payload: dict[str, Any], context: JobContext) -> None:
    """Outbox job: an update taken in by the webhook (or the poller) goes through the
    shared conversation; its replies become delivery jobs."""
    services: Services = context.services
    inbound_id = int(payload["inbound_id"])
    with services.db.read() as db:
        row = db.get(ChatInbound, inbound_id)
    if row is None or row.processed_at is not None:
        return
    data = json.loads(row.raw)
    done = await asyncio.to_thread(process_stored, services, inbound_id, _converse(services, data))
    if not done:
        raise RetryLater(0.5, "an older update of this chat goes first")
    callback = (data.get("callback_query") or {}).get("id")
    channel = channels(services).get(CHANNEL)
    if callback and isinstance(channel, TelegramChannel):
        await channel.answer_callback(str(callback))

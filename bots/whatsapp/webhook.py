"""``/webhooks/whatsapp``: Meta's verification handshake (GET), and deliveries (POST) whose
X-Hub-Signature-256 is checked over the raw bytes before parsing; each message and receipt is
stored once (unique wamid, unique wamid+status) and 200 answered at once; the outbox worker
processes them from the database."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
from collections.abc import Callable
from typing import Any

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response

from bots import actions
from bots.config import BotSettings
from bots.delivery import SETTINGS, converse, process_stored
from bots.guard import refused
from bots.intake import batcher
from bots.models import ChatInbound
from bots.whatsapp.inbound import CHANNEL, dumps, items, to_inbound, to_receipt
from forum.outbox import JobContext, RetryLater
from forum.services import Services

log = logging.getLogger(__name__)

UPDATE_JOB = "bots.whatsapp.update"
MAX_BODY_BYTES = 3_000_000  # Meta batches up to a few hundred changes in one delivery
SIGNATURE_HEADER = "x-hub-signature-256"


def same(expected: str, given: str) -> bool:
    """Constant-time comparison; an unset secret matches nothing."""
    return bool(expected) and hmac.compare_digest(given.encode(), expected.encode())


def signature_ok(app_secret: str, body: bytes, header: str) -> bool:
    """HMAC-SHA256 of the raw body bytes (re-serialised JSON would differ on non-ASCII)."""
    if not app_secret or not header.startswith("sha256="):
        return False
    digest = hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(header.removeprefix("sha256=").lower().encode(), digest.encode())


async def whatsapp_webhook(request: Request) -> Response:
    services: Services = request.app.state.services
    config: BotSettings = services.extensions[SETTINGS]
    if request.method == "GET":
        params = request.query_params
        if params.get("hub.mode") == "subscribe" and same(
            config.whatsapp_verify_token, params.get("hub.verify_token", "")
        ):
            return PlainTextResponse(params.get("hub.challenge", ""))
        return refused(services, request)
    length = request.headers.get("content-length", "0")
    if not length.isdigit() or int(length) > MAX_BODY_BYTES:
        return PlainTextResponse("Too large", status_code=413)
    body = await request.body()
    if not signature_ok(
        config.whatsapp_app_secret, body, request.headers.get(SIGNATURE_HEADER, "")
    ):
        return refused(services, request)
    try:
        envelope = json.loads(body)
    except ValueError:
        return PlainTextResponse("Bad envelope", status_code=400)
    found = items(envelope)
    intake = batcher(services)
    # Stored together: one group commit for the whole envelope (and whatever else arrives).
    await asyncio.gather(
        *(
            intake.store(
                channel=CHANNEL,
                platform_id=item.platform_id,
                chat_key=item.chat_key,
                raw=dumps(item.raw),
                job_kind=UPDATE_JOB,
            )
            for item in found
        )
    )
    return JSONResponse({"ok": True})


def _handler(services: Services, raw: dict[str, Any]) -> Callable[[Session, ChatInbound], None]:
    def handle(db: Session, row: ChatInbound) -> None:
        inbound = to_inbound(raw)
        if inbound is not None:
            converse(services, db, inbound)
            return
        receipt = to_receipt(raw)
        if receipt is None:
            return  # a kind we do not handle (reaction, media, …): taken in and ignored
        delivery = actions.find_delivery_for_receipt(db, CHANNEL, receipt.wamid, receipt.ref)
        if delivery is None:
            return
        if receipt.status == "failed" and receipt.window_closed:
            actions.requeue_delivery_as_template(db, delivery, receipt.error)
            return
        actions.record_delivery_receipt(
            db, delivery, receipt.status, receipt.wamid, error=receipt.error
        )

    return handle


async def process_update(payload: dict[str, Any], context: JobContext) -> None:
    """Outbox job: a stored message goes through the shared conversation (its replies become
    delivery jobs); a stored receipt updates the delivery officials see."""
    services: Services = context.services
    inbound_id = int(payload["inbound_id"])
    with services.db.read() as db:
        row = db.get(ChatInbound, inbound_id)
    if row is None or row.processed_at is not None:
        return
    raw = json.loads(row.raw)
    done = await asyncio.to_thread(process_stored, services, inbound_id, _handler(services, raw))
    if not done:
        raise RetryLater(0.5, "an older message of this chat goes first")

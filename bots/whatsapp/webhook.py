"""``/webhooks/whatsapp``: Meta's verification handshake (GET), and deliveries (POST) whose
X-Hub-Signature-256 is checked over the raw bytes before parsing; each message and receipt is
stored once (unique wamid, unique wamid+status) and 200 answered once they are on disk; the
worker's drain job processes them (forum.intake)."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
from typing import Any

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response

from bots import actions
from bots.config import BotSettings
from bots.delivery import SETTINGS, converse
from bots.guard import refused
from bots.whatsapp.inbound import CHANNEL, dumps, items, to_inbound, to_receipt
from forum.intake import Processor, batcher
from forum.services import Services

log = logging.getLogger(__name__)

UPDATE_JOB = "bots.whatsapp.update"  # earlier versions' one job per stored update
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
            )
            for item in found
        )
    )
    return JSONResponse({"ok": True})


def handle_update(services: Services, db: Session, text: str) -> None:
    """In the drain's transaction: a message goes through the shared conversation (its replies
    are queued as deliveries); a receipt updates the delivery officials see."""
    raw: dict[str, Any] = json.loads(text)
    inbound = to_inbound(raw)
    if inbound is not None:
        converse(services, db, inbound)
        return
    receipt = to_receipt(raw)
    if receipt is None:
        return  # a kind we do not handle (reaction, audio, location, …): taken in and ignored
    delivery = actions.find_delivery_for_receipt(db, CHANNEL, receipt.wamid, receipt.ref)
    if delivery is None:
        return
    if receipt.status == "failed" and receipt.window_closed:
        actions.requeue_delivery_as_template(db, delivery, receipt.error)
        return
    actions.record_delivery_receipt(
        db, delivery, receipt.status, receipt.wamid, error=receipt.error
    )


PROCESSOR = Processor(handle_update)

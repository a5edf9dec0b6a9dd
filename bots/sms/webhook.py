"""``/webhooks/sms/twilio`` (received SMS) and ``/webhooks/sms/twilio/status`` (status
callbacks) of the Twilio-compatible gateway: the ``X-Twilio-Signature`` is checked over the
public URL and the form before anything is parsed further; each message (its MessageSid) and
each report (MessageSid + state) is stored once in the spool, on disk before the 200; the
worker's drain job processes them (``bots.sms.inbound``)."""

from __future__ import annotations

from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from bots.guard import refused
from bots.sms.conversation import config_of
from bots.sms.gateway import SmsEvent
from bots.sms.numbers import to_e164
from bots.sms.twilio import STATUSES, verify
from forum.intake import batcher
from forum.models import utcnow
from forum.services import Services

INBOUND_PATH = "/webhooks/sms/twilio"
MAX_BODY_BYTES = 64_000  # a 10-part SMS and the provider's fields fit many times over
SIGNATURE_HEADER = "x-twilio-signature"
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


async def _verified(request: Request, services: Services) -> list[tuple[str, str]] | None:
    """The form's fields when the signature fits the public URL we were called at (the
    provider signs what it called: REMBUG_BASE_URL + path + query), else None."""
    length = request.headers.get("content-length", "0")
    if not length.isdigit() or int(length) > MAX_BODY_BYTES:
        return None
    body = await request.body()
    try:
        params = parse_qsl(body.decode("utf-8"), keep_blank_values=True)
    except UnicodeDecodeError:
        return None
    url = services.settings.base_url.rstrip("/") + request.url.path
    if request.url.query:
        url += "?" + request.url.query
    token = config_of(services).twilio_auth_token
    if not verify(token, url, params, request.headers.get(SIGNATURE_HEADER, "")):
        return None
    return params


async def twilio_inbound(request: Request) -> Response:
    services: Services = request.app.state.services
    params = await _verified(request, services)
    if params is None:
        return refused(services, request)
    form = dict(params)
    sid = (form.get("MessageSid") or form.get("SmsSid") or "").strip()[:64]
    number = to_e164(form.get("From", ""))
    if sid and number:  # else nothing we could answer: taken and ignored
        event = SmsEvent(
            gateway="twilio",
            kind="message",
            message_id=sid,
            number=number,
            text=form.get("Body", ""),
            recipient=form.get("To", "")[:32],
            received_at=utcnow().isoformat(),
        )
        incoming = event.to_incoming()
        await batcher(services).store(
            channel=incoming.channel,
            platform_id=incoming.platform_id,
            chat_key=incoming.chat_key,
            raw=incoming.raw,
        )
    # Our answer goes out through the REST API once processed, never in this TwiML.
    return Response(EMPTY_TWIML, media_type="text/xml")


async def twilio_status(request: Request) -> Response:
    services: Services = request.app.state.services
    params = await _verified(request, services)
    if params is None:
        return refused(services, request)
    form = dict(params)
    sid = (form.get("MessageSid") or form.get("SmsSid") or "").strip()[:64]
    state = STATUSES.get((form.get("MessageStatus") or form.get("SmsStatus") or "").lower())
    if sid and state:  # queued / sending / accepted: no news for the delivery state
        code = form.get("ErrorCode", "")
        event = SmsEvent(
            gateway="twilio",
            kind="status",
            message_id=sid,
            number=to_e164(form.get("To", "")) or "",
            status=state,
            error=f"{code}: {form.get('ErrorMessage', '')}".strip(": ") if code else "",
            ref=request.query_params.get("ref", "")[:64],
            received_at=utcnow().isoformat(),
        )
        incoming = event.to_incoming()
        await batcher(services).store(
            channel=incoming.channel,
            platform_id=incoming.platform_id,
            chat_key=incoming.chat_key,
            raw=incoming.raw,
        )
    return PlainTextResponse("")

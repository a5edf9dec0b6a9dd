"""The Twilio-compatible HTTP SMS gateway: the ``X-Twilio-Signature`` check the inbound webhook
and status callbacks rely on (base64 HMAC-SHA1, keyed with the auth token, of the full URL
followed by every POST parameter's name and value, sorted by name), and sending through the
Messages REST endpoint (the only module of this gateway that calls httpx)."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlencode

import httpx

from bots.channels import Outcome, SendResult


def signature(auth_token: str, url: str, params: Iterable[tuple[str, str]]) -> str:
    """The signature the provider sends for a POST of ``params`` to ``url``."""
    data = url + "".join(name + value for name, value in sorted(params))
    digest = hmac.new(auth_token.encode(), data.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def verify(auth_token: str, url: str, params: Iterable[tuple[str, str]], header: str) -> bool:
    """True when ``header`` (``X-Twilio-Signature``) is the provider's signature; an empty
    token or header never verifies."""
    if not auth_token or not header:
        return False
    return hmac.compare_digest(signature(auth_token, url, params), header.strip())


# --- sending: the Messages REST endpoint (the one module of this gateway that calls httpx) ----

# The provider's error codes (its REST API error dictionary) that say something of our own:
# 21610 the recipient replied STOP to the provider, 21211/21614 not a (mobile) number,
# 14107/20429 rate limits.
UNSUBSCRIBED = 21610
RATE_LIMITED = {14107, 20429}
# Errors raised before the request could reach the provider: resending cannot duplicate.
NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol)


class TwilioGateway:
    """``POST {api_url}/2010-04-01/Accounts/{sid}/Messages.json`` with basic auth; one httpx
    client per event loop (the web process's and a worker's may differ). Each SMS names our
    status callback, carrying the attempt marker, so its delivery reports come back."""

    name = "twilio"
    receipts = True

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        sender: str,
        api_url: str,
        status_url: str,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = 15.0,
    ) -> None:
        self.account_sid = account_sid
        self.auth = (account_sid, auth_token)
        self.sender = sender
        self.url = f"{api_url.rstrip('/')}/2010-04-01/Accounts/{account_sid}/Messages.json"
        self.status_url = status_url
        self.transport = transport
        self.timeout = timeout
        self._clients: dict[asyncio.AbstractEventLoop, httpx.AsyncClient] = {}

    def _client(self) -> httpx.AsyncClient:
        loop = asyncio.get_running_loop()
        for old in [old for old in self._clients if old.is_closed()]:
            self._clients.pop(old, None)
        client = self._clients.get(loop)
        if client is None:
            client = httpx.AsyncClient(
                transport=self.transport,
                auth=self.auth,
                timeout=httpx.Timeout(self.timeout, connect=min(self.timeout, 10.0)),
                limits=httpx.Limits(max_connections=16, max_keepalive_connections=16),
            )
            self._clients[loop] = client
        return client

    def form(self, to: str, text: str, reference: str) -> dict[str, str]:
        form = {"To": to, "Body": text}
        # A Messaging Service SID sends from the service's pool of numbers.
        form["MessagingServiceSid" if self.sender.startswith("MG") else "From"] = self.sender
        if self.status_url:
            callback = self.status_url
            if reference:
                callback += ("&" if "?" in callback else "?") + urlencode({"ref": reference})
            form["StatusCallback"] = callback
        return form

    async def submit(self, to: str, text: str, reference: str) -> SendResult:
        """POST one SMS; never raises for what the provider or the network may do."""
        try:
            response = await self._client().post(self.url, data=self.form(to, text, reference))
        except NOT_SENT as exc:
            return SendResult(Outcome.transient, error=f"{type(exc).__name__}: {exc}")
        except httpx.TransportError as exc:
            # The request may have left: its status callback tells (matched by the marker).
            return SendResult(Outcome.uncertain, error=f"{type(exc).__name__}: {exc}")
        return classify(response)

    async def aclose(self) -> None:
        client = self._clients.pop(asyncio.get_running_loop(), None)
        if client is not None:
            await client.aclose()


def _retry_after(response: httpx.Response) -> float:
    value = response.headers.get("retry-after", "")
    try:
        return max(float(value), 1.0) if value else 1.0
    except ValueError:
        return 1.0


def classify(response: httpx.Response) -> SendResult:
    """The provider's answer → an outcome: sent (with the MessageSid), rate limited, blocked
    (the number unsubscribed at the provider), transient (5xx), or permanent (other 4xx)."""
    try:
        data = response.json()
    except ValueError:
        data = None
    body: dict[str, Any] = data if isinstance(data, dict) else {}
    if response.is_success:
        sid = body.get("sid")
        return SendResult(Outcome.sent, message_id=str(sid) if sid else None)
    code = body.get("code")
    text = f"{code or 'HTTP ' + str(response.status_code)}: {body.get('message', '')}".strip()
    if response.status_code == 429 or code in RATE_LIMITED:
        return SendResult(Outcome.rate_limited, retry_after=_retry_after(response), error=text)
    if code == UNSUBSCRIBED:
        return SendResult(Outcome.blocked, error=text)
    if response.status_code >= 500:
        return SendResult(Outcome.transient, error=text)
    return SendResult(Outcome.permanent, error=text)


# Status callback MessageStatus → our delivery states (queued, accepted, sending: not yet news).
STATUSES = {
    "sent": "sent",
    "delivered": "delivered",
    "read": "delivered",
    "undelivered": "failed",
    "failed": "failed",
}

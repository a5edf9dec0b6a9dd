"""The only module that calls the WhatsApp Cloud API (with httpx): ``POST {api_url}/{version}/
{phone_number_id}/messages`` with a bearer token, Meta's answer classified into an outcome."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import httpx

from bots.channels import MediaTooLarge, MediaUnavailable, Outcome, SendResult

log = logging.getLogger(__name__)

# Meta's error codes (Cloud API error codes page). Rate limits, with how long to wait when the
# answer has no Retry-After: 130429 throughput, 131056 the pair (business, recipient) limit,
# 131048 spam rate limit, 4 / 80007 the app's or account's call limits.
RATE_LIMITED = {130429: 1.0, 131056: 6.0, 131048: 60.0, 4: 60.0, 80007: 60.0}
OUTSIDE_WINDOW = 131047  # more than 24 hours since the person's last message: use a template
# Meta's side, temporarily: unknown (1), service (2), something went wrong (131000),
# service unavailable (131016), template service unavailable (133004).
TRANSIENT = {1, 2, 131000, 131016, 133004}
# Errors raised before the request could reach Meta: resending cannot duplicate anything.
NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol)
DOWNLOAD_TIMEOUT = 60.0  # seconds for one photo or document (its URL, then its bytes)


class GraphClient:
    """One httpx client per event loop (the web process's and a worker's may differ)."""

    def __init__(
        self,
        token: str,
        phone_number_id: str,
        api_url: str,
        version: str,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = 15.0,
    ) -> None:
        self.token = token
        self.api = f"{api_url.rstrip('/')}/{version.strip('/')}"
        self.url = f"{self.api}/{phone_number_id}/messages"
        self.phone_number_id = phone_number_id
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
                timeout=httpx.Timeout(self.timeout, connect=min(self.timeout, 10.0)),
                headers={"Authorization": f"Bearer {self.token}"},
                limits=httpx.Limits(max_connections=16, max_keepalive_connections=16),
            )
            self._clients[loop] = client
        return client

    async def send(self, body: dict[str, Any]) -> SendResult:
        """POST one message; never raises for what Meta or the network may do."""
        try:
            response = await self._client().post(self.url, json=body)
        except NOT_SENT as exc:
            return SendResult(Outcome.transient, error=f"{type(exc).__name__}: {exc}")
        except httpx.TransportError as exc:
            # The request may have left (read timeout, connection dropped mid-answer).
            return SendResult(Outcome.uncertain, error=f"{type(exc).__name__}: {exc}")
        return classify(response)

    async def fetch_media(self, ref: str, max_bytes: int) -> bytes:
        """A photo or document a citizen sent: ``GET /<media id>`` gives its URL and size (a
        larger one is not downloaded), then the download with the same bearer token, read in
        chunks and cut off past ``max_bytes``; all within DOWNLOAD_TIMEOUT."""
        if not ref.isdigit():  # Meta's media ids are numbers: nothing else goes in a URL
            raise MediaUnavailable(f"not a media id: {ref[:40]!r}")
        client = self._client()
        try:
            async with asyncio.timeout(DOWNLOAD_TIMEOUT):
                answer = await client.get(
                    f"{self.api}/{ref}", params={"phone_number_id": self.phone_number_id}
                )
                info = answer.json() if answer.is_success else None
                url = info.get("url") if isinstance(info, dict) else None
                if not isinstance(url, str) or not _download_url_ok(url, self.api):
                    raise MediaUnavailable(f"media {ref}: HTTP {answer.status_code}, no URL")
                size = info.get("file_size") if isinstance(info, dict) else None
                if isinstance(size, int) and size > max_bytes:
                    raise MediaTooLarge(size)
                return await _download(client, url, max_bytes)
        except (httpx.HTTPError, ValueError, TimeoutError) as exc:
            raise MediaUnavailable(f"{type(exc).__name__}: {exc}") from exc

    async def aclose(self) -> None:
        client = self._clients.pop(asyncio.get_running_loop(), None)
        if client is not None:
            await client.aclose()


def _download_url_ok(url: str, api: str) -> bool:
    """Our bearer token goes only to an https address, or to the configured API's own host
    (a local stand-in in development and tests)."""
    target, ours = httpx.URL(url), httpx.URL(api)
    return target.scheme == "https" or (target.scheme, target.host) == (ours.scheme, ours.host)


async def _download(client: httpx.AsyncClient, url: str, max_bytes: int) -> bytes:
    async with client.stream("GET", url) as response:
        if not response.is_success:
            raise MediaUnavailable(f"download: HTTP {response.status_code}")
        length = response.headers.get("content-length", "")
        if length.isdigit() and int(length) > max_bytes:
            raise MediaTooLarge(int(length))
        data = bytearray()
        async for chunk in response.aiter_bytes():
            data += chunk
            if len(data) > max_bytes:
                raise MediaTooLarge(len(data))
    return bytes(data)


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after", "")
    try:
        return max(float(value), 0.0) if value else None
    except ValueError:
        return None


def classify(response: httpx.Response) -> SendResult:
    """Meta's answer → an outcome: sent (with the wamid), rate limited, outside the window,
    transient, or permanent."""
    try:
        data = response.json()
    except ValueError:
        data = None
    if response.is_success:
        messages = data.get("messages") if isinstance(data, dict) else None
        wamid = messages[0].get("id") if isinstance(messages, list) and messages else None
        return SendResult(Outcome.sent, message_id=str(wamid) if wamid else None)
    error = data.get("error") if isinstance(data, dict) else None
    if not isinstance(error, dict):
        outcome = Outcome.transient if response.status_code >= 500 else Outcome.permanent
        if response.status_code == 429:
            outcome = Outcome.rate_limited
        return SendResult(
            outcome,
            retry_after=_retry_after(response) or 1.0,
            error=f"HTTP {response.status_code}",
        )
    code = error.get("code")
    details = (error.get("error_data") or {}).get("details") if isinstance(error, dict) else ""
    text = f"{code}: {error.get('message', '')}" + (f" ({details})" if details else "")
    if code in RATE_LIMITED:
        wait = _retry_after(response) or RATE_LIMITED[code]
        return SendResult(Outcome.rate_limited, retry_after=wait, error=text)
    if code == OUTSIDE_WINDOW:
        return SendResult(Outcome.outside_window, error=text)
    if code in TRANSIENT or response.status_code >= 500:
        return SendResult(Outcome.transient, error=text)
    return SendResult(Outcome.permanent, error=text)

"""HTTP caching for every answer of the application, in one place: what a browser, nginx's
micro-cache (deploy/nginx) or a CDN may keep, and validators so that a repeat visit costs a
304 instead of the page.

For a GET or HEAD answered 200 that set no ``Cache-Control`` of its own (static files and
personal pages like the recovery codes do):

- **shared** when the visitor is anonymous (no session, login-step or flash cookie), the
  answer sets no cookie and carries no form token bound to the visitor (``Ctx.render`` marks
  those): ``Cache-Control: public, max-age=REMBUG_PAGE_CACHE_SECONDS`` (``no-cache`` when that
  is 0), so what the application itself would serve from its page cache may be kept as long;
- **private** otherwise: ``Cache-Control: private, no-cache``: a browser may keep it but asks
  again every time, and no shared cache keeps it;
- every such answer whose body comes in one piece gets a weak ``ETag`` (a hash of the bytes
  before compression); a request whose ``If-None-Match`` names it is answered ``304 Not
  Modified`` without the body. ``Vary: Cookie``: the language and the session are cookies.
"""

from __future__ import annotations

import hashlib
from typing import Any

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from forum.services import Services

PERSONAL_COOKIES = ("rembug_session", "rembug_login", "rembug_flash")


def etag_of(body: bytes) -> str:
    return 'W/"' + hashlib.blake2b(body, digest_size=16).hexdigest() + '"'


def matches(if_none_match: str, etag: str) -> bool:
    """RFC 9110 weak comparison of ``If-None-Match`` (a list, or ``*``) with our tag."""
    if if_none_match.strip() == "*":
        return True
    ours = etag.removeprefix("W/")
    return any(tag.strip().removeprefix("W/") == ours for tag in if_none_match.split(","))


class HttpCacheMiddleware:
    """Sits inside the compression (it hashes the plain body) and outside ``BaseMiddleware``
    (it sees the CSRF cookie that one may add)."""

    def __init__(self, app: ASGIApp, services: Services) -> None:
        self.app = app
        self.services = services

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        request_headers = Headers(scope=scope)
        cookies = request_headers.get("cookie", "")
        anonymous = not any(f"{name}=" in cookies for name in PERSONAL_COOKIES)
        seconds = int(self.services.settings.page_cache_seconds)
        started: dict[str, Any] = {}

        async def send_with_caching(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                if message["status"] != 200 or "cache-control" in headers:
                    await send(message)
                    return
                state = scope.get("state", {})
                shared = anonymous and "set-cookie" not in headers and not state.get("csrf_needed")
                if shared:
                    freshness = f"max-age={seconds}" if seconds > 0 else "no-cache"
                    headers["Cache-Control"] = f"public, {freshness}"
                else:
                    headers["Cache-Control"] = "private, no-cache"
                headers.add_vary_header("Cookie")
                started["message"] = message  # held until the body shows whether it is whole
                return
            if message["type"] == "http.response.body" and "message" in started:
                start = started.pop("message")
                body = message.get("body", b"")
                if message.get("more_body", False) or scope["method"] == "HEAD":
                    await send(start)  # a streamed body (or none, for HEAD): no validator
                    await send(message)
                    return
                headers = MutableHeaders(scope=start)
                etag = etag_of(body)
                headers["ETag"] = etag
                if matches(request_headers.get("if-none-match", ""), etag):
                    start["status"] = 304
                    for name in ("content-length", "content-type"):
                        if name in headers:
                            del headers[name]
                    await send(start)
                    await send({"type": "http.response.body", "body": b""})
                    return
                await send(start)
            await send(message)

        await self.app(scope, receive, send_with_caching)

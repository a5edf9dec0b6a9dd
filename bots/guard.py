"""Webhook requests that fail verification (a wrong or missing Telegram secret, a bad WhatsApp
signature or verify token) are counted per source address; past the limit the address gets
429 with Retry-After until its window ends.

Only failures count, so correctly signed traffic is never throttled here, whatever its rate
(a burst of 200 updates/s from Telegram included). The counts live in the process's memory:
a forged request must not cost a database write (that would turn a flood of forgeries into
writer contention); with several web processes an address gets the limit in each."""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

MAX_ADDRESSES = 10_000  # oldest forgotten first: memory stays bounded under spoofed floods


class FailureLimiter:
    def __init__(
        self,
        limit: int,
        window_seconds: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        max_addresses: int = MAX_ADDRESSES,
    ) -> None:
        self.limit = limit
        self.window = window_seconds
        self.clock = clock
        self.max_addresses = max_addresses
        self._seen: OrderedDict[str, tuple[float, int]] = OrderedDict()
        self._lock = threading.Lock()

    def failed(self, address: str) -> int:
        """Count one failed verification from ``address``; returns 0 while it is within the
        limit, else the seconds (Retry-After) until its window ends."""
        now = self.clock()
        with self._lock:
            start, count = self._seen.pop(address, (now, 0))
            if now - start >= self.window:
                start, count = now, 0
            count += 1
            self._seen[address] = (start, count)
            while len(self._seen) > self.max_addresses:
                self._seen.popitem(last=False)
        if count <= self.limit:
            return 0
        return max(1, math.ceil(start + self.window - now))


GUARD = "bots.webhook_guard"  # services.extensions key


def refused(services: Any, request: Request) -> Response:
    """The answer to a request that failed verification: 403, or 429 past the limit."""
    limiter: FailureLimiter = services.extensions[GUARD]
    address = request.client.host if request.client else "unknown"
    wait = limiter.failed(address)
    if wait:
        return PlainTextResponse(
            "Too many failed requests", status_code=429, headers={"Retry-After": str(wait)}
        )
    return PlainTextResponse("Forbidden", status_code=403)

"""A fake Twilio-compatible provider on loopback (the Messages REST endpoint with basic auth,
scripted error answers), and an SMS user whose texts and status callbacks are posted, signed
with X-Twilio-Signature as the provider signs them, to the real webhook routes."""

from __future__ import annotations

import base64
import itertools
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.testclient import TestClient

from bots.sms.twilio import signature
from forum.services import Services

ACCOUNT_SID = "AC0123456789abcdef0123456789abcdef"
AUTH_TOKEN = "twilio-auth-token-for-tests"
FROM = "+6281100001708"
NUMBER = "+6281234567001"  # the citizen
LOCAL = "081234567001"  # the same number as people write it

# Provider error answers (its REST API error dictionary): HTTP status and body.
ERRORS = {
    21211: (400, {"code": 21211, "message": "The 'To' number is not a valid phone number."}),
    21610: (400, {"code": 21610, "message": "Attempt to send to unsubscribed recipient"}),
    20429: (429, {"code": 20429, "message": "Too Many Requests"}),
    500: (500, {"code": 20500, "message": "Internal Server Error"}),
    503: (503, {"message": "Service Unavailable"}),
}


@dataclass
class FakeTwilio:
    sent: list[dict[str, str]] = field(default_factory=list)  # accepted forms, with "_sid"
    refused: list[dict[str, str]] = field(default_factory=list)
    script: list[int] = field(default_factory=list)  # error codes to answer next
    lock: threading.Lock = field(default_factory=threading.Lock)
    url: str = ""
    _ids: Any = field(default_factory=lambda: itertools.count(1))

    def reset(self) -> None:
        with self.lock:
            self.sent.clear()
            self.refused.clear()
            self.script.clear()

    def fail(self, code: int, times: int = 1) -> None:
        with self.lock:
            self.script.extend([code] * times)

    def to(self, number: str | None = None) -> list[dict[str, str]]:
        with self.lock:
            return [f for f in self.sent if number is None or f["To"] == number]

    def texts(self, number: str | None = None) -> list[str]:
        return [f["Body"] for f in self.to(number)]

    async def endpoint(self, request: Request) -> JSONResponse:
        expected = "Basic " + base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()
        if request.headers.get("authorization") != expected:
            return JSONResponse({"code": 20003, "message": "Authenticate"}, status_code=401)
        if request.path_params["sid"] != ACCOUNT_SID:
            return JSONResponse({"code": 20404, "message": "Not found"}, status_code=404)
        from urllib.parse import parse_qsl

        form = dict(parse_qsl((await request.body()).decode(), keep_blank_values=True))
        with self.lock:
            code = self.script.pop(0) if self.script else None
            if code is not None:
                self.refused.append(form)
                status, body = ERRORS[code]
                return JSONResponse(body, status_code=status)
            if not form.get("To") or not form.get("Body") or not form.get("From"):
                self.refused.append(form)
                return JSONResponse({"code": 21604, "message": "missing"}, status_code=400)
            if len(form["Body"]) > 1600:
                self.refused.append(form)
                return JSONResponse({"code": 21617, "message": "too long"}, status_code=400)
            sid = f"SM{next(self._ids):032d}"
            form["_sid"] = sid
            self.sent.append(form)
        return JSONResponse(
            {"sid": sid, "status": "queued", "to": form["To"], "body": form["Body"]},
            status_code=201,
        )


_sids = itertools.count(int(time.time()) % 100_000 * 1000)


class SmsUser:
    """One phone writing to the service's number through the real webhook."""

    def __init__(
        self, client: TestClient, services: Services, fake: FakeTwilio, number: str = NUMBER
    ) -> None:
        self.client = client
        self.services = services
        self.fake = fake
        self.number = number

    def url(self, path: str) -> str:
        return self.services.settings.base_url.rstrip("/") + path

    def post(
        self,
        path: str,
        form: dict[str, str],
        *,
        sign_with: str | None = AUTH_TOKEN,
        signed_url: str | None = None,
    ) -> Any:
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        if sign_with is not None:
            headers["X-Twilio-Signature"] = signature(
                sign_with, signed_url or self.url(path), form.items()
            )
        return self.client.post(path, content=urlencode(form), headers=headers)

    def form(self, text: str, sid: str | None = None, sender: str | None = None) -> dict[str, str]:
        return {
            "MessageSid": sid or f"SM{next(_sids):032d}",
            "AccountSid": ACCOUNT_SID,
            "From": sender or self.number,
            "To": FROM,
            "Body": text,
            "NumMedia": "0",
        }

    def send(self, text: str, *, drain_after: bool = True, sid: str | None = None) -> list[str]:
        from tests.bots.conftest import drain

        before = len(self.fake.to(self.number))
        response = self.post("/webhooks/sms/twilio", self.form(text, sid))
        assert response.status_code == 200, response.text
        if drain_after:
            drain(self.services)
        return self.fake.texts(self.number)[before:]

    def status(self, sid: str, state: str, ref: str = "", error: str = "") -> Any:
        path = "/webhooks/sms/twilio/status" + (f"?{urlencode({'ref': ref})}" if ref else "")
        form = {"MessageSid": sid, "MessageStatus": state, "To": self.number, "From": FROM}
        if error:
            form["ErrorCode"] = error
        return self.post(path, form)

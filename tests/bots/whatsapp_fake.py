"""A fake WhatsApp Cloud API (Graph API) on loopback that checks message bodies against
Meta's limits and can answer each error, recorded webhook envelopes, and a WhatsApp user who
posts them, signed over the exact bytes, to the real webhook route."""

from __future__ import annotations

import asyncio
import copy
import hashlib
import hmac
import itertools
import json
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.testclient import TestClient

from forum.services import Services

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "whatsapp"
WA_TOKEN = "EAAGfakeWhatsAppTokenForTests0123456789"
APP_SECRET = "whatsapp-app-secret-for-tests"
VERIFY_TOKEN = "verify-token-for-tests"
PHONE_NUMBER_ID = "109876543210987"
VERSION = "v25.0"
WA_ID = "6281234567890"


def whatsapp_env(graph_url: str) -> dict[str, str]:
    """The settings of a Rembug talking to the fake Graph API at ``graph_url``."""
    return {
        "REMBUG_WHATSAPP_TOKEN": WA_TOKEN,
        "REMBUG_WHATSAPP_APP_SECRET": APP_SECRET,
        "REMBUG_WHATSAPP_VERIFY_TOKEN": VERIFY_TOKEN,
        "REMBUG_WHATSAPP_PHONE_NUMBER_ID": PHONE_NUMBER_ID,
        "REMBUG_WHATSAPP_API_URL": graph_url,
        "REMBUG_WHATSAPP_API_VERSION": VERSION,
        "REMBUG_WHATSAPP_CHAT_BURST": "1000",
        "REMBUG_WHATSAPP_RATE_OVERALL": "10000",
    }


def load(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))


def sign(body: bytes, secret: str = APP_SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _error(code: int, message: str, status: int = 400, details: str = "") -> tuple[int, Any]:
    body = {
        "error": {
            "message": message,
            "type": "OAuthException",
            "code": code,
            "error_data": {"messaging_product": "whatsapp", "details": details or message},
            "fbtrace_id": "AbCdEfGhIjKlMnOp",
        }
    }
    return status, body


ERRORS = {
    130429: _error(130429, "(#130429) Rate limit hit", 400),
    131056: _error(131056, "(#131056) (Business Account, Consumer Account) pair rate limit hit"),
    131047: _error(131047, "Re-engagement message"),
    131026: _error(131026, "Message undeliverable"),
    100: _error(100, "(#100) Invalid parameter"),
    500: _error(131000, "Something went wrong", 500),
    503: (503, {"error": "Service Unavailable"}),
}


def violations(body: dict[str, Any]) -> list[str]:
    """What Meta would refuse in a message body (the limits of the Cloud API reference)."""
    found = []
    if body.get("messaging_product") != "whatsapp":
        found.append("messaging_product")
    if not (body.get("to") or body.get("recipient")):
        found.append("no recipient")
    kind = body.get("type")
    if kind == "text":
        if not 0 < len(body["text"]["body"]) <= 4096:
            found.append("text length")
    elif kind == "interactive":
        interactive = body["interactive"]
        if not 0 < len(interactive["body"]["text"]) <= 1024:
            found.append("interactive body length")
        action = interactive["action"]
        if interactive["type"] == "button":
            buttons = action["buttons"]
            titles = [b["reply"]["title"] for b in buttons]
            if not 1 <= len(buttons) <= 3:
                found.append("button count")
            if any(not 0 < len(t) <= 20 for t in titles) or len(set(titles)) != len(titles):
                found.append("button titles")
            if any(len(b["reply"]["id"]) > 256 for b in buttons):
                found.append("button id")
        elif interactive["type"] == "list":
            rows = [r for s in action["sections"] for r in s["rows"]]
            if not 0 < len(action["button"]) <= 20:
                found.append("list button")
            if not 1 <= len(rows) <= 10:
                found.append(f"row count {len(rows)}")
            if any(not 0 < len(r["title"]) <= 24 for r in rows):
                found.append("row title")
            if any(len(r.get("description", "")) > 72 for r in rows):
                found.append("row description")
            ids = [r["id"] for r in rows]
            if len(set(ids)) != len(ids) or any(len(i) > 200 for i in ids):
                found.append("row ids")
        else:
            found.append("interactive type")
    elif kind == "template":
        params = body["template"]["components"][0]["parameters"]
        if any("\n" in p["text"] or "\t" in p["text"] or "     " in p["text"] for p in params):
            found.append("template parameter format")
    else:
        found.append(f"type {kind}")
    return found


@dataclass
class FakeGraph:
    sent: list[dict[str, Any]] = field(default_factory=list)  # accepted bodies
    refused: list[dict[str, Any]] = field(default_factory=list)
    invalid: list[tuple[dict[str, Any], list[str]]] = field(default_factory=list)
    script: list[int] = field(default_factory=list)  # error codes to answer next
    stall_seconds: float = 0.0  # answer this late (once), after accepting the message
    # Media citizens sent, by media id: GET /<version>/<id> gives a URL and the size (``sizes``
    # makes it say another), the URL gives the bytes (``broken`` ones answer 500).
    media: dict[str, bytes] = field(default_factory=dict)
    sizes: dict[str, int] = field(default_factory=dict)
    broken: set[str] = field(default_factory=set)
    downloads: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    url: str = ""
    _ids: Any = field(default_factory=lambda: itertools.count(1))

    def reset(self) -> None:
        with self.lock:
            self.sent.clear()
            self.refused.clear()
            self.invalid.clear()
            self.script.clear()
            self.stall_seconds = 0.0
            self.media.clear()
            self.sizes.clear()
            self.broken.clear()
            self.downloads.clear()

    def fail(self, code: int, times: int = 1) -> None:
        with self.lock:
            self.script.extend([code] * times)

    def to(self, chat: str | None = None) -> list[dict[str, Any]]:
        with self.lock:
            return [
                b for b in self.sent if chat is None or chat in (b.get("to"), b.get("recipient"))
            ]

    async def endpoint(self, request: Request) -> JSONResponse:
        if request.headers.get("authorization") != f"Bearer {WA_TOKEN}":
            return JSONResponse(*reversed(_error(190, "Invalid OAuth access token", 401)))
        if request.path_params["phone"] != PHONE_NUMBER_ID:
            return JSONResponse(*reversed(_error(100, "Unsupported post request", 400)))
        body = await request.json()
        with self.lock:
            code = self.script.pop(0) if self.script else None
            if code is not None:
                self.refused.append(body)
                status, error = ERRORS[code]
                return JSONResponse(error, status_code=status)
            problems = violations(body)
            if problems:
                self.invalid.append((body, problems))
                status, error = _error(131009, "(#131009) Parameter value is not valid")
                return JSONResponse(error, status_code=status)
            wamid = f"wamid.FAKE{next(self._ids):08d}"
            body["_wamid"] = wamid
            self.sent.append(body)
            stall, self.stall_seconds = self.stall_seconds, 0.0
        if stall:
            await asyncio.sleep(stall)
        to = body.get("to") or body.get("recipient")
        return JSONResponse(
            {
                "messaging_product": "whatsapp",
                "contacts": [{"input": to, "wa_id": to}],
                "messages": [{"id": wamid}],
            }
        )

    async def media_url(self, request: Request) -> Response:
        """``GET /<version>/<media id>``: where to download a citizen's media, and its size."""
        if request.headers.get("authorization") != f"Bearer {WA_TOKEN}":
            return JSONResponse(*reversed(_error(190, "Invalid OAuth access token", 401)))
        media_id = request.path_params["media_id"]
        with self.lock:
            data = self.media.get(media_id)
            size = self.sizes.get(media_id, len(data) if data is not None else 0)
        if data is None:
            return JSONResponse(*reversed(_error(100, "Unsupported get request", 400)))
        return JSONResponse(
            {
                "messaging_product": "whatsapp",
                "url": f"{self.url}/media-download/{media_id}",
                "mime_type": "image/jpeg",
                "sha256": hashlib.sha256(data).hexdigest(),
                "file_size": size,
                "id": media_id,
            }
        )

    async def media_download(self, request: Request) -> Response:
        if request.headers.get("authorization") != f"Bearer {WA_TOKEN}":
            return Response(status_code=401)
        media_id = request.path_params["media_id"]
        with self.lock:
            self.downloads.append(media_id)
            data = self.media.get(media_id)
            broken = media_id in self.broken
        if data is None or broken:
            return Response(status_code=500 if broken else 404)
        return Response(data, media_type="application/octet-stream")


def text_of(body: dict[str, Any]) -> str:
    if body["type"] == "text":
        return str(body["text"]["body"])
    if body["type"] == "interactive":
        return str(body["interactive"]["body"]["text"])
    return str(body["template"]["components"][0]["parameters"][0]["text"])


def choices_of(body: dict[str, Any]) -> list[tuple[str, str]]:
    """(title, id) of every reply button or list row (full label from the description)."""
    if body.get("type") != "interactive":
        return []
    action = body["interactive"]["action"]
    if body["interactive"]["type"] == "button":
        return [(b["reply"]["title"], b["reply"]["id"]) for b in action["buttons"]]
    rows = [r for s in action["sections"] for r in s["rows"]]
    return [(r.get("description") or r["title"], r["id"]) for r in rows]


_ids = itertools.count(int(time.time()) % 100_000 * 1000)


def personalised(name: str, wa_id: str) -> dict[str, Any]:
    """The fixture envelope ``name`` as sent by ``wa_id``, with fresh message ids."""
    envelope = copy.deepcopy(load(name))
    for entry in envelope["entry"]:
        for change in entry["changes"]:
            value = change["value"]
            for contact in value.get("contacts", []):
                if "wa_id" in contact:
                    contact["wa_id"] = wa_id
            for message in value.get("messages", []):
                message["id"] = f"wamid.TEST{next(_ids)}"
                if "from" in message:
                    message["from"] = wa_id
    return envelope


def text_envelope(text: str, wa_id: str = WA_ID) -> dict[str, Any]:
    """A text message from ``wa_id`` as Meta's webhook delivers it."""
    envelope = personalised("message__text", wa_id)
    envelope["entry"][0]["changes"][0]["value"]["messages"][0]["text"]["body"] = text
    return envelope


class WaUser:
    """One WhatsApp user writing to the business number through the real webhook route."""

    def __init__(
        self, client: TestClient, services: Services, fake: FakeGraph, wa_id: str = WA_ID
    ) -> None:
        self.client = client
        self.services = services
        self.fake = fake
        self.wa_id = wa_id

    def post(self, envelope: dict[str, Any] | bytes, *, signature: str | None = "") -> Any:
        body = (
            envelope
            if isinstance(envelope, bytes)
            else json.dumps(envelope, ensure_ascii=False).encode()
        )
        headers = {"Content-Type": "application/json"}
        if signature is not None:
            headers["X-Hub-Signature-256"] = signature or sign(body)
        return self.client.post("/webhooks/whatsapp", content=body, headers=headers)

    def personalise(self, name: str) -> dict[str, Any]:
        return personalised(name, self.wa_id)

    def _deliver(self, envelope: dict[str, Any], drain_after: bool = True) -> list[str]:
        from tests.bots.conftest import drain

        before = len(self.fake.to(self.wa_id))
        response = self.post(envelope)
        assert response.status_code == 200, response.text
        if drain_after:
            drain(self.services)
        return [text_of(b) for b in self.fake.to(self.wa_id)[before:]]

    def send(self, text: str, drain_after: bool = True) -> list[str]:
        return self._deliver(text_envelope(text, self.wa_id), drain_after)

    def press(self, data: str) -> list[str]:
        """Choose ``data``: a reply button or a list row, as the last message offered."""
        last = self.fake.to(self.wa_id)
        is_list = bool(last) and last[-1].get("interactive", {}).get("type") == "list"
        envelope = self.personalise("message__list_reply" if is_list else "message__button_reply")
        interactive = envelope["entry"][0]["changes"][0]["value"]["messages"][0]["interactive"]
        interactive[interactive["type"]]["id"] = data
        return self._deliver(envelope)

    def post_fixture(self, name: str) -> list[str]:
        return self._deliver(self.personalise(name))

    def send_media(
        self, data: bytes, *, kind: str = "image", name: str = "", caption: str = ""
    ) -> list[str]:
        """An image or a document as Meta's webhook delivers it: only a media id (and the
        caption, a document's file name); the bytes are at the fake Graph API."""
        envelope = self.personalise("message__image" if kind == "image" else "message__document")
        message = envelope["entry"][0]["changes"][0]["value"]["messages"][0]
        media_id = str(next(_ids) * 1000 + 7)
        message[kind]["id"] = media_id
        if name:
            message[kind]["filename"] = name
        if caption:
            message[kind]["caption"] = caption
        else:
            message[kind].pop("caption", None)
        self.fake.media[media_id] = data
        return self._deliver(envelope)

    def choices(self) -> list[tuple[str, str]]:
        sent = self.fake.to(self.wa_id)
        return choices_of(sent[-1]) if sent else []

    def choice(self, label_part: str) -> str:
        for label, data in self.choices():
            if label_part.lower() in label.lower():
                return data
        raise AssertionError(f"no choice like {label_part!r} in {self.choices()}")

"""A fake Telegram Bot API on a loopback port (real HTTP, so python-telegram-bot's own client
code runs), recorded update fixtures, and a chat helper that posts updates to the real
webhook route and drains the outbox worker."""

from __future__ import annotations

import asyncio
import copy
import itertools
import json
import socket
import threading
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.testclient import TestClient

from bots.delivery import channels
from forum.intake import batcher
from forum.services import Services
from forum.settings import Settings
from tests.bots.sms_fake import ACCOUNT_SID, AUTH_TOKEN, FROM, FakeTwilio, SmsUser
from tests.bots.whatsapp_fake import (
    FakeGraph,
    WaUser,
    whatsapp_env,
)

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "telegram"
TOKEN = "7000000001:AAHfakeTokenForTests_0123456789abcd"
SECRET = "s3cret-Token_for-webhook"
USER_ID = 5123456789


@dataclass
class FakeTelegram:
    """Records every Bot API call; ``fail`` scripts error answers (per method, optionally per
    chat); ``blocked`` chats always answer 403."""

    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # answered ok
    rejected: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # answered an error
    failures: list[tuple[str, str | None, int, dict[str, Any]]] = field(default_factory=list)
    blocked: set[str] = field(default_factory=set)
    updates: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    url: str = ""
    # getWebhookInfo answers what setWebhook registered, and a delivery error when scripted.
    webhook: dict[str, Any] = field(default_factory=dict)
    # Files citizens sent, by file_id (getFile, then /file/bot<token>/<path>); ``sizes`` makes
    # getFile say another size; ``broken`` files answer 502 when downloaded.
    files: dict[str, bytes] = field(default_factory=dict)
    sizes: dict[str, int] = field(default_factory=dict)
    broken: set[str] = field(default_factory=set)
    downloads: list[str] = field(default_factory=list)
    _ids: Any = field(default_factory=lambda: itertools.count(1000))

    def reset(self) -> None:
        with self.lock:
            self.calls.clear()
            self.rejected.clear()
            self.failures.clear()
            self.blocked.clear()
            self.updates.clear()
            self.webhook.clear()
            self.files.clear()
            self.sizes.clear()
            self.broken.clear()
            self.downloads.clear()

    def fail(
        self,
        method: str,
        status: int,
        body: dict[str, Any],
        chat: str | None = None,
        times: int = 1,
    ) -> None:
        with self.lock:
            self.failures.extend([(method, chat, status, body)] * times)

    def rate_limit(self, retry_after: int, times: int = 1) -> None:
        self.fail(
            "sendMessage",
            429,
            {
                "ok": False,
                "error_code": 429,
                "description": f"Too Many Requests: retry after {retry_after}",
                "parameters": {"retry_after": retry_after},
            },
            times=times,
        )

    def sent(self, chat_id: int | str | None = None) -> list[dict[str, Any]]:
        with self.lock:
            return [
                params
                for method, params in self.calls
                if method == "sendMessage"
                and (chat_id is None or params["chat_id"] == str(chat_id))
            ]

    def texts(self, chat_id: int | str | None = None) -> list[str]:
        return [p["text"] for p in self.sent(chat_id)]

    def methods(self) -> list[str]:
        with self.lock:
            return [method for method, _ in self.calls]

    async def endpoint(self, request: Request) -> JSONResponse:
        method = request.path_params["method"]
        form = await request.form()
        params = {k: v for k, v in form.items() if isinstance(v, str)}
        if not params and request.headers.get("content-type", "").startswith("application/json"):
            params = await request.json()
        chat = str(params.get("chat_id", "")) or None
        with self.lock:
            for i, (name, only_chat, status, body) in enumerate(self.failures):
                if name == method and (only_chat is None or only_chat == chat):
                    del self.failures[i]
                    self.rejected.append((method, params))
                    return JSONResponse(body, status_code=status)
            if method == "sendMessage" and chat in self.blocked:
                self.rejected.append((method, params))
                return JSONResponse(
                    {
                        "ok": False,
                        "error_code": 403,
                        "description": "Forbidden: bot was blocked by the user",
                    },
                    status_code=403,
                )
        with self.lock:
            self.calls.append((method, params))
        if request.path_params["token"] != TOKEN:
            return JSONResponse(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status_code=401
            )
        if method == "getMe":
            result: Any = {
                "id": 7000000001,
                "is_bot": True,
                "first_name": "Rembug",
                "username": "RembugBot",
                "can_join_groups": False,
                "can_read_all_group_messages": False,
                "supports_inline_queries": False,
            }
        elif method in ("sendMessage", "editMessageText"):
            result = {
                "message_id": next(self._ids),
                "from": {
                    "id": 7000000001,
                    "is_bot": True,
                    "first_name": "Rembug",
                    "username": "RembugBot",
                },
                "chat": {"id": int(chat or 0), "type": "private"},
                "date": int(time.time()),
                "text": params.get("text", ""),
            }
        elif method == "getFile":
            file_id = str(params.get("file_id", ""))
            with self.lock:
                data = self.files.get(file_id)
                size = self.sizes.get(file_id, len(data) if data is not None else 0)
            if data is None:
                return JSONResponse(
                    {"ok": False, "error_code": 400, "description": "Bad Request: invalid file_id"},
                    status_code=400,
                )
            result = {
                "file_id": file_id,
                "file_unique_id": f"u{abs(hash(file_id)) % 10**8}",
                "file_size": size,
                "file_path": f"documents/{file_id}.bin",
            }
        elif method == "getUpdates":
            with self.lock:
                result, self.updates[:] = list(self.updates), []
        elif method == "getWebhookInfo":
            with self.lock:
                result = {
                    "url": "",
                    "has_custom_certificate": False,
                    "pending_update_count": 0,
                    **self.webhook,
                }
        else:  # answerCallbackQuery, setWebhook, deleteWebhook, ...
            if method == "setWebhook":
                with self.lock:
                    self.webhook["url"] = params.get("url", "")
            result = True
        return JSONResponse({"ok": True, "result": result})

    async def file(self, request: Request) -> Response:
        """The Bot API's file download: ``/file/bot<token>/<file_path>``."""
        if request.path_params["token"] != TOKEN:
            return Response(status_code=404)
        file_id = request.path_params["path"].rsplit("/", 1)[-1].removesuffix(".bin")
        with self.lock:
            self.downloads.append(file_id)
            data = self.files.get(file_id)
            broken = file_id in self.broken
        if data is None or broken:
            return Response(status_code=502 if broken else 404)
        return Response(data, media_type="application/octet-stream")


@pytest.fixture(autouse=True)
def _ptb_retry_after_deprecation() -> Iterator[None]:
    """python-telegram-bot 22 itself reads its deprecated int ``retry_after`` while building a
    RetryAfter error; that library-internal warning is not ours to fix (our code reads it
    without warning, see bots/telegram/channel.py)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*retry_after.*", category=DeprecationWarning)
        yield


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _serve(app: Starlette) -> tuple[uvicorn.Server, threading.Thread, str]:
    port = _free_port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", lifespan="off", ws="none"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "fake API server did not start"
        time.sleep(0.02)
    return server, thread, f"http://127.0.0.1:{port}"


@pytest.fixture(scope="session")
def fake_telegram() -> Iterator[FakeTelegram]:
    fake = FakeTelegram()
    app = Starlette(
        routes=[
            Route("/bot{token}/{method}", fake.endpoint, methods=["GET", "POST"]),
            Route("/file/bot{token}/{path:path}", fake.file, methods=["GET"]),
        ]
    )
    server, thread, fake.url = _serve(app)
    yield fake
    server.should_exit = True
    thread.join(timeout=5)


@pytest.fixture(scope="session")
def fake_graph() -> Iterator[FakeGraph]:
    fake = FakeGraph()
    app = Starlette(
        routes=[
            Route("/{version}/{phone}/messages", fake.endpoint, methods=["POST"]),
            Route("/media-download/{media_id}", fake.media_download, methods=["GET"]),
            Route("/{version}/{media_id}", fake.media_url, methods=["GET"]),
        ]
    )
    server, thread, fake.url = _serve(app)
    yield fake
    server.should_exit = True
    thread.join(timeout=5)


@pytest.fixture(scope="session")
def fake_twilio() -> Iterator[FakeTwilio]:
    fake = FakeTwilio()
    app = Starlette(
        routes=[Route("/2010-04-01/Accounts/{sid}/Messages.json", fake.endpoint, methods=["POST"])]
    )
    server, thread, fake.url = _serve(app)
    yield fake
    server.should_exit = True
    thread.join(timeout=5)


def bot_settings(
    database_url: str,
    tmp_path: Path,
    fake_url: str,
    graph_url: str = "http://127.0.0.1:9",
    twilio_url: str = "http://127.0.0.1:9",
    **extra: str,
) -> Settings:
    env = {
        "REMBUG_DATA_DIR": str(tmp_path),
        "REMBUG_DATABASE_URL": database_url,
        "REMBUG_SECRET_KEY": "test-secret-key-with-enough-entropy-0123456789",
        "REMBUG_RUN_WORKER": "false",
        "REMBUG_PASSWORD_HASH_TIME_COST": "1",
        "REMBUG_PASSWORD_HASH_MEMORY_KIB": "1024",
        "REMBUG_TELEGRAM_TOKEN": TOKEN,
        "REMBUG_TELEGRAM_WEBHOOK_SECRET": SECRET,
        "REMBUG_TELEGRAM_API_URL": fake_url,
        # Tests drain the worker at once; pacing itself is tested with the defaults.
        "REMBUG_CHAT_BURST_PER_CHAT": "1000",
        "REMBUG_TELEGRAM_RATE_OVERALL": "10000",
        **whatsapp_env(graph_url),
        "REMBUG_SMS_GATEWAY": "twilio",
        "REMBUG_SMS_TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "REMBUG_SMS_TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "REMBUG_SMS_TWILIO_FROM": FROM,
        "REMBUG_SMS_TWILIO_API_URL": twilio_url,
        "REMBUG_SMS_RATE_OVERALL": "10000",
    }
    env.update(extra)
    return Settings.from_env(env)


@pytest.fixture
def settings(
    database_url: str,
    tmp_path: Path,
    fake_telegram: FakeTelegram,
    fake_graph: FakeGraph,
    fake_twilio: FakeTwilio,
) -> Settings:
    fake_telegram.reset()
    fake_graph.reset()
    fake_twilio.reset()
    return bot_settings(database_url, tmp_path, fake_telegram.url, fake_graph.url, fake_twilio.url)


def load_fixture(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))


_update_ids = itertools.count(int(time.time()) % 100_000 * 1000)


def drain(services: Services) -> int:
    """Run the outbox worker until nothing is due, then close the connections it opened. The
    webhook nudges the drain job after answering: wait for that first, as a worker would."""
    assert batcher(services).wait_settled(), "the webhook never nudged the drain job"

    async def run() -> int:
        assert services.worker is not None
        try:
            return await services.worker.drain()
        finally:
            for channel in channels(services).values():
                await channel.aclose()

    return asyncio.run(run())


class Chat:
    """One Telegram user talking to the bot through the real webhook route."""

    def __init__(
        self,
        client: TestClient,
        services: Services,
        fake: FakeTelegram,
        user_id: int = USER_ID,
        language: str = "id",
    ) -> None:
        self.client = client
        self.services = services
        self.fake = fake
        self.user_id = user_id
        self.language = language

    def _personalise(self, update: dict[str, Any]) -> dict[str, Any]:
        update = copy.deepcopy(update)
        update["update_id"] = next(_update_ids)
        for kind in ("message", "callback_query", "edited_message", "my_chat_member"):
            body = update.get(kind)
            if not body:
                continue
            body["from"]["id"] = self.user_id
            body["from"]["language_code"] = self.language
            chat = body.get("chat") or (body.get("message") or {}).get("chat")
            if chat:
                chat["id"] = self.user_id
        return update

    def post(self, update: dict[str, Any], *, secret: str | None = SECRET) -> Any:
        headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret is not None else {}
        return self.client.post(
            "/webhooks/telegram",
            content=json.dumps(update),
            headers={**headers, "Content-Type": "application/json"},
        )

    def send(self, text: str, *, drain_after: bool = True) -> list[str]:
        update = self._personalise(load_fixture("message__text"))
        update["message"]["text"] = text
        return self._deliver(update, drain_after)

    def press(self, data: str, *, drain_after: bool = True) -> list[str]:
        update = self._personalise(load_fixture("callback_query__button"))
        update["callback_query"]["data"] = data
        update["callback_query"]["id"] = str(update["update_id"])
        return self._deliver(update, drain_after)

    def post_fixture(self, name: str, *, drain_after: bool = True) -> list[str]:
        return self._deliver(self._personalise(load_fixture(name)), drain_after)

    def send_photo(self, data: bytes, *, caption: str = "", file_id: str = "") -> list[str]:
        """A photo as Telegram sends it (several sizes; the largest is downloaded)."""
        update = self._personalise(load_fixture("message__photo"))
        message = update["message"]
        file_id = file_id or f"AgACphoto{update['update_id']}"
        message["photo"][-1]["file_id"] = file_id
        message["photo"][-1]["file_size"] = len(data)
        if caption:
            message["caption"] = caption
        else:
            message.pop("caption", None)
        self.fake.files[file_id] = data
        return self._deliver(update, True)

    def send_document(self, data: bytes, name: str, *, size: int | None = None) -> list[str]:
        update = self._personalise(load_fixture("message__document"))
        document = update["message"]["document"]
        file_id = f"BQACdoc{update['update_id']}"
        document.update(file_id=file_id, file_name=name, file_size=size or len(data))
        self.fake.files[file_id] = data
        return self._deliver(update, True)

    def _deliver(self, update: dict[str, Any], drain_after: bool) -> list[str]:
        before = len(self.fake.sent(self.user_id))
        response = self.post(update)
        assert response.status_code == 200, response.text
        if drain_after:
            drain(self.services)
        return [p["text"] for p in self.fake.sent(self.user_id)[before:]]

    def last_buttons(self) -> list[tuple[str, str]]:
        sent = self.fake.sent(self.user_id)
        if not sent or "reply_markup" not in sent[-1]:
            return []
        markup = json.loads(sent[-1]["reply_markup"])
        return [(b["text"], b["callback_data"]) for row in markup["inline_keyboard"] for b in row]

    def button(self, label_part: str) -> str:
        for label, data in self.last_buttons():
            if label_part.lower() in label.lower():
                return data
        raise AssertionError(f"no button like {label_part!r} in {self.last_buttons()}")


@pytest.fixture
def client(app: Any) -> Iterator[TestClient]:
    with TestClient(app, base_url="http://testserver") as test_client:
        yield test_client


@pytest.fixture
def chat(client: TestClient, services: Services, fake_telegram: FakeTelegram) -> Chat:
    return Chat(client, services, fake_telegram)


@pytest.fixture
def sms(client: TestClient, services: Services, fake_twilio: FakeTwilio) -> SmsUser:
    return SmsUser(client, services, fake_twilio)


@pytest.fixture
def wa(client: TestClient, services: Services, fake_graph: FakeGraph) -> WaUser:
    return WaUser(client, services, fake_graph)


from tests.moderation.conftest import make  # noqa: E402, F401 - the contribution maker fixture

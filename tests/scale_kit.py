"""Real processes for the layout tests: `rembug serve` and `rembug worker` started as
subprocesses against the suite's database, a fake SMTP server and a fake Telegram Bot API on
loopback, and a browser-like HTTP client that keeps one cookie jar across web processes."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage, Message
from pathlib import Path
from typing import Any, TypeVar

import httpx
from aiosmtpd.controller import Controller
from sqlalchemy import func
from sqlmodel import select
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from forum.models import JobStatus, OutboxJob
from forum.services import Services
from tests.bots.conftest import SECRET, TOKEN, FakeTelegram, _serve
from tests.bots.whatsapp_fake import FakeGraph

CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def layout_env(services: Services, data_dir: Path, **extra: str) -> dict[str, str]:
    """The environment every process of one layout shares (one database, one secret)."""
    settings = services.settings
    env = {
        **os.environ,
        "REMBUG_DATABASE_URL": settings.database_url,
        "REMBUG_DATA_DIR": str(data_dir),
        "REMBUG_SECRET_KEY": settings.secret_key,
        "REMBUG_RUN_WORKER": "false",
        "REMBUG_LOG_LEVEL": "WARNING",
        "REMBUG_PASSWORD_HASH_TIME_COST": "1",
        "REMBUG_PASSWORD_HASH_MEMORY_KIB": "1024",
        "REMBUG_WORKER_POLL_SECONDS": "0.2",
    }
    env.update(extra)
    return env


@dataclass
class Process:
    """One `rembug` subprocess; its output goes to a log file shown when a test fails."""

    name: str
    popen: subprocess.Popen[bytes]
    log: Path

    def kill(self) -> None:
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGKILL)
            self.popen.wait()

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")[-4000:]


def start(name: str, args: list[str], env: dict[str, str], log_dir: Path) -> Process:
    log = log_dir / f"{name}.log"
    with log.open("ab") as out:
        popen = subprocess.Popen(
            [sys.executable, "-m", "forum.cli", *args], env=env, stdout=out, stderr=out
        )
    return Process(name, popen, log)


def start_web(name: str, env: dict[str, str], log_dir: Path) -> tuple[Process, str]:
    port = free_port()
    process = start(name, ["serve", "--port", str(port)], env, log_dir)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.popen.poll() is not None:
            raise AssertionError(f"{name} exited:\n{process.output()}")
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return process, url
        except httpx.HTTPError:
            time.sleep(0.1)
    process.kill()
    raise AssertionError(f"{name} did not start:\n{process.output()}")


def start_worker(name: str, env: dict[str, str], log_dir: Path) -> Process:
    return start(name, ["worker"], env, log_dir)


@contextmanager
def processes() -> Iterator[list[Process]]:
    """Every process started inside is stopped at the end, even when the test fails."""
    started: list[Process] = []
    try:
        yield started
    finally:
        for process in started:
            process.kill()


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def job_counts(services: Services) -> dict[str, int]:
    with services.db.read() as db:
        rows = db.exec(
            select(OutboxJob.status, func.count()).group_by(OutboxJob.status)  # type: ignore[arg-type]
        ).all()
    return {str(status): int(count) for status, count in rows}


def all_jobs_done(services: Services) -> bool:
    counts = job_counts(services)
    return bool(counts) and set(counts) == {JobStatus.done.value}


# --- fake servers ---------------------------------------------------------------------------


class Inbox:
    """aiosmtpd handler keeping every message it accepted."""

    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        """The messages to one address so far, parsed with the modern email policy."""
        with self.lock:
            raw = [m.as_bytes() for m in self.messages if m["To"] == address]
        return [message_from_bytes(r, policy=policy.default) for r in raw]  # type: ignore[misc]


def text_of(mail: EmailMessage) -> str:
    """The plain-text body of a mail."""
    part = mail.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


@contextmanager
def fake_smtp() -> Iterator[tuple[str, Inbox]]:
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield f"smtp://127.0.0.1:{port}", inbox
    finally:
        controller.stop()


@dataclass
class SlowTelegram(FakeTelegram):
    """The fake Bot API, answering sendMessage only after ``delay`` seconds. A message counts
    as accepted (recorded in ``calls``) only if the client is still connected when the delay
    ends: a sender killed before that never got its message through, as with the real API
    when the request never completed."""

    delay: float = 0.0
    arrivals: int = 0
    abandoned: list[dict[str, Any]] = field(default_factory=list)

    async def endpoint(self, request: Request) -> JSONResponse:
        if request.path_params["method"] == "sendMessage" and self.delay:
            form = await request.form()  # cached: the base endpoint reads it again
            with self.lock:
                self.arrivals += 1
            await asyncio.sleep(self.delay)
            if await request.is_disconnected():
                with self.lock:
                    self.abandoned.append({k: v for k, v in form.items() if isinstance(v, str)})
                return JSONResponse({"ok": False}, status_code=499)
        return await super().endpoint(request)


Fake = TypeVar("Fake", SlowTelegram, FakeGraph)


@contextmanager
def _fake_api(fake: Fake, path: str, methods: list[str]) -> Iterator[Fake]:
    """``fake.endpoint`` served at ``path`` on loopback (its address in ``fake.url``)."""
    server, thread, fake.url = _serve(
        Starlette(routes=[Route(path, fake.endpoint, methods=methods)])
    )
    try:
        yield fake
    finally:
        server.should_exit = True
        thread.join(timeout=5)


def fake_telegram(delay: float = 0.0) -> AbstractContextManager[SlowTelegram]:
    """The fake Telegram Bot API (tests/bots/conftest.py), answering ``delay`` s late."""
    return _fake_api(SlowTelegram(delay=delay), "/bot{token}/{method}", ["GET", "POST"])


def fake_whatsapp() -> AbstractContextManager[FakeGraph]:
    """The fake WhatsApp Cloud API (tests/bots/whatsapp_fake.py) on loopback."""
    return _fake_api(FakeGraph(), "/{version}/{phone}/messages", ["POST"])


def telegram_env(fake: FakeTelegram) -> dict[str, str]:
    return {
        "REMBUG_TELEGRAM_TOKEN": TOKEN,
        "REMBUG_TELEGRAM_WEBHOOK_SECRET": SECRET,
        "REMBUG_TELEGRAM_API_URL": fake.url,
        "REMBUG_CHAT_BURST_PER_CHAT": "1000",
        "REMBUG_TELEGRAM_RATE_OVERALL": "10000",
    }


# --- a browser over several web processes ---------------------------------------------------


class Visitor:
    """One person's browser: one cookie jar, any web process (cookies do not depend on the
    port, as behind one reverse proxy)."""

    def __init__(self) -> None:
        self.client = httpx.Client(timeout=30, follow_redirects=False)

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> Visitor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def get(self, url: str) -> httpx.Response:
        return self.client.get(url)

    def submit(self, page_url: str, action_url: str, data: dict[str, Any]) -> httpx.Response:
        """Open ``page_url``, take its form's CSRF token, post ``data`` to ``action_url``."""
        page = self.client.get(page_url)
        assert page.status_code == 200, (page_url, page.status_code)
        match = CSRF_RE.search(page.text)
        assert match, f"no CSRF token on {page_url}"
        return self.client.post(action_url, data={"csrf_token": match.group(1), **data})

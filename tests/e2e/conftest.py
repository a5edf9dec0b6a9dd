"""End-to-end fixtures: a real `rembug serve` on loopback with the demo data (its own fresh
database), Debian's Chromium driven by Playwright, the Nu HTML Checker (vnu) as a local HTTP
service, and a page helper that checks every page."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import httpx
import pyotp
import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    Page,
    Playwright,
    Response,
    expect,
    sync_playwright,
)
from sqlalchemy import make_url

from tests.bots.conftest import FakeTelegram
from tests.bots.sms.gammu_smsd import GammuSmsd, gammu_available
from tests.bots.whatsapp_fake import FakeGraph, whatsapp_env
from tests.conftest import fresh_postgres_database
from tests.scale_kit import Inbox, fake_smtp, fake_telegram, fake_whatsapp, telegram_env

CITIZEN_PASSWORD = "warga-rahasia-123"  # what the journeys' citizens register with
ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
ARTIFACTS = ROOT / "test-artifacts" / "e2e"
AXE_JS = HERE / "node_modules" / "axe-core" / "axe.min.js"
# The Nu HTML Checker (the W3C's validator), from the npm package vnu-jar; runs on Debian's
# default-jre-headless. scripts/test installs both.
VNU_JAR = HERE / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
CHROMIUM = "/usr/bin/chromium"
# Without the background-networking flags Chromium keeps dialling Google's hosts, which
# this closed network refuses; --no-sandbox because the tests may run as root.
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
PHONE = {"width": 390, "height": 844}
RUN_AXE = """async (tags) => {
  const result = await axe.run(document, {runOnly: {type: "tag", values: tags}});
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 5).map(n => n.target.join(" ") + ": " + n.failureSummary),
  }));
}"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _server_database(data_dir: Path) -> str:
    """A database of the server's own: the other tests empty theirs between tests.

    On the PostgreSQL pass it is a fresh database on the same server (``<name>_e2e``), so
    the journeys exercise the app on both engines; otherwise a fresh SQLite file."""
    test_url = os.environ.get("REMBUG_TEST_DATABASE_URL", "")
    if not test_url.startswith("postgresql"):
        return f"sqlite:///{data_dir / 'rembug.sqlite3'}"
    return fresh_postgres_database(test_url, f"{make_url(test_url).database}_e2e")


@dataclass
class Server:
    base_url: str
    data_dir: Path
    passwords: dict[str, str]
    process: subprocess.Popen[bytes]
    env: dict[str, str] = field(default_factory=dict)
    two_factor_keys: dict[str, str] = field(default_factory=dict)
    # What the server mailed (a real SMTP server on loopback: aiosmtpd).
    mail: Inbox = field(default_factory=Inbox)
    # The fake Telegram Bot API the server talks to (tests/bots/conftest.py).
    telegram: FakeTelegram = field(default_factory=FakeTelegram)
    # The fake WhatsApp Cloud API (tests/bots/whatsapp_fake.py).
    whatsapp: FakeGraph = field(default_factory=FakeGraph)
    # The SMS gateway: a real gammu-smsd with its dummy modem; `rembug sms gammu` reads it.
    gammu: GammuSmsd | None = None
    # The last 30-second step whose code each account used: the server refuses a code twice,
    # so a later login of the same person types the app's next code.
    used_steps: dict[str, int] = field(default_factory=dict)

    def two_factor_code(self, email: str) -> str:
        """The code the person's authenticator app shows (pyotp): an unused one of the
        accepted window (now ±30 s), waiting for the next step if all three are used."""
        app = pyotp.TOTP(self.two_factor_keys[email])
        while True:
            now_step = int(time.time() // 30)
            ending = time.time() % 30 > 25  # the previous code may expire before it is sent
            for step in (now_step - 1, now_step, now_step + 1):
                if step > self.used_steps.get(email, -1) and (step >= now_step or not ending):
                    self.used_steps[email] = step
                    return app.at(step * 30)
            time.sleep(1)

    def url(self, path: str) -> str:
        return self.base_url + path

    def mail_text(self, to: str, count: int, timeout: float = 120.0) -> str:
        """The text of the ``count``-th mail to ``to``, waiting for the outbox to send it (after
        the demo's notification mails and, at start, the search index's first build)."""
        deadline = time.monotonic() + timeout
        while True:
            with self.mail.lock:
                found = [m for m in self.mail.messages if m["To"] == to]
            if len(found) >= count:
                message = message_from_bytes(found[count - 1].as_bytes(), policy=policy.default)
                part = message.get_body(preferencelist=("plain",))  # type: ignore[attr-defined]
                return str(part.get_content())
            if time.monotonic() > deadline:
                raise AssertionError(f"no mail number {count} to {to}")
            time.sleep(0.2)


def _rembug(*args: str, env: dict[str, str]) -> None:
    rembug = Path(sys.executable).with_name("rembug")
    done = subprocess.run([str(rembug), *args], env=env, capture_output=True, timeout=300)
    if done.returncode:
        raise RuntimeError(
            f"rembug {' '.join(args)} failed:\n{done.stdout.decode()}{done.stderr.decode()}"
        )


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    if not gammu_available():
        pytest.fail("gammu-smsd is not installed (scripts/test installs it from Debian)")
    gammu = GammuSmsd.start(tmp_path_factory.mktemp("e2e-gammu"))
    try:
        with (
            fake_smtp() as (smtp_url, inbox),
            fake_telegram() as telegram,
            fake_whatsapp() as whatsapp,
        ):
            yield from _serve(tmp_path_factory, smtp_url, inbox, telegram, whatsapp, gammu)
    finally:
        gammu.stop()


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _serve(
    tmp_path_factory: pytest.TempPathFactory,
    smtp_url: str,
    inbox: Inbox,
    telegram: FakeTelegram,
    whatsapp: FakeGraph,
    gammu: GammuSmsd,
) -> Iterator[Server]:
    data_dir = tmp_path_factory.mktemp("e2e-server")
    port = _free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("REMBUG_")},
        "REMBUG_DATA_DIR": str(data_dir),
        "REMBUG_DATABASE_URL": _server_database(data_dir),
        "REMBUG_BASE_URL": f"http://127.0.0.1:{port}",
        "REMBUG_WORKER_POLL_SECONDS": "0.2",
        "REMBUG_LOG_LEVEL": "WARNING",
        # Cheap hashes keep registration and logins quick; production keeps the defaults.
        "REMBUG_PASSWORD_HASH_TIME_COST": "1",
        "REMBUG_PASSWORD_HASH_MEMORY_KIB": "1024",
        "REMBUG_SMTP_URL": smtp_url,
        "REMBUG_EMAIL_FROM": "rembug@contoh.go.id",
        **telegram_env(telegram),
        **whatsapp_env(whatsapp.url),
        "REMBUG_SMS_GATEWAY": "gammu",
        "REMBUG_GAMMU_DATABASE_URL": gammu.database_url,
        "REMBUG_GAMMU_POLL_SECONDS": "1",
    }
    _rembug("migrate", env=env)
    _rembug("demo", env=env)
    # email, password[, two-factor key, otpauth URI] (staff are enrolled by the demo).
    rows = [
        line.split("\t")
        for line in (data_dir / "demo-passwords.txt").read_text().splitlines()
        if "\t" in line
    ]
    passwords = {row[0]: row[1] for row in rows}
    secrets = {row[0]: row[2] for row in rows if len(row) > 2}
    rembug = Path(sys.executable).with_name("rembug")
    log = (data_dir / "serve.log").open("wb")
    process = subprocess.Popen(
        [str(rembug), "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base_url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(base_url + "/healthz", timeout=2).status_code == 200:
                break
        except httpx.TransportError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            log.close()
            raise RuntimeError(
                "rembug serve did not start:\n" + (data_dir / "serve.log").read_text()
            )
        time.sleep(0.2)
    # Received SMS (and Gammu's reports) come in through the Gammu reader, a process of its own.
    sms_log = (data_dir / "sms-gammu.log").open("wb")
    reader = subprocess.Popen(
        [str(rembug), "sms", "gammu"], env=env, stdout=sms_log, stderr=subprocess.STDOUT
    )
    yield Server(
        base_url,
        data_dir,
        passwords,
        process,
        env,
        secrets,
        mail=inbox,
        telegram=telegram,
        whatsapp=whatsapp,
        gammu=gammu,
    )
    _stop(reader)
    _stop(process)
    sms_log.close()
    log.close()


# Module scope: Playwright's sync API keeps an event loop running in the main thread while it
# is open, which would break later tests that use asyncio.run(); closing it after each module
# leaves the rest of the suite a clean thread.
@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    if not Path(CHROMIUM).exists():
        raise RuntimeError("Chromium is missing: scripts/test installs Debian's 'chromium'")
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="module")
def chromium(playwright: Playwright) -> Iterator[Browser]:
    # Playwright gives every launch a fresh, empty profile (user-data dir) of its own.
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture(scope="session")
def axe_source() -> str:
    if not AXE_JS.exists():
        raise RuntimeError(
            "axe-core is missing: run `npm install` in tests/e2e (scripts/test does)"
        )
    return AXE_JS.read_text()


class HtmlChecker:
    """The Nu HTML Checker running as a local HTTP service for the whole session (one JVM, so
    each page costs a POST, not a start-up): ``errors(html)`` lists what it reports as an
    error (warnings and notes do not count)."""

    def __init__(self, port: int, process: subprocess.Popen[bytes]) -> None:
        self.url = f"http://127.0.0.1:{port}/?out=json&level=error"
        self.process = process

    def errors(self, html: str) -> list[str]:
        response = httpx.post(
            self.url,
            content=html.encode("utf-8"),
            headers={"content-type": "text/html; charset=utf-8"},
            timeout=60,
        )
        response.raise_for_status()
        return [
            f"line {m.get('lastLine')}: {m.get('message')} [{m.get('extract', '').strip()}]"
            for m in response.json()["messages"]
            if m.get("type") == "error" or m.get("subType") == "fatal"
        ]


@pytest.fixture(scope="session")
def html_checker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HtmlChecker]:
    java = shutil.which("java")
    if java is None or not VNU_JAR.exists():
        raise RuntimeError(
            "the Nu HTML Checker is missing: scripts/test installs Debian's "
            "default-jre-headless and runs `npm install` in tests/e2e (vnu-jar)"
        )
    port = _free_port()
    log_path = tmp_path_factory.mktemp("vnu") / "vnu.log"
    log = log_path.open("wb")
    process = subprocess.Popen(
        [java, "-Xss16m", "-cp", str(VNU_JAR), "nu.validator.servlet.Main", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    checker = HtmlChecker(port, process)
    deadline = time.monotonic() + 90
    while True:
        try:
            checker.errors("<!doctype html><html lang=en><title>x</title></html>")
            break
        except httpx.HTTPError:
            if process.poll() is not None or time.monotonic() > deadline:
                log.close()
                raise RuntimeError("vnu did not start:\n" + log_path.read_text()) from None
            time.sleep(0.3)
    yield checker
    _stop(process)
    log.close()


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


class Visit:
    """One browser context (one person) whose every page is checked as it is reached:
    a successful status, the right ``<html lang>``, 0 errors from the Nu HTML Checker on the
    HTML exactly as the server sent it, 0 axe-core violations at WCAG 2.2 AA (when
    JavaScript is on: axe runs in the page), and a screenshot for the artefacts."""

    def __init__(
        self,
        context: BrowserContext,
        server: Server,
        axe: str,
        shots: Path,
        js: bool,
        html_checker: HtmlChecker,
    ) -> None:
        self.context = context
        self.page: Page = context.new_page()
        self.server = server
        self.axe = axe
        self.shots = shots
        self.js = js
        self.html_checker = html_checker
        self.lang = "id"
        self.checked: list[str] = []
        self.document: Response | None = None
        self.page.on("response", self._remember_document)

    def _remember_document(self, response: Response) -> None:
        """The last answer for the page's own document (after redirects: the page shown)."""
        if response.request.resource_type == "document" and response.frame == self.page.main_frame:
            self.document = response

    def goto(self, path: str, name: str | None = None) -> Page:
        response = self.page.goto(self.server.url(path))
        assert response is not None and response.status < 400, (path, response and response.status)
        self.check(name or path)
        return self.page

    def check(self, name: str) -> None:
        """Check the page the browser is on now (after a goto, a click or a form post)."""
        self.page.wait_for_load_state("load")
        assert self.page.locator("html").get_attribute("lang") == self.lang, self.page.url
        self.checked.append(self.page.url)
        self.assert_valid_html()
        self.shots.mkdir(parents=True, exist_ok=True)
        number = len(self.checked)
        self.page.screenshot(
            path=str(self.shots / f"{number:02d}-{_slug(name)}.png"), full_page=True
        )
        if self.js:
            self.assert_accessible()

    def snap(self, name: str) -> None:
        """A screenshot of what fits the screen (the README's tour uses some)."""
        self.page.screenshot(path=str(self.shots / f"{len(self.checked):02d}-{_slug(name)}.png"))

    def assert_valid_html(self) -> None:
        """The page's HTML as served (not the browser's DOM) through the Nu HTML Checker."""
        shown = self.page.url.split("#")[0]
        assert self.document is not None and self.document.url == shown, self.page.url
        errors = self.html_checker.errors(self.document.text())
        assert errors == [], f"vnu on {self.page.url}: {errors}"

    def assert_accessible(self) -> None:
        if not self.page.evaluate("typeof window.axe !== 'undefined'"):
            # Evaluated over the DevTools protocol: the page's CSP does not apply, so the
            # tests see the pages exactly as served.
            self.page.evaluate(self.axe)
        violations: list[dict[str, Any]] = self.page.evaluate(RUN_AXE, WCAG_TAGS)
        assert violations == [], f"axe-core on {self.page.url}: {violations}"

    def submit(self, button: str, name: str) -> Page:
        """Press a form's submit button (by its visible label) and check the page it leads to."""
        with self.page.expect_navigation():
            self.page.get_by_role("button", name=button, exact=True).click()
        self.check(name)
        return self.page

    def register(self, name: str, email: str, password: str = CITIZEN_PASSWORD) -> None:
        """A citizen registers on /daftar and is signed in."""
        self.goto("/daftar", "register")
        page = self.page
        page.get_by_label("Nama", exact=True).fill(name)
        page.get_by_label("Email", exact=True).fill(email)
        page.get_by_label("Kata sandi (minimal 8 karakter)").fill(password)
        page.get_by_label(re.compile("Saya menyetujui")).check()
        self.submit("Buat akun", "registered")
        expect(page.get_by_role("button", name="Keluar")).to_be_visible()

    def login(self, email: str, password: str) -> None:
        """The password, then for staff (two-factor accounts) the code from their app."""
        self.goto("/masuk", f"login {email}")
        self.page.get_by_label("Email atau nomor HP").fill(email)
        self.page.get_by_label("Kata sandi").fill(password)
        self.submit("Masuk", f"password step {email}")
        if self.page.url.endswith("/masuk/kode"):
            code = self.server.two_factor_code(email)
            self.page.get_by_label("Kode dari aplikasi, atau kode pemulihan").fill(code)
            self.submit("Lanjut", f"logged in {email}")


@pytest.fixture
def visit_factory(
    chromium: Browser,
    server: Server,
    axe_source: str,
    html_checker: HtmlChecker,
    request: pytest.FixtureRequest,
) -> Iterator[Any]:
    contexts: list[BrowserContext] = []
    base = ARTIFACTS / _slug(request.node.name)
    shutil.rmtree(base, ignore_errors=True)

    def make(who: str, *, js: bool = True, viewport: dict[str, int] | None = None) -> Visit:
        context = chromium.new_context(
            java_script_enabled=js, viewport=viewport or PHONE, locale="id-ID"
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        return Visit(context, server, axe_source, base / who, js, html_checker)

    yield make
    for context in contexts:
        context.close()

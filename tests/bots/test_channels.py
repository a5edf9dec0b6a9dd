"""The ChatChannel contract: every implementation (Telegram against the fake Bot API, WhatsApp
against the fake Graph API, SMS against the fake Twilio-compatible provider and through a real
Gammu SMSD with its dummy modem, email against a real SMTP server (aiosmtpd), the console and
the recording channel) sends text with menus and reports outcomes instead of raising.

Gammu takes every SMS into its outbox; what the network does with it arrives later as a
delivery report (tests/bots/sms/test_gammu.py), so the only failure it can answer at once is
its database being unreachable."""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import pytest

from bots.channels import (
    ChatChannel,
    ConsoleChannel,
    Outcome,
    RecordingChannel,
    SendResult,
    capabilities_of,
)
from bots.email.channel import EmailChannel
from bots.messages import MAX_TEXT, Button, Outbound, split_text
from bots.sms.channel import SmsChannel
from bots.sms.gammu import GammuGateway, GammuStore
from bots.sms.segments import to_gsm7
from bots.sms.twilio import TwilioGateway
from bots.telegram.channel import TelegramChannel
from bots.whatsapp.channel import WhatsAppChannel
from bots.whatsapp.client import GraphClient
from forum.settings import Settings
from tests.bots.conftest import TOKEN, FakeTelegram, bot_settings
from tests.bots.sms.gammu_smsd import GammuSmsd, gammu_smsd
from tests.bots.sms_fake import ACCOUNT_SID, AUTH_TOKEN, FROM, FakeTwilio
from tests.bots.whatsapp_fake import (
    PHONE_NUMBER_ID,
    VERSION,
    WA_TOKEN,
    FakeGraph,
    choices_of,
    text_of,
)
from tests.scale_kit import Controller, free_port

__all__ = ["gammu_smsd"]  # the fixture, for the Gammu harness


@dataclass
class Harness:
    """A channel plus a way to read what reached the far side and to script failures."""

    channel: ChatChannel
    received: Callable[[], list[tuple[str, str, list[list[str]]]]]
    fail: Callable[[Outcome], None] | None = None
    # What the far side gets of a text (SMS: typographic characters in their GSM-7 form).
    expect: Callable[[str], str] = lambda text: text
    chat_id: str = "4242"  # whom the test writes to (Gammu: a phone number)


def telegram_harness(fake: FakeTelegram, caplog: Any) -> Harness:
    fake.reset()

    def received() -> list[tuple[str, str, list[list[str]]]]:
        rows = []
        for params in fake.sent():
            markup = json.loads(params.get("reply_markup", '{"inline_keyboard": []}'))
            labels = [[b["text"] for b in row] for row in markup["inline_keyboard"]]
            rows.append((params["chat_id"], params["text"], labels))
        return rows

    def fail(outcome: Outcome) -> None:
        if outcome == Outcome.rate_limited:
            fake.rate_limit(retry_after=4)
        elif outcome == Outcome.blocked:
            fake.fail(
                "sendMessage",
                403,
                {
                    "ok": False,
                    "error_code": 403,
                    "description": "Forbidden: bot was blocked by the user",
                },
            )
        elif outcome == Outcome.permanent:
            fake.fail(
                "sendMessage",
                400,
                {"ok": False, "error_code": 400, "description": "Bad Request: chat not found"},
            )
        else:
            fake.fail(
                "sendMessage",
                500,
                {"ok": False, "error_code": 500, "description": "Internal Server Error"},
            )

    return Harness(TelegramChannel(TOKEN, fake.url), received, fail)


def recording_harness(fake: FakeTelegram, caplog: Any) -> Harness:
    channel = RecordingChannel()

    def received() -> list[tuple[str, str, list[list[str]]]]:
        return [
            (m.chat_id, m.text, [[b.label for b in row] for row in m.buttons]) for m in channel.sent
        ]

    def fail(outcome: Outcome) -> None:
        channel.fail_next(
            SendResult(
                outcome, retry_after=4 if outcome == Outcome.rate_limited else 0, error=str(outcome)
            )
        )

    return Harness(channel, received, fail)


def console_harness(fake: FakeTelegram, caplog: Any) -> Harness:
    caplog.set_level(logging.INFO, logger="bots.console")

    def received() -> list[tuple[str, str, list[list[str]]]]:
        rows = []
        for record in caplog.records:
            if record.name == "bots.console":
                _name, chat_id, text, menu = record.args
                labels = [menu.strip().strip("[]").split(" | ")] if menu else []
                rows.append((chat_id, text, labels))
        return rows

    return Harness(ConsoleChannel("telegram"), received)


def whatsapp_harness(fake: FakeGraph, caplog: Any) -> Harness:
    fake.reset()

    def received() -> list[tuple[str, str, list[list[str]]]]:
        rows = []
        for body in fake.sent:
            labels = [[label for label, _ in choices_of(body)]] if choices_of(body) else []
            rows.append((body.get("to") or body.get("recipient"), text_of(body), labels))
        return rows

    def fail(outcome: Outcome) -> None:
        codes = {
            Outcome.rate_limited: 131056,
            Outcome.permanent: 131026,
            Outcome.transient: 500,
            Outcome.outside_window: 131047,
        }
        fake.fail(codes[outcome])

    channel = WhatsAppChannel(
        GraphClient(WA_TOKEN, PHONE_NUMBER_ID, fake.url, VERSION), "rembug_notifikasi", {"id": "id"}
    )
    return Harness(channel, received, fail)


def sms_harness(fake: FakeTwilio, caplog: Any) -> Harness:
    fake.reset()
    choice = re.compile(r"^(?:Balas|Reply) (\d+): (.*)$")  # the catalog may not be loaded

    def received() -> list[tuple[str, str, list[list[str]]]]:
        rows = []
        for form in fake.to():
            text, _, tail = form["Body"].partition("\n\n")
            labels = [m.group(2) for line in tail.splitlines() if (m := choice.match(line))]
            if not labels:
                text = form["Body"]
            rows.append((form["To"], text, [labels] if labels else []))
        return rows

    def fail(outcome: Outcome) -> None:
        codes = {
            Outcome.rate_limited: 20429,
            Outcome.permanent: 21211,
            Outcome.transient: 500,
            Outcome.blocked: 21610,
        }
        fake.fail(codes[outcome])

    gateway = TwilioGateway(ACCOUNT_SID, AUTH_TOKEN, FROM, fake.url, "")
    return Harness(SmsChannel(gateway, max_segments=3), received, fail, to_gsm7)


_gammu_numbers = itertools.count(1)


@pytest.fixture
def gammu_fake(
    gammu_smsd: GammuSmsd, database_url: str, tmp_path: Path
) -> tuple[GammuSmsd, Settings, Path]:
    settings = bot_settings(
        database_url,
        tmp_path,
        "http://127.0.0.1:9",
        REMBUG_SMS_GATEWAY="gammu",
        REMBUG_GAMMU_DATABASE_URL=gammu_smsd.database_url,
    )
    return gammu_smsd, settings, tmp_path


def gammu_harness(fake: tuple[GammuSmsd, Settings, Path], caplog: Any) -> Harness:
    """SMS through gammu-smsd: the text leaves Rembug into Gammu's outbox; what reached "the
    far side" is what the dummy modem sent (``sentitems``), read once the outbox is empty."""
    smsd, settings, folder = fake
    number = f"+62812345{next(_gammu_numbers):05d}"
    choice = re.compile(r"^(?:Balas|Reply) (\d+): (.*)$")
    gateway = GammuGateway(settings)

    def received() -> list[tuple[str, str, list[list[str]]]]:
        smsd.wait_for(lambda: smsd.waiting_for(number) == 0, "its outbox sent")
        rows = []
        for _id, _status, body in smsd.sent_to(number):
            text, _, tail = body.partition("\n\n")
            labels = [m.group(2) for line in tail.splitlines() if (m := choice.match(line))]
            if not labels:
                text = body
            rows.append((number, text, [labels] if labels else []))
        return rows

    def fail(outcome: Outcome) -> None:
        assert outcome == Outcome.transient
        gateway.store = GammuStore(f"sqlite:///{folder / 'no-such-folder' / 'smsd.db'}")

    return Harness(SmsChannel(gateway, max_segments=3), received, fail, to_gsm7, number)


class ScriptedSmtp:
    """aiosmtpd handler: keeps what it accepted; ``refuse`` scripts the next RCPT's answer."""

    def __init__(self) -> None:
        self.accepted: list[bytes] = []
        self.refusals: list[str] = []
        self.lock = threading.Lock()

    def reset(self) -> None:
        with self.lock:
            self.accepted.clear()
            self.refusals.clear()

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        with self.lock:
            if self.refusals:
                return self.refusals.pop(0)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            self.accepted.append(envelope.content)
        return "250 OK"


@pytest.fixture(scope="module")
def smtp_server() -> Iterator[tuple[str, ScriptedSmtp]]:
    handler = ScriptedSmtp()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield f"smtp://127.0.0.1:{port}", handler
    finally:
        controller.stop()


def email_harness(fake: tuple[str, ScriptedSmtp], caplog: Any) -> Harness:
    """Mail has no buttons: the channel lists a menu's choices as numbered lines."""
    url, smtp = fake
    smtp.reset()

    def received() -> list[tuple[str, str, list[list[str]]]]:
        rows = []
        with smtp.lock:
            raw = list(smtp.accepted)
        for content in raw:
            mail: Any = message_from_bytes(content, policy=policy.default)
            text = mail.get_body(preferencelist=("plain",)).get_content()
            text = text.replace("\r\n", "\n").rstrip("\n")
            head, _, tail = text.rpartition("\n\n")
            labels = re.findall(r"^\d+\. (.+)$", tail, re.M)
            if head and labels and len(labels) == len(tail.split("\n")):
                text = head
            else:
                labels = []
            chat = str(mail["To"]).removeprefix("chat").split("@", 1)[0]
            rows.append((chat, text, [labels] if labels else []))
        return rows

    def fail(outcome: Outcome) -> None:
        answer = {
            Outcome.permanent: "550 5.1.1 No such mailbox",
            Outcome.transient: "451 4.3.0 Try again later",
        }[outcome]
        with smtp.lock:
            smtp.refusals.append(answer)

    channel = EmailChannel(
        url, "aspirasi@contoh.go.id", resolve=lambda chat_id: f"chat{chat_id}@warga.example"
    )
    return Harness(channel, received, fail)


HARNESSES = {
    "sms": sms_harness,
    "gammu": gammu_harness,
    "telegram": telegram_harness,
    "whatsapp": whatsapp_harness,
    "recording": recording_harness,
    "console": console_harness,
    "email": email_harness,
}
COMMON = (Outcome.rate_limited, Outcome.permanent, Outcome.transient)
# What each platform can report (the console never fails; WhatsApp cannot tell a block from
# other refusals, and only it has a messaging window).
FAILING = {
    "telegram": (*COMMON, Outcome.blocked),
    "recording": (*COMMON, Outcome.blocked, Outcome.outside_window),
    "whatsapp": (*COMMON, Outcome.outside_window),
    "sms": (*COMMON, Outcome.blocked),
    "gammu": (Outcome.transient,),
    # SMTP has no rate-limit answer (a 4xx is retried like any transient refusal).
    "email": (Outcome.permanent, Outcome.transient),
}
# The fake each harness talks to (else the Telegram one).
FAKES = {
    "whatsapp": "fake_graph",
    "sms": "fake_twilio",
    "gammu": "gammu_fake",
    "email": "smtp_server",
}


def _harness(name: str, request: Any, caplog: Any) -> Harness:
    fake = request.getfixturevalue(FAKES.get(name, "fake_telegram"))
    return HARNESSES[name](fake, caplog)


def _flat(rows: list[tuple[str, str, list[list[str]]]]) -> list[tuple[str, str, list[str]]]:
    """A channel lays its buttons out its own way (WhatsApp: one row of reply buttons)."""
    return [(chat, text, [label for row in labels for label in row]) for chat, text, labels in rows]


def _run(harness: Harness, coro: Any) -> Any:
    async def run() -> Any:
        try:
            return await coro
        finally:
            await harness.channel.aclose()

    return asyncio.run(run())


@pytest.mark.parametrize("name", sorted(HARNESSES))
def test_sends_text_with_a_menu(name: str, request: Any, caplog: Any) -> None:
    harness = _harness(name, request, caplog)
    assert isinstance(harness.channel, ChatChannel)
    message = Outbound(
        harness.chat_id,
        "Halo 👋 — apa kabar?",
        ((Button("Menu", "m"), Button("Cari", "q")), (Button("Bahasa", "lang"),)),
    )
    result = _run(harness, harness.channel.send(message))
    assert result.outcome == Outcome.sent and result.message_id
    assert _flat(harness.received()) == [
        (harness.chat_id, harness.expect("Halo 👋 — apa kabar?"), ["Menu", "Cari", "Bahasa"])
    ]


@pytest.mark.parametrize("name", sorted(HARNESSES))
def test_sends_plain_text_of_the_maximum_length(name: str, request: Any, caplog: Any) -> None:
    harness = _harness(name, request, caplog)
    text = "a" * capabilities_of(harness.channel).max_text  # SMS: its segment limit
    result = _run(harness, harness.channel.send(Outbound(harness.chat_id, text)))
    assert result.outcome == Outcome.sent
    assert harness.received()[0][1] == text


@pytest.mark.parametrize(
    ("name", "outcome"),
    [(n, o) for n, outcomes in FAILING.items() for o in outcomes],
)
def test_reports_failures_as_outcomes(
    name: str, outcome: Outcome, request: Any, caplog: Any
) -> None:
    harness = _harness(name, request, caplog)
    assert harness.fail is not None
    harness.fail(outcome)
    result = _run(harness, harness.channel.send(Outbound(harness.chat_id, "Halo")))
    assert result.outcome == outcome
    if outcome == Outcome.rate_limited:
        assert result.retry_after > 0
    assert harness.received() == []


def test_button_data_is_limited_to_64_bytes() -> None:
    Button("ok", "x" * 64)
    with pytest.raises(ValueError):
        Button("too long", "é" * 33)


def test_split_text_keeps_paragraphs_and_the_limit() -> None:
    paragraphs = [f"Paragraf {i} " + "isi " * 300 for i in range(10)]
    parts = split_text("\n\n".join(paragraphs))
    assert all(len(p) <= MAX_TEXT for p in parts)
    assert all(p.startswith("Paragraf") for p in parts)
    assert re.sub(r"\s", "", "".join(parts)) == re.sub(r"\s", "", "".join(paragraphs))
    assert split_text("kata" * 2000)[0] == ("kata" * 2000)[:MAX_TEXT]  # no space at all
    assert split_text("  ") == []

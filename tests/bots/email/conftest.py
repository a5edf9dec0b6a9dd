"""The email channel's tests: a real Dovecot on loopback (session), a real SMTP server
(aiosmtpd) for what Rembug sends, and helpers that deliver RFC 5322 messages by IMAP APPEND,
run ``rembug email poll --once``'s pass and the worker, and read what went out."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import col, select

from bots.delivery import channels
from bots.email.config import EmailSettings
from bots.email.mailbox import Pass, connect, take_new
from bots.email.models import EmailSubmission
from forum.services import Services
from forum.settings import Settings
from tests.bots.conftest import FakeTelegram, bot_settings
from tests.bots.email.dovecot import Dovecot, running_dovecot
from tests.bots.whatsapp_fake import FakeGraph
from tests.scale_kit import Inbox, fake_smtp

OURS = "aspirasi@contoh.go.id"
AUTHSERV = "mx.contoh.go.id"


@pytest.fixture(scope="session")
def dovecot() -> Iterator[Dovecot]:
    with running_dovecot() as server:
        yield server


@pytest.fixture(scope="session")
def smtp() -> Iterator[tuple[str, Inbox]]:
    with fake_smtp() as found:
        yield found


@pytest.fixture
def inbox(smtp: tuple[str, Inbox]) -> Inbox:
    with smtp[1].lock:
        smtp[1].messages.clear()
    return smtp[1]


@pytest.fixture
def mail_env(dovecot: Dovecot, smtp: tuple[str, Inbox]) -> dict[str, str]:
    dovecot.empty()
    dovecot.empty("Processed")
    return {
        "REMBUG_IMAP_HOST": dovecot.host,
        "REMBUG_IMAP_PORT": str(dovecot.port),
        "REMBUG_IMAP_TLS": "off",
        "REMBUG_IMAP_USER": dovecot.user,
        "REMBUG_IMAP_PASSWORD": dovecot.password,
        "REMBUG_SMTP_URL": smtp[0],
        "REMBUG_EMAIL_FROM": OURS,
        "REMBUG_EMAIL_TRUSTED_AUTHSERV": AUTHSERV,
        "REMBUG_EMAIL_DEFAULT_REGION": "32.73",
    }


@pytest.fixture
def settings(
    database_url: str,
    tmp_path: Path,
    fake_telegram: FakeTelegram,
    fake_graph: FakeGraph,
    mail_env: dict[str, str],
) -> Settings:
    fake_telegram.reset()
    fake_graph.reset()
    return bot_settings(database_url, tmp_path, fake_telegram.url, fake_graph.url, **mail_env)


def mail(
    *,
    sender: str = "Budi Warga <budi@warga.example>",
    subject: str = "Jalan berlubang di depan pasar",
    text: str | None = "Jalan di depan pasar berlubang besar sejak sebulan, mohon diperbaiki.",
    html: str | None = None,
    charset: str = "utf-8",
    headers: dict[str, str] | None = None,
    authenticated: bool = False,
) -> EmailMessage:
    """A mail as a citizen's mail program writes it."""
    message = EmailMessage(policy=policy.SMTP)
    message["From"] = sender
    message["To"] = OURS
    message["Subject"] = subject
    message["Date"] = formatdate()
    message["Message-ID"] = make_msgid(domain="warga.example")
    if authenticated:
        domain = sender.rpartition("@")[2].strip(">")
        message["Authentication-Results"] = (
            f"{AUTHSERV}; spf=pass smtp.mailfrom={domain}; dkim=pass header.d={domain}; "
            f"dmarc=pass header.from={domain}"
        )
    if text is not None:
        message.set_content(text, charset=charset)
        if html is not None:
            message.add_alternative(html, subtype="html")
    elif html is not None:
        message.set_content(html, subtype="html", charset=charset)
    for name, value in (headers or {}).items():  # after the content: it resets Content-*
        message[name] = value
    return message


def take_in(services: Services, *, mark: bool = True) -> Pass:
    """One pass of ``rembug email poll`` over the mailbox, then the worker until idle."""
    config = EmailSettings.read(services.settings)
    imap = connect(config)
    try:
        found = take_new(services, imap, config, mark=mark)
    finally:
        imap.logout()
    run_worker(services)
    return found


def run_worker(services: Services) -> None:
    async def run() -> None:
        assert services.worker is not None
        try:
            await services.worker.drain()
        finally:
            for channel in channels(services).values():
                await channel.aclose()

    asyncio.run(run())


def sent(inbox: Inbox, to: str | None = None) -> list[EmailMessage]:
    """What Rembug sent (to ``to``), parsed as the recipient's mail program would."""
    with inbox.lock:
        raw = [m.as_bytes() for m in inbox.messages]
    parsed = [message_from_bytes(r, policy=policy.default) for r in raw]
    return [m for m in parsed if to is None or to in str(m["To"])]  # type: ignore[misc]


def text_of(message: Any) -> str:
    return str(message.get_body(preferencelist=("plain",)).get_content())


def link_in(message: Any) -> str:
    found = re.search(r"https?://\S+/email/konfirmasi/\S+", text_of(message))
    assert found, text_of(message)
    return found.group(0).rstrip(".")


def code_in(message: Any) -> str:
    found = re.search(r"\b([A-Z2-9]{8})\b", text_of(message))
    assert found, text_of(message)
    return found.group(1)


def submissions(services: Services) -> list[EmailSubmission]:
    with services.db.read() as db:
        return list(db.exec(select(EmailSubmission).order_by(col(EmailSubmission.id))))

"""Outbound mail as a citizen's mail program and their provider see it, through a real SMTP
server (aiosmtpd): threading, automatic-mail markers, text and HTML parts, and one-click
unsubscribe (RFC 8058) that works and is recorded."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import replace
from email import message_from_bytes, policy
from email.message import EmailMessage
from urllib.parse import urlsplit

import pytest
from starlette.testclient import TestClient

from forum import actions
from forum.app import build_services, create_app
from forum.email import build, thread_of
from forum.models import Account, Aspiration
from forum.queries import export_account_data
from forum.services import Services
from tests.conftest import Browser, World
from tests.moderation.conftest import Make
from tests.scale_kit import Inbox, fake_smtp


@pytest.fixture
def mailing(world: World) -> Iterator[tuple[Services, Inbox]]:
    with fake_smtp() as (url, inbox):
        settings = replace(
            world.services.settings, smtp_url=url, email_from="aspirasi@contoh.go.id"
        )
        services = build_services(settings)
        try:
            yield services, inbox
        finally:
            services.close()


def drain(services: Services) -> None:
    for _ in range(2):  # notification jobs, then the email jobs they enqueue
        asyncio.run(services.worker.drain())


def to(inbox: Inbox, address: str) -> list[EmailMessage]:
    """What arrived for ``address``, parsed as a mail program would (modern policy)."""
    with inbox.lock:
        raw = [m.as_bytes() for m in inbox.messages if m["To"] == address]
    return [message_from_bytes(r, policy=policy.default) for r in raw]  # type: ignore[misc]


def test_a_tickets_mails_thread_together_and_say_they_are_automatic(
    world: World, make: Make, mailing: tuple[Services, Inbox]
) -> None:
    services, inbox = mailing
    aspiration = make.aspiration(world.citizen)
    with services.db.write() as db:
        actions.publish_aspiration(db, world.moderator, db.get(Aspiration, aspiration.id))
    drain(services)
    mails = to(inbox, world.citizen.email or "")
    assert len(mails) >= 2
    thread = f"<rembug.thread.aspirasi.{aspiration.ticket}@contoh.go.id>"
    ids = [m["Message-ID"] for m in mails]
    assert len(set(ids)) == len(ids) and all(i.endswith("@contoh.go.id>") for i in ids)
    for mail in mails:
        assert mail["In-Reply-To"] == thread and mail["References"] == thread
        assert mail["Auto-Submitted"] == "auto-generated"
        assert mail["Date"]
        assert mail.get_content_type() == "multipart/alternative"
        kinds = [part.get_content_type() for part in mail.get_payload()]  # type: ignore[union-attr]
        assert kinds == ["text/plain", "text/html"]
        text = mail.get_payload()[0].get_payload(decode=True).decode()  # type: ignore[index]
        page = mail.get_payload()[1].get_payload(decode=True).decode()  # type: ignore[index]
        assert aspiration.ticket in text and aspiration.ticket in page
        assert f'href="http://127.0.0.1:8000/aspirasi/{aspiration.ticket}"' in page
    # The thread id leads back to the page (for replies that come back by mail).
    assert thread_of(thread) == f"/aspirasi/{aspiration.ticket}"


def test_the_html_part_escapes_what_the_text_says() -> None:
    mail = build(
        sender="aspirasi@contoh.go.id",
        to="warga@contoh.id",
        subject="Rembug",
        text='Judul: <script>alert(1)</script> & "kutip"\n\n-- \nRembug',
        message_id="<rembug.n.1@contoh.go.id>",
    )
    page = mail.get_body(preferencelist=("html",)).get_content()  # type: ignore[union-attr]
    assert "<script>" not in page and "&lt;script&gt;" in page and "&amp;" in page


def test_one_click_unsubscribe_stops_the_mails_and_is_recorded(
    world: World, make: Make, mailing: tuple[Services, Inbox], browser: Browser
) -> None:
    services, inbox = mailing
    aspiration = make.aspiration(world.citizen)
    drain(services)
    (first,) = to(inbox, world.citizen.email or "")
    assert first["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    https_part, mailto_part = (p.strip(" <>") for p in first["List-Unsubscribe"].split(","))
    assert mailto_part.startswith("mailto:aspirasi@contoh.go.id")
    path = urlsplit(https_part).path
    assert path.startswith("/berhenti-langganan/")
    assert path in first.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]

    app = create_app(services.settings, services=services)
    with TestClient(app, base_url="http://testserver") as client:
        # A forged or altered token changes nothing.
        assert (
            client.post(path[:-1] + "0", data={"List-Unsubscribe": "One-Click"}).status_code == 404
        )
        assert client.post("/berhenti-langganan/abc", data={}).status_code == 404
        # Following the link (as scanners and previews do) only shows the button.
        shown = client.get(path)
        assert shown.status_code == 200 and "<form" in shown.text
        with services.db.read() as db:
            assert db.get(Account, world.citizen.id).notify_email  # type: ignore[union-attr]
        # The mail program's one-click POST: no cookie, no form token.
        done = client.post(path, data={"List-Unsubscribe": "One-Click"})
        assert done.status_code == 200
    with services.db.read() as db:
        citizen = db.get(Account, world.citizen.id)
        assert citizen is not None and not citizen.notify_email
        assert citizen.email_unsubscribed_at is not None
        assert export_account_data(db, citizen)["account"]["email_unsubscribed_at"]

    count = len(to(inbox, world.citizen.email or ""))
    with services.db.write() as db:
        actions.publish_aspiration(db, world.moderator, db.get(Aspiration, aspiration.id))
    drain(services)
    assert len(to(inbox, world.citizen.email or "")) == count  # no more mail

    # The account page says when, and the citizen can subscribe again.
    browser.login(world.citizen)
    assert "berhenti" in browser.get("/notifikasi").text.lower()
    browser.submit("/notifikasi", "/notifikasi", {"action": "preferences", "email": "on"})
    with services.db.read() as db:
        citizen = db.get(Account, world.citizen.id)
        assert (
            citizen is not None and citizen.notify_email and citizen.email_unsubscribed_at is None
        )

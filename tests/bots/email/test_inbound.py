"""Mail in: real RFC 5322 messages delivered into a real Dovecot, taken in by the IMAP pass,
processed by the worker; what reached the moderation queue and what mail went out (aiosmtpd)
is what a moderator and the citizen see."""

from __future__ import annotations

import json
import re

from sqlmodel import col, select
from starlette.testclient import TestClient

from bots.email.models import EmailAddress, SubmissionStatus
from forum.models import Account, Aspiration, Category, Region
from forum.services import Services
from moderation.models import ModerationCase
from tests.bots.email.conftest import (
    OURS,
    code_in,
    link_in,
    mail,
    sent,
    submissions,
    take_in,
    text_of,
)
from tests.bots.email.dovecot import Dovecot
from tests.conftest import CSRF_RE, Browser, World
from tests.scale_kit import Inbox


def _queue(services: Services) -> list[tuple[Aspiration, ModerationCase]]:
    with services.db.read() as db:
        return list(
            db.exec(
                select(Aspiration, ModerationCase)
                .join(ModerationCase, col(ModerationCase.aspiration_id) == Aspiration.id)
                .order_by(col(Aspiration.id))
            )
        )


def _confirm_by_link(client: TestClient, link: str) -> str:
    path = link.split("://", 1)[1].split("/", 1)[1]
    page = client.get("/" + path)
    assert page.status_code == 200 and "<form" in page.text
    token = CSRF_RE.search(page.text)
    assert token
    done = client.post("/" + path, data={"csrf_token": token.group(1)})
    assert done.status_code == 200, done.text
    return done.text


def test_a_new_mail_waits_for_the_confirmation_then_enters_the_queue(
    services: Services, dovecot: Dovecot, inbox: Inbox, client: TestClient
) -> None:
    sent_mail = mail()
    dovecot.append(sent_mail.as_bytes())
    found = take_in(services)
    assert (found.seen, found.stored) == (1, 1)
    assert "\\Seen" in next(iter(dovecot.flags().values()))
    # Nothing reached the queue: the address is not confirmed yet.
    assert _queue(services) == []
    (confirmation,) = sent(inbox, "budi@warga.example")
    assert confirmation["In-Reply-To"] == sent_mail["Message-ID"]
    assert confirmation["Auto-Submitted"] == "auto-generated"
    assert confirmation["Message-ID"].endswith("@contoh.go.id>")
    assert "Jalan berlubang di depan pasar" in text_of(confirmation)

    # Mail scanners follow links: that alone confirms nothing.
    client.get("/" + link_in(confirmation).split("://", 1)[1].split("/", 1)[1])
    assert _queue(services) == []
    page = _confirm_by_link(client, link_in(confirmation))
    assert "dikonfirmasi" in page or "confirmed" in page
    ((aspiration, case),) = _queue(services)
    assert aspiration.title == "Jalan berlubang di depan pasar"
    assert aspiration.body.startswith("Jalan di depan pasar berlubang besar")
    assert aspiration.channel == "email" and case.channel == "email"
    assert aspiration.status == "pending" and case.status == "pending"
    with services.db.read() as db:
        region = db.get(Region, aspiration.region_id)
        category = db.get(Category, aspiration.category_id)
    assert region is not None and region.code == "32.73"  # the configured default
    assert category is not None and category.slug == "lainnya"
    take_in(services)  # the worker sends the acknowledgement
    acknowledgement = sent(inbox, "budi@warga.example")[-1]
    assert aspiration.ticket in text_of(acknowledgement)
    assert acknowledgement["In-Reply-To"] == sent_mail["Message-ID"]
    # The link works once.
    assert (
        client.get("/" + link_in(confirmation).split("://", 1)[1].split("/", 1)[1]).status_code
        == 404
    )


def test_a_confirmed_sender_with_authenticated_mail_goes_straight_to_the_queue(
    services: Services, dovecot: Dovecot, inbox: Inbox, client: TestClient
) -> None:
    dovecot.append(mail(subject="Lampu jalan mati").as_bytes())
    take_in(services)
    _confirm_by_link(client, link_in(sent(inbox)[0]))
    assert len(_queue(services)) == 1
    # HTML-only, authenticated by the trusted server (DMARC pass): no confirmation asked.
    html = (
        "<html><head><style>p{color:red}</style><script>alert('x')</script></head><body>"
        "<p>Lampu jalan di <b>Jl. Merdeka</b> mati &amp; gelap sejak Senin.</p>"
        "<p>Mohon segera diperbaiki.</p></body></html>"
    )
    inbox.messages.clear()
    dovecot.append(
        mail(subject="Re: Lampu jalan", text=None, html=html, authenticated=True).as_bytes()
    )
    take_in(services)
    queue = _queue(services)
    assert len(queue) == 2
    body = queue[1][0].body
    assert "Lampu jalan di Jl. Merdeka mati & gelap sejak Senin." in body
    assert "Mohon segera diperbaiki." in body
    assert "alert" not in body and "color" not in body and "<" not in body
    assert queue[1][0].title == "Lampu jalan"
    # Answered with its ticket (beside the first mail's acknowledgement, sent by this run).
    assert [queue[1][0].ticket in text_of(m) for m in sent(inbox)].count(True) == 1
    assert not any("/email/konfirmasi/" in text_of(m) for m in sent(inbox))


def test_a_forged_authentication_result_does_not_skip_the_confirmation(
    services: Services, dovecot: Dovecot, inbox: Inbox, client: TestClient
) -> None:
    dovecot.append(mail().as_bytes())
    take_in(services)
    _confirm_by_link(client, link_in(sent(inbox)[0]))
    inbox.messages.clear()
    forged = mail(
        subject="Palsu",
        headers={
            "Authentication-Results": "mx.penipu.example; dmarc=pass header.from=warga.example"
        },
    )
    dovecot.append(forged.as_bytes())
    take_in(services)
    assert len(_queue(services)) == 1
    confirmations = [m for m in sent(inbox) if "/email/konfirmasi/" in text_of(m)]
    assert len(confirmations) == 1 and confirmations[0]["Subject"]
    assert submissions(services)[-1].status == SubmissionStatus.waiting


def test_attachments_are_listed_for_the_moderator_and_not_published(
    services: Services, dovecot: Dovecot, inbox: Inbox, world: World, browser: Browser
) -> None:
    client = browser.client
    message = mail(subject="Sampah menumpuk di sungai", authenticated=True)
    message.add_attachment(
        b"\x89PNG\r\n" + b"0" * 2048, maintype="image", subtype="png", filename="sungai.png"
    )
    message.add_attachment(
        b"%PDF-1.4 laporan", maintype="application", subtype="pdf", filename="laporan warga.pdf"
    )
    dovecot.append(message.as_bytes())
    take_in(services)
    _confirm_by_link(client, link_in(sent(inbox)[0]))
    ((aspiration, _case),) = _queue(services)
    assert "PNG" not in aspiration.body and "sungai.png" not in aspiration.body
    (submission,) = submissions(services)
    listed = json.loads(submission.attachments)
    assert [(a["name"], a["content_type"]) for a in listed] == [
        ("sungai.png", "image/png"),
        ("laporan warga.pdf", "application/pdf"),
    ]
    assert listed[0]["size"] == 2054
    assert submission.aspiration_id == aspiration.id
    # The moderator's case page lists them; the public page of the ticket does not.
    browser.login(world.moderator)
    page = browser.get(f"/moderation/kasus/{_case.id}")
    assert page.status_code == 200
    assert "sungai.png" in page.text and "laporan warga.pdf" in page.text
    assert "Dikirim lewat surel" in page.text and "tidak dipublikasikan" in page.text


def test_mail_in_iso_8859_1_and_windows_1252_reads_right(
    services: Services, dovecot: Dovecot, inbox: Inbox, client: TestClient
) -> None:
    latin = mail(
        subject="Café ditutup",
        text="Kafe à la carte di taman ditutup tanpa pemberitahuan.",
        charset="iso-8859-1",
    )
    assert b'charset="iso-8859-1"' in latin.as_bytes()
    windows = (
        b"From: Budi Warga <budi@warga.example>\r\nTo: aspirasi@contoh.go.id\r\n"
        b"Subject: =?windows-1252?q?Tarif_parkir_=80_5?=\r\nMessage-ID: <cp1252@warga.example>\r\n"
        b"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=windows-1252\r\n"
        b"Content-Transfer-Encoding: 8bit\r\n\r\n"
    ) + "Tarif parkir naik menjadi €5 – “terlalu mahal” untuk warga.\r\n".encode("cp1252")
    dovecot.append(latin.as_bytes())
    dovecot.append(windows)
    take_in(services)
    _confirm_by_link(client, link_in(sent(inbox)[0]))
    titles = {a.title: a.body for a, _ in _queue(services)}
    assert titles["Café ditutup"] == "Kafe à la carte di taman ditutup tanpa pemberitahuan."
    assert (
        titles["Tarif parkir € 5"] == "Tarif parkir naik menjadi €5 – “terlalu mahal” untuk warga."
    )


def test_a_reply_to_a_ticket_notification_is_a_follow_up_without_the_quoted_history(
    services: Services, dovecot: Dovecot, inbox: Inbox, client: TestClient, world: World
) -> None:
    dovecot.append(mail(authenticated=True).as_bytes())
    take_in(services)
    _confirm_by_link(client, link_in(sent(inbox)[0]))
    ((original, _),) = _queue(services)
    thread = f"<rembug.thread.aspirasi.{original.ticket}@contoh.go.id>"
    reply = mail(
        subject=f"Re: Rembug: Aspirasi Anda {original.ticket} telah dipublikasikan.",
        text=(
            "Lubangnya sekarang makin besar dan sudah ada motor yang jatuh.\n\n"
            "Pada Sen, 7 Des 2026 10.00, Rembug <aspirasi@contoh.go.id> menulis:\n"
            f"> Aspirasi Anda {original.ticket} telah dipublikasikan.\n"
            "> http://127.0.0.1:8000/aspirasi/x\n\n"
            "-- \nBudi, RT 05\n"
        ),
        headers={"In-Reply-To": thread, "References": thread},
        authenticated=True,
    )
    dovecot.append(reply.as_bytes())
    take_in(services)
    queue = _queue(services)
    assert len(queue) == 2
    follow_up = queue[1][0]
    assert follow_up.body == "Lubangnya sekarang makin besar dan sudah ada motor yang jatuh."
    assert original.ticket in follow_up.title
    assert (follow_up.category_id, follow_up.region_id) == (
        original.category_id,
        original.region_id,
    )
    assert submissions(services)[-1].kind == "followup"
    assert submissions(services)[-1].target == original.ticket


def test_auto_replies_bounces_and_lists_are_never_answered(
    services: Services, dovecot: Dovecot, inbox: Inbox
) -> None:
    dovecot.append(
        mail(
            subject="Out of office",
            text="Saya sedang cuti sampai 10 Desember.",
            headers={"Auto-Submitted": "auto-replied"},
        ).as_bytes()
    )
    dovecot.append(
        mail(
            subject="Buletin",
            text="Berita minggu ini untuk semua anggota.",
            headers={"List-Id": "<warga.lists.example>", "Precedence": "list"},
        ).as_bytes()
    )
    dovecot.append(
        mail(sender=OURS, subject="Our own mail", text="Mail that came back to us.").as_bytes()
    )
    bounce = (
        b"Return-Path: <>\r\nFrom: Mail Delivery System <MAILER-DAEMON@mx.warga.example>\r\n"
        b"To: aspirasi@contoh.go.id\r\nSubject: Undelivered Mail Returned to Sender\r\n"
        b"Message-ID: <bounce1@mx.warga.example>\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/report; report-type=delivery-status; boundary="b1"\r\n\r\n'
        b"--b1\r\nContent-Type: text/plain\r\n\r\nThe mail could not be delivered.\r\n"
        b"--b1\r\nContent-Type: message/delivery-status\r\n\r\n"
        b"Reporting-MTA: dns; mx.warga.example\r\n\r\nFinal-Recipient: rfc822; x@warga.example\r\n"
        b"Action: failed\r\nStatus: 5.1.1\r\n--b1--\r\n"
    )
    dovecot.append(bounce)
    found = take_in(services)
    assert found.seen == 4
    assert all("\\Seen" in flags for flags in dovecot.flags().values())
    assert sent(inbox) == [] and submissions(services) == [] and _queue(services) == []


def test_a_crash_between_storing_and_flagging_replays_harmlessly(
    services: Services, dovecot: Dovecot, inbox: Inbox
) -> None:
    message = mail(authenticated=True)
    dovecot.append(message.as_bytes())
    first = take_in(services, mark=False)  # stored, then the process died
    assert (first.seen, first.stored) == (1, 1)
    assert "\\Seen" not in next(iter(dovecot.flags().values()))
    again = take_in(services)  # the next start: found again, a repeat, then flagged
    assert (again.seen, again.stored) == (1, 0)
    assert "\\Seen" in next(iter(dovecot.flags().values()))
    # The same mail delivered twice (same Message-ID, another UID) takes effect once.
    dovecot.append(message.as_bytes())
    assert take_in(services).stored == 0
    assert len(submissions(services)) == 1
    assert len(sent(inbox)) == 1  # one confirmation mail


def test_too_many_mails_from_one_sender_are_ignored_and_one_confirmation_covers_all(
    services: Services, dovecot: Dovecot, inbox: Inbox, client: TestClient
) -> None:
    limit = 10
    for i in range(limit + 2):
        dovecot.append(mail(subject=f"Aspirasi nomor {i}").as_bytes())
    take_in(services)
    assert len(submissions(services)) == limit
    (confirmation,) = sent(inbox)  # one mail, not one per submission
    _confirm_by_link(client, link_in(confirmation))
    assert len(_queue(services)) == limit
    assert {s.status for s in submissions(services)} == {SubmissionStatus.entered}


def test_unconfirmed_submissions_expire(
    services: Services, dovecot: Dovecot, inbox: Inbox, client: TestClient
) -> None:
    from datetime import timedelta

    from bots.email.inbound import expire_waiting
    from bots.email.models import EmailSubmission
    from forum.models import utcnow

    dovecot.append(mail().as_bytes())
    take_in(services)
    link = link_in(sent(inbox)[0])
    with services.db.write() as db:
        row = db.exec(select(EmailSubmission)).one()
        row.expires_at = utcnow() - timedelta(seconds=1)
        db.add(row)
    assert expire_waiting(services) == 1
    assert submissions(services)[0].status == SubmissionStatus.expired
    assert client.get("/" + link.split("://", 1)[1].split("/", 1)[1]).status_code == 404
    assert _queue(services) == []


def test_bad_input_gets_a_short_answer_in_the_senders_language(
    services: Services, dovecot: Dovecot, inbox: Inbox, client: TestClient
) -> None:
    dovecot.append(
        mail(
            sender="Ann <ann@example.org>",
            subject="Hi",
            text="Too short",
            headers={"Content-Language": "en"},
        ).as_bytes()
    )
    take_in(services)
    _confirm_by_link(client, link_in(sent(inbox)[0]))
    take_in(services)
    answer = sent(inbox)[-1]
    words = text_of(answer)
    assert "could not be taken in" in words and "Traceback" not in words
    assert submissions(services)[0].status == SubmissionStatus.refused
    assert _queue(services) == []


def test_a_confirmed_address_belongs_to_the_web_account_with_that_address(
    services: Services, dovecot: Dovecot, inbox: Inbox, client: TestClient, world: World
) -> None:
    dovecot.append(mail(sender=f"Warga <{world.citizen.email}>").as_bytes())
    take_in(services)
    confirmation = sent(inbox)[0]
    page = client.get("/email/konfirmasi")
    token = CSRF_RE.search(page.text)
    assert token
    wrong = client.post(
        "/email/konfirmasi", data={"csrf_token": token.group(1), "code": "AAAAAAAA"}
    )
    assert wrong.status_code == 400
    done = client.post(
        "/email/konfirmasi", data={"csrf_token": token.group(1), "code": code_in(confirmation)}
    )
    assert done.status_code == 200, done.text
    ((aspiration, _),) = _queue(services)
    assert aspiration.author_id == world.citizen.id
    with services.db.read() as db:
        row = db.exec(select(EmailAddress).where(EmailAddress.address == world.citizen.email)).one()
        assert row.confirmed_at is not None
        assert db.get(Account, world.citizen.id) is not None


def test_a_mail_over_the_size_limit_gets_a_short_answer(
    services: Services, dovecot: Dovecot, inbox: Inbox
) -> None:
    big = mail(subject="Foto jalan")
    big.add_attachment(
        b"0" * 5_200_000, maintype="application", subtype="octet-stream", filename="besar.bin"
    )
    dovecot.append(big.as_bytes())
    take_in(services)
    (answer,) = sent(inbox)
    assert re.search(r"\b5 MB\b", text_of(answer))
    assert submissions(services) == []

"""Replies by mail land where they belong: a reply to a real notification mail about a comment
becomes a reply in that comment's thread, a mail to a ticket's own address a follow-up; and
the mailbox worker as an operator runs it: IDLE, the done folder, ``rembug email poll --once``."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from dataclasses import replace

from sqlmodel import select
from starlette.testclient import TestClient

from bots.email.config import EmailSettings
from bots.email.inbound import reply_address
from bots.email.mailbox import connect, take_new, wait_for_news
from forum import actions
from forum.models import Aspiration, Comment
from forum.services import Services
from tests.bots.email.conftest import OURS, code_in, mail, run_worker, sent, submissions, take_in
from tests.bots.email.dovecot import Dovecot
from tests.conftest import CSRF_RE, Browser, World
from tests.moderation.conftest import Make
from tests.scale_kit import Inbox


def _confirm_with_code(client: TestClient, code: str) -> None:
    page = client.get("/email/konfirmasi")
    token = CSRF_RE.search(page.text)
    assert token
    done = client.post("/email/konfirmasi", data={"csrf_token": token.group(1), "code": code})
    assert done.status_code == 200, done.text


def test_a_reply_to_a_comment_notification_is_a_reply_in_its_thread(
    services: Services, dovecot: Dovecot, inbox: Inbox, client: TestClient, world: World, make: Make
) -> None:
    comment = make.comment(world.citizen, "Pasal dua perlu memuat tenggat layanan.")
    with services.db.write() as db:
        published = db.get(Comment, comment.id)
        assert published is not None
        actions.publish_comment(db, world.moderator, published)
        actions.publish_official_response(
            db, world.official, body="Terima kasih, akan kami pertimbangkan.", comment=published
        )
    run_worker(services)
    run_worker(services)  # the notification, then its mail
    notice = [m for m in sent(inbox, "warga@contoh.id") if "#komentar-" in str(m)][-1]
    reply = mail(
        sender="Warga <warga@contoh.id>",
        subject=f"Re: {notice['Subject']}",
        text=(
            "Mohon tenggatnya ditulis dalam hari kerja, bukan hari kalender.\n\n"
            f"On Mon, 7 Dec 2026 at 10:00, Rembug <{OURS}> wrote:\n> {notice['Subject']}\n"
        ),
        headers={"In-Reply-To": notice["Message-ID"], "References": notice["References"]},
    )
    dovecot.append(reply.as_bytes())
    take_in(services)
    confirmation = sent(inbox, "warga@contoh.id")[-1]
    _confirm_with_code(client, code_in(confirmation))
    with services.db.read() as db:
        replies = list(db.exec(select(Comment).where(Comment.parent_id == comment.id)))
    assert len(replies) == 1
    (answer,) = replies
    assert answer.body == "Mohon tenggatnya ditulis dalam hari kerja, bukan hari kalender."
    assert answer.status == "pending" and answer.channel == "email"
    assert answer.author_id == world.citizen.id  # the web account with that address
    assert submissions(services)[-1].kind == "reply"


def test_mail_to_a_tickets_own_address_is_a_follow_up(
    services: Services, dovecot: Dovecot, inbox: Inbox, client: TestClient, world: World, make: Make
) -> None:
    original = make.aspiration(world.citizen)
    address = reply_address(services.settings.secret_key, OURS, original.ticket)
    assert address.startswith("aspirasi+asp-") and address.endswith("@contoh.go.id")
    message = mail(subject="Tambahan", text="Sekarang air juga menggenang di lubang itu.")
    message.replace_header("To", address)
    forged = mail(subject="Tambahan palsu", text="Alamat tiket dengan tanda tangan yang salah.")
    forged.replace_header("To", address[:-20] + "0000000000@contoh.go.id")
    dovecot.append(message.as_bytes())
    dovecot.append(forged.as_bytes())
    take_in(services)
    _confirm_with_code(client, code_in(sent(inbox, "budi@warga.example")[0]))
    rows = submissions(services)
    assert [(s.kind, s.target) for s in rows] == [
        ("followup", original.ticket),
        ("aspiration", ""),
    ]
    with services.db.read() as db:
        follow_up = db.get(Aspiration, rows[0].aspiration_id)
    assert follow_up is not None and original.ticket in follow_up.title
    assert follow_up.region_id == original.region_id


def test_idle_wakes_the_worker_when_mail_arrives_and_done_mail_is_moved(
    services: Services, dovecot: Dovecot
) -> None:
    config = replace(EmailSettings.read(services.settings), imap_done_folder="Processed")
    imap = connect(config)
    try:
        assert take_new(services, imap, config).seen == 0
        later = threading.Timer(0.5, dovecot.append, [mail(authenticated=True).as_bytes()])
        later.start()
        started = time.monotonic()
        assert wait_for_news(imap, 20) is True
        assert time.monotonic() - started < 10  # woken by the arrival, not the timeout
        later.join()
        found = take_new(services, imap, config)
    finally:
        imap.logout()
    assert found.seen == 1 and found.stored == 1
    assert dovecot.flags() == {}  # moved out of the inbox
    assert len(dovecot.flags("Processed")) == 1


def test_rembug_email_poll_once(services: Services, dovecot: Dovecot) -> None:
    dovecot.append(mail(subject="Dari cron").as_bytes())
    env = {k: v for k, v in services.settings.extra.items()}
    env["REMBUG_RUN_WORKER"] = "false"
    result = subprocess.run(
        [sys.executable, "-m", "forum.cli", "email", "poll", "--once"],
        env={"PATH": "/usr/bin:/bin", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "1 pesan baru, 1 disimpan" in result.stdout
    wrong = subprocess.run(
        [sys.executable, "-m", "forum.cli", "email", "poll", "--once"],
        env={"PATH": "/usr/bin:/bin", **env, "REMBUG_IMAP_PASSWORD": "salah"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert wrong.returncode == 1 and "login" in wrong.stdout.lower()


def test_replying_to_the_confirmation_mail_with_its_code_confirms(
    services: Services, dovecot: Dovecot, inbox: Inbox
) -> None:
    dovecot.append(mail(subject="Trotoar rusak di Jalan Sudirman").as_bytes())
    take_in(services)
    (confirmation,) = sent(inbox)
    assert confirmation["Message-ID"].strip().startswith("<rembug.konfirmasi.")
    reply = mail(
        subject=f"Re: {confirmation['Subject']}",
        text=f"Ya, ini saya. Kodenya {code_in(confirmation)}\n\n> {confirmation['Subject']}\n",
        headers={"In-Reply-To": confirmation["Message-ID"]},
    )
    dovecot.append(reply.as_bytes())
    take_in(services)
    rows = submissions(services)
    assert len(rows) == 1 and rows[0].status == "entered"  # the reply itself is no aspiration
    with services.db.read() as db:
        aspiration = db.get(Aspiration, rows[0].aspiration_id)
    assert aspiration is not None and aspiration.title == "Trotoar rusak di Jalan Sudirman"


def test_officials_can_filter_their_desk_by_the_email_channel(
    services: Services, dovecot: Dovecot, inbox: Inbox, world: World, browser: Browser
) -> None:
    dovecot.append(mail(subject="Drainase tersumbat di pasar", authenticated=True).as_bytes())
    take_in(services)
    _confirm_with_code(browser.client, code_in(sent(inbox)[0]))
    (row,) = submissions(services)
    with services.db.write() as db:
        aspiration = db.get(Aspiration, row.aspiration_id)
        assert aspiration is not None
        actions.publish_aspiration(db, world.moderator, aspiration)
        actions.route_aspiration(
            db, world.moderator, aspiration, agency_id=world.agency.id or 0, reason=""
        )
    browser.login(world.official)
    by_mail = browser.get("/instansi?kanal=email")
    assert by_mail.status_code == 200
    assert '<option value="email" selected>' in by_mail.text
    assert "Drainase tersumbat di pasar" in by_mail.text
    assert "Drainase tersumbat di pasar" not in browser.get("/instansi?kanal=web").text


def test_the_mailto_unsubscribe_of_our_mails_is_honoured_and_never_an_aspiration(
    services: Services, dovecot: Dovecot, inbox: Inbox, world: World
) -> None:
    from forum.models import Account

    # Not authenticated: the account's own address gets the one-click link, nothing else.
    dovecot.append(
        mail(sender=f"<{world.citizen.email}>", subject="unsubscribe", text="").as_bytes()
    )
    take_in(services)
    (link_mail,) = sent(inbox)
    assert "/berhenti-langganan/" in str(
        link_mail.get_body(preferencelist=("plain",)).get_content()
    )
    with services.db.read() as db:
        assert db.get(Account, world.citizen.id).notify_email  # type: ignore[union-attr]
    # Authenticated by the trusted server: off at once, recorded.
    dovecot.append(
        mail(
            sender=f"<{world.citizen.email}>", subject="unsubscribe", text="", authenticated=True
        ).as_bytes()
    )
    take_in(services)
    with services.db.read() as db:
        account = db.get(Account, world.citizen.id)
    assert account is not None and not account.notify_email and account.email_unsubscribed_at
    assert submissions(services) == []


def test_starttls_is_refused_rather_than_logging_in_unencrypted(
    services: Services, dovecot: Dovecot
) -> None:
    import pytest

    from bots.email.mailbox import MailboxError

    config = replace(EmailSettings.read(services.settings), imap_tls="starttls")
    with pytest.raises(MailboxError, match="does not offer STARTTLS"):
        connect(config)  # this throwaway Dovecot has ssl = no
    wrong = replace(EmailSettings.read(services.settings), imap_password="salah")
    with pytest.raises(MailboxError, match="login"):
        connect(wrong)

"""Notification mail: built in one place (``build``) and sent over SMTP (the only module that
uses smtplib), or printed (``REMBUG_SMTP_URL=console``, for development).

Every mail Rembug writes by itself carries ``Auto-Submitted: auto-generated`` (RFC 3834, so
that auto-responders stay quiet), a stable ``Message-ID`` (a retried job sends the same id,
which mail programs fold into one), ``In-Reply-To``/``References`` naming the thread of the
page it is about (a ticket's mails thread together in the citizen's mail program), a text and
an HTML part made from the same words, and, for notifications, one-click unsubscribe
(``List-Unsubscribe`` + ``List-Unsubscribe-Post``, RFC 8058) with a signed link to
``/berhenti-langganan/<token>``.
"""

from __future__ import annotations

import hashlib
import hmac
import html
import json
import logging
import re
import smtplib
import ssl
from email import policy
from email.message import EmailMessage
from email.utils import formatdate
from typing import Any
from urllib.parse import unquote, urlsplit

from sqlmodel import select

from forum.errors import N_
from forum.i18n import gettext
from forum.models import Account, Notification
from forum.outbox import JobContext, PermanentError

log = logging.getLogger(__name__)

UNSUBSCRIBE_PATH = "/berhenti-langganan"
# Headers are folded at spaces only up to SMTP's limit: with the default 78, a long URL in
# List-Unsubscribe would become an RFC 2047 encoded word, which no mail program reads as a link.
POLICY = policy.default.clone(max_line_length=998)
_THREAD_SAFE = re.compile(r"[^A-Za-z0-9.-]+")


def mail_domain(sender: str) -> str:
    """The domain of the sender address (Message-IDs are made on it)."""
    domain = sender.rpartition("@")[2].strip().strip(">").lower()
    return domain or "localhost"


def message_id_for(kind: str, ident: str | int, domain: str) -> str:
    """``<rembug.<kind>.<ident>@<domain>>``: the same for the same mail, sent again or not."""
    return f"<rembug.{_THREAD_SAFE.sub('-', kind)}.{_THREAD_SAFE.sub('-', str(ident))}@{domain}>"


def thread_id_for(link: str, domain: str) -> str:
    """The id every mail about one page refers to: a ticket (``/aspirasi/ASP-…``), a
    consultation or its comment thread. Made from the link's path, so mails about the same
    page thread together whatever their kind."""
    path = urlsplit(link).path.strip("/") or "home"
    return message_id_for("thread", path.replace("/", "."), domain)


def thread_of(message_id: str) -> str | None:
    """The page path a thread id names (for replies that come back by mail), or None."""
    match = re.fullmatch(r"<rembug\.thread\.([A-Za-z0-9.-]+)@[^>]+>", message_id.strip())
    return "/" + match.group(1).replace(".", "/") if match else None


PROVING = frozenset({"confirm", "reset", "code"})


def may_mail(account: Account, *, to: str | None = None, purpose: str = "notice") -> bool:
    """The one gate every mail to a person passes (notifications, account notices, the
    mails of forum.account_mail; channels that mail must use it too). An address gets mail
    only once the person proved it is theirs (``email_confirmed_at``), except the mails that
    prove it (``purpose`` confirm, reset or code: a link or code only its owner can use, to
    the account's address or the new one waiting for its confirmation). Preferences
    (``notify_email``) are the caller's to add."""
    address = to or account.email
    if not account.is_active or account.deleted_at is not None or not address:
        return False
    if purpose in PROVING:
        return address in (account.email, account.pending_email)
    return address == account.email and account.email_confirmed_at is not None


def unsubscribe_token(secret_key: str, account: Account) -> str:
    """``<account id>.<signature>``; bound to the address, so a link stops working for a new
    address of the account."""
    assert account.id is not None
    mac = hmac.new(
        secret_key.encode(), f"unsubscribe:{account.id}:{account.email}".encode(), hashlib.sha256
    )
    return f"{account.id}.{mac.hexdigest()[:32]}"


def unsubscribe_token_ok(secret_key: str, token: str, account: Account | None) -> bool:
    """Whether ``token`` is the unsubscribe token of ``account`` (constant-time)."""
    if account is None or not account.email:
        return False
    return hmac.compare_digest(token.encode(), unsubscribe_token(secret_key, account).encode())


def build(
    *,
    sender: str,
    to: str,
    subject: str,
    text: str,
    message_id: str,
    thread: str | None = None,
    unsubscribe_url: str | None = None,
    locale: str = "id",
) -> EmailMessage:
    """The one way Rembug writes a mail: headers as the module says, text and HTML parts."""
    message = EmailMessage(policy=POLICY)
    message["From"], message["To"], message["Subject"] = sender, to, subject
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = message_id
    message["Auto-Submitted"] = "auto-generated"
    message["Content-Language"] = locale
    if thread:
        message["In-Reply-To"] = thread
        message["References"] = thread
    if unsubscribe_url:
        sender_address = sender.rpartition("<")[2].strip(">").strip()
        mailto = f"mailto:{sender_address}?subject=unsubscribe"
        message["List-Unsubscribe"] = f"<{unsubscribe_url}>, <{mailto}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(text)
    message.add_alternative(_html(text, locale), subtype="html")
    return message


def _html(text: str, locale: str) -> str:
    """The text part as HTML: escaped, paragraphs kept, links clickable, the signature apart."""
    body, _, signature = text.partition("\n-- \n")
    paragraphs = []
    for block in body.strip().split("\n\n"):
        escaped = html.escape(block.strip()).replace("\n", "<br>")
        escaped = re.sub(r"(https?://[^\s<]+)", r'<a href="\1">\1</a>', escaped)
        paragraphs.append(f"<p>{escaped}</p>")
    if signature.strip():
        escaped = re.sub(
            r"(https?://[^\s<]+)", r'<a href="\1">\1</a>', html.escape(signature.strip())
        )
        paragraphs.append(f'<p style="color:#555;font-size:90%">{escaped}</p>')
    return (
        f'<!doctype html><html lang="{html.escape(locale)}"><head><meta charset="utf-8"></head>'
        f"<body>{''.join(paragraphs)}</body></html>\n"
    )


def send(url: str, message: EmailMessage, timeout: float = 20.0) -> None:
    """Deliver one message through the server named by ``url``."""
    if url == "console":
        log.info("email (console backend):\n%s", message)
        return
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps"):
        raise PermanentError(f"unsupported REMBUG_SMTP_URL scheme {parts.scheme!r}")
    host = parts.hostname or "localhost"
    if parts.scheme == "smtps":
        client: smtplib.SMTP = smtplib.SMTP_SSL(
            host, parts.port or 465, timeout=timeout, context=ssl.create_default_context()
        )
    else:
        client = smtplib.SMTP(host, parts.port or 587, timeout=timeout)
    with client:
        if parts.scheme == "smtp" and client.has_extn("starttls"):
            client.starttls(context=ssl.create_default_context())
        if parts.username:
            client.login(unquote(parts.username), unquote(parts.password or ""))
        client.send_message(message)


def make_handler(
    db_factory: Any, smtp_url: str, sender: str, base_url: str, secret_key: str
) -> Any:
    """The outbox handler for email jobs: one notification, to its account, in their language."""
    domain = mail_domain(sender)

    def handle(payload: dict[str, Any], ctx: JobContext) -> None:
        with db_factory() as db:
            row = db.exec(
                select(Notification, Account)
                .join(Account, Account.id == Notification.account_id)  # type: ignore[arg-type]
                .where(Notification.key == payload["notification_key"])
            ).first()
            if row is None:
                return
            note, account = row
            if not account.notify_email or not may_mail(account):
                return
            assert account.email is not None
            text = gettext(account.locale, note.message, **json.loads(note.params))
            unsubscribe = f"{base_url}{UNSUBSCRIBE_PATH}/{unsubscribe_token(secret_key, account)}"
            footer = gettext(
                account.locale,
                N_(
                    "You receive this because of your Rembug account. Change it at %(url)s"
                    " or stop these emails: %(unsubscribe)s"
                ),
                url=f"{base_url}/notifikasi",
                unsubscribe=unsubscribe,
            )
            body = f"{text}\n\n{base_url}{note.link}\n\n-- \n{footer}\n"
            message = build(
                sender=sender,
                to=account.email,
                subject=f"Rembug: {text[:120]}",
                text=body,
                message_id=message_id_for("n", note.id or note.key, domain),
                thread=thread_id_for(note.link, domain),
                unsubscribe_url=unsubscribe,
                locale=account.locale,
            )
        send(smtp_url, message)

    return handle

"""Sends notification emails over SMTP (the only module that uses smtplib), or prints them
(``REMBUG_SMTP_URL=console``, for development)."""

from __future__ import annotations

import json
import logging
import smtplib
import ssl
from email.message import EmailMessage
from typing import Any
from urllib.parse import unquote, urlsplit

from sqlmodel import select

from forum.errors import N_
from forum.i18n import gettext
from forum.models import Account, Notification
from forum.outbox import JobContext, PermanentError

log = logging.getLogger(__name__)


def _message(sender: str, to: str, subject: str, body: str) -> EmailMessage:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, to, subject
    message.set_content(body)
    return message


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


def make_handler(db_factory: Any, smtp_url: str, sender: str, base_url: str) -> Any:
    """The outbox handler for email jobs: one notification, to its account, in their language."""

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
            if not account.email or not account.notify_email or not account.is_active:
                return
            text = gettext(account.locale, note.message, **json.loads(note.params))
            footer = gettext(
                account.locale,
                N_("You receive this because of your Rembug account. Change it at %(url)s"),
                url=f"{base_url}/notifikasi",
            )
            body = f"{text}\n\n{base_url}{note.link}\n\n-- \n{footer}\n"
            subject = f"Rembug: {text[:120]}"
            message = _message(sender, account.email, subject, body)
        send(smtp_url, message)

    return handle

"""The email ``ChatChannel`` and the answer job: every mail goes out through
``forum.email.build`` (Message-ID, threading, Auto-Submitted, text and HTML) and
``forum.email.send`` (SMTP, or the log with ``REMBUG_SMTP_URL`` empty or ``console``)."""

from __future__ import annotations

import asyncio
import smtplib
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlmodel import Session

from bots.channels import Capabilities, Outcome, SendResult
from bots.messages import Outbound
from forum import email
from forum.outbox import JobContext, PermanentError, enqueue

CHANNEL = "email"
ANSWER_JOB = "bots.email.answer"
CAPABILITIES = Capabilities(max_text=20_000, max_menu_text=20_000, buttons=False, reply_window=None)


def _same(chat_id: str) -> str:
    return chat_id


class EmailChannel:
    """Sends each chat message as one mail to the address the chat id is (``resolve`` maps
    another kind of chat id, for tests); menus become a numbered list, mail has no buttons."""

    name = CHANNEL
    capabilities = CAPABILITIES

    def __init__(
        self,
        smtp_url: str,
        sender: str,
        subject: str = "Rembug",
        resolve: Callable[[str], str] = _same,
    ) -> None:
        self.smtp_url = smtp_url or "console"
        self.sender = sender
        self.subject = subject
        self.resolve = resolve

    def message(self, message: Outbound) -> Any:
        text = message.text
        labels = [b.label for row in message.buttons for b in row]
        if labels:
            text += "\n\n" + "\n".join(f"{i}. {label}" for i, label in enumerate(labels, 1))
        domain = email.mail_domain(self.sender)
        return email.build(
            sender=self.sender,
            to=self.resolve(message.chat_id),
            subject=self.subject,
            text=text,
            message_id=email.message_id_for("chat", uuid.uuid4().hex, domain),
            locale=message.locale,
        )

    async def send(self, message: Outbound) -> SendResult:
        address = self.resolve(message.chat_id)
        if "@" not in address:
            return SendResult(Outcome.permanent, error="no mail address for this chat")
        mail = self.message(message)
        try:
            await asyncio.to_thread(email.send, self.smtp_url, mail)
        except smtplib.SMTPRecipientsRefused as exc:
            outcome = Outcome.transient if _temporary(exc) else Outcome.permanent
            return SendResult(outcome, error=f"refused: {exc.recipients}"[:300])
        except smtplib.SMTPResponseException as exc:
            outcome = Outcome.transient if 400 <= exc.smtp_code < 500 else Outcome.permanent
            return SendResult(outcome, error=f"{exc.smtp_code} {exc.smtp_error!r}"[:300])
        except PermanentError as exc:
            return SendResult(Outcome.permanent, error=str(exc))
        except (smtplib.SMTPException, OSError) as exc:
            return SendResult(Outcome.transient, error=f"{type(exc).__name__}: {exc}"[:300])
        return SendResult(Outcome.sent, message_id=str(mail["Message-ID"]))

    async def aclose(self) -> None:
        return None


def _temporary(exc: smtplib.SMTPRecipientsRefused) -> bool:
    """Every recipient was refused for now (4xx: greylisting, a full mailbox), not for good."""
    codes = [code for code, _ in exc.recipients.values()]
    return bool(codes) and all(400 <= code < 500 for code in codes)


def queue_answer(
    db: Session,
    *,
    sender: str,
    to: str,
    subject: str,
    text: str,
    locale: str,
    in_reply_to: str = "",
    kind: str = "answer",
) -> None:
    """Queue one mail in the caller's transaction; its Message-ID is fixed now, so a retried
    job sends the same mail (mail programs fold repeats into one)."""
    domain = email.mail_domain(sender)
    enqueue(
        db,
        ANSWER_JOB,
        {
            "to": to,
            "subject": subject[:200],
            "text": text,
            "locale": locale,
            "in_reply_to": in_reply_to,
            "message_id": email.message_id_for(kind, uuid.uuid4().hex, domain),
        },
        max_attempts=10,
    )


def make_answer_handler(smtp_url: str, sender: str) -> Any:
    """The outbox handler that sends what ``queue_answer`` queued."""
    url = smtp_url or "console"

    def handle(payload: dict[str, Any], context: JobContext) -> None:
        mail = email.build(
            sender=sender,
            to=str(payload["to"]),
            subject=str(payload["subject"]),
            text=str(payload["text"]),
            message_id=str(payload["message_id"]),
            thread=str(payload.get("in_reply_to") or "") or None,
            locale=str(payload.get("locale") or "id"),
        )
        try:
            email.send(url, mail)
        except smtplib.SMTPRecipientsRefused as exc:
            if _temporary(exc):
                raise
            raise PermanentError(f"recipient refused: {exc.recipients}") from exc
        except smtplib.SMTPResponseException as exc:
            if exc.smtp_code >= 500:
                raise PermanentError(f"{exc.smtp_code} {exc.smtp_error!r}") from exc
            raise

    return handle


CONFIRM_TTL = timedelta(days=7)

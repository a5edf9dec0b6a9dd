"""Sign-in codes to a linked chat (forum.extensions.LOGIN_CODE_SENDERS): the forum asks, this
package sends through the same delivery path as every other message (paced, retried, logged).

A code's delivery is of kind ``login-code``: kept off the delivery pages, its text blanked once
sent or failed, and on WhatsApp always sent as the authentication template
(REMBUG_WHATSAPP_TEMPLATE_AUTH; Meta allows one-time codes only in such templates). By SMS a
code is one more SMS under the channel's cost controls (bots/sms/costs.py: the per-number daily
cap and the daily budget count it and may hold it back; never after BERHENTI).

A citizen who takes part from WhatsApp or SMS only has an account without email or phone; the
number they write from finds it (forum.extensions.LOGIN_CODE_FINDERS): on SMS the number is
the chat, on WhatsApp the chat is the WhatsApp id (the number's digits without "+"). Telegram
gives no number, so a Telegram-only citizen has none to type."""

from __future__ import annotations

from collections.abc import Callable

from sqlmodel import Session, col, select

from bots import actions
from bots.messages import Outbound
from bots.models import ChatIdentity, DeliveryKind
from forum.errors import N_
from forum.extensions import LOGIN_CODE_FINDERS, LOGIN_CODE_SENDERS
from forum.i18n import gettext
from forum.services import Services

CODE_TEXT = N_(
    "Your code to sign in to Rembug is %(code)s. It works once, for a few minutes. Nobody from "
    "Rembug or the agency ever asks you for it: do not give it to anyone."
)
SENT_TEXT = "(kode masuk / sign-in code)"  # what the delivery log keeps once it left


def sender(channel: str) -> Callable[[Session, int, str, str], bool]:
    """Queue ``code`` to the account's most recently used chat on ``channel``."""

    def send(db: Session, account_id: int, code: str, locale: str) -> bool:
        identity = db.exec(
            select(ChatIdentity)
            .where(
                ChatIdentity.account_id == account_id,
                ChatIdentity.channel == channel,
                ChatIdentity.blocked == False,  # noqa: E712 - SQL expression
            )
            .order_by(col(ChatIdentity.last_inbound_at).desc(), col(ChatIdentity.id).desc())
        ).first()
        if identity is None:
            return False
        text = gettext(identity.locale or locale, CODE_TEXT, code=code)
        actions.queue_delivery(
            db,
            channel,
            Outbound(identity.chat_id, text),
            kind=DeliveryKind.login_code,
            identity_id=identity.id,
        )
        return True

    return send


# How a number in +62… form is written as the chat id of each channel that has numbers.
CHAT_OF_NUMBER: dict[str, Callable[[str], str]] = {
    "sms": lambda number: number,
    "whatsapp": lambda number: number.removeprefix("+"),
}


def finder(channel: str) -> Callable[[Session, str], int | None]:
    """The account whose chat on ``channel`` is this number (most recently used first)."""
    chat_of = CHAT_OF_NUMBER[channel]

    def find(db: Session, number: str) -> int | None:
        return db.exec(
            select(ChatIdentity.account_id)
            .where(
                ChatIdentity.channel == channel,
                ChatIdentity.chat_id == chat_of(number),
                col(ChatIdentity.account_id).is_not(None),
            )
            .order_by(col(ChatIdentity.last_inbound_at).desc(), col(ChatIdentity.id).desc())
        ).first()

    return find


def register(services: Services) -> None:
    senders = services.extensions.setdefault(LOGIN_CODE_SENDERS, {})
    for channel in ("telegram", "whatsapp", "sms"):
        senders[channel] = sender(channel)
    finders = services.extensions.setdefault(LOGIN_CODE_FINDERS, {})
    for channel in CHAT_OF_NUMBER:
        finders[channel] = finder(channel)

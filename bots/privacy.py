"""What the chat channels keep about a person, for their data export (UU PDP access and
portability: ``forum.extensions.ACCOUNT_DATA``) and for the deletion of their account."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, update
from sqlmodel import Session, col, select

from bots.models import ChatDelivery, ChatIdentity
from bots.sms.models import SmsNumber
from forum.models import Account

DELIVERIES_EXPORTED = 1000  # the newest messages sent to the person's chats


def _when(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def account_chat_data(db: Session, account: Account) -> dict[str, list[dict[str, Any]]]:
    """The person's chats (their Telegram id, WhatsApp or SMS number, consent to SMS) and the
    messages sent to them there."""
    identities = list(
        db.exec(
            select(ChatIdentity)
            .where(ChatIdentity.account_id == account.id)
            .order_by(col(ChatIdentity.id))
        )
    )
    ids = [i.id for i in identities if i.id is not None]
    numbers = {
        n.identity_id: n
        for n in (
            db.exec(select(SmsNumber).where(col(SmsNumber.identity_id).in_(ids))) if ids else []
        )
    }
    chats = [
        {
            "channel": i.channel,
            "platform_user_id": i.platform_user_id,
            "display_name": i.display_name,
            "locale": i.locale,
            "notify": i.notify,
            "created_at": _when(i.created_at),
            "last_inbound_at": _when(i.last_inbound_at),
            "sms_consent_withdrawn_at": _when(
                numbers[i.id].consent_withdrawn_at if i.id in numbers else None
            ),
        }
        for i in identities
    ]
    deliveries = (
        list(
            db.exec(
                select(ChatDelivery)
                .where(col(ChatDelivery.identity_id).in_(ids))
                .order_by(col(ChatDelivery.id).desc())
                .limit(DELIVERIES_EXPORTED)
            )
        )
        if ids
        else []
    )
    return {
        "chats": chats,
        "chat_messages": [
            {
                "channel": d.channel,
                "kind": d.kind,
                "text": d.text,
                "status": d.status,
                "created_at": _when(d.created_at),
                "sent_at": _when(d.sent_at),
            }
            for d in deliveries
        ],
    }


def erase_sms_number(db: Session, identity: ChatIdentity) -> None:
    """The account behind an SMS number was deleted: the number goes from its identity and
    from the messages sent to it (a later SMS from it starts afresh)."""
    gone = f"deleted:{identity.id}"
    db.execute(
        update(ChatDelivery)
        .where(col(ChatDelivery.identity_id) == identity.id)
        .values(chat_id=gone)
    )
    db.execute(delete(SmsNumber).where(col(SmsNumber.identity_id) == identity.id))
    identity.platform_user_id = gone
    identity.chat_id = gone
    identity.display_name = ""

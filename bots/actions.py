"""Every state change of the chat channels: one function per change (identities, dialogue
state, link codes, taking in updates, queueing and recording deliveries)."""

from __future__ import annotations

import hashlib
import json
import secrets
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, update
from sqlmodel import Session, col, select

from bots.messages import Inbound, Outbound
from bots.models import (
    DELIVERY_PROGRESS,
    ChatDelivery,
    ChatIdentity,
    ChatLinkCode,
    DeliveryKind,
    DeliveryStatus,
)
from forum import actions as forum_actions
from forum.errors import N_, Conflict, NotAllowed, Throttled
from forum.models import Account, JobStatus, OutboxJob, RateEvent, utcnow
from forum.outbox import enqueue

DELIVER_JOB = "bots.deliver"
FETCH_JOB = "bots.attachment.fetch"  # download a photo or document sent in a chat (bots/media.py)
LINK_CODE_TTL = timedelta(minutes=10)
LINK_CODES_PER_HOUR = 5  # codes one web account may ask for
LINK_FAILURES_PER_WINDOW = 5  # wrong codes one chat may enter
LINK_FAILURE_WINDOW = timedelta(minutes=15)
# No 0/O, 1/I/L: people copy the code from a screen to a phone keyboard.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8


def _locale_for(language_code: str) -> str:
    return "en" if language_code.lower().startswith("en") else "id"


# --- identities and dialogue state --------------------------------------------------------


def take_identity(db: Session, inbound: Inbound, now: datetime | None = None) -> ChatIdentity:
    """The identity behind an inbound message, created on first contact."""
    now = now or utcnow()
    # Locked until the turn commits: a file download finishing meanwhile (bots/media.py)
    # changes the same dialogue state, and waits for this turn instead of undoing it.
    identity = db.exec(
        select(ChatIdentity)
        .where(
            ChatIdentity.channel == inbound.channel,
            ChatIdentity.platform_user_id == inbound.user_id,
        )
        .with_for_update()
    ).first()
    if identity is None:
        identity = ChatIdentity(
            channel=inbound.channel,
            platform_user_id=inbound.user_id,
            chat_id=inbound.chat_id,
            display_name=inbound.display_name[:120],
            locale=_locale_for(inbound.language_code),
            created_at=now,
        )
    identity.chat_id = inbound.chat_id or identity.chat_id
    if inbound.event == "message":
        identity.last_inbound_at = now
    identity.updated_at = now
    if identity.id is None:
        db.add(identity)
        db.flush()  # its id, for what refers to it
    return identity


def set_state(identity: ChatIdentity, state: str, data: dict[str, Any] | None = None) -> None:
    """Move the dialogue to ``state`` (written with the rest of the turn's transaction)."""
    identity.state = state
    identity.data = json.dumps(data or {}, ensure_ascii=False, sort_keys=True)


def state_data(identity: ChatIdentity) -> dict[str, Any]:
    try:
        value = json.loads(identity.data or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def set_locale(identity: ChatIdentity, locale: str) -> None:
    identity.locale = locale if locale in {"id", "en"} else "id"


def set_notify(identity: ChatIdentity, notify: bool) -> None:
    identity.notify = notify


def set_blocked(identity: ChatIdentity, blocked: bool) -> None:
    identity.blocked = blocked


def ensure_account(db: Session, identity: ChatIdentity) -> Account:
    """The forum account the chat acts as; a chat-only citizen account on first contribution."""
    if identity.account_id is not None:
        account = db.get(Account, identity.account_id)
        if account is not None:
            return account
    account = forum_actions.create_chat_account(
        db, name=identity.display_name or "Warga", locale=identity.locale
    )
    identity.account_id = account.id
    db.add(identity)
    db.flush()
    return account


# --- linking a chat to a web account -------------------------------------------------------


def _code_hash(code: str) -> str:
    normalised = "".join(ch for ch in code.upper() if ch.isalnum())
    return hashlib.sha256(normalised.encode()).hexdigest()


def create_link_code(
    db: Session,
    account: Account,
    now: datetime | None = None,
    per_hour: int = LINK_CODES_PER_HOUR,
) -> str:
    """A one-time code (single use, 10 minutes) that links a chat to ``account``; at most
    ``per_hour`` codes per account in any hour."""
    if account is None or not account.is_active or account.id is None:
        raise NotAllowed(N_("Please log in first."))
    now = now or utcnow()
    recent, oldest = db.exec(
        select(func.count(), func.min(ChatLinkCode.created_at)).where(
            ChatLinkCode.account_id == account.id,
            col(ChatLinkCode.created_at) > now - timedelta(hours=1),
        )
    ).one()
    if int(recent) >= per_hour:
        retry_after = max(1, int(((oldest or now) + timedelta(hours=1) - now).total_seconds()) + 1)
        raise Throttled(N_("Too many codes were asked for. Try again in an hour."), retry_after)
    code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    db.add(
        ChatLinkCode(
            account_id=account.id,
            code_hash=_code_hash(code),
            created_at=now,
            expires_at=now + LINK_CODE_TTL,
        )
    )
    db.flush()
    return code


def link_identity(
    db: Session, identity: ChatIdentity, code: str, now: datetime | None = None
) -> tuple[Account, int]:
    """Point the chat at the web account whose code this is; wrong codes are throttled.

    What the person did before as a chat-only account (comments, aspirations, supports,
    follows, notifications, and its other chats) moves to the web account in this
    transaction, and the chat-only account is retired. A chat already acting as another web
    account (or a staff account) is not merged: that is refused. Returns the account and how
    many contributions (comments and aspirations) moved."""
    now = now or utcnow()
    key = f"bots:link:{identity.channel}:{identity.platform_user_id}"
    failures = db.exec(
        select(func.count())
        .select_from(RateEvent)
        .where(RateEvent.key == key, col(RateEvent.at) > now - LINK_FAILURE_WINDOW)
    ).one()
    if int(failures) >= LINK_FAILURES_PER_WINDOW:
        raise Throttled(N_("Too many wrong codes. Try again in 15 minutes."), 900)
    row = db.exec(select(ChatLinkCode).where(ChatLinkCode.code_hash == _code_hash(code))).first()
    if row is None or row.used_at is not None or row.expires_at <= now:
        # Counted in its own row; the caller commits it although the link failed.
        db.add(RateEvent(key=key, at=now))
        raise NotAllowed(N_("This code is wrong, used or expired. Ask for a new one on the web."))
    account = db.get(Account, row.account_id)
    if account is None or not account.is_active:
        raise NotAllowed(N_("This code is wrong, used or expired. Ask for a new one on the web."))
    previous = db.get(Account, identity.account_id) if identity.account_id else None
    moved = 0
    if previous is not None and previous.id != account.id and previous.deleted_at is None:
        if not forum_actions.is_chat_only(previous):
            raise Conflict(
                N_(
                    "This chat is already linked to another web account. Accounts with a "
                    "login are not merged; ask an administrator if both are yours."
                )
            )
        counts = forum_actions.merge_chat_account(db, previous, account)
        moved = counts["comment"] + counts["aspiration"]
        db.execute(
            update(ChatIdentity)
            .where(col(ChatIdentity.account_id) == previous.id)
            .values(account_id=account.id, updated_at=now)
        )
    row.used_at = now
    row.used_by_identity_id = identity.id
    identity.account_id = account.id
    identity.updated_at = now
    db.add_all([row, identity])
    return account, moved


# --- inbound updates ------------------------------------------------------------------------


# --- deliveries -----------------------------------------------------------------------------


def queue_delivery(
    db: Session,
    channel: str,
    message: Outbound,
    *,
    kind: DeliveryKind = DeliveryKind.reply,
    identity_id: int | None = None,
    agency_id: int | None = None,
    aspiration_id: int | None = None,
    comment_id: int | None = None,
    consultation_id: int | None = None,
    topic: str | None = None,
) -> int:
    """Log an outbound message and queue its sending, in the caller's transaction; returns
    the delivery's id. Plain inserts (no ORM objects): a burst of chat updates queues
    hundreds of these a second."""
    now = utcnow()
    delivery_id = db.execute(
        insert(ChatDelivery)
        .values(
            channel=channel,
            chat_id=message.chat_id,
            identity_id=identity_id,
            kind=kind,
            text=message.text,
            buttons=message.buttons_json(),
            agency_id=agency_id,
            aspiration_id=aspiration_id,
            comment_id=comment_id,
            consultation_id=consultation_id,
            topic=topic,
            status=DeliveryStatus.pending,
            attempts=0,
            via_template=False,
            created_at=now,
        )
        .returning(col(ChatDelivery.id))
    ).scalar_one()
    db.execute(
        insert(OutboxJob).values(
            kind=DELIVER_JOB,
            payload=json.dumps({"delivery_id": delivery_id}, sort_keys=True),
            status=JobStatus.pending,
            attempts=0,
            max_attempts=10,
            run_after=now,
            created_at=now,
        )
    )
    return int(delivery_id)


def record_delivery_sent(
    db: Session, delivery: ChatDelivery, message_id: str | None, now: datetime | None = None
) -> None:
    delivery.status = DeliveryStatus.sent
    delivery.sent_at = now or utcnow()
    delivery.platform_message_id = message_id
    delivery.attempts += 1
    delivery.last_error = None
    db.add(delivery)


def record_delivery_failed(db: Session, delivery: ChatDelivery, error: str, *, final: bool) -> None:
    """Count a failed attempt; ``final`` marks it failed for good (officials see it)."""
    delivery.attempts += 1
    delivery.last_error = error[:500]
    if final:
        delivery.status = DeliveryStatus.failed
    db.add(delivery)


def hold_delivery(db: Session, delivery: ChatDelivery, reason: str) -> None:
    """Not sent, by the channel's cost controls or the person's withdrawn consent; staff see
    it held with ``reason``."""
    delivery.status = DeliveryStatus.held
    delivery.last_error = reason[:500]
    db.add(delivery)


def mark_delivery_template(db: Session, delivery: ChatDelivery) -> None:
    """From now on this delivery goes out as the channel's pre-approved template (the
    messaging window is closed)."""
    delivery.via_template = True
    db.add(delivery)


def find_delivery_for_receipt(
    db: Session, channel: str, platform_message_id: str, ref: str
) -> ChatDelivery | None:
    """The delivery a platform receipt is about: by the platform's message id, else by our
    attempt marker (``rembug:d<id>:a<n>:<stamp>``, ``attempt_ref``) when the send timed out
    before we learnt the id."""
    if platform_message_id:
        found = db.exec(
            select(ChatDelivery).where(
                ChatDelivery.channel == channel,
                ChatDelivery.platform_message_id == platform_message_id,
            )
        ).first()
        if found is not None:
            return found
    head, _, rest = ref.partition(":d")
    delivery_id, _, tail = rest.partition(":")
    stamp = tail.split(":")[1] if tail.count(":") >= 1 else ""
    if head == "rembug" and delivery_id.isdigit() and len(delivery_id) <= 12:
        found = db.get(ChatDelivery, int(delivery_id))
        if found is not None and found.channel == channel:
            # A marker of an earlier life of this database (restored from a backup, made anew
            # beside a platform or Gammu store that kept old reports) names another delivery.
            if stamp and stamp != delivery_stamp(found):
                return None
            return found
    return None


def delivery_stamp(delivery: ChatDelivery) -> str:
    """8 hex digits of the delivery's id and creation time (part of its attempt marker)."""
    created = delivery.created_at.replace(tzinfo=None).isoformat(timespec="seconds")
    return hashlib.sha256(f"{delivery.id}:{created}".encode()).hexdigest()[:8]


def attempt_ref(delivery: ChatDelivery) -> str:
    """``rembug:d<id>:a<attempt>:<stamp>``: sent with an attempt to platforms with receipts,
    it comes back in their reports and names the delivery even when the send timed out."""
    return f"rembug:d{delivery.id}:a{delivery.attempts + 1}:{delivery_stamp(delivery)}"


def record_delivery_receipt(
    db: Session,
    delivery: ChatDelivery,
    status: str,
    platform_message_id: str,
    *,
    error: str = "",
    now: datetime | None = None,
) -> bool:
    """Apply a platform receipt (sent / delivered / read / failed). Receipts only move a
    delivery forward; a failure after delivery is ignored. Returns True if it changed."""
    now = now or utcnow()
    current = DeliveryStatus(delivery.status)
    if status == DeliveryStatus.failed:
        if current not in (DeliveryStatus.pending, DeliveryStatus.sent):
            return False
        delivery.status = DeliveryStatus.failed
        delivery.last_error = (error or "failed")[:500]
        db.add(delivery)
        return True
    try:
        wanted = DeliveryStatus(status)
    except ValueError:
        return False
    if wanted not in DELIVERY_PROGRESS or current == DeliveryStatus.failed:
        return False
    # Held after an attempt that timed out: that attempt's receipt says it went out after all.
    if DELIVERY_PROGRESS[wanted] <= DELIVERY_PROGRESS.get(current, 0):
        return False
    if current in (DeliveryStatus.pending, DeliveryStatus.held):
        # A send that timed out did arrive: it counts as this attempt, never resent.
        delivery.sent_at = now
        delivery.last_error = None
    if platform_message_id and not delivery.platform_message_id:
        delivery.platform_message_id = platform_message_id[:100]
    delivery.status = wanted
    db.add(delivery)
    return True


def requeue_delivery_as_template(db: Session, delivery: ChatDelivery, error: str) -> bool:
    """The platform refused a sent free-form message because the messaging window had closed
    (WhatsApp reports 131047 in a later receipt): send it again as the template."""
    if delivery.via_template or delivery.status not in (
        DeliveryStatus.pending,
        DeliveryStatus.sent,
    ):
        return False
    delivery.via_template = True
    delivery.status = DeliveryStatus.pending
    delivery.last_error = error[:500]
    delivery.platform_message_id = None
    db.add(delivery)
    db.flush()
    enqueue(db, DELIVER_JOB, {"delivery_id": delivery.id}, max_attempts=10)
    return True

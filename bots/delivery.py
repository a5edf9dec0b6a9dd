"""Running the conversation for a stored inbound message, and sending outbound messages from
the outbox: paced per chat and per channel across every worker, retried on rate limits and
network errors, failed for good on permanent errors without holding up other chats."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select

from bots import actions, conversation
from bots.channels import ChatChannel, Outcome
from bots.messages import Inbound, Outbound, buttons_from_json
from bots.models import ChatDelivery, ChatIdentity, ChatInbound, ChatPace, DeliveryStatus
from forum.models import utcnow
from forum.outbox import JobContext, PermanentError, RetryLater
from forum.services import Services

log = logging.getLogger(__name__)

CHANNELS = "bots.channels"  # services.extensions key: {channel name: ChatChannel}
PACES = "bots.paces"  # {channel name: overall Pace}
SETTINGS = "bots.settings"  # bots.config.BotSettings
SEARCH = "search"  # services.extensions key the search plugin may fill (conversation.SearchHook)


@dataclass(frozen=True)
class Pace:
    """GCRA pacing: on average ``per_second`` messages, with ``burst`` extra at once."""

    per_second: float
    burst: float = 0.0

    @property
    def interval(self) -> timedelta:
        return timedelta(seconds=1.0 / self.per_second)

    @property
    def tolerance(self) -> timedelta:
        return self.interval * self.burst


def channels(services: Services) -> dict[str, ChatChannel]:
    found: dict[str, ChatChannel] = services.extensions.setdefault(CHANNELS, {})
    return found


# --- inbound: run the conversation -------------------------------------------------------


def earlier_pending(db: Session, row: ChatInbound) -> bool:
    """True while an older update of the same chat is still unprocessed (keeps order when
    several workers run)."""
    if not row.chat_key:
        return False
    return (
        db.exec(
            select(ChatInbound.id).where(
                ChatInbound.channel == row.channel,
                ChatInbound.chat_key == row.chat_key,
                col(ChatInbound.processed_at).is_(None),
                col(ChatInbound.id) < row.id,
            )
        ).first()
        is not None
    )


def converse(services: Services, db: Session, inbound: Inbound) -> list[Outbound]:
    """The shared conversation for one inbound message, its answers queued for delivery in the
    same transaction."""
    replies = conversation.handle(
        db,
        inbound,
        search=services.extensions.get(SEARCH)
        if callable(services.extensions.get(SEARCH))
        else None,
        timezone=services.settings.timezone,
    )
    identity = actions.take_identity(db, inbound)
    for reply in replies:
        actions.queue_delivery(db, inbound.channel, reply, identity_id=identity.id)
    return replies


# --- outbound: pacing and the delivery job --------------------------------------------------


def take_slot(db: Session, key: str, pace: Pace, now: datetime) -> float:
    """Take a send slot for ``key``; returns 0 when taken, else the seconds to wait.

    Compare-and-set on the row (UPDATE … WHERE next_at = what we read), so concurrent
    workers, in other processes or on other machines, never both take the same slot."""
    insert = sqlite_insert if db.get_bind().dialect.name == "sqlite" else pg_insert
    db.execute(insert(ChatPace).values(key=key, next_at=now).on_conflict_do_nothing())
    for _ in range(10):
        seen = db.exec(select(ChatPace.next_at).where(ChatPace.key == key)).one()
        if seen > now + pace.tolerance:
            return max((seen - pace.tolerance - now).total_seconds(), 0.05)
        result = db.execute(
            update(ChatPace)
            .where(col(ChatPace.key) == key, col(ChatPace.next_at) == seen)
            .values(next_at=max(seen, now) + pace.interval)
        )
        if result.rowcount:  # type: ignore[attr-defined]
            return 0.0
    return pace.interval.total_seconds()  # heavy contention: try again shortly


def _take_slots(
    services: Services, delivery_id: int, paces: list[tuple[str, Pace]]
) -> tuple[ChatDelivery | None, float]:
    with services.db.write() as db:
        delivery = db.get(ChatDelivery, delivery_id)
        if delivery is None or delivery.status != DeliveryStatus.pending:
            return delivery, 0.0
        identity = db.get(ChatIdentity, delivery.identity_id) if delivery.identity_id else None
        if identity is not None and identity.blocked and delivery.kind != "reply":
            actions.record_delivery_failed(db, delivery, "blocked by the user", final=True)
            return delivery, -1.0
        now = utcnow()
        for key, pace in paces:
            wait = take_slot(db, key, pace, now)
            if wait:
                return delivery, wait
        return delivery, 0.0


def _record(
    services: Services,
    delivery_id: int,
    outcome: Outcome,
    message_id: str | None,
    error: str,
    final: bool,
) -> None:
    with services.db.write() as db:
        delivery = db.get(ChatDelivery, delivery_id)
        if delivery is None:
            return
        if outcome == Outcome.sent:
            actions.record_delivery_sent(db, delivery, message_id)
            return
        actions.record_delivery_failed(db, delivery, error, final=final)
        if outcome == Outcome.blocked and delivery.identity_id:
            identity = db.get(ChatIdentity, delivery.identity_id)
            if identity is not None:
                actions.set_blocked(identity, True)
                db.add(identity)


def register_channel(services: Services, channel: ChatChannel, overall: Pace) -> None:
    """Make ``channel`` the sender for its name, with its platform's overall rate limit."""
    channels(services)[channel.name] = channel
    services.extensions.setdefault(PACES, {})[channel.name] = overall


def pacing_for(services: Services, channel: str, chat_id: str) -> list[tuple[str, Pace]]:
    """The overall slot first (short), then the chat's."""
    config = services.extensions[SETTINGS]
    overall = services.extensions.get(PACES, {}).get(channel, Pace(30.0, 1.0))
    per_chat = Pace(config.rate_per_chat, config.burst_per_chat)
    return [(f"{channel}:*", overall), (f"{channel}:chat:{chat_id}", per_chat)]


async def deliver(payload: dict[str, Any], context: JobContext) -> None:
    """Outbox job: send one logged message through its channel.

    Idempotent by delivery row: a delivery already sent or failed is not sent again. (A crash
    between the platform's answer and our commit may still repeat one message: Telegram's
    API has no idempotency key.)"""
    services: Services = context.services
    delivery_id = int(payload["delivery_id"])
    with services.db.read() as db:
        first = db.get(ChatDelivery, delivery_id)
    if first is None or first.status != DeliveryStatus.pending:
        return
    channel = channels(services).get(first.channel)
    if channel is None:
        await asyncio.to_thread(
            _record, services, delivery_id, Outcome.permanent, None, "no such channel", True
        )
        raise PermanentError(f"no chat channel {first.channel!r}")
    paces = pacing_for(services, first.channel, first.chat_id)
    delivery, wait = await asyncio.to_thread(_take_slots, services, delivery_id, paces)
    if delivery is None or delivery.status != DeliveryStatus.pending:
        if wait < 0:
            raise PermanentError("the person blocked the bot")
        return
    if wait:
        raise RetryLater(wait, "paced")
    message = Outbound(delivery.chat_id, delivery.text, buttons_from_json(delivery.buttons))
    result = await channel.send(message)
    final_attempt = context.attempt >= 10
    if result.outcome == Outcome.sent:
        await asyncio.to_thread(
            _record, services, delivery_id, result.outcome, result.message_id, "", False
        )
        return
    permanent = result.outcome in (Outcome.blocked, Outcome.permanent)
    await asyncio.to_thread(
        _record,
        services,
        delivery_id,
        result.outcome,
        None,
        result.error or result.outcome,
        permanent or final_attempt,
    )
    if permanent:
        raise PermanentError(result.error or result.outcome)
    if result.outcome == Outcome.rate_limited:
        raise RetryLater(max(result.retry_after, 1.0), f"rate limited: {result.error}")
    if result.outcome == Outcome.outside_window:
        # The WhatsApp channel falls back to a template itself; reaching here means it could not.
        raise PermanentError("outside the messaging window and no template fallback")
    raise RuntimeError(f"transient: {result.error}")  # backoff by the outbox

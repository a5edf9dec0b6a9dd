"""Running the conversation for a stored inbound message, and sending outbound messages from
the outbox: paced per chat and per channel across every worker, retried on rate limits and
network errors, failed for good on permanent errors without holding up other chats."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select

from bots import actions, conversation, login_codes
from bots.channels import (
    Capabilities,
    ChatChannel,
    CodeTemplateChannel,
    MediaChannel,
    Outcome,
    SendResult,
    TemplateChannel,
    capabilities_of,
)
from bots.messages import Inbound, Outbound, buttons_from_json
from bots.models import ChatDelivery, ChatIdentity, ChatPace, DeliveryKind, DeliveryStatus
from forum.extensions import SEARCH_ITEMS
from forum.models import utcnow
from forum.outbox import JobContext, PermanentError, RetryLater
from forum.services import Services

log = logging.getLogger(__name__)

CHANNELS = "bots.channels"  # services.extensions key: {channel name: ChatChannel}
PACES = "bots.paces"  # {channel name: overall Pace}
CHAT_PACES = "bots.chat_paces"  # {channel name: per-chat Pace}, when the channel has its own
SETTINGS = "bots.settings"  # bots.config.BotSettings
POLICIES = "bots.delivery_policies"  # {channel name: DeliveryPolicy}
RECEIPT_GRACE_SECONDS = 90.0  # how long a timed-out send waits for its receipt before resending


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


@dataclass(frozen=True)
class DeliveryPolicy:
    """A channel's say over its deliveries (SMS: consent and cost controls). ``hold`` runs in
    the transaction that takes the send slot and answers why the delivery must not go out (it
    is then held, visible to staff), or None; ``sent`` runs in the transaction that records a
    send (e.g. count the day's spend)."""

    hold: Callable[[Session, ChatDelivery, ChatIdentity | None], str | None]
    sent: Callable[[Session, ChatDelivery], None] | None = None


def register_policy(services: Services, channel: str, policy: DeliveryPolicy) -> None:
    services.extensions.setdefault(POLICIES, {})[channel] = policy


def _policy(services: Services, channel: str) -> DeliveryPolicy | None:
    found: DeliveryPolicy | None = services.extensions.get(POLICIES, {}).get(channel)
    return found


def channels(services: Services) -> dict[str, ChatChannel]:
    found: dict[str, ChatChannel] = services.extensions.setdefault(CHANNELS, {})
    return found


# --- inbound: run the conversation -------------------------------------------------------


def converse(services: Services, db: Session, inbound: Inbound) -> list[Outbound]:
    """The shared conversation for one inbound message, its answers queued for delivery in the
    same transaction."""
    identity = actions.take_identity(db, inbound)
    channel = channels(services).get(inbound.channel)
    settings = services.settings
    files = (
        conversation.FileLimits(
            settings.attachment_max_files,
            settings.attachment_max_bytes,
            settings.attachment_max_mb,
        )
        if isinstance(channel, MediaChannel)
        else None
    )
    replies = conversation.handle(
        db,
        inbound,
        search=services.extensions.get(SEARCH_ITEMS),
        timezone=services.settings.timezone,
        capabilities=capabilities_of(channel),
        identity=identity,
        files=files,
    )
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


@dataclass(frozen=True)
class _Slot:
    """What the delivery job needs after taking its pacing slots (read in the same
    transaction): the delivery, the recipient's language and last message, and how long to
    wait (0: send now; -1: failed for good)."""

    delivery: ChatDelivery | None
    wait: float = 0.0
    locale: str = "id"
    last_inbound_at: datetime | None = None
    ref: str = ""


def _take_slots(
    services: Services, delivery_id: int, paces: list[tuple[str, Pace]], receipts: bool
) -> _Slot:
    with services.db.write() as db:
        delivery = db.get(ChatDelivery, delivery_id)
        if delivery is None or delivery.status != DeliveryStatus.pending:
            return _Slot(delivery)
        identity = db.get(ChatIdentity, delivery.identity_id) if delivery.identity_id else None
        if identity is not None and identity.blocked and delivery.kind != "reply":
            actions.record_delivery_failed(db, delivery, "blocked by the user", final=True)
            return _Slot(delivery, -1.0)
        policy = _policy(services, delivery.channel)
        reason = policy.hold(db, delivery, identity) if policy is not None else None
        if reason:
            actions.hold_delivery(db, delivery, reason)
            return _Slot(delivery)
        now = utcnow()
        for key, pace in paces:
            wait = take_slot(db, key, pace, now)
            if wait:
                return _Slot(delivery, wait)
        # The attempt's marker goes to the platform with the message and comes back in its
        # receipts; it names the delivery, so a receipt for a timed-out attempt is recognised.
        ref = actions.attempt_ref(delivery) if receipts else ""
        return _Slot(
            delivery,
            0.0,
            identity.locale if identity else services.settings.default_locale,
            identity.last_inbound_at if identity else None,
            ref,
        )


def _record(
    services: Services,
    delivery_id: int,
    outcome: Outcome,
    message_id: str | None,
    error: str,
    final: bool,
    via_template: bool = False,
) -> None:
    with services.db.write() as db:
        delivery = db.get(ChatDelivery, delivery_id)
        if delivery is None:
            return
        if delivery.kind == DeliveryKind.login_code and (outcome == Outcome.sent or final):
            delivery.text = login_codes.SENT_TEXT  # the log never keeps a sign-in code
            db.add(delivery)
        if via_template and not delivery.via_template:
            actions.mark_delivery_template(db, delivery)
        if outcome == Outcome.sent:
            if delivery.status == DeliveryStatus.pending:  # a receipt may have come first
                actions.record_delivery_sent(db, delivery, message_id)
            policy = _policy(services, delivery.channel)
            if policy is not None and policy.sent is not None:
                policy.sent(db, delivery)
            return
        actions.record_delivery_failed(db, delivery, error, final=final)
        if outcome == Outcome.blocked and delivery.identity_id:
            identity = db.get(ChatIdentity, delivery.identity_id)
            if identity is not None:
                actions.set_blocked(identity, True)
                db.add(identity)


def register_channel(
    services: Services, channel: ChatChannel, overall: Pace, per_chat: Pace | None = None
) -> None:
    """Make ``channel`` the sender for its name, with its platform's overall rate limit and,
    optionally, its own per-chat pace (else the REMBUG_CHAT_* one)."""
    channels(services)[channel.name] = channel
    services.extensions.setdefault(PACES, {})[channel.name] = overall
    if per_chat is not None:
        services.extensions.setdefault(CHAT_PACES, {})[channel.name] = per_chat


def pacing_for(services: Services, channel: str, chat_id: str) -> list[tuple[str, Pace]]:
    """The overall slot first (short), then the chat's."""
    config = services.extensions[SETTINGS]
    overall = services.extensions.get(PACES, {}).get(channel, Pace(30.0, 1.0))
    per_chat = services.extensions.get(CHAT_PACES, {}).get(channel) or Pace(
        config.rate_per_chat, config.burst_per_chat
    )
    return [(f"{channel}:*", overall), (f"{channel}:chat:{chat_id}", per_chat)]


def _outside_window(caps: Capabilities, slot: _Slot) -> bool:
    if caps.reply_window is None:
        return False
    last = slot.last_inbound_at
    return last is None or last <= utcnow() - caps.reply_window


async def _send(
    channel: ChatChannel, caps: Capabilities, slot: _Slot, message: Outbound
) -> tuple[SendResult, bool]:
    """Send free-form inside the messaging window, else (or when the platform says the window
    closed) the channel's template; returns the result and whether the template was used."""
    assert slot.delivery is not None
    template: Callable[[Outbound], Awaitable[SendResult]] | None = (
        channel.send_template if isinstance(channel, TemplateChannel) else None
    )
    if slot.delivery.kind == DeliveryKind.login_code and isinstance(channel, CodeTemplateChannel):
        # One-time codes go as the platform's authentication template, inside the window too.
        return await channel.send_code_template(message), True
    if slot.delivery.via_template or _outside_window(caps, slot):
        if template is None:
            return SendResult(Outcome.outside_window, error="outside the messaging window"), False
        return await template(message), True
    result = await channel.send(message)
    if result.outcome == Outcome.outside_window and template is not None:
        return await template(message), True
    return result, False


async def deliver(payload: dict[str, Any], context: JobContext) -> None:
    """Outbox job: send one logged message through its channel.

    Idempotent by delivery row: a delivery already sent or failed is not sent again. A send
    that timed out after leaving may have arrived: channels with receipts wait for the
    platform's receipt (matched by the attempt's marker) before resending; Telegram's API has
    neither receipts nor an idempotency key, so there a crash between its answer and our
    commit may still repeat one message."""
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
    caps = capabilities_of(channel)
    paces = pacing_for(services, first.channel, first.chat_id)
    slot = await asyncio.to_thread(_take_slots, services, delivery_id, paces, caps.receipts)
    delivery = slot.delivery
    if delivery is None or delivery.status != DeliveryStatus.pending:
        if slot.wait < 0:
            raise PermanentError("the person blocked the bot")
        return
    if slot.wait:
        raise RetryLater(slot.wait, "paced")
    message = Outbound(
        delivery.chat_id,
        delivery.text,
        buttons_from_json(delivery.buttons),
        locale=slot.locale,
        ref=slot.ref,
    )
    result, via_template = await _send(channel, caps, slot, message)
    final_attempt = context.attempt >= 10
    if result.outcome == Outcome.sent:
        await asyncio.to_thread(
            _record,
            services,
            delivery_id,
            result.outcome,
            result.message_id,
            "",
            False,
            via_template,
        )
        return
    permanent = result.outcome in (Outcome.blocked, Outcome.permanent, Outcome.outside_window)
    uncertain = result.outcome == Outcome.uncertain and caps.receipts
    await asyncio.to_thread(
        _record,
        services,
        delivery_id,
        result.outcome,
        None,
        result.error or result.outcome,
        permanent or (final_attempt and not uncertain),
        via_template,
    )
    if permanent:
        raise PermanentError(result.error or result.outcome)
    if result.outcome == Outcome.rate_limited:
        raise RetryLater(max(result.retry_after, 1.0), f"rate limited: {result.error}")
    if uncertain:
        # Its receipt, if it was sent, marks the delivery sent meanwhile; the retry then finds
        # nothing pending and sends nothing.
        raise RetryLater(RECEIPT_GRACE_SECONDS, f"no answer; waiting for a receipt: {result.error}")
    raise RuntimeError(f"transient: {result.error}")  # backoff by the outbox

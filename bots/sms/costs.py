"""What an SMS may cost, decided before each send (``bots.delivery.DeliveryPolicy``): nothing
to a number whose consent is withdrawn; notifications only of the kinds the operator chose,
within a per-number daily cap and a daily budget for the whole service. What is held back
stays in ``chat_delivery`` as held, with the reason, on the staff's delivery page.

Replies to a person who just wrote are always sent (they asked; flood throttling bounds them)
but count towards the cap and the budget, so notifications give way first."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select

from bots.delivery import DeliveryPolicy
from bots.models import ChatDelivery, ChatIdentity, DeliveryKind
from bots.sms import segments
from bots.sms.config import SmsSettings
from bots.sms.conversation import remember_notification
from bots.sms.gateway import CHANNEL
from bots.sms.models import SmsDay, SmsNumber
from forum.models import utcnow

CONSENT_WITHDRAWN = "consent withdrawn (BERHENTI/STOP)"
KIND_OFF = "not sent by SMS: REMBUG_SMS_NOTIFY leaves out %s"
CAP_REACHED = "daily SMS cap of this number reached (REMBUG_SMS_DAILY_CAP_PER_NUMBER=%s)"
BUDGET_REACHED = "daily SMS budget reached (REMBUG_SMS_DAILY_BUDGET=%s)"


def day_start(now: datetime, timezone: str) -> tuple[str, datetime]:
    """Today's date in the service's time zone and when it began, in UTC."""
    zone = ZoneInfo(timezone)
    local = now.astimezone(zone)
    start = datetime.combine(local.date(), time(0), tzinfo=zone)
    return local.date().isoformat(), start.astimezone(ZoneInfo("UTC"))


def segments_of(text: str) -> int:
    return max(segments.size(segments.to_gsm7(text)).segments, 1)


def spent_today(db: Session, timezone: str, now: datetime | None = None) -> SmsDay:
    day, _ = day_start(now or utcnow(), timezone)
    return db.get(SmsDay, day) or SmsDay(day=day)


def sent_to_today(db: Session, number: str, timezone: str, now: datetime | None = None) -> int:
    _, start = day_start(now or utcnow(), timezone)
    return int(
        db.exec(
            select(func.count())
            .select_from(ChatDelivery)
            .where(
                ChatDelivery.channel == CHANNEL,
                ChatDelivery.chat_id == number,
                col(ChatDelivery.sent_at) >= start,
            )
        ).one()
    )


def withdrawn(db: Session, identity: ChatIdentity | None) -> bool:
    if identity is None or identity.id is None:
        return False
    number = db.exec(select(SmsNumber).where(SmsNumber.identity_id == identity.id)).first()
    return number is not None and number.consent_withdrawn_at is not None


def policy(config: SmsSettings, timezone: str) -> DeliveryPolicy:
    def hold(db: Session, delivery: ChatDelivery, identity: ChatIdentity | None) -> str | None:
        if withdrawn(db, identity) and delivery.kind != DeliveryKind.reply:
            return CONSENT_WITHDRAWN
        if delivery.kind == DeliveryKind.reply:
            return None
        if delivery.topic and delivery.topic not in config.notify:
            return KIND_OFF % delivery.topic
        if not delivery.topic and not config.notify:
            return KIND_OFF % delivery.kind
        cap = config.daily_cap_per_number
        if cap and sent_to_today(db, delivery.chat_id, timezone) >= cap:
            return CAP_REACHED % cap
        budget = config.daily_budget
        if budget:
            cost = segments_of(delivery.text) * config.cost_per_segment
            if spent_today(db, timezone).cost + cost > budget:
                return BUDGET_REACHED % budget
        return None

    def sent(db: Session, delivery: ChatDelivery) -> None:
        remember_notification(db, delivery, config.max_segments)
        count = segments_of(delivery.text)
        record_spend(db, timezone, count, count * config.cost_per_segment)

    return DeliveryPolicy(hold, sent)


def record_spend(
    db: Session, timezone: str, count: int, cost: int, now: datetime | None = None
) -> None:
    """Add one SMS of ``count`` segments to today's spend (one row per day, updated in place
    so concurrent workers add up)."""
    day, _ = day_start(now or utcnow(), timezone)
    insert = sqlite_insert if db.get_bind().dialect.name == "sqlite" else pg_insert
    db.execute(
        insert(SmsDay).values(day=day, messages=0, segments=0, cost=0).on_conflict_do_nothing()
    )
    db.execute(
        update(SmsDay)
        .where(col(SmsDay.day) == day)
        .values(
            messages=col(SmsDay.messages) + 1,
            segments=col(SmsDay.segments) + count,
            cost=col(SmsDay.cost) + cost,
        )
    )


def yesterday_and_today(db: Session, timezone: str) -> list[SmsDay]:
    """For the staff's page: the spend of the last two days."""
    day, start = day_start(utcnow(), timezone)
    before, _ = day_start(start - timedelta(hours=1), timezone)
    return [db.get(SmsDay, d) or SmsDay(day=d) for d in (day, before)]

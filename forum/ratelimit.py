"""Rate limits shared by every process (rows in ``rate_event``): each hit is recorded and
refused with a clear 429 and Retry-After once the window holds too many."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, func
from sqlmodel import Session, col, select

from forum.errors import N_, Throttled
from forum.models import RateEvent, utcnow


def hit(
    db: Session,
    key: str,
    *,
    limit: int,
    window: timedelta,
    now: datetime | None = None,
    message: str = N_("Too many attempts. Please wait %(minutes)s minutes and try again."),
) -> None:
    """Count one attempt for ``key``; raise Throttled when ``limit`` attempts were already made
    within ``window``. The attempt is recorded even when the caller's work later fails."""
    now = now or utcnow()
    check(db, key, limit=limit, window=window, now=now, message=message)
    record(db, key, now=now)


def check(
    db: Session,
    key: str,
    *,
    limit: int,
    window: timedelta,
    now: datetime | None = None,
    message: str = N_("Too many attempts. Please wait %(minutes)s minutes and try again."),
) -> None:
    """Raise Throttled when ``limit`` events of ``key`` are within ``window``, without counting
    this one (for limits on failures only: the caller records a failure with ``record``)."""
    now = now or utcnow()
    since = now - window
    count, oldest = db.exec(
        select(func.count(), func.min(RateEvent.at)).where(
            RateEvent.key == key, col(RateEvent.at) >= since
        )
    ).one()
    if int(count) >= limit:
        retry_after = max(1, int(((oldest or now) + window - now).total_seconds()) + 1)
        minutes = max(1, -(-retry_after // 60))
        raise Throttled(message, retry_after=retry_after, minutes=minutes, seconds=retry_after)


def record(db: Session, key: str, *, now: datetime | None = None) -> None:
    db.add(RateEvent(key=key[:200], at=now or utcnow()))


def forget_old(db: Session, older_than: timedelta = timedelta(days=2)) -> None:
    """The scheduler drops events no window looks at any more."""
    db.execute(delete(RateEvent).where(col(RateEvent.at) < utcnow() - older_than))

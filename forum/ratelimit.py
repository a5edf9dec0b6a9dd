"""Rate limits shared by every process (rows in ``rate_event``): each hit is recorded and
refused with a clear 429 and Retry-After once the window holds too many.

Reads (search) are limited without a write per request: each process lets the first hits of a
window through on an in-memory count, and only hits past that free allowance are recorded."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import delete, func
from sqlmodel import Session, col, select

from forum.errors import N_, Throttled
from forum.models import RateEvent, utcnow

if TYPE_CHECKING:
    from forum.db import Database

SLOW_DOWN = N_("Too many requests. Please wait %(seconds)s seconds and try again.")


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


class Allowance:
    """Per-process free allowance: ``free`` hits per key per fixed window, counted in memory
    (nothing shared, nothing written). Bounded: old windows are dropped as keys pile up."""

    MAX_KEYS = 50_000

    def __init__(self, free: int, window: timedelta) -> None:
        self.free = free
        self.window = window
        self._counts: dict[str, tuple[int, int]] = {}  # key -> (window number, hits)
        self._lock = threading.Lock()

    def take(self, key: str, now: datetime) -> bool:
        """Count a hit; True while it is within the free allowance of the current window."""
        slot = int(now.timestamp() // self.window.total_seconds())
        with self._lock:
            seen_slot, hits = self._counts.get(key, (slot, 0))
            hits = hits + 1 if seen_slot == slot else 1
            if len(self._counts) >= self.MAX_KEYS and key not in self._counts:
                self._counts = {k: v for k, v in self._counts.items() if v[0] == slot}
            self._counts[key] = (slot, hits)
        return hits <= self.free


def hit_beyond_allowance(
    database: Database,
    allowance: Allowance,
    key: str,
    *,
    limit: int,
    now: datetime | None = None,
    message: str = SLOW_DOWN,
) -> None:
    """Like ``hit`` over ``allowance.window`` for requests that write nothing themselves: the
    first ``allowance.free`` hits of a window in this process cost nothing; the rest are
    recorded in a short transaction of their own, and refused once the shared count reaches
    ``limit - allowance.free``. One process allows exactly ``limit`` per window; N processes
    at most ``(N - 1) * free`` more."""
    now = now or utcnow()
    if allowance.take(key, now):
        return
    with database.write() as db:
        hit(
            db,
            key,
            limit=max(limit - allowance.free, 0),
            window=allowance.window,
            now=now,
            message=message,
        )

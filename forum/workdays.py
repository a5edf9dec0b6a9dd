"""Working-day arithmetic (Monday–Friday, minus public holidays) for the deadlines the
product promises: verification, response, auto-close."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo


def add_working_days(
    start: datetime, days: int, *, timezone: str = "Asia/Jakarta", holidays: Iterable[date] = ()
) -> datetime:
    """The moment ``days`` working days after ``start`` (same local time of day). A start on a
    weekend or holiday counts from the next working day."""
    skip = set(holidays)
    local = start.astimezone(ZoneInfo(timezone))
    current = local
    remaining = days
    while remaining > 0:
        current += timedelta(days=1)
        if current.weekday() < 5 and current.date() not in skip:
            remaining -= 1
    return current.astimezone(start.tzinfo)

"""Working-day arithmetic (Monday–Friday, minus the national holidays of a calendar file) for
the deadlines the product promises: verification, first response, escalation, auto-close."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

DEFAULT_HOLIDAYS = Path(__file__).resolve().parent / "seeds" / "holidays-id.csv"


def add_working_days(
    start: datetime, days: int, *, timezone: str = "Asia/Jakarta", holidays: Iterable[date] = ()
) -> datetime:
    """The moment ``days`` working days after ``start`` (same local time of day). A start on a
    weekend or holiday counts from the next working day."""
    skip = set(holidays)
    current = start.astimezone(ZoneInfo(timezone))
    remaining = days
    while remaining > 0:
        current += timedelta(days=1)
        if current.weekday() < 5 and current.date() not in skip:
            remaining -= 1
    return current.astimezone(start.tzinfo)


def load_holidays(path: Path) -> frozenset[date]:
    """Dates from a CSV with a ``date`` column (YYYY-MM-DD); other columns are ignored."""
    with path.open(encoding="utf-8", newline="") as fh:
        return frozenset(date.fromisoformat(row["date"].strip()) for row in csv.DictReader(fh))


@dataclass(frozen=True)
class Calendar:
    timezone: str = "Asia/Jakarta"
    holidays: frozenset[date] = field(default_factory=frozenset)

    def add(self, start: datetime, days: int) -> datetime:
        return add_working_days(start, days, timezone=self.timezone, holidays=self.holidays)

    @classmethod
    def from_file(cls, path: Path | None, timezone: str) -> Calendar:
        return cls(timezone, load_holidays(path or DEFAULT_HOLIDAYS))


@dataclass(frozen=True)
class Deadlines:
    """The deployment's deadline policy (REMBUG_RESPONSE_DAYS and friends)."""

    calendar: Calendar = field(default_factory=Calendar)
    response_days: int = 5
    escalation_days: int = 5
    auto_close_days: int = 10


_SESSION_KEY = "rembug_deadlines"


def attach_deadlines(info: dict[str, object], deadlines: Deadlines) -> None:
    info[_SESSION_KEY] = deadlines


def deadlines_of(info: dict[str, object]) -> Deadlines:
    """The policy attached to a session by forum.db.Database (defaults when none is)."""
    found = info.get(_SESSION_KEY)
    return found if isinstance(found, Deadlines) else _default_deadlines()


_cached_default: list[Deadlines] = []


def _default_deadlines() -> Deadlines:
    if not _cached_default:
        _cached_default.append(Deadlines(Calendar.from_file(None, "Asia/Jakarta")))
    return _cached_default[0]

"""Working-day arithmetic for the deadlines the product promises (verification, first
response, escalation, auto-close): Monday–Friday minus Indonesia's national holidays and
collective leave (cuti bersama).

The calendar is the ``holidays`` package's Indonesia calendar (public holidays plus the
government category, which holds the cuti bersama of the joint ministerial decrees, SKB 3
Menteri), corrected by the operator's file (REMBUG_HOLIDAYS_FILE, by default the bundled
forum/seeds/holidays-id.csv): a CSV with the columns ``date`` (YYYY-MM-DD), ``name`` and
``change`` (``add``, the default when empty or absent, or ``remove``). Lines starting with
``#`` are comments. This is the only module that imports ``holidays``.
"""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from types import MappingProxyType
from zoneinfo import ZoneInfo

import holidays as holidays_library
from holidays.constants import GOVERNMENT, PUBLIC

DEFAULT_HOLIDAYS = Path(__file__).resolve().parent / "seeds" / "holidays-id.csv"

# Years the calendar covers: from a few years back (old aspirations' deadlines) to a few
# years ahead (Islamic and lunar holidays after the decreed ones are the library's estimates).
FIRST_YEAR = 2020
YEARS_AHEAD = 5

log = logging.getLogger(__name__)


class HolidaysFileError(ValueError):
    """The operator's holiday file has a line we cannot use; the message names it."""


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


def library_holidays(years: Iterable[int]) -> dict[date, str]:
    """Indonesia's public holidays and collective leave for ``years``, named in Indonesian."""
    calendar = holidays_library.country_holidays(
        "ID", years=list(years), categories=(PUBLIC, GOVERNMENT), language="id"
    )
    return dict(calendar.items())


@dataclass(frozen=True)
class Change:
    """One line of the operator's file."""

    day: date
    name: str
    remove: bool = False


def load_changes(path: Path) -> list[Change]:
    """The additions and removals of an operator's holiday file (format in the module doc)."""
    text = path.read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    changes: list[Change] = []
    for number, row in enumerate(csv.DictReader(io.StringIO("\n".join(lines))), start=2):
        raw_date = (row.get("date") or "").strip()
        kind = (row.get("change") or "").strip().lower() or "add"
        try:
            day = date.fromisoformat(raw_date)
        except ValueError:
            raise HolidaysFileError(
                f"{path}: row {number}: date must be YYYY-MM-DD, not {raw_date!r}"
            ) from None
        if kind not in {"add", "remove"}:
            raise HolidaysFileError(
                f"{path}: row {number}: change must be add or remove, not {kind!r}"
            )
        changes.append(Change(day, (row.get("name") or "").strip(), remove=kind == "remove"))
    return changes


def load_holidays(path: Path) -> frozenset[date]:
    """The dates a file adds (its removals left out): a plain ``date`` CSV still works."""
    return frozenset(c.day for c in load_changes(path) if not c.remove)


@dataclass(frozen=True)
class Calendar:
    timezone: str = "Asia/Jakarta"
    holidays: frozenset[date] = field(default_factory=frozenset)
    names: Mapping[date, str] = field(default_factory=dict)

    def add(self, start: datetime, days: int) -> datetime:
        return add_working_days(start, days, timezone=self.timezone, holidays=self.holidays)

    def ahead(self, today: date, days: int = 365) -> list[date]:
        """Holidays from ``today`` for ``days`` days, in order."""
        end = today + timedelta(days=days)
        return sorted(d for d in self.holidays if today <= d < end)

    def warnings(self, today: date) -> list[str]:
        """What an operator must fix: no holidays in the coming 12 months means deadlines
        there run through Lebaran and every other holiday."""
        if self.ahead(today):
            return []
        return [
            f"No holidays in the 12 months from {today.isoformat()}: working-day deadlines "
            "will count holidays and collective leave as working days. Upgrade the holidays "
            "package or add the dates to REMBUG_HOLIDAYS_FILE."
        ]

    @classmethod
    def from_file(cls, path: Path | None, timezone: str, *, today: date | None = None) -> Calendar:
        """The library's calendar for FIRST_YEAR..today+YEARS_AHEAD with the file's changes."""
        this_year = (today or date.today()).year
        names = library_holidays(range(FIRST_YEAR, this_year + YEARS_AHEAD + 1))
        for change in load_changes(path or DEFAULT_HOLIDAYS):
            if change.remove:
                names.pop(change.day, None)
            else:
                names[change.day] = change.name or names.get(change.day, "")
        calendar = cls(timezone, frozenset(names), MappingProxyType(names))
        for warning in calendar.warnings(today or date.today()):
            log.warning("%s", warning)
        return calendar


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

"""``rembug check``: what an operator has left misconfigured, found from the settings and
the database without any network call. Each check returns readable problems; none of them
change anything."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from forum.settings import Settings
from forum.workdays import Calendar, HolidaysFileError

Check = Callable[[Settings, date], list[str]]


def holidays_ahead(settings: Settings, today: date) -> list[str]:
    try:
        calendar = Calendar.from_file(settings.holidays_file, settings.timezone, today=today)
    except (HolidaysFileError, OSError) as exc:
        return [f"REMBUG_HOLIDAYS_FILE: {exc}"]
    return calendar.warnings(today)


CHECKS: list[Check] = [holidays_ahead]


def problems(settings: Settings, today: date | None = None) -> list[str]:
    """Every problem every check finds, in the order of CHECKS."""
    day = today or date.today()
    return [problem for check in CHECKS for problem in check(settings, day)]

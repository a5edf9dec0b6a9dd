"""Deadlines on Indonesia's calendar: the holidays package's public holidays and cuti bersama,
the operator's additions and removals, and a warning when the calendar runs out.

Known dates (holidays 0.109's Indonesia calendar, which cites the joint ministerial decrees,
SKB 3 Menteri, on national holidays and collective leave for 2026 and for 2027 on
setneg.go.id): Idul Fitri 1447 H on Saturday–Sunday 21–22 March 2026 with cuti bersama on
Friday 20, Monday 23 and Tuesday 24 March (and Nyepi on Thursday 19, its cuti bersama on
Wednesday 18); Idul Fitri 1448 H on Wednesday–Thursday 10–11 March 2027 (the library marks
the day itself "perkiraan") with cuti bersama on Tuesday 9, Friday 12 and Monday 15 March
(Nyepi on Monday 8)."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from forum import workdays
from forum.checks import problems
from forum.settings import Settings
from forum.workdays import Calendar, Deadlines, HolidaysFileError
from tests.conftest import Browser, World

LEBARAN_2026 = [date(2026, 3, d) for d in (18, 19, 20, 21, 22, 23, 24)]
LEBARAN_2027 = [date(2027, 3, d) for d in (8, 9, 10, 11, 12, 15)]


def at_nine_wib(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 2, 0, tzinfo=UTC)


def test_idul_fitri_2026_and_its_collective_leave_are_not_working_days() -> None:
    calendar = Calendar.from_file(None, "Asia/Jakarta")
    assert set(LEBARAN_2026) <= calendar.holidays
    assert "Cuti Bersama" in calendar.names[date(2026, 3, 23)]
    # Routed on Tuesday 17 March: the 18th is cuti bersama for Nyepi, so the days off run
    # from 18 to 24 March; day one is Wednesday 25 and day five Tuesday 31 March.
    assert calendar.add(at_nine_wib(date(2026, 3, 17)), 1).date() == date(2026, 3, 25)
    assert calendar.add(at_nine_wib(date(2026, 3, 17)), 5).date() == date(2026, 3, 31)


def test_idul_fitri_2027_and_its_collective_leave_are_not_working_days() -> None:
    calendar = Calendar.from_file(None, "Asia/Jakarta")
    assert set(LEBARAN_2027) <= calendar.holidays
    assert date(2027, 3, 16) not in calendar.holidays
    # Routed on Friday 5 March 2027: Monday 8 to Monday 15 are all off; day one is the 16th.
    assert calendar.add(at_nine_wib(date(2027, 3, 5)), 1).date() == date(2027, 3, 16)
    assert calendar.add(at_nine_wib(date(2027, 3, 5)), 5).date() == date(2027, 3, 22)


def test_the_operators_file_adds_and_removes_dates(tmp_path: Path) -> None:
    path = tmp_path / "holidays.csv"
    path.write_text(
        "# our corrections\n"
        "date,name,change\n"
        "2027-03-16,Cuti bersama tambahan,add\n"
        "2026-12-24,Cuti Bersama Hari Raya Natal,remove\n"
        "2026-07-01,Hari jadi kota,\n",
        encoding="utf-8",
    )
    calendar = Calendar.from_file(path, "Asia/Jakarta")
    assert date(2027, 3, 16) in calendar.holidays
    assert calendar.names[date(2026, 7, 1)] == "Hari jadi kota"
    assert date(2026, 12, 24) not in calendar.holidays
    assert date(2026, 12, 25) in calendar.holidays  # Christmas itself stays
    assert calendar.add(at_nine_wib(date(2027, 3, 5)), 1).date() == date(2027, 3, 17)


def test_a_plain_date_file_still_means_additions(tmp_path: Path) -> None:
    path = tmp_path / "old.csv"
    path.write_text("date,name\n2026-07-01,Hari jadi kota\n", encoding="utf-8")
    assert date(2026, 7, 1) in Calendar.from_file(path, "Asia/Jakarta").holidays


@pytest.mark.parametrize(
    ("row", "message"),
    [("2026-13-01,x,add", "date must be YYYY-MM-DD"), ("2026-07-01,x,maybe", "add or remove")],
)
def test_a_broken_row_names_its_line(tmp_path: Path, row: str, message: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(f"date,name,change\n2026-07-02,ok,add\n{row}\n", encoding="utf-8")
    with pytest.raises(HolidaysFileError, match=rf"row 3: .*{message}"):
        Calendar.from_file(path, "Asia/Jakarta")


def test_no_holidays_ahead_is_logged_shown_to_admins_and_reported_by_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(workdays, "library_holidays", lambda years: {})  # an exhausted calendar
    with caplog.at_level(logging.WARNING, logger="forum.workdays"):
        calendar = Calendar.from_file(None, "Asia/Jakarta")
    assert "No holidays in the 12 months" in caplog.text
    assert calendar.warnings(date.today())
    settings = Settings.from_env({"REMBUG_DATA_DIR": str(tmp_path)})
    assert any("No holidays in the 12 months" in p for p in problems(settings))


def test_the_bundled_calendar_has_holidays_ahead() -> None:
    assert Calendar.from_file(None, "Asia/Jakarta").warnings(date.today()) == []


def test_administrators_see_when_no_holidays_are_ahead(browser: Browser, world: World) -> None:
    browser.login(world.admin)
    assert 'id="no-holidays-ahead"' not in browser.get("/admin").text
    world.services.db.deadlines = Deadlines(Calendar("Asia/Jakarta"))  # an exhausted calendar
    page = browser.get("/admin").text
    assert 'id="no-holidays-ahead"' in page and "12 bulan ke depan" in page

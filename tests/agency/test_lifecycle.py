"""Agencies at work: routing and re-routing, working-day deadlines, the scheduler (overdue,
escalation, auto-close) on a controllable clock, responses with history, bulk answers,
citizens confirming or reopening, and what each agency may see."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

from sqlmodel import select

from forum import actions
from forum.models import (
    Aspiration,
    Notification,
    OfficialResponse,
    RoutingEvent,
    Visibility,
    utcnow,
)
from forum.workdays import Calendar, add_working_days
from tests.conftest import World
from tests.moderation.conftest import Make
from tests.spreadsheets import read_csv, read_xlsx


def test_working_days_skip_weekends_and_holidays() -> None:
    friday = datetime(2026, 8, 14, 2, 0, tzinfo=UTC)  # Friday 09:00 WIB; Monday 17 Aug is a holiday
    assert add_working_days(friday, 1).date() == date(2026, 8, 17)  # no calendar: weekend only
    calendar = Calendar.from_file(None, "Asia/Jakarta")
    assert date(2026, 8, 17) in calendar.holidays
    assert calendar.add(friday, 1).date() == date(2026, 8, 18)
    assert calendar.add(friday, 2).date() == date(2026, 8, 19)
    thursday = datetime(2026, 3, 19, 2, 0, tzinfo=UTC)  # Nyepi, then Idulfitri and cuti bersama
    assert calendar.add(thursday, 1).date() == date(2026, 3, 25)
    assert calendar.add(datetime(2026, 3, 18, 2, 0, tzinfo=UTC), 5).date() == date(2026, 3, 31)


def published(world: World, make: Make, **kw: object) -> Aspiration:
    aspiration = make.aspiration(world.citizen, **kw)
    with world.services.db.write() as db:
        return actions.publish_aspiration(db, world.moderator, db.get(Aspiration, aspiration.id))


def test_publication_routes_with_a_five_working_day_deadline(world: World, make: Make) -> None:
    aspiration = published(world, make)
    assert aspiration.status == "routed" and aspiration.agency_id == world.agency.id
    assert aspiration.due_at == world.services.db.deadlines.calendar.add(aspiration.routed_at, 5)
    with world.services.db.read() as db:
        events = db.exec(select(RoutingEvent)).all()
        assert [(e.from_agency_id, e.to_agency_id) for e in events] == [(None, world.agency.id)]


def test_official_reroutes_not_our_authority_and_the_deadline_restarts(
    new_browser, world: World, make: Make
) -> None:  # type: ignore[no-untyped-def]
    aspiration = published(world, make)
    official = new_browser()
    official.login(world.official)
    page = f"/aspirasi/{aspiration.ticket}"
    no_reason = official.submit(
        page, f"{page}/disposisi", {"agency": world.other_agency.id, "reason": ""}
    )
    assert no_reason.status_code == 400 and 'id="reason-error"' in no_reason.text
    later = utcnow()
    moved = official.submit(
        page,
        f"{page}/disposisi",
        {"agency": world.other_agency.id, "reason": "Urusan dinas kesehatan"},
    )
    assert moved.status_code == 303
    with world.services.db.read() as db:
        stored = db.get(Aspiration, aspiration.id)
        assert stored.agency_id == world.other_agency.id and stored.status == "routed"
        assert stored.routed_at >= later and stored.due_at > aspiration.due_at
    # Both agencies see the history; the first can no longer act on it.
    assert "Urusan dinas kesehatan" in official.get(page).text
    assert (
        official.submit(
            page, f"{page}/disposisi", {"agency": world.agency.id, "reason": "balik"}
        ).status_code
        == 403
    )
    other = new_browser()
    other.login(world.other_official)
    html = other.get(page).text
    assert "Urusan dinas kesehatan" in html and "Dinas Komunikasi Kota A" in html
    assert "Mark in progress" in html or "Tandai sedang diproses" in html or "/proses" in html


def test_scheduler_flags_overdue_escalates_and_auto_closes(world: World, make: Make) -> None:
    aspiration = published(world, make)
    deadlines = world.services.db.deadlines
    with world.services.db.write() as db:
        assert actions.run_deadlines(db, aspiration.due_at - timedelta(minutes=1)) == {
            "overdue": 0,
            "escalated": 0,
            "closed": 0,
        }
    after_due = aspiration.due_at + timedelta(minutes=1)
    with world.services.db.write() as db:
        assert actions.run_deadlines(db, after_due)["overdue"] == 1
    with world.services.db.write() as db:
        assert actions.run_deadlines(db, after_due + timedelta(hours=1))["overdue"] == 0  # once
    escalation = deadlines.calendar.add(aspiration.due_at, deadlines.escalation_days)
    with world.services.db.write() as db:
        assert actions.run_deadlines(db, escalation - timedelta(minutes=1))["escalated"] == 0
        assert actions.run_deadlines(db, escalation + timedelta(minutes=1))["escalated"] == 1
    asyncio.run(world.services.worker.drain())
    with world.services.db.read() as db:
        notes = {(n.account_id, n.message) for n in db.exec(select(Notification))}
    assert (
        world.official.id,
        "Reminder: aspiration %(ticket)s is past its response deadline.",
    ) in notes
    assert (world.admin.id, "Aspiration %(ticket)s at %(agency)s is long overdue.") in notes
    # The answer comes (late); the auto-close follows after 10 working days.
    with world.services.db.write() as db:
        stored = db.get(Aspiration, aspiration.id)
        actions.publish_official_response(
            db, world.official, body="Sudah kami tangani.", aspiration=stored, now=escalation
        )
        assert stored.auto_close_at == deadlines.calendar.add(escalation, 10)
        close_at = stored.auto_close_at
    with world.services.db.write() as db:
        assert actions.run_deadlines(db, close_at - timedelta(minutes=1))["closed"] == 0
        assert actions.run_deadlines(db, close_at + timedelta(minutes=1))["closed"] == 1
        stored = db.get(Aspiration, aspiration.id)
        assert stored.status == "closed" and stored.close_reason == "auto"


def test_citizen_confirms_or_reopens_once(new_browser, world: World, make: Make) -> None:  # type: ignore[no-untyped-def]
    first = published(world, make)
    second = published(world, make, title="Drainase tersumbat di Antapani")
    with world.services.db.write() as db:
        for item in (first, second):
            actions.publish_official_response(
                db, world.official, body="Sudah diperbaiki.", aspiration=db.get(Aspiration, item.id)
            )
    citizen = new_browser()
    citizen.login(world.citizen)
    page = f"/aspirasi/{first.ticket}"
    html = citizen.get(page).text
    assert "Ya, masalah saya selesai" in html
    assert citizen.submit(page, f"{page}/konfirmasi", {}).status_code == 303
    with world.services.db.read() as db:
        assert db.get(Aspiration, first.id).close_reason == "confirmed"
    other_page = f"/aspirasi/{second.ticket}"
    assert (
        citizen.submit(other_page, f"{other_page}/buka-kembali", {"reason": "x"}).status_code == 400
    )
    assert (
        citizen.submit(
            other_page,
            f"{other_page}/buka-kembali",
            {"reason": "Lampunya mati lagi sejak kemarin."},
        ).status_code
        == 303
    )
    with world.services.db.read() as db:
        reopened = db.get(Aspiration, second.id)
        assert (
            reopened.status == "routed"
            and reopened.reopen_count == 1
            and reopened.due_at > utcnow()
        )
        actions_ok = True
    with world.services.db.write() as db:
        actions.publish_official_response(
            db,
            world.official,
            body="Sudah diganti kabelnya.",
            aspiration=db.get(Aspiration, second.id),
        )
    assert (
        citizen.submit(
            other_page, f"{other_page}/buka-kembali", {"reason": "Masih mati juga lampunya."}
        ).status_code
        == 409
    )
    stranger = new_browser()
    stranger.login(world.other_citizen)
    assert stranger.submit(page, f"{page}/konfirmasi", {}).status_code in (403, 409)
    assert actions_ok


def test_response_edits_keep_visible_history(new_browser, world: World, make: Make) -> None:  # type: ignore[no-untyped-def]
    aspiration = published(world, make)
    with world.services.db.write() as db:
        response = actions.publish_official_response(
            db,
            world.official,
            body="Akan kami cek minggu ini.",
            aspiration=db.get(Aspiration, aspiration.id),
        )
    official = new_browser()
    official.login(world.official)
    page = f"/aspirasi/{aspiration.ticket}"
    assert (
        official.submit(
            page,
            f"/kelola/tanggapan/{response.id}/ubah",
            {"body": "Sudah dicek; perbaikan Jumat ini."},
        ).status_code
        == 303
    )
    public = new_browser().get(page).text
    assert (
        "perbaikan Jumat ini" in public and "Akan kami cek minggu ini." in public
    )  # history shown
    other = new_browser()
    other.login(world.other_official)
    assert (
        other.submit(
            "/notifikasi", f"/kelola/tanggapan/{response.id}/ubah", {"body": "Diubah pihak lain"}
        ).status_code
        == 404
    )
    with world.services.db.read() as db:
        assert db.get(OfficialResponse, response.id).body == "Sudah dicek; perbaikan Jumat ini."


def test_one_answer_to_many_similar_aspirations(new_browser, world: World, make: Make) -> None:  # type: ignore[no-untyped-def]
    mine = [published(world, make, title=f"Lampu jalan padam nomor {i}") for i in range(3)]
    theirs = make.aspiration(world.citizen, agency_id=world.other_agency.id)
    with world.services.db.write() as db:
        actions.publish_aspiration(db, world.moderator, db.get(Aspiration, theirs.id))
    official = new_browser()
    official.login(world.official)
    tickets = [a.ticket for a in mine]
    ok = official.submit(
        "/instansi",
        "/instansi/jawab-banyak",
        {"ticket": tickets, "body": "Petugas kami memperbaiki semua titik lampu."},
    )
    assert ok.status_code == 200 and "3 dijawab, 0 dilewati" in ok.text
    with world.services.db.read() as db:
        assert {db.get(Aspiration, a.id).status for a in mine} == {"responded"}
    # Another agency's aspiration in the selection is skipped with the reason; the rest is
    # answered (one more of ours, still open to an answer).
    another = published(world, make, title="Lampu jalan padam di gang sebelah")
    mixed = official.submit(
        "/instansi",
        "/instansi/jawab-banyak",
        {"ticket": [theirs.ticket, another.ticket], "body": "Petugas kami sudah ke lokasi."},
    )
    assert mixed.status_code == 200 and "1 dijawab, 1 dilewati" in mixed.text
    assert f"<strong>{theirs.ticket}</strong>: " in mixed.text
    with world.services.db.read() as db:
        assert db.get(Aspiration, theirs.id).status != "responded"
        assert db.get(Aspiration, another.id).status == "responded"
    asyncio.run(world.services.worker.drain())
    with world.services.db.read() as db:
        answered = [
            n
            for n in db.exec(select(Notification))
            if n.message.startswith("%(agency)s answered your aspiration")
        ]
    assert len(answered) == 4  # each author notified once per aspiration, none for theirs


def test_desk_lists_own_agency_by_deadline_with_csv_and_never_another_agencys(
    new_browser, world: World, make: Make
) -> None:  # type: ignore[no-untyped-def]
    late = published(world, make, title="Aspirasi lama yang sudah lewat tenggat")
    with world.services.db.write() as db:
        stored = db.get(Aspiration, late.id)
        stored.due_at = utcnow() - timedelta(days=2)
        db.add(stored)
    fresh = published(world, make, title="+62 Aspirasi baru masuk hari ini")
    secret = make.aspiration(
        world.citizen,
        title="Aspirasi rahasia dinas lain",
        agency_id=world.other_agency.id,
        visibility=Visibility.confidential,
    )
    with world.services.db.write() as db:
        actions.publish_aspiration(db, world.moderator, db.get(Aspiration, secret.id))
    official = new_browser()
    official.login(world.official)
    desk = official.get("/instansi").text
    assert desk.index("sudah lewat tenggat") < desk.index("baru masuk hari ini")
    assert "rahasia dinas lain" not in desk
    assert "1 lewat tenggat" in desk or "1 overdue" in desk
    assert "2 aspirasi menunggu tanggapan" in desk and "0 sedang diproses" in desk
    with world.services.db.write() as db:
        actions.mark_in_progress(db, world.official, db.get(Aspiration, fresh.id))
    desk = official.get("/instansi").text
    assert "2 aspirasi menunggu tanggapan" in desk and "1 sedang diproses" in desk
    exported = official.get("/instansi.csv")
    rows = read_csv(exported)
    assert [r["ticket"] for r in rows] == [late.ticket, fresh.ticket]
    assert rows[0]["overdue"] == "yes"
    # A title that a spreadsheet would run as a formula is written as text.
    assert rows[1]["title"] == "'+62 Aspirasi baru masuk hari ini"
    assert "rahasia" not in exported.text
    # The same list as an Excel workbook, linked beside the CSV: the same rows, the title a
    # text cell exactly as written (never a formula), the numbers numbers.
    assert 'href="/instansi.xlsx?' in desk
    sheet = read_xlsx(official.get("/instansi.xlsx"))
    assert sheet.formulas == 0
    assert [r["ticket"] for r in sheet.records()] == [late.ticket, fresh.ticket]
    assert sheet.records()[1]["title"] == "+62 Aspirasi baru masuk hari ini"
    assert sheet.records()[0]["supports"] == int(rows[0]["supports"])
    assert "rahasia" not in str(sheet.rows)
    comments = official.get("/instansi.csv?jenis=komentar")
    assert comments.content.decode("utf-8-sig").splitlines()[0] == (
        "comment_id,consultation,section_id,published_at,supports,text"
    )
    assert read_xlsx(official.get("/instansi.xlsx?jenis=komentar")).rows[0] == [
        "comment_id",
        "consultation",
        "section_id",
        "published_at",
        "supports",
        "text",
    ]
    # Another agency's confidential item: not on the desk, not in the CSV, not by ticket.
    assert official.get(f"/aspirasi/{secret.ticket}").status_code == 404
    assert official.get("/instansi?instansi=dinas-b").text.count("rahasia") == 0
    citizen = new_browser()
    citizen.login(world.citizen)
    assert citizen.get("/instansi").status_code == 403


def test_notifications_for_the_citizen_in_app_once(new_browser, world: World, make: Make) -> None:  # type: ignore[no-untyped-def]
    aspiration = published(world, make)
    with world.services.db.write() as db:
        actions.publish_official_response(
            db,
            world.official,
            body="Sudah kami tangani.",
            aspiration=db.get(Aspiration, aspiration.id),
        )
    asyncio.run(world.services.worker.drain())
    asyncio.run(world.services.worker.drain())
    citizen = new_browser()
    citizen.login(world.citizen)
    home = citizen.get("/").text
    assert 'class="badge-count">4' in home  # received, published, routed, answered
    page = citizen.get("/notifikasi").text
    assert aspiration.ticket in page and "Dinas Komunikasi Kota A" in page
    citizen.submit("/notifikasi", "/notifikasi", {"action": "read"})
    assert "badge-count" not in citizen.get("/").text
    with world.services.db.read() as db:
        keys = [n.key for n in db.exec(select(Notification))]
    assert len(keys) == len(set(keys))


def test_official_responses_are_audited_and_the_desk_filters_by_region(
    new_browser, world: World, make: Make
) -> None:  # type: ignore[no-untyped-def]
    from forum.models import Region
    from moderation.models import AuditEntry

    bandung = published(world, make, title="Di Bandung")  # region 32.73 (Kota Bandung)
    with world.services.db.read() as db:
        surabaya_id = db.exec(select(Region.id).where(Region.code == "35.78")).one()
        jabar_id = db.exec(select(Region.id).where(Region.code == "32")).one()
    elsewhere = make.aspiration(world.citizen, title="Di Surabaya", region_id=surabaya_id)
    with world.services.db.write() as db:
        actions.publish_aspiration(db, world.moderator, db.get(Aspiration, elsewhere.id))
    official = new_browser()
    official.login(world.official)
    page = official.get(f"/instansi?wilayah={jabar_id}").text  # the province covers its cities
    assert "Di Bandung" in page and "Di Surabaya" not in page
    with world.services.db.write() as db:
        response = actions.publish_official_response(
            db, world.official, body="Jawaban pertama.", aspiration=db.get(Aspiration, bandung.id)
        )
    with world.services.db.write() as db:
        actions.edit_official_response(
            db, world.official, db.get(OfficialResponse, response.id), body="Jawaban diperbaiki."
        )
    with world.services.db.read() as db:
        rows = db.exec(
            select(AuditEntry).where(AuditEntry.object_type == "official_response")
        ).all()
        assert [r.action for r in rows] == ["response", "response-edit"]
        assert (
            "Jawaban pertama." in (rows[1].before or "") and rows[1].actor_id == world.official.id
        )

"""Accountability figures on a known data set, consultation reports (web, CSV, print) with
dispositions, and notification emails through a real SMTP server on loopback."""

from __future__ import annotations

import asyncio
import socket
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.message import Message

import pytest
from aiosmtpd.controller import Controller
from sqlmodel import select

from forum import actions
from forum.app import build_services
from forum.models import Aspiration, Comment, Consultation, utcnow
from forum.reports import accountability
from tests.conftest import World
from tests.moderation.conftest import Make
from tests.spreadsheets import read_csv, read_xlsx


def routed_at(world: World, make: Make, when: datetime, agency_id: int) -> Aspiration:
    aspiration = make.aspiration(world.citizen, agency_id=agency_id)
    with world.services.db.write() as db:
        return actions.publish_aspiration(
            db, world.moderator, db.get(Aspiration, aspiration.id), now=when
        )


def answer(world: World, aspiration: Aspiration, when: datetime) -> None:
    with world.services.db.write() as db:
        official = (
            world.official if aspiration.agency_id == world.agency.id else world.other_official
        )
        actions.publish_official_response(
            db,
            official,
            body="Sudah kami tangani.",
            aspiration=db.get(Aspiration, aspiration.id),
            now=when,
        )


def test_accountability_figures_on_a_known_data_set(new_browser, world: World, make: Make) -> None:  # type: ignore[no-untyped-def]
    monday = datetime(2026, 9, 7, 2, 0, tzinfo=UTC)  # Monday 09:00 WIB, no holidays that week
    a_on_time = routed_at(world, make, monday, world.agency.id)
    a_late = routed_at(world, make, monday, world.agency.id)
    routed_at(world, make, monday, world.agency.id)  # never answered: overdue now
    routed_at(world, make, utcnow(), world.agency.id)  # still within its deadline
    b_on_time = routed_at(world, make, monday, world.other_agency.id)
    answer(world, a_on_time, monday + timedelta(hours=6))  # 6 h
    answer(world, a_late, monday + timedelta(days=10))  # deadline is Monday + 5 working days
    answer(world, b_on_time, monday + timedelta(days=2))  # 48 h
    outside = routed_at(world, make, monday - timedelta(days=200), world.agency.id)
    assert outside.routed_at < monday
    with world.services.db.read() as db:
        figures = {
            f.agency.slug: f
            for f in accountability(
                db,
                since=monday - timedelta(days=1),
                until=utcnow() + timedelta(days=1),
                now=utcnow(),
            )
        }
    a, b = figures["dinas-a"], figures["dinas-b"]
    assert (a.received, a.on_time, a.late, a.overdue, a.waiting) == (4, 1, 1, 1, 1)
    assert a.median_hours == pytest.approx((6 + 240) / 2)
    assert (b.received, b.on_time, b.median_hours) == (1, 1, 48)
    page = new_browser().get("/akuntabilitas?dari=2026-09-01&sampai=2026-12-31").text
    assert '<svg class="chart" role="img"' in page
    assert "Dinas Komunikasi Kota A" in page and "<td>4</td>" in page
    assert new_browser().get("/akuntabilitas?dari=kemarin").status_code == 400


def test_consultation_report_you_said_we_did(new_browser, world: World, make: Make) -> None:  # type: ignore[no-untyped-def]
    comments = [
        make.comment(world.citizen, f"Masukan nomor {i} untuk bagian ini.", section_id=None)
        for i in range(2)
    ]
    # A citizen's text shaped like a spreadsheet formula is written as text in the CSV.
    comments.append(make.comment(world.citizen, '=HYPERLINK("http://jahat.example","Klik")'))
    with world.services.db.write() as db:
        for c in comments:
            actions.publish_comment(db, world.moderator, db.get(Comment, c.id))
        actions.set_disposition(
            db, world.official, db.get(Comment, comments[0].id), value="accepted", reason=""
        )
        actions.set_disposition(
            db,
            world.official,
            db.get(Comment, comments[1].id),
            value="rejected",
            reason="Di luar cakupan peraturan",
        )
        actions.publish_official_response(
            db,
            world.official,
            body="Terima kasih, kami pertimbangkan.",
            comment=db.get(Comment, comments[2].id),
        )
    report = f"/konsultasi/{make.consultation.id}/laporan"
    assert new_browser().get(report).status_code == 404  # not before the consultation closes
    official = new_browser()
    official.login(world.official)
    official.submit(
        f"/kelola/konsultasi/{make.consultation.id}/ubah",
        f"/kelola/konsultasi/{make.consultation.id}/tutup",
        {},
    )
    assert new_browser().get(report).status_code == 404  # closed but not concluded: agency only
    draft = official.get(report).text
    assert "Di luar cakupan peraturan" in draft
    missing = official.submit(
        report, f"/kelola/konsultasi/{make.consultation.id}/laporan", {"summary": "x"}
    )
    assert missing.status_code == 400
    published = official.submit(
        report,
        f"/kelola/konsultasi/{make.consultation.id}/laporan",
        {"summary": "Kami mengubah Pasal 3 sesuai masukan warga."},
    )
    assert published.status_code == 303
    visitor = new_browser()
    html = visitor.get(report).text
    assert "Kami mengubah Pasal 3" in html and "Diterima" in html and "Tidak diterima" in html
    assert "Terima kasih, kami pertimbangkan." in html and '<svg class="chart"' in html
    printable = visitor.get(report + "/cetak").text
    assert "Di luar cakupan peraturan" in printable and "laporan.csv" not in printable
    rows = read_csv(visitor.get(report + ".csv"))
    assert [r["disposition"] for r in rows] == ["accepted", "rejected", ""]
    assert rows[2]["official_response"] == "Terima kasih, kami pertimbangkan."
    assert rows[2]["comment"] == '\'=HYPERLINK("http://jahat.example","Klik")'
    assert f'href="{report}.xlsx"' in html
    sheet = read_xlsx(visitor.get(report + ".xlsx"))
    assert sheet.formulas == 0  # the citizen's formula is a text cell, exactly as written
    assert [r["disposition"] for r in sheet.records()] == ["accepted", "rejected", ""]
    assert sheet.records()[2]["comment"] == '=HYPERLINK("http://jahat.example","Klik")'
    with world.services.db.read() as db:
        assert db.get(Consultation, make.consultation.id).status == "concluded"
    other = new_browser()
    other.login(world.other_official)
    assert (
        other.submit(
            report,
            f"/kelola/komentar/{comments[0].id}/disposisi",
            {"value": "rejected", "reason": "x"},
        ).status_code
        == 403
    )


class Inbox:
    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"


@pytest.fixture
def smtp_server():  # type: ignore[no-untyped-def]
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield port, inbox
    controller.stop()


def test_notifications_by_email_through_a_real_smtp_server(
    world: World, make: Make, smtp_server
) -> None:  # type: ignore[no-untyped-def]
    from dataclasses import replace

    port, inbox = smtp_server
    settings = replace(
        world.services.settings, smtp_url=f"smtp://127.0.0.1:{port}", email_from="rembug@contoh.id"
    )
    services = build_services(settings)
    try:
        aspiration = make.aspiration(world.citizen)
        with services.db.write() as db:
            actions.publish_aspiration(db, world.moderator, db.get(Aspiration, aspiration.id))
        asyncio.run(services.worker.drain())
        asyncio.run(services.worker.drain())  # email jobs enqueued by the notify jobs
        to_citizen = [m for m in inbox.messages if m["To"] == "warga@contoh.id"]
        assert len(to_citizen) == 3  # received, published, then routed to the agency
        assert all(m["From"] == "rembug@contoh.id" for m in inbox.messages)
        (plain,) = [p for p in to_citizen[0].walk() if p.get_content_type() == "text/plain"]
        body = plain.get_payload(decode=True).decode()
        assert aspiration.ticket in body and f"/aspirasi/{aspiration.ticket}" in body
        assert any(m["To"] == "petugas.a@contoh.id" for m in inbox.messages)  # the agency
        # The same events never send twice, and a preference turns email off.
        asyncio.run(services.worker.drain())
        count = len(inbox.messages)
        with services.db.write() as db:
            citizen = db.get(type(world.citizen), world.citizen.id)
            actions.set_notification_preferences(db, citizen, email=False)
            actions.publish_official_response(
                db,
                world.official,
                body="Sudah kami tangani.",
                aspiration=db.get(Aspiration, aspiration.id),
            )
        asyncio.run(services.worker.drain())
        asyncio.run(services.worker.drain())
        assert len(inbox.messages) == count
        from forum.models import Notification

        with services.db.read() as db:
            assert any(
                n.message.startswith("%(agency)s answered") for n in db.exec(select(Notification))
            )
    finally:
        services.db.engine.dispose()

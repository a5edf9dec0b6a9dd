"""Web submissions through the durable intake (forum/submissions.py): the answer comes once
the submission is on disk in the intake, with its ticket number; the worker's drain job then
stores it as pending review, with its moderation case, at the time it was received. Limits,
validation and visibility hold while it waits."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest
from sqlmodel import func, select

from forum import actions
from forum.intake import pending_count
from forum.models import (
    Aspiration,
    ChatInbound,
    Comment,
    Consultation,
    ContentStatus,
    Visibility,
    utcnow,
)
from forum.settings import Settings
from moderation.models import ModerationCase
from tests.conftest import Browser, World, settle_intake
from tests.forum.test_aspirations import category_id, region_id


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return dataclasses.replace(settings, rate_posts_per_hour=3)


def _aspiration(world: World, title: str = "Lampu jalan mati di Jalan Antapani") -> dict:
    return {
        "title": title,
        "body": "Sudah dua minggu lampu jalan mati, rawan kecelakaan malam hari.",
        "category": category_id(world),
        "region": region_id(world),
        "agency": world.agency.id,
        "visibility": "public",
        "step": "send",
    }


def _count(world: World, model: type) -> int:
    with world.services.db.read() as db:
        return int(db.exec(select(func.count()).select_from(model)).one())


def test_the_ticket_comes_at_once_and_the_aspiration_is_stored_by_the_worker(
    browser: Browser, new_browser, world: World
) -> None:  # type: ignore[no-untyped-def]
    other = new_browser()
    other.login(world.other_citizen)
    browser.login(world.citizen)
    response = browser.submit("/aspirasi/baru", "/aspirasi/baru", _aspiration(world), settle=False)
    assert response.status_code == 303
    ticket = response.headers["location"].rsplit("/", 1)[1]
    assert pending_count(world.services) == 1 and _count(world, Aspiration) == 0
    # Its author sees it received (and its text); nobody else sees anything.
    waiting = browser.get(f"/aspirasi/{ticket}")
    assert waiting.status_code == 200
    assert ticket in waiting.text and "Diterima" in waiting.text
    assert "Sudah dua minggu lampu jalan mati" in waiting.text
    assert other.get(f"/aspirasi/{ticket}").status_code == 404
    assert new_browser().get(f"/aspirasi/{ticket}").status_code == 404
    # The worker stores it with that ticket, pending review, with its moderation case.
    assert settle_intake(world.services) == 1
    with world.services.db.read() as db:
        aspiration = db.exec(select(Aspiration).where(Aspiration.ticket == ticket)).one()
        assert aspiration.status == ContentStatus.pending
        assert db.exec(
            select(ModerationCase).where(ModerationCase.aspiration_id == aspiration.id)
        ).first()
        # The intake's record keeps the key, not a second copy of the text (deletion and
        # anonymisation reach the aspiration only).
        record = db.exec(select(ChatInbound).where(ChatInbound.platform_id == ticket)).one()
        assert record.processed_at is not None and record.raw == ""
    page = browser.get(f"/aspirasi/{ticket}").text
    assert "status-pending" in page and "Diterima:" not in page
    assert new_browser().get(f"/aspirasi/{ticket}").status_code == 404  # not before review


def test_tickets_from_a_reserved_block_never_collide_with_other_channels(
    browser: Browser, world: World
) -> None:
    browser.login(world.citizen)
    first = browser.submit("/aspirasi/baru", "/aspirasi/baru", _aspiration(world))
    # Meanwhile an aspiration from another channel takes the next number of the counter.
    with world.services.db.write() as db:
        citizen2 = db.merge(world.other_citizen)
        other = actions.submit_aspiration(
            db,
            citizen2,
            title="Sampah menumpuk di pasar",
            body="Sampah tidak diangkut sejak seminggu, baunya sampai ke rumah warga.",
            category_id=category_id(world),
            region_id=region_id(world),
            agency_id=None,
            visibility=Visibility.public,
        )
        other_ticket = other.ticket
    with world.services.db.write() as db:  # the web citizen is not new: no pacing
        db.merge(world.citizen).created_at = utcnow() - timedelta(days=30)
    second = browser.submit(
        "/aspirasi/baru", "/aspirasi/baru", _aspiration(world, "Lampu taman mati juga")
    )
    tickets = [r.headers["location"].rsplit("/", 1)[1] for r in (first, second)]
    assert len({*tickets, other_ticket}) == 3
    with world.services.db.read() as db:
        stored = set(db.exec(select(Aspiration.ticket)))
    assert stored == {*tickets, other_ticket}


def test_posting_limits_count_what_still_waits_in_the_intake(
    browser: Browser, world: World
) -> None:
    with world.services.db.write() as db:
        db.merge(world.citizen).created_at = utcnow() - timedelta(days=30)
    browser.login(world.citizen)
    for n in range(3):  # the limit of this test's settings, none processed yet
        data = _aspiration(world, f"Lampu jalan mati nomor {n + 1}")
        response = browser.submit("/aspirasi/baru", "/aspirasi/baru", data, settle=False)
        assert response.status_code == 303
    refused = browser.submit(
        "/aspirasi/baru", "/aspirasi/baru", _aspiration(world, "Satu lagi"), settle=False
    )
    assert refused.status_code == 429 and "Retry-After" in refused.headers
    assert pending_count(world.services) == 3
    settle_intake(world.services)  # stored, the three still count for the hour
    again = browser.submit("/aspirasi/baru", "/aspirasi/baru", _aspiration(world, "Dan lagi"))
    assert again.status_code == 429
    assert _count(world, Aspiration) == 3


def test_a_new_account_is_paced_while_its_first_post_waits(browser: Browser, world: World) -> None:
    browser.login(world.citizen)  # made just now: one aspiration per N seconds
    first = browser.submit("/aspirasi/baru", "/aspirasi/baru", _aspiration(world), settle=False)
    assert first.status_code == 303
    second = browser.submit(
        "/aspirasi/baru", "/aspirasi/baru", _aspiration(world, "Lampu taman mati"), settle=False
    )
    assert second.status_code == 429
    settle_intake(world.services)
    third = browser.submit(
        "/aspirasi/baru", "/aspirasi/baru", _aspiration(world, "Lampu jalan mati lagi")
    )
    assert third.status_code == 429  # recorded when stored, counted as before
    assert _count(world, Aspiration) == 1


def test_invalid_submission_is_refused_before_the_intake(browser: Browser, world: World) -> None:
    browser.login(world.citizen)
    data = {**_aspiration(world), "title": "Lam", "region": "999999"}
    response = browser.submit("/aspirasi/baru", "/aspirasi/baru", data, settle=False)
    assert response.status_code == 400
    assert 'id="title-error"' in response.text and 'id="region-error"' in response.text
    assert "Sudah dua minggu lampu jalan mati" in response.text  # the text is kept
    assert pending_count(world.services) == 0


def test_a_comment_received_before_the_close_counts_when_stored_after_it(
    browser: Browser, world: World
) -> None:
    consultation = world.consultation()
    page = f"/konsultasi/{consultation.id}"
    browser.login(world.citizen)
    response = browser.submit(
        page,
        f"{page}/komentar",
        {"body": "Saya setuju dengan rancangan ini, tetapi batas waktunya terlalu singkat."},
        settle=False,
    )
    assert response.status_code == 303
    received = utcnow()
    with world.services.db.write() as db:  # the deadline passes before the worker runs
        row = db.get(Consultation, consultation.id)
        row.closes_at = utcnow()
        db.add(row)
    assert settle_intake(world.services) == 1
    with world.services.db.read() as db:
        comment = db.exec(select(Comment)).one()
    assert comment.status == ContentStatus.pending
    assert abs((comment.created_at - received).total_seconds()) < 5
    # After the close, a new comment is refused at once, before the intake.
    late = browser.submit(page, f"{page}/komentar", {"body": "Komentar yang terlambat dikirim."})
    assert late.status_code == 409 and pending_count(world.services) == 0


def test_ticket_blocks_grow_in_a_rush_and_never_repeat_a_number(world: World) -> None:
    """Many aspirations in a few seconds: the process reserves growing blocks (ahead, in a
    thread) and every ticket is new, even against numbers the counter gives elsewhere."""
    import threading

    from forum.submissions import TICKET_BLOCK, TicketBlock

    block = TicketBlock()
    taken: list[str] = []
    lock = threading.Lock()

    def take(n: int) -> None:
        for _ in range(n):
            ticket = block.take(world.services, 2026)
            with lock:
                taken.append(ticket)

    threads = [threading.Thread(target=take, args=(60,)) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with world.services.db.write() as db:  # another process's number, from the same counter
        elsewhere = actions.reserve_tickets(db, 2026)[0]
    assert len(taken) == len(set(taken)) == 240
    assert elsewhere not in taken
    assert block.size > TICKET_BLOCK

"""The moderators' daily work: the queue, a case, each kind of decision, bulk decisions."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime

from sqlmodel import select

from forum import actions
from forum.errors import NotAllowed
from forum.models import Aspiration, Comment, Consultation, Follow, Role
from moderation.models import CaseStatus, Decision, ModerationCase
from tests.conftest import Browser, World
from tests.moderation.conftest import Make, case_ids


def moderator_browser(new_browser, world: World) -> Browser:  # type: ignore[no-untyped-def]
    browser = new_browser()
    browser.login(world.moderator)
    return browser


def test_every_contribution_opens_a_case_due_in_three_working_days(
    world: World, make: Make
) -> None:
    friday = datetime(2026, 11, 27, 3, 0, tzinfo=UTC)  # Friday 10:00 WIB
    with world.services.db.write() as db:
        comment = actions.submit_comment(
            db,
            world.citizen,
            db.get(Consultation, make.consultation.id),
            body="Komentar Jumat pagi",
            now=friday,
        )
    case = make.case_of(comment)
    assert case.status == CaseStatus.pending and case.kind == "comment"
    assert case.opened_at == friday
    assert case.due_at.astimezone(UTC) == datetime(2026, 12, 2, 3, 0, tzinfo=UTC)  # Wednesday
    aspiration = make.aspiration(world.citizen)
    assert make.case_of(aspiration).agency_id == world.agency.id


def test_queue_oldest_first_priority_sort_and_counts(new_browser, world: World, make: Make) -> None:  # type: ignore[no-untyped-def]
    plain = make.comment(world.citizen, "Komentar biasa tentang layanan digital.")
    risky = make.comment(world.other_citizen, "Hubungi saya di 0812-3456-7890 ya pak.")
    browser = moderator_browser(new_browser, world)
    page = browser.get("/moderation").text
    ids = case_ids(page)
    assert ids == [make.case_of(plain).id, make.case_of(risky).id]
    assert "2 menunggu" in page or "2 pending" in page
    by_priority = case_ids(browser.get("/moderation?urut=priority").text)
    assert by_priority[0] == make.case_of(risky).id
    assert "Nomor HP" in page or "Phone number" in page  # the screen's label is shown


def test_case_page_shows_context_history_and_highlighted_spans(
    new_browser, world: World, make: Make
) -> None:  # type: ignore[no-untyped-def]
    earlier = make.comment(world.citizen, "Komentar lama yang ditolak karena promosi.")
    with world.services.db.write() as db:
        actions.reject_comment(db, world.moderator, db.get(Comment, earlier.id), reason="Spam")
    with world.services.db.write() as db:
        parent = actions.submit_comment(
            db,
            world.other_citizen,
            db.get(Consultation, make.consultation.id),
            body="Komentar induk",
        )
        actions.publish_comment(db, world.moderator, parent)
    reply = make.comment(
        world.citizen, "NIK saya 3273 0141 0590 0003, tolong cek.", parent_id=parent.id
    )
    browser = moderator_browser(new_browser, world)
    html = browser.get(f"/moderation/kasus/{make.case_of(reply).id}").text
    assert "Komentar induk" in html  # the parent comment
    assert "Rancangan Peraturan Layanan Digital" in html  # the consultation
    assert '<mark title="Nomor NIK/KK">3273 0141 0590 0003' in html or "<mark" in html
    assert f"/moderation/kasus/{make.case_of(earlier).id}" in html  # author's history


def decide(browser: Browser, case: ModerationCase, **data: str):  # type: ignore[no-untyped-def]
    page = f"/moderation/kasus/{case.id}"
    return browser.submit(page, page, data)


def test_approve_publishes(new_browser, world: World, make: Make) -> None:  # type: ignore[no-untyped-def]
    comment = make.comment(world.citizen, "Perlu kanal WhatsApp resmi.")
    browser = moderator_browser(new_browser, world)
    assert decide(browser, make.case_of(comment), action="approve").status_code == 303
    assert (
        "Perlu kanal WhatsApp resmi."
        in new_browser().get(f"/konsultasi/{make.consultation.id}").text
    )
    assert make.case_of(comment).status == CaseStatus.decided
    assert make.case_of(comment).id not in case_ids(browser.get("/moderation").text)


def test_reject_with_reason_the_author_reads_in_their_language(
    new_browser, world: World, make: Make
) -> None:  # type: ignore[no-untyped-def]
    comment = make.comment(world.citizen, "Kunjungi toko kami, diskon 50%!")
    browser = moderator_browser(new_browser, world)
    missing_note = decide(browser, make.case_of(comment), action="reject", reason="other")
    assert missing_note.status_code == 400 and 'id="note-error"' in missing_note.text
    assert (
        decide(
            browser, make.case_of(comment), action="reject", reason="spam", note="iklan toko"
        ).status_code
        == 303
    )
    with world.services.db.read() as db:
        assert db.get(Comment, comment.id).reject_reason == "Spam: iklan toko"
    author = new_browser()
    author.login(world.citizen)
    assert "Spam: iklan toko" in author.get("/saya").text


def test_redaction_keeps_the_original_only_in_the_moderation_record(
    new_browser, world: World, make: Make
) -> None:  # type: ignore[no-untyped-def]
    aspiration = make.aspiration(
        world.citizen,
        title="KTP-el saya belum jadi",
        body="NIK saya 3273014105900003 dan HP 0812-3456-7890, mohon dibantu Pak Joko Santoso.",
    )
    case = make.case_of(aspiration)
    browser = moderator_browser(new_browser, world)
    page = browser.get(f"/moderation/kasus/{case.id}").text
    spans = [v for v in __import__("re").findall(r'name="span" value="([^"]+)" checked', page)]
    assert len(spans) == 2  # the NIK and the phone number are pre-selected
    response = browser.submit(
        f"/moderation/kasus/{case.id}",
        f"/moderation/kasus/{case.id}",
        {"action": "redact", "span": spans, "phrases": "Joko Santoso"},
    )
    assert response.status_code == 303
    with world.services.db.read() as db:
        stored = db.get(Aspiration, aspiration.id)
        decision = db.exec(select(Decision).where(Decision.case_id == case.id)).one()
    assert (
        stored.body == "NIK saya [disamarkan] dan HP [disamarkan], mohon dibantu Pak [disamarkan]."
    )
    assert stored.status == "routed" and stored.redacted_at is not None
    assert "3273014105900003" in (decision.original_text or "")
    visitor = new_browser()
    for path in (f"/aspirasi/{aspiration.ticket}", "/aspirasi", "/"):
        html = visitor.get(path).text
        assert (
            "3273014105900003" not in html and "0812-3456-7890" not in html and "Joko" not in html
        )
    asyncio.run(world.services.worker.drain())  # let the search index catch up, if installed
    api = visitor.get("/api/v1/search?q=KTP")
    if api.status_code == 200:
        assert "KTP-el saya belum jadi" in api.text  # indexed, redacted
        assert "3273014105900003" not in api.text and "0812" not in api.text


def test_duplicate_becomes_support_and_follow_of_the_original(
    new_browser, world: World, make: Make
) -> None:  # type: ignore[no-untyped-def]
    original = make.aspiration(world.other_citizen, title="Lampu jalan padam di Antapani")
    with world.services.db.write() as db:
        actions.publish_aspiration(db, world.moderator, db.get(Aspiration, original.id))
    duplicate = make.aspiration(world.citizen, title="Lampu Antapani mati semua")
    browser = moderator_browser(new_browser, world)
    bad = decide(browser, make.case_of(duplicate), action="duplicate", original="ASP-1999-000001")
    assert bad.status_code == 400 and 'id="original-error"' in bad.text
    assert (
        decide(
            browser, make.case_of(duplicate), action="duplicate", original=original.ticket
        ).status_code
        == 303
    )
    with world.services.db.read() as db:
        assert db.get(Aspiration, original.id).support_count == 1
        merged = db.get(Aspiration, duplicate.id)
        assert merged.status == "merged" and merged.duplicate_of_id == original.id
        follows = db.exec(
            select(Follow.aspiration_id).where(Follow.account_id == world.citizen.id)
        ).all()
    assert original.id in follows
    assert new_browser().get(f"/aspirasi/{duplicate.ticket}").status_code == 404


def test_escalated_cases_are_decided_by_an_administrator(
    new_browser, world: World, make: Make
) -> None:  # type: ignore[no-untyped-def]
    comment = make.comment(world.citizen, "Apakah ini fitnah terhadap pejabat tertentu?")
    case = make.case_of(comment)
    moderator = moderator_browser(new_browser, world)
    assert (
        decide(moderator, case, action="escalate", note="perlu pertimbangan hukum").status_code
        == 303
    )
    assert make.case_of(comment).status == CaseStatus.escalated
    assert decide(moderator, case, action="approve").status_code == 403
    assert case.id in case_ids(moderator.get("/moderation?lihat=escalated").text)
    admin = new_browser()
    admin.login(world.admin)
    assert decide(admin, case, action="approve").status_code == 303


def test_bulk_approve_and_reject(new_browser, world: World, make: Make) -> None:  # type: ignore[no-untyped-def]
    comments = [
        make.comment(world.citizen, f"Komentar nomor {i} untuk diputuskan.") for i in range(4)
    ]
    browser = moderator_browser(new_browser, world)
    ids = [make.case_of(c).id for c in comments]
    ok = browser.submit("/moderation", "/moderation/massal", {"case": ids[:2], "action": "approve"})
    assert ok.status_code == 200 and "2 diputuskan, 0 dilewati" in ok.text
    no = browser.submit(
        "/moderation",
        "/moderation/massal",
        {"case": ids[2:], "action": "reject", "reason": "off-topic"},
    )
    assert no.status_code == 200 and "2 diputuskan, 0 dilewati" in no.text
    with world.services.db.read() as db:
        statuses = [db.get(Comment, c.id).status for c in comments]
    assert statuses == ["published", "published", "rejected", "rejected"]
    empty = browser.submit("/moderation", "/moderation/massal", {"action": "approve"})
    assert empty.status_code == 400


def test_a_thousand_pending_cases_paginate_with_bounded_queries(
    new_browser, world: World, make: Make, count_queries
) -> None:  # type: ignore[no-untyped-def]
    with world.services.db.write() as db:
        consultation = db.get(Consultation, make.consultation.id)
        for i in range(1000):
            author = world.citizen if i % 2 else world.other_citizen
            actions.submit_comment(
                db, author, consultation, body=f"Masukan warga nomor {i:04d} tentang layanan."
            )
    browser = moderator_browser(new_browser, world)
    seen: list[int] = []
    first = browser.get("/moderation").text
    assert "1000" in first
    for page in range(1, 21):
        count_queries.count = 0
        html = browser.get(f"/moderation?halaman={page}").text
        assert count_queries.count <= 16, (page, count_queries.count)
        ids = case_ids(html)
        assert len(ids) == 50
        seen.extend(ids)
    assert len(set(seen)) == 1000 and seen == sorted(seen)  # oldest first, none twice, none lost
    assert "Masukan warga nomor 0999" in browser.get("/moderation?halaman=20").text


def test_overdue_cases_are_counted(new_browser, world: World, make: Make) -> None:  # type: ignore[no-untyped-def]
    old = datetime(2026, 1, 5, 3, 0, tzinfo=UTC)
    with world.services.db.write() as db:
        actions.submit_comment(
            db,
            world.citizen,
            db.get(Consultation, make.consultation.id),
            body="Komentar lama sekali",
            now=old,
        )
    make.comment(world.citizen, "Komentar baru saja")
    html = moderator_browser(new_browser, world).get("/moderation").text
    assert "1 lewat tenggat" in html or "1 overdue" in html


def test_queue_needs_a_moderator(browser: Browser, world: World) -> None:
    browser.login(world.citizen)
    assert browser.get("/moderation").status_code == 403
    assert browser.get("/moderation/kasus/1").status_code == 403
    browser.submit("/", "/keluar", {})
    browser.login(world.official)
    assert browser.get("/moderation").status_code == 403


def test_post_moderated_consultation_publishes_established_citizens_at_once(
    world: World, make: Make
) -> None:
    config = world.services.extensions["moderation.config"]
    with world.services.db.write() as db:
        consultation = db.get(Consultation, make.consultation.id)
        actions.set_post_moderation(db, world.official, consultation, enabled=True)
        for i in range(config.trusted_after):
            earlier = actions.submit_comment(
                db, world.other_citizen, consultation, body=f"Masukan awal {i}"
            )
            actions.publish_comment(db, world.moderator, earlier)
    established = make.comment(world.other_citizen, "Langsung tayang karena sudah dipercaya.")
    newcomer = make.comment(world.citizen, "Menunggu moderasi karena akun baru.")
    with world.services.db.read() as db:
        assert db.get(Comment, established.id).status == "published"
        assert db.get(Comment, newcomer.id).status == "pending"
    assert make.case_of(established).reason == "post-moderated"  # still reviewed
    assert make.case_of(established).status == CaseStatus.pending
    with world.services.db.write() as db:
        assert world.official.role == Role.official
        other = db.get(Consultation, world.consultation(agency=world.other_agency).id)
        try:
            actions.set_post_moderation(db, world.official, other, enabled=True)
        except NotAllowed:
            pass
        else:
            raise AssertionError("an official changed another agency's consultation")


def test_a_bank_account_is_shown_as_one_and_an_amount_is_not_a_phone_number(
    new_browser, world: World, make: Make
) -> None:  # type: ignore[no-untyped-def]
    account = make.comment(world.citizen, "Rekening BRI 084965806989 atas nama desa belum aktif.")
    amount = make.comment(world.citizen, "Anggaran Rp 1.085.731.405 terlalu besar untuk ini.")
    browser = moderator_browser(new_browser, world)
    page = browser.get(f"/moderation/kasus/{make.case_of(account).id}").text
    assert "Nomor rekening bank" in page and "Nomor HP" not in page
    # Pre-selected for redaction, like the other personal data.
    assert re.search(r'name="span" value="body:13-25" checked', page)
    page = browser.get(f"/moderation/kasus/{make.case_of(amount).id}").text
    assert "Nomor HP" not in page and 'name="span"' not in page

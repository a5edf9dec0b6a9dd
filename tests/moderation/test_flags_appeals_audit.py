"""Flags hide content after enough weighted reports; appeals go to another moderator; every
decision, flag, hide, appeal and role change lands in an append-only audit trail."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from forum import actions
from forum.models import Account, Comment, Consultation, Role, utcnow
from moderation.models import AuditEntry, CaseStatus, Flag, ModerationCase
from tests.conftest import Browser, World
from tests.moderation.conftest import Make, case_ids
from tests.spreadsheets import read_csv, read_xlsx


def published_comment(
    world: World, make: Make, body: str = "Menurut saya pejabatnya tidak becus bekerja."
) -> Comment:
    comment = make.comment(world.citizen, body)
    with world.services.db.write() as db:
        actions.publish_comment(db, world.moderator, db.get(Comment, comment.id))
    return comment


def citizens(world: World, n: int, *, age_days: int = 30) -> list[Account]:
    accounts = [world.account(Role.citizen, f"pelapor{i}@contoh.id") for i in range(n)]
    with world.services.db.write() as db:
        for account in accounts:
            row = db.get(Account, account.id)
            row.created_at = utcnow() - timedelta(days=age_days)
            db.add(row)
    return accounts


def flag(browser: Browser, comment: Comment, reason: str = "abusive"):  # type: ignore[no-untyped-def]
    page = f"/moderation/laporkan?jenis=comment&id={comment.id}"
    return browser.submit(
        page,
        "/moderation/laporkan",
        {"kind": "comment", "id": comment.id, "reason": reason, "text": "kasar"},
    )


def test_three_distinct_flags_hide_content_and_reopen_it_for_review(
    new_browser, world: World, make: Make
) -> None:  # type: ignore[no-untyped-def]
    comment = published_comment(world, make)
    page = f"/konsultasi/{make.consultation.id}"
    visitor = new_browser()
    assert "tidak becus" in visitor.get(page).text
    flaggers = citizens(world, 3)
    for index, account in enumerate(flaggers):
        browser = new_browser()
        browser.login(account)
        assert "Laporkan" in browser.get(page).text
        assert flag(browser, comment).status_code == 303
        hidden = "tidak becus" not in visitor.get(page).text
        assert hidden == (index == 2), index
        if index == 0:
            assert flag(browser, comment).status_code == 409  # once per item
    with world.services.db.read() as db:
        stored = db.get(Comment, comment.id)
        assert stored.hidden_at is not None
        assert db.get(Consultation, make.consultation.id).comment_count == 0
    case = make.case_of(comment)
    assert case.reason == "flagged" and case.status == CaseStatus.pending
    # A moderator finds it acceptable: it comes back.
    moderator = new_browser()
    moderator.login(world.moderator)
    page_case = f"/moderation/kasus/{case.id}"
    assert moderator.submit(page_case, page_case, {"action": "approve"}).status_code == 303
    assert "tidak becus" in visitor.get(page).text
    with world.services.db.read() as db:
        assert {f.upheld for f in db.exec(select(Flag))} == {False}


def test_flag_weights_new_accounts_count_less_moderators_more(
    new_browser, world: World, make: Make
) -> None:  # type: ignore[no-untyped-def]
    comment = published_comment(world, make)
    newcomers = citizens(world, 4, age_days=1)
    for account in newcomers:
        browser = new_browser()
        browser.login(account)
        flag(browser, comment)
    with world.services.db.read() as db:
        weights = [f.weight for f in db.exec(select(Flag))]
        assert weights == [0.5] * 4
        assert db.get(Comment, comment.id).hidden_at is None  # 2.0 < 3
    moderator = new_browser()
    moderator.login(world.moderator)
    flag(moderator, comment)
    with world.services.db.read() as db:
        assert db.get(Comment, comment.id).hidden_at is not None


def test_flag_record_raises_an_established_citizens_weight(world: World, make: Make) -> None:
    config = world.services.extensions["moderation.config"]
    with world.services.db.write() as db:
        consultation = db.get(Consultation, make.consultation.id)
        for i in range(config.trusted_after):
            own = actions.submit_comment(db, world.other_citizen, consultation, body=f"Masukan {i}")
            actions.publish_comment(db, world.moderator, own)
        for _ in range(2):
            target = actions.submit_comment(
                db, world.citizen, consultation, body="Konten bermasalah"
            )
            actions.publish_comment(db, world.moderator, target)
            db.add(
                Flag(
                    account_id=world.other_citizen.id,
                    comment_id=target.id,
                    reason="spam",
                    upheld=True,
                )
            )
    from moderation.actions import flag_weight

    with world.services.db.read() as db:
        assert flag_weight(db, db.get(Account, world.other_citizen.id), config) == 1.5


def test_cannot_flag_own_or_unpublished_content(new_browser, world: World, make: Make) -> None:  # type: ignore[no-untyped-def]
    own = published_comment(world, make)
    pending = make.comment(world.other_citizen, "Belum tayang")
    browser = new_browser()
    browser.login(world.citizen)
    assert (
        browser.submit(
            "/saya", "/moderation/laporkan", {"kind": "comment", "id": own.id, "reason": "spam"}
        ).status_code
        == 409
    )
    assert browser.get(f"/moderation/laporkan?jenis=comment&id={pending.id}").status_code == 404
    visitor = new_browser()
    assert (
        visitor.get(
            f"/moderation/laporkan?jenis=comment&id={own.id}", follow_redirects=False
        ).status_code
        == 303
    )


def test_appeal_goes_to_another_moderator(new_browser, world: World, make: Make) -> None:  # type: ignore[no-untyped-def]
    second = world.account(Role.moderator, "moderator2@contoh.id")
    comment = make.comment(world.citizen, "Komentar yang ditolak keliru oleh moderator.")
    case = make.case_of(comment)
    first_moderator = new_browser()
    first_moderator.login(world.moderator)
    page = f"/moderation/kasus/{case.id}"
    first_moderator.submit(page, page, {"action": "reject", "reason": "off-topic"})
    author = new_browser()
    author.login(world.citizen)
    listing = author.get("/moderation/banding").text
    assert "Komentar yang ditolak keliru" in listing
    short = author.submit(
        "/moderation/banding", f"/moderation/banding/{case.id}", {"text": "salah"}
    )
    assert short.status_code == 400
    sent = author.submit(
        "/moderation/banding",
        f"/moderation/banding/{case.id}",
        {"text": "Komentar saya relevan dengan bagian dua, mohon ditinjau ulang."},
    )
    assert sent.status_code == 303
    again = author.submit(
        "/saya", f"/moderation/banding/{case.id}", {"text": "Sekali lagi mohon ditinjau ulang ya."}
    )
    assert again.status_code == 409  # once
    appeal_case = make.case_of(comment)
    assert (
        appeal_case.reason == "appeal" and appeal_case.excluded_moderator_id == world.moderator.id
    )
    # Not in the first moderator's queue, and refused if they try.
    assert appeal_case.id not in case_ids(first_moderator.get("/moderation?lihat=appeals").text)
    appeal_page = f"/moderation/kasus/{appeal_case.id}"
    assert (
        first_moderator.submit(appeal_page, appeal_page, {"action": "approve"}).status_code == 403
    )
    other = new_browser()
    other.login(second)
    assert appeal_case.id in case_ids(other.get("/moderation?lihat=appeals").text)
    assert "mohon ditinjau ulang" in other.get(appeal_page).text
    assert other.submit(appeal_page, appeal_page, {"action": "approve"}).status_code == 303
    with world.services.db.read() as db:
        assert db.get(Comment, comment.id).status == "published"


def test_audit_trail_records_and_exports_and_cannot_be_changed(
    new_browser, world: World, make: Make
) -> None:  # type: ignore[no-untyped-def]
    comment = make.comment(world.citizen, "Komentar untuk diaudit.")
    moderator = new_browser()
    moderator.login(world.moderator)
    case_page = f"/moderation/kasus/{make.case_of(comment).id}"
    moderator.submit(case_page, case_page, {"action": "reject", "reason": "spam"})
    admin = new_browser()
    admin.login(world.admin)
    admin.submit(
        "/admin/akun", f"/admin/akun/{world.other_citizen.id}", {"role": "moderator", "agency": ""}
    )
    with world.services.db.read() as db:
        # (the staff's two-factor enrolment by the world fixture is on the record too)
        entries = [
            e
            for e in db.exec(select(AuditEntry).order_by(AuditEntry.id)).all()
            if not e.action.startswith("2fa-")
        ]
        assert [e.action for e in entries] == ["decision:reject", "role-change"]
        assert entries[1].before == '{"role": "citizen"}'
        assert '"moderator"' in (entries[1].after or "")
    page = admin.get("/moderation/audit?tindakan=role").text
    assert "role-change" in page and "decision:reject" not in page
    exported = admin.get("/moderation/audit.csv")
    rows = read_csv(exported)
    actions = [r["action"] for r in rows if not r["action"].startswith("2fa-")]
    assert actions == ["decision:reject", "role-change"]
    assert 'href="/moderation/audit.xlsx?' in admin.get("/moderation/audit").text
    sheet = read_xlsx(admin.get("/moderation/audit.xlsx"))
    assert sheet.formulas == 0
    assert [r["action"] for r in sheet.records()] == [r["action"] for r in rows]
    assert [r["id"] for r in sheet.records()] == [int(r["id"]) for r in rows]
    assert moderator.get("/moderation/audit").status_code == 403
    assert admin.client.post("/moderation/audit", data={}).status_code == 405
    with world.services.db.read() as db:
        assert db.exec(select(ModerationCase)).first() is not None


def test_admin_word_list_flags_new_contributions(new_browser, world: World, make: Make) -> None:  # type: ignore[no-untyped-def]
    admin = new_browser()
    admin.login(world.admin)
    assert (
        admin.submit(
            "/moderation/kata", "/moderation/kata", {"kind": "abusive", "term": "kadrun"}
        ).status_code
        == 303
    )
    assert (
        admin.submit(
            "/moderation/kata", "/moderation/kata", {"kind": "abusive", "term": "kadrun"}
        ).status_code
        == 400
    )
    comment = make.comment(world.citizen, "Dasar kadrun semua yang komentar di sini.")
    moderator = new_browser()
    moderator.login(world.moderator)
    html = moderator.get(f"/moderation/kasus/{make.case_of(comment).id}").text
    assert "Kata kasar" in html or "Abusive words" in html
    assert new_browser().get("/moderation/kata", follow_redirects=False).status_code == 303

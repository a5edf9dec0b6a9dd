"""A bulk decision decides every case of the selection that can be decided and names each one
it skipped with the reason; a pending case never disagrees with its contribution, whatever
path decided the contribution (the demo loader, the forum's actions, the author)."""

from __future__ import annotations

import importlib.util
import re
from html import unescape
from pathlib import Path

from sqlalchemy import update
from sqlmodel import Session, select

from forum import actions
from forum.demo import load_demo
from forum.models import Aspiration, AspirationStatus, Comment, ContentStatus
from moderation.actions import contribution_moved_on
from moderation.models import AuditEntry, CaseStatus, Decision, ModerationCase
from tests.conftest import World
from tests.moderation.conftest import Make

OPEN = (CaseStatus.pending, CaseStatus.escalated)


def open_cases(db: Session) -> list[ModerationCase]:
    return list(db.exec(select(ModerationCase).where(ModerationCase.status.in_(OPEN))))  # type: ignore[attr-defined]


def disagreeing(db: Session) -> list[int]:
    """The invariant: every open case still asks for a decision its contribution can take."""
    wrong = []
    for case in open_cases(db):
        item = db.get(Comment, case.comment_id) if case.comment_id else None
        item = item or db.get(Aspiration, case.aspiration_id)
        assert item is not None
        if contribution_moved_on(case, item) is not None:
            wrong.append(case.id)
    return wrong


def summary(html: str) -> str:
    match = re.search(r'<p class="bulk-summary"[^>]*>([^<]*)</p>', html)
    assert match, html
    return unescape(match.group(1))


def test_the_demo_queue_agrees_with_its_contributions_and_approves_in_one_action(
    new_browser, world: World
) -> None:  # type: ignore[no-untyped-def]
    services = world.services
    load_demo(services.db, lambda _line: None, secret_key=services.settings.secret_key)
    with services.db.read() as db:
        assert disagreeing(db) == []
        pending = [c.id for c in open_cases(db)]
        # The demo's decided contributions were decided through their cases.
        decided = db.exec(select(ModerationCase).where(ModerationCase.status == "decided")).all()
        assert decided and all(
            db.exec(select(Decision).where(Decision.case_id == c.id)).first() for c in decided
        )
    assert len(pending) > 10
    moderator = new_browser()
    moderator.login(world.moderator)
    answer = moderator.submit(
        "/moderation", "/moderation/massal", {"case": pending, "action": "approve"}
    )
    assert answer.status_code == 200
    assert summary(answer.text) == f"{len(pending)} diputuskan, 0 dilewati"
    with services.db.read() as db:
        assert open_cases(db) == []
        assert db.exec(select(Comment).where(Comment.status == ContentStatus.pending)).all() == []


def test_a_selection_decides_what_it_can_and_names_each_skipped_case(
    new_browser, world: World, make: Make
) -> None:  # type: ignore[no-untyped-def]
    fine = [make.comment(world.citizen, f"Masukan nomor {i} tentang layanan.") for i in range(3)]
    withdrawn = make.comment(world.citizen, "Masukan yang nanti saya tarik kembali.")
    by_forum = make.aspiration(world.citizen)
    escalated = make.comment(world.other_citizen, "Masukan yang perlu dilihat admin.")
    moderator = new_browser()
    moderator.login(world.moderator)
    with world.services.db.write() as db:
        actions.withdraw_comment(db, world.citizen, db.get(Comment, withdrawn.id))
        # Decided without its case, through the forum's own action (as the demo loader did).
        actions.reject_aspiration(
            db, world.moderator, db.get(Aspiration, by_forum.id), reason="Spam"
        )
        db.get(ModerationCase, make.case_of(escalated).id).status = CaseStatus.escalated
    already = make.case_of(fine[0])
    first = moderator.submit(
        "/moderation", "/moderation/massal", {"case": [already.id], "action": "approve"}
    )
    assert summary(first.text) == "1 diputuskan, 0 dilewati"
    with world.services.db.read() as db:
        assert disagreeing(db) == []  # the withdrawn and the forum-decided cases are closed
        closed = db.exec(select(AuditEntry).where(AuditEntry.action == "case-closed")).all()
        assert {(a.object_type, a.object_id) for a in closed} == {
            ("comment", withdrawn.id),
            ("aspiration", by_forum.id),
        }
        rejected = db.exec(
            select(Decision).where(Decision.case_id == make.case_of(by_forum).id)
        ).one()
        assert rejected.action == "reject" and rejected.moderator_id == world.moderator.id

    selection = [make.case_of(c).id for c in (*fine, withdrawn, escalated)]
    selection += [make.case_of(by_forum).id, 999_999]
    answer = moderator.submit(
        "/moderation",
        "/moderation/massal",
        {"case": selection, "action": "reject", "reason": "off-topic"},
    )
    assert answer.status_code == 200
    assert summary(answer.text) == "2 diputuskan, 5 dilewati"
    skipped = dict(re.findall(r"<li><strong>(#\d+)</strong>: ([^<]*)</li>", answer.text))
    assert skipped == {
        f"#{already.id}": "Kasus ini sudah diputuskan.",
        f"#{make.case_of(withdrawn).id}": "Kasus ini sudah diputuskan.",
        f"#{make.case_of(escalated).id}": (
            "Kasus ini sudah diteruskan ke administrator: administrator yang akan memutuskannya."
        ),
        f"#{make.case_of(by_forum).id}": "Kasus ini sudah diputuskan.",
        "#999999": "Kasus ini tidak ditemukan.",
    }
    with world.services.db.read() as db:
        assert [db.get(Comment, c.id).status for c in fine] == [
            "published",
            "rejected",
            "rejected",
        ]
        assert db.get(Comment, withdrawn.id).status == "withdrawn"
        assert db.get(Aspiration, by_forum.id).status == AspirationStatus.rejected


def test_a_case_left_open_before_the_fix_is_skipped_with_its_reason_and_repaired(
    new_browser, world: World, make: Make
) -> None:  # type: ignore[no-untyped-def]
    """Data made before the fix: an open case whose contribution is already rejected is
    skipped by a bulk approval (the rest goes through), and migration 0013 closes it."""
    stale = make.comment(world.citizen, "Komentar yang sudah ditolak sebelum perbaikan.")
    good = make.comment(world.other_citizen, "Komentar yang masih menunggu keputusan.")
    with world.services.db.write() as db:
        actions.reject_comment(db, world.moderator, db.get(Comment, stale.id), reason="Spam")
        db.execute(  # the state the demo loader used to leave behind
            update(ModerationCase)
            .where(ModerationCase.comment_id == stale.id)  # type: ignore[arg-type]
            .values(status=CaseStatus.pending, decided_at=None)
        )
    stale_case = make.case_of(stale)
    moderator = new_browser()
    moderator.login(world.moderator)
    answer = moderator.submit(
        "/moderation",
        "/moderation/massal",
        {"case": [stale_case.id, make.case_of(good).id], "action": "approve"},
    )
    assert summary(answer.text) == "1 diputuskan, 1 dilewati"
    assert f"<strong>#{stale_case.id}</strong>: Kontribusi ini sudah dimoderasi." in answer.text
    with world.services.db.read() as db:
        assert disagreeing(db) == [stale_case.id]

    path = Path(__file__).parents[2] / "migrations" / "versions" / "0013_close_moved_on_cases.py"
    spec = importlib.util.spec_from_file_location("migration_0013", path)
    assert spec and spec.loader
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    from alembic.migration import MigrationContext
    from alembic.operations import Operations

    with (
        world.services.db.engine.begin() as conn,
        Operations.context(MigrationContext.configure(conn)),
    ):
        migration.upgrade()
    with world.services.db.read() as db:
        assert disagreeing(db) == []
        assert db.get(ModerationCase, stale_case.id).status == CaseStatus.decided
        closed = db.exec(select(AuditEntry).where(AuditEntry.action == "case-closed")).all()
        repaired = [a.object_id for a in closed if "migration 0013" in (a.after or "")]
        assert repaired == [stale.id]

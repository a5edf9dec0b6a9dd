"""A copy-paste campaign (the same text from many accounts) is one entry in the moderation
queue, and one bulk decision clears all of it; the other cases stay as they were."""

from __future__ import annotations

import asyncio
import re

from sqlmodel import select

from forum import actions
from forum.models import Account, Comment, Consultation, Role
from moderation.models import CaseStatus, ModerationCase
from tests.conftest import PASSWORD, World
from tests.moderation.conftest import Make, case_ids

ACCOUNTS = 200
CAMPAIGN = "Tolak rancangan ini! Kami menolak seluruh isi peraturan ini demi rakyat."
CLUSTER_BOX = re.compile(r'name="kluster" value="([0-9a-f]+)"')


def test_a_campaign_is_one_queue_entry_cleared_by_one_bulk_decision(
    new_browser, world: World, make: Make
) -> None:  # type: ignore[no-untyped-def]
    with world.services.db.write() as db:
        consultation = db.get(Consultation, make.consultation.id)
        for n in range(ACCOUNTS):
            account = actions.create_account(
                db,
                name=f"Akun {n}",
                email=f"akun{n}@kampanye.id",
                password=PASSWORD,
                role=Role.citizen,
                consent=True,
            )
            # Copy-paste, with the small changes a campaign page makes: case and spacing.
            body = CAMPAIGN.upper() if n % 3 == 0 else CAMPAIGN.replace(" ", "  ", n % 2)
            actions.submit_comment(db, account, consultation, body=body)
    own = [make.comment(world.citizen, f"Pasal {n} perlu contoh penerapannya.") for n in range(3)]

    moderator = new_browser()
    moderator.login(world.moderator)
    page = moderator.get("/moderation").text
    clusters = CLUSTER_BOX.findall(page)
    assert len(clusters) == 1  # the campaign: one entry ...
    assert "200 teks yang sama" in page  # ... that says how many it stands for
    assert sorted(case_ids(page)) == sorted(make.case_of(c).id for c in own)
    assert len(case_ids(page)) + len(clusters) == 4

    cleared = moderator.submit(
        "/moderation",
        "/moderation/massal",
        {"kluster": clusters[0], "action": "reject", "reason": "off-topic"},
    )
    # More cases than one request decides (moderation.bulk_jobs.INLINE_MAX): a job does,
    # and the answer is its progress page.
    assert cleared.status_code == 303
    progress = cleared.headers["location"]
    asyncio.run(world.services.worker.drain())  # type: ignore[union-attr]
    assert f"{ACCOUNTS} diputuskan, 0 dilewati" in moderator.get(progress).text
    with world.services.db.read() as db:
        campaign = db.exec(
            select(Comment)
            .join(Account, Account.id == Comment.author_id)  # type: ignore[arg-type]
            .where(Account.email.like("%@kampanye.id"))  # type: ignore[union-attr]
        ).all()
        open_cases = db.exec(
            select(ModerationCase).where(ModerationCase.status == CaseStatus.pending)
        ).all()
    assert len(campaign) == ACCOUNTS and {c.status for c in campaign} == {"rejected"}
    assert sorted(c.comment_id for c in open_cases) == sorted(c.id for c in own)
    after = moderator.get("/moderation").text
    assert CLUSTER_BOX.findall(after) == [] and len(case_ids(after)) == 3

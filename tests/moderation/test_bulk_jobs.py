"""A bulk decision over more than INLINE_MAX cases (a copy-paste campaign) runs as a background
job: the request answers at once with its progress page, the worker decides the cases a chunk
at a time, and the moderator watches "N of M" until the result. Cut off mid-way it carries
on without deciding a case twice; a second bulk decision over the same cases while it runs is
refused; only moderators see it."""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta
from html import unescape

from sqlmodel import func, select

from forum import actions
from forum.models import Account, Comment, Consultation, Notification, Role, utcnow
from forum.outbox import Worker
from moderation import bulk_jobs
from moderation.models import AuditEntry, BulkJob, Decision, ModerationCase
from tests.conftest import PASSWORD, World
from tests.moderation.conftest import Make, case_ids

COPIES = bulk_jobs.CHUNK + 60  # two chunks
CAMPAIGN = "Batalkan pasal tujuh! Kami warga menolak pasal tujuh rancangan ini sepenuhnya."
CLUSTER_BOX = re.compile(r'name="kluster" value="([0-9a-f]+)"')
REFRESH = 'class="note bulk-running"'  # the running job's note with its reload link


def campaign(make: Make, copies: int = COPIES) -> list[Comment]:
    """The same comment from ``copies`` new accounts, through the forum's actions."""
    comments = []
    with make.world.services.db.write() as db:
        consultation = db.get(Consultation, make.consultation.id)
        for n in range(copies):
            account = actions.create_account(
                db,
                name=f"Akun {n}",
                email=f"akun{n}@kampanye.id",
                password=PASSWORD,
                role=Role.citizen,
                consent=True,
            )
            body = CAMPAIGN.upper() if n % 3 == 0 else CAMPAIGN
            comments.append(actions.submit_comment(db, account, consultation, body=body))
    return comments


def drain(worker: Worker) -> None:
    asyncio.run(worker.drain())


def text_of(html: str, css_class: str) -> str:
    match = re.search(rf'class="{css_class}"[^>]*>([^<]*)<', html)
    assert match, html
    return unescape(match.group(1)).strip()


def statuses(world: World, comments: list[Comment]) -> dict[str, int]:
    with world.services.db.read() as db:
        rows = db.exec(
            select(Comment.status, func.count())
            .where(Comment.id.in_([c.id for c in comments]))  # type: ignore[union-attr]
            .group_by(Comment.status)
        ).all()
    return {str(status): int(n) for status, n in rows}


def decisions_per_case(world: World, comments: list[Comment]) -> set[int]:
    with world.services.db.read() as db:
        rows = db.exec(
            select(func.count(Decision.id))
            .select_from(ModerationCase)
            .join(Decision, Decision.case_id == ModerationCase.id, isouter=True)  # type: ignore[arg-type]
            .where(ModerationCase.comment_id.in_([c.id for c in comments]))  # type: ignore[union-attr]
            .group_by(ModerationCase.id)
        ).all()
    return {int(n) for n in rows}


def reject_cluster(moderator, expect: int = 303):  # type: ignore[no-untyped-def]
    queue = moderator.get("/moderation").text
    clusters = CLUSTER_BOX.findall(queue)
    assert len(clusters) == 1, queue
    answer = moderator.submit(
        "/moderation",
        "/moderation/massal",
        {"kluster": clusters[0], "action": "reject", "reason": "spam", "note": "Kampanye"},
    )
    assert answer.status_code == expect, answer.text
    return answer, clusters[0]


def test_a_large_bulk_rejection_answers_at_once_and_the_worker_decides_every_case(
    new_browser, world: World, make: Make
) -> None:  # type: ignore[no-untyped-def]
    comments = campaign(make)
    own = make.comment(world.citizen, "Pasal dua perlu contoh penerapannya.")
    moderator = new_browser()
    moderator.login(world.moderator)

    answer, _ = reject_cluster(moderator)
    location = answer.headers["location"]
    assert re.fullmatch(r"/moderation/massal/\d+", location)
    assert statuses(world, comments) == {"pending": COPIES}  # the request decided nothing

    page = moderator.get(location)
    assert page.status_code == 200
    assert REFRESH in page.text
    assert text_of(page.text, "bulk-state") == "Menunggu giliran"
    assert text_of(page.text, "bulk-progress") == f"0 dari {COPIES} kasus selesai"
    status = moderator.get(location + ".json").json()
    assert status["state"] == "queued" and status["total"] == COPIES
    assert status["handled"] == 0 and status["finished"] is False

    # The queue shows the cluster as being decided (no box to tick it again), the rest as usual.
    queue = moderator.get("/moderation").text
    assert CLUSTER_BOX.findall(queue) == []
    assert "Sedang diputuskan" in queue and f'href="{location}"' in queue
    assert "Keputusan massal yang sedang berjalan" in queue
    assert case_ids(queue) == [make.case_of(own).id]

    drain(world.services.worker)  # type: ignore[arg-type]

    done = moderator.get(location).text
    assert REFRESH not in done
    assert text_of(done, "bulk-state") == "Selesai"
    assert text_of(done, "bulk-progress") == f"{COPIES} dari {COPIES} kasus selesai"
    assert text_of(done, "bulk-summary") == f"{COPIES} diputuskan, 0 dilewati"
    assert moderator.get(location + ".json").json() == {
        "id": int(location.rsplit("/", 1)[1]),
        "state": "done",
        "state_label": "Selesai",
        "total": COPIES,
        "handled": COPIES,
        "decided": COPIES,
        "skipped": 0,
        "finished": True,
    }
    # Each case decided, notified and audited once, as one decision from the case page is.
    assert statuses(world, comments) == {"rejected": COPIES}
    assert decisions_per_case(world, comments) == {1}
    with world.services.db.read() as db:
        authors = [c.author_id for c in comments]
        notified = db.exec(
            select(func.count(func.distinct(Notification.account_id))).where(
                Notification.account_id.in_(authors)  # type: ignore[attr-defined]
            )
        ).one()
        audited = db.exec(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.action == "decision:reject")
        ).one()
        decision = db.exec(select(Decision).limit(1)).one()
    assert notified == COPIES and audited == COPIES
    assert decision.moderator_id == world.moderator.id and decision.reason_code == "spam"
    assert decision.reason_text == "Spam: Kampanye"
    queue = moderator.get("/moderation").text
    assert "Keputusan massal yang sedang berjalan" not in queue
    assert case_ids(queue) == [make.case_of(own).id] and CLUSTER_BOX.findall(queue) == []
    # Nothing of the campaign is public.
    public = new_browser().get(f"/konsultasi/{make.consultation.id}")
    assert public.status_code == 200 and "PASAL TUJUH" not in public.text.upper()


def test_a_job_cut_off_after_one_chunk_resumes_without_deciding_twice(
    new_browser, world: World, make: Make
) -> None:  # type: ignore[no-untyped-def]
    services = world.services
    comments = campaign(make)
    moderator = new_browser()
    moderator.login(world.moderator)
    answer, _ = reject_cluster(moderator)
    location = answer.headers["location"]
    job_id = int(location.rsplit("/", 1)[1])

    # A worker claims the job, gets through one chunk, and dies before recording anything.
    assert services.worker is not None
    dying = Worker(services.db, services.job_handlers, services=services, worker_id="dies")
    assert bulk_jobs.JOB_KIND in {job.kind for job in dying.claim()}
    assert bulk_jobs.run_chunk(services.db, services.extensions["moderation.config"], job_id)

    page = moderator.get(location).text
    assert text_of(page, "bulk-state") == "Sedang berjalan" and REFRESH in page
    assert text_of(page, "bulk-progress") == f"{bulk_jobs.CHUNK} dari {COPIES} kasus selesai"
    assert statuses(world, comments) == {"rejected": bulk_jobs.CHUNK, "pending": 60}

    # Meanwhile another moderator approves one of the cases still waiting, on its case page.
    waiting = max(comments, key=lambda c: c.id)  # type: ignore[arg-type, return-value]
    other = new_browser()
    other.login(world.admin)
    case = make.case_of(waiting)
    approved = other.submit(
        f"/moderation/kasus/{case.id}", f"/moderation/kasus/{case.id}", {"action": "approve"}
    )
    assert approved.status_code == 303

    # The lease of the dead worker ends; another worker takes the job and finishes it.
    later = Worker(
        services.db,
        services.job_handlers,
        services=services,
        worker_id="takes over",
        clock=lambda: utcnow() + timedelta(minutes=5),
    )
    drain(later)

    done = moderator.get(location).text
    assert text_of(done, "bulk-state") == "Selesai"
    assert text_of(done, "bulk-progress") == f"{COPIES} dari {COPIES} kasus selesai"
    assert text_of(done, "bulk-summary") == f"{COPIES - 1} diputuskan, 1 dilewati"
    assert f"<li><strong>#{case.id}</strong>: Kasus ini sudah diputuskan.</li>" in done
    assert statuses(world, comments) == {"rejected": COPIES - 1, "published": 1}
    assert decisions_per_case(world, comments) == {1}  # no case decided twice
    with services.db.read() as db:
        audited = db.exec(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.action == "decision:reject")
        ).one()
    assert audited == COPIES - 1


def test_a_second_bulk_decision_over_cases_being_decided_is_refused(
    new_browser, world: World, make: Make
) -> None:  # type: ignore[no-untyped-def]
    comments = campaign(make)
    first = new_browser()
    first.login(world.moderator)
    second = new_browser()
    second.login(world.admin)
    queue = second.get("/moderation").text  # opened before the first moderator decided
    [cluster] = CLUSTER_BOX.findall(queue)
    answer, _ = reject_cluster(first)

    again = second.submit(
        "/moderation", "/moderation/massal", {"kluster": cluster, "action": "approve"}
    )
    assert again.status_code == 409
    assert (
        f"Kasus-kasus ini sedang diputuskan oleh keputusan massal lain (0 dari {COPIES} sejauh "
        "ini). Tunggu sampai selesai: kemajuannya tampil di antrean moderasi."
    ) in unescape(again.text)
    # A small selection of one of its cases is refused as well (it would run in the request).
    one = second.submit(
        "/moderation",
        "/moderation/massal",
        {"case": [make.case_of(comments[5]).id], "action": "approve"},
    )
    assert one.status_code == 409
    with world.services.db.read() as db:
        assert db.exec(select(func.count()).select_from(BulkJob)).one() == 1

    drain(world.services.worker)  # type: ignore[arg-type]
    assert statuses(world, comments) == {"rejected": COPIES}  # none approved by the refusals
    # Once the job has passed the cases, a decision over them is possible (and skips them).
    late = second.submit(
        "/moderation",
        "/moderation/massal",
        {"case": [make.case_of(comments[5]).id], "action": "approve"},
    )
    assert late.status_code == 200
    assert text_of(late.text, "bulk-summary") == "0 diputuskan, 1 dilewati"
    assert answer.headers["location"].startswith("/moderation/massal/")


def test_only_moderators_see_a_bulk_decision(new_browser, world: World, make: Make) -> None:  # type: ignore[no-untyped-def]
    campaign(make)
    moderator = new_browser()
    moderator.login(world.moderator)
    # The form's CSRF token is required.
    queue = moderator.get("/moderation").text
    [cluster] = CLUSTER_BOX.findall(queue)
    forged = moderator.post_raw("/moderation/massal", {"kluster": cluster, "action": "approve"})
    assert forged.status_code == 403
    answer, _ = reject_cluster(moderator)
    location = answer.headers["location"]

    admin = new_browser()
    admin.login(world.admin)
    assert admin.get(location).status_code == 200  # another moderator can watch it
    assert moderator.get("/moderation/massal/999999").status_code == 404
    assert moderator.get("/moderation/massal/999999.json").status_code == 404
    for account in (world.citizen, world.official):
        someone = new_browser()
        someone.login(account)
        assert someone.get(location).status_code == 403
        assert someone.get(location + ".json").status_code == 403
        assert someone.get("/moderation/massal/999999").status_code == 403
        posted = someone.submit(
            "/", "/moderation/massal", {"kluster": cluster, "action": "approve"}
        )
        assert posted.status_code == 403
    visitor = new_browser()
    gone = visitor.get(location, follow_redirects=False)
    assert gone.status_code == 303 and gone.headers["location"].startswith("/masuk")


def test_a_job_whose_moderator_lost_the_role_stops_and_gives_the_cases_back(
    new_browser, world: World, make: Make
) -> None:  # type: ignore[no-untyped-def]
    comments = campaign(make)
    moderator = new_browser()
    moderator.login(world.moderator)
    answer, _ = reject_cluster(moderator)
    with world.services.db.write() as db:
        db.get(Account, world.moderator.id).role = Role.citizen  # type: ignore[union-attr]
    drain(world.services.worker)  # type: ignore[arg-type]

    admin = new_browser()
    admin.login(world.admin)
    page = admin.get(answer.headers["location"]).text
    assert text_of(page, "bulk-state") == "Berhenti" and REFRESH not in page
    assert (
        "Moderator yang memulai keputusan massal ini tidak lagi boleh memutuskan; kasus yang "
        f"belum tercapai kembali ke antrean. {COPIES} kasus tidak tercapai."
    ) in unescape(page)
    assert statuses(world, comments) == {"pending": COPIES}
    queue = admin.get("/moderation").text  # the cluster can be decided again
    assert len(CLUSTER_BOX.findall(queue)) == 1 and "Sedang diputuskan" not in queue

"""Bulk decisions too large for one request run as a background job (issue 15).

A moderator's bulk approve or reject (``POST /moderation/massal``) over at most
``INLINE_MAX`` cases is decided in the request, as before: the answer is the result at once.
A larger one (a copy-paste campaign of 10,000 copies took 23–43 s in one request, holding
SQLite's only writer all that time) is recorded as a ``BulkJob`` with one ``BulkItem`` per
case, and an outbox job decides the cases ``CHUNK`` at a time, each chunk in its own write
transaction with the job's progress, so other writers (the queue, single decisions, new
contributions) get their turn between chunks. Each case goes through the same code as any
bulk decision (``moderation.actions.decide_each``: the one refusal check, then
``decide_case``, which publishes or rejects, notifies and audits it).

Resumable: a chunk commits its decisions together with its items' outcomes, so a job taken
again after its worker died carries on with the items that have no outcome yet and never
decides a case twice; a case decided meanwhile by someone else is skipped with its reason and
counted. While an item has no outcome its case belongs to the job (a partial unique index):
a second bulk decision over it is refused (409) until the job has passed it.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Integer, func, insert, literal, or_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col, select

from forum.bulk import BulkResult, Skipped
from forum.db import Database
from forum.errors import N_, Conflict, Msg
from forum.models import Account, Role, utcnow
from forum.outbox import LEASE, JobContext, RetryLater, enqueue
from moderation import actions
from moderation.config import ModerationConfig
from moderation.models import (
    BulkItem,
    BulkJob,
    BulkOutcome,
    BulkState,
    CaseStatus,
    DecisionAction,
    ModerationCase,
)

INLINE_MAX = 50  # a selection of at most this many cases is decided in the request
CHUNK = 200  # cases per write transaction of the job
MAX_IDS = 500  # case ids one form may select (as moderation.actions.bulk_decide)
JOB_KIND = "moderation.bulk_decide"
ATTEMPTS = 5  # outbox attempts before the job is marked failed
BUDGET_SECONDS = 20.0  # then the job lets other outbox jobs run and is taken again at once
SHOWN_SKIPPED = 500  # skipped cases listed on the result page
ACTIVE = (BulkState.queued, BulkState.running)
OPEN = (CaseStatus.pending, CaseStatus.escalated)
FAILED_ERROR = N_(
    "The bulk decision stopped after repeated errors; the cases it had not reached are back "
    "in the queue."
)
MODERATOR_GONE = N_(
    "The moderator who started this bulk decision may no longer decide; the cases it had not "
    "reached are back in the queue."
)


def _selection(case_ids: Sequence[int], clusters: Sequence[str]) -> ColumnElement[bool]:
    """The cases a form selects: the ticked ones, and the open cases of each ticked cluster
    (as ``bulk_decide`` and ``decide_cluster`` choose them)."""
    parts: list[ColumnElement[bool]] = []
    if case_ids:
        parts.append(col(ModerationCase.id).in_(case_ids))
    if clusters:
        parts.append(
            col(ModerationCase.fingerprint).in_(clusters) & col(ModerationCase.status).in_(OPEN)
        )
    return or_(*parts)


def _claimed_by(db: Session, where: ColumnElement[bool]) -> BulkJob | None:
    """The running job that holds one of these cases, if any."""
    job_id = db.exec(
        select(BulkItem.job_id)
        .where(
            col(BulkItem.outcome).is_(None),
            col(BulkItem.case_id).in_(select(ModerationCase.id).where(where)),
        )
        .limit(1)
    ).first()
    return None if job_id is None else db.get(BulkJob, job_id)


def _busy(job: BulkJob | None) -> Conflict:
    handled, total = (job.done + job.skipped, job.total) if job is not None else (0, 0)
    return Conflict(
        N_(
            "These cases are already being decided by another bulk decision (%(handled)s of "
            "%(total)s so far). Wait until it has finished: its progress shows in the "
            "moderation queue."
        ),
        handled=handled,
        total=total,
    )


def decide_in_bulk(
    db: Session,
    config: ModerationConfig,
    moderator: Account | None,
    case_ids: Sequence[int],
    clusters: Sequence[str],
    *,
    action: DecisionAction,
    reason_code: str = "",
    note: str = "",
    back: str = "/moderation",
) -> BulkResult | BulkJob:
    """Decide a selection: in this transaction when it is small (the result), else as a job
    (recorded and enqueued here; the caller shows its progress). Refuses (409) a selection
    that a running job is deciding."""
    moderator = actions._require_moderator(moderator)
    actions.check_bulk(action, reason_code, note)
    wanted = list(dict.fromkeys(case_ids))[:MAX_IDS]
    clusters = list(dict.fromkeys(clusters))
    where = _selection(wanted, clusters)
    if (running := _claimed_by(db, where)) is not None:
        raise _busy(running)
    size = db.exec(select(func.count()).select_from(ModerationCase).where(where)).one()
    if int(size) <= INLINE_MAX:
        result = BulkResult()
        if wanted:
            result.add(
                actions.bulk_decide(
                    db, config, moderator, wanted, action=action, reason_code=reason_code, note=note
                )
            )
        for fingerprint in clusters:
            result.add(
                actions.decide_cluster(
                    db,
                    config,
                    moderator,
                    fingerprint,
                    action=action,
                    reason_code=reason_code,
                    note=note,
                )
            )
        return result
    return _start(db, moderator, wanted, clusters, where, action, reason_code, note, back)


def _start(
    db: Session,
    moderator: Account,
    wanted: list[int],
    clusters: list[str],
    where: ColumnElement[bool],
    action: DecisionAction,
    reason_code: str,
    note: str,
    back: str,
) -> BulkJob:
    found = set(
        db.exec(select(ModerationCase.id).where(col(ModerationCase.id).in_(wanted))).all()
        if wanted
        else []
    )
    missing = [i for i in wanted if i not in found]
    job = BulkJob(
        moderator_id=moderator.id,  # type: ignore[arg-type]
        action=action,
        reason_code=reason_code if action == DecisionAction.reject else "",
        note=note[:300] if action == DecisionAction.reject else "",
        clusters=json.dumps(clusters),
        missing=json.dumps(missing),
        back=back[:500],
    )
    db.add(job)
    db.flush()
    assert job.id is not None
    try:
        with db.begin_nested():
            db.execute(
                insert(BulkItem).from_select(
                    ["job_id", "case_id"],
                    select(literal(job.id, Integer), col(ModerationCase.id)).where(where),
                )
            )
    except IntegrityError:  # another job took one of the cases meanwhile (PostgreSQL)
        raise _busy(_claimed_by(db, where)) from None
    items = db.exec(select(func.count()).select_from(BulkItem).where(BulkItem.job_id == job.id))
    job.total = int(items.one()) + len(missing)
    job.skipped = len(missing)
    db.add(job)
    enqueue(
        db, JOB_KIND, {"bulk_job": job.id}, dedupe_key=f"{JOB_KIND}:{job.id}", max_attempts=ATTEMPTS
    )
    actions.audit(
        db,
        moderator.id,
        f"bulk-job:{action}",
        "bulk-job",
        job.id,
        reason=reason_code,
        after={"cases": job.total, "clusters": clusters},
    )
    return job


# --- the job --------------------------------------------------------------------------------


def _may_decide(moderator: Account | None) -> bool:
    return (
        moderator is not None
        and moderator.is_active
        and moderator.role in (Role.moderator, Role.admin)
    )


def _locked_job(db: Session, database: Database, job_id: int) -> BulkJob | None:
    query = select(BulkJob).where(BulkJob.id == job_id)
    if not database.is_sqlite:  # SQLite: the write transaction already excludes other writers
        query = query.with_for_update()
    return db.exec(query).first()


def _stop(db: Session, job: BulkJob, error: str) -> None:
    """Mark the job failed and give the cases it had not reached back to the queue."""
    now = utcnow()
    job.state, job.error, job.finished_at, job.updated_at = BulkState.failed, error, now, now
    db.add(job)
    db.execute(
        update(BulkItem)
        .where(col(BulkItem.job_id) == job.id, col(BulkItem.outcome).is_(None))
        .values(outcome=BulkOutcome.left)
    )


def run_chunk(
    database: Database, config: ModerationConfig, job_id: int, *, size: int = CHUNK
) -> bool:
    """Decide the next ``size`` cases of the job in one write transaction, with its progress.
    True while cases are left."""
    with database.write() as db:
        job = _locked_job(db, database, job_id)
        if job is None or job.state not in ACTIVE:
            return False
        moderator = db.get(Account, job.moderator_id)
        if not _may_decide(moderator):
            _stop(db, job, MODERATOR_GONE)
            return False
        assert moderator is not None
        now = utcnow()
        if job.state == BulkState.queued:
            job.state, job.started_at = BulkState.running, now
        items = list(
            db.exec(
                select(BulkItem)
                .where(BulkItem.job_id == job.id, col(BulkItem.outcome).is_(None))
                .order_by(col(BulkItem.case_id))
                .limit(size)
            )
        )
        by_id = {
            case.id: case
            for case in db.exec(
                select(ModerationCase).where(
                    col(ModerationCase.id).in_([item.case_id for item in items])
                )
            )
        }
        result = actions.decide_each(
            db,
            config,
            moderator,
            [by_id[item.case_id] for item in items],
            action=DecisionAction(job.action),
            reason_code=job.reason_code,
            note=job.note,
        )
        skipped = {int(s.label.lstrip("#")): s.reason for s in result.skipped}
        for item in items:
            reason = skipped.get(item.case_id)
            item.outcome = BulkOutcome.done if reason is None else BulkOutcome.skipped
            item.reason = None if reason is None else json.dumps([reason.text, reason.params])
            db.add(item)
        job.done += result.done
        job.skipped += len(result.skipped)
        job.updated_at = now
        more = len(items) == size
        if not more:
            job.state, job.finished_at = BulkState.done, now
        db.add(job)
        return more


def fail(database: Database, job_id: int, error: str = FAILED_ERROR) -> None:
    with database.write() as db:
        job = _locked_job(db, database, job_id)
        if job is not None and job.state in ACTIVE:
            _stop(db, job, error)


async def bulk_decide_job(payload: dict[str, Any], context: JobContext) -> None:
    """Outbox job: decide the bulk job's cases chunk after chunk for up to a few seconds (well
    inside the worker's lease), then let other jobs (the decisions' notifications among them)
    run and carry on at once. After ``ATTEMPTS`` failed runs the job is marked failed."""
    services = context.services
    config: ModerationConfig = services.extensions["moderation.config"]
    job_id = int(payload["bulk_job"])
    lease = services.worker.lease if services.worker is not None else LEASE
    budget = min(BUDGET_SECONDS, lease.total_seconds() / 4)
    started = time.monotonic()
    try:
        while await asyncio.to_thread(run_chunk, services.db, config, job_id):
            if time.monotonic() - started >= budget:
                raise RetryLater(0.0, "more cases to decide")
    except RetryLater:
        raise
    except Exception:
        if context.attempt >= ATTEMPTS:
            await asyncio.to_thread(fail, services.db, job_id)
        raise


# --- what the pages show --------------------------------------------------------------------


@dataclass
class Progress:
    job: BulkJob
    skipped: list[Skipped]  # the first SHOWN_SKIPPED, the missing ids first
    left: int  # cases given back to the queue when the job failed

    @property
    def handled(self) -> int:
        return self.job.done + self.job.skipped

    @property
    def active(self) -> bool:
        return self.job.state in ACTIVE


def progress(db: Session, job_id: int) -> Progress | None:
    job = db.get(BulkJob, job_id)
    if job is None:
        return None
    missing = [
        Skipped(f"#{i}", Msg(N_("This case does not exist."))) for i in json.loads(job.missing)
    ]
    rows = db.exec(
        select(BulkItem.case_id, BulkItem.reason)
        .where(BulkItem.job_id == job.id, BulkItem.outcome == BulkOutcome.skipped)
        .order_by(col(BulkItem.case_id))
        .limit(SHOWN_SKIPPED)
    ).all()
    skipped = missing + [
        Skipped(f"#{case_id}", Msg(*json.loads(reason))) for case_id, reason in rows if reason
    ]
    left = 0
    if job.state == BulkState.failed:
        left = int(
            db.exec(
                select(func.count())
                .select_from(BulkItem)
                .where(BulkItem.job_id == job.id, BulkItem.outcome == BulkOutcome.left)
            ).one()
        )
    return Progress(job, skipped[:SHOWN_SKIPPED], left)


def active_jobs(db: Session) -> list[BulkJob]:
    return list(
        db.exec(select(BulkJob).where(col(BulkJob.state).in_(ACTIVE)).order_by(col(BulkJob.id)))
    )


def busy_cases(db: Session, case_ids: Sequence[int | None]) -> dict[int, BulkJob]:
    """Which of these cases a running job holds, with the job."""
    wanted = [i for i in case_ids if i is not None]
    if not wanted:
        return {}
    rows = db.exec(
        select(BulkItem.case_id, BulkJob)
        .join(BulkJob, col(BulkJob.id) == col(BulkItem.job_id))
        .where(col(BulkItem.case_id).in_(wanted), col(BulkItem.outcome).is_(None))
    ).all()
    return {case_id: job for case_id, job in rows}

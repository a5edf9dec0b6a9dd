"""The outbox: side effects written as rows in the same transaction as the change that causes
them, then run by a worker at least once, with retries, backoff and leases that survive crashes.

Job handlers must be idempotent (a job may run again after a crash); ``job_id`` is the key
they can use for that.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
import os
import random
import socket
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from forum.db import Database
from forum.models import JobStatus, OutboxJob, utcnow

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=2)
BACKOFF_BASE_SECONDS = 2.0
BACKOFF_CAP_SECONDS = 3600.0


class PermanentError(Exception):
    """The job can never succeed (e.g. the recipient blocked the bot): mark it failed now."""


class RetryLater(Exception):
    """Try again after ``delay`` seconds without counting it against the backoff schedule."""

    def __init__(self, delay: float, message: str = "") -> None:
        super().__init__(message or f"retry after {delay}s")
        self.delay = delay


@dataclass(frozen=True)
class JobContext:
    job_id: int
    kind: str
    attempt: int
    services: Any


Handler = Callable[[dict[str, Any], JobContext], Awaitable[None] | None]


def enqueue(
    session: Session,
    kind: str,
    payload: dict[str, Any],
    *,
    dedupe_key: str | None = None,
    run_after: datetime | None = None,
    max_attempts: int = 8,
) -> OutboxJob | None:
    """Add a job in the caller's transaction. With ``dedupe_key``, a second enqueue is a no-op."""
    if dedupe_key is not None:
        existing = session.exec(select(OutboxJob).where(OutboxJob.dedupe_key == dedupe_key)).first()
        if existing is not None:
            return None
    job = OutboxJob(
        kind=kind,
        payload=json.dumps(payload, ensure_ascii=False, sort_keys=True),
        dedupe_key=dedupe_key,
        run_after=run_after or utcnow(),
        max_attempts=max_attempts,
    )
    session.add(job)
    session.info["rembug_outbox_enqueued"] = True
    return job


def standing_job_idle(job: OutboxJob, now: datetime | None = None) -> bool:
    """Whether a standing job (one row per dedupe key, run again whenever there is work) is
    neither running nor already due, so that waking it would change something."""
    now = now or utcnow()
    due = job.status == JobStatus.pending and job.run_after <= now
    return not (job.status == JobStatus.running or due)


def make_due(
    session: Session,
    kind: str,
    *,
    dedupe_key: str,
    max_attempts: int = 8,
) -> bool:
    """Wake a standing job: create it on first use, or make it due now (done, failed or
    waiting ones); a running or already-due job is left alone. True when it changed. Safe
    when several processes wake it at once: one creates it, the others find it."""
    now = utcnow()
    job = session.exec(select(OutboxJob).where(OutboxJob.dedupe_key == dedupe_key)).first()
    if job is None:
        try:
            with session.begin_nested():
                enqueue(session, kind, {}, dedupe_key=dedupe_key, max_attempts=max_attempts)
                session.flush()
        except IntegrityError:
            return False
        return True
    if not standing_job_idle(job, now):
        return False
    job.status = JobStatus.pending
    job.run_after = now
    job.done_at = None
    job.attempts = 0
    session.add(job)
    session.info["rembug_outbox_enqueued"] = True
    return True


def backoff_seconds(attempt: int, *, jitter: bool = True) -> float:
    """Exponential backoff: 2, 4, 8 … seconds, capped at an hour; jitter spreads retries."""
    delay = min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * (2 ** max(attempt - 1, 0)))
    spread = random.uniform(0.5, 1.0)  # noqa: S311 - jitter, not security
    return delay * spread if jitter else delay


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    return True


class Worker:
    """Claims due jobs, runs their handlers and records the outcome.

    Claiming is safe with several worker processes: PostgreSQL uses ``FOR UPDATE SKIP
    LOCKED``; SQLite serialises writers, and the claim is a conditional UPDATE.
    """

    def __init__(
        self,
        db: Database,
        handlers: dict[str, Handler],
        *,
        services: Any = None,
        worker_id: str | None = None,
        batch_size: int = 20,
        clock: Callable[[], datetime] = utcnow,
        jitter: bool = True,
        lease: timedelta = LEASE,
    ) -> None:
        self.db = db
        self.handlers = handlers
        self.services = services
        self.worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"
        self.batch_size = batch_size
        self.clock = clock
        self.jitter = jitter
        self.lease = lease
        self._wake = threading.Event()

    def wake(self) -> None:
        """Called after a commit that enqueued jobs, from any thread."""
        self._wake.set()

    def claim(self) -> list[OutboxJob]:
        now = self.clock()
        due = or_(
            (col(OutboxJob.status) == JobStatus.pending) & (col(OutboxJob.run_after) <= now),
            (col(OutboxJob.status) == JobStatus.running) & (col(OutboxJob.locked_until) < now),
        )
        with self.db.write() as session:
            query = select(OutboxJob).where(due).order_by(col(OutboxJob.id)).limit(self.batch_size)
            if not self.db.is_sqlite:
                query = query.with_for_update(skip_locked=True)
            jobs = list(session.exec(query))
            for job in jobs:
                job.status = JobStatus.running
                job.locked_by = self.worker_id
                job.locked_until = now + self.lease
                job.attempts += 1
            return jobs

    def _renew(self, job: OutboxJob) -> bool:
        """Before running a claimed job, make sure its lease still covers the run: when less
        than half of it is left (a long batch), take it afresh. False when the lease expired
        and another worker took the job meanwhile: it is theirs to run, and running it here
        too would do its side effect twice."""
        if job.locked_until is not None and job.locked_until - self.clock() > self.lease / 2:
            return True  # nobody may claim it before locked_until: no write needed
        with self.db.write() as session:
            result = session.execute(
                update(OutboxJob)
                .where(
                    col(OutboxJob.id) == job.id,
                    col(OutboxJob.locked_by) == self.worker_id,
                    col(OutboxJob.status) == JobStatus.running,
                )
                .values(locked_until=self.clock() + self.lease)
            )
            return bool(result.rowcount)  # type: ignore[attr-defined]

    async def run_job(self, job: OutboxJob) -> str:
        """Run one claimed job; returns its new status."""
        assert job.id is not None
        handler = self.handlers.get(job.kind)
        error: str | None = None
        retry_delay: float | None = None
        permanent = False
        if handler is None:
            error, permanent = f"no handler for job kind {job.kind!r}", True
        else:
            context = JobContext(job.id, job.kind, job.attempts, self.services)
            try:
                result = handler(json.loads(job.payload), context)
                if inspect.isawaitable(result):
                    await result
            except PermanentError as exc:
                error, permanent = f"permanent: {exc}", True
            except RetryLater as exc:
                error, retry_delay = str(exc), exc.delay
            except Exception as exc:
                log.warning("outbox job %s (%s) failed: %r", job.id, job.kind, exc)
                error = f"{type(exc).__name__}: {exc}"
        return await asyncio.to_thread(self._record, job, error, permanent, retry_delay)

    def _record(
        self, job: OutboxJob, error: str | None, permanent: bool, retry_delay: float | None
    ) -> str:
        now = self.clock()
        values: dict[str, Any] = {"locked_by": None, "locked_until": None}
        if error is None:
            values.update(status=JobStatus.done, done_at=now, last_error=None)
        elif permanent or (retry_delay is None and job.attempts >= job.max_attempts):
            values.update(status=JobStatus.failed, done_at=now, last_error=error[:2000])
        else:
            delay = retry_delay if retry_delay is not None else self._backoff(job.attempts)
            values.update(
                status=JobStatus.pending,
                run_after=now + timedelta(seconds=delay),
                last_error=error[:2000],
            )
            if retry_delay is not None:  # a rate limit is not the job's fault
                values["attempts"] = max(job.attempts - 1, 0)
        with self.db.write() as session:
            # Only the lease holder records: a job whose lease expired may belong to another now.
            session.execute(
                update(OutboxJob)
                .where(col(OutboxJob.id) == job.id, col(OutboxJob.locked_by) == self.worker_id)
                .values(**values)
            )
        return str(values.get("status", JobStatus.pending))

    def _backoff(self, attempt: int) -> float:
        return backoff_seconds(attempt, jitter=self.jitter)

    async def run_once(self) -> int:
        """Claim and run one batch; returns how many jobs ran."""
        jobs = await asyncio.to_thread(self.claim)
        for job in jobs:
            if await asyncio.to_thread(self._renew, job):
                await self.run_job(job)
        return len(jobs)

    async def drain(self, max_rounds: int = 1000) -> int:
        """Run until nothing is due (tests and the CLI use it)."""
        total = 0
        for _ in range(max_rounds):
            ran = await self.run_once()
            total += ran
            if not ran:
                break
        return total

    def release_orphans(self) -> int:
        """Jobs left running by a worker of this host whose process is gone (killed, crashed)
        become claimable at once instead of after their lease: the embedded server restarted
        after a SIGKILL goes on with the intake's drain job within a second. A lock of a
        process still alive, or of another host, waits for its lease as before (worker ids
        are ``host:pid:…``; hosts sharing one database need distinct host names)."""
        host = socket.gethostname()
        now = self.clock()
        released = 0
        with self.db.write() as session:
            running = session.exec(
                select(OutboxJob).where(
                    col(OutboxJob.status) == JobStatus.running,
                    col(OutboxJob.locked_until) >= now,
                    col(OutboxJob.locked_by).startswith(f"{host}:"),
                )
            ).all()
            for job in running:
                parts = (job.locked_by or "").split(":")
                if len(parts) < 3 or not parts[1].isdigit() or _alive(int(parts[1])):
                    continue
                job.locked_until = now
                released += 1
        if released:
            log.warning("outbox: %s jobs of a stopped worker of this host released", released)
        return released

    async def run_forever(self, stop: asyncio.Event, poll_seconds: float = 1.0) -> None:
        log.info("outbox worker %s started", self.worker_id)
        try:
            await asyncio.to_thread(self.release_orphans)
        except Exception:
            log.exception("outbox: could not look for jobs of stopped workers")
        while not stop.is_set():
            try:
                ran = await self.run_once()
            except Exception:
                log.exception("outbox worker loop failed; retrying")
                ran = 0
            if ran:
                continue
            self._wake.clear()
            deadline = asyncio.get_running_loop().time() + poll_seconds
            while not stop.is_set() and not self._wake.is_set():
                remaining = deadline - asyncio.get_running_loop().time()
                if remaining <= 0:
                    break
                await asyncio.sleep(min(0.05, remaining))
        log.info("outbox worker %s stopped", self.worker_id)


HEARTBEAT_KIND = "worker.heartbeat"


def heartbeat(session: Session, worker_name: str, now: datetime | None = None) -> None:
    """The worker's sign of life for readiness checks and /metrics: one ``done`` row (never
    run: no handler claims done jobs) whose ``done_at`` the scheduler moves every round."""
    now = now or utcnow()
    job = session.exec(select(OutboxJob).where(OutboxJob.dedupe_key == HEARTBEAT_KIND)).first()
    if job is None:
        job = OutboxJob(
            kind=HEARTBEAT_KIND,
            payload="{}",
            dedupe_key=HEARTBEAT_KIND,
            status=JobStatus.done,
            max_attempts=0,
        )
        try:
            with session.begin_nested():
                job.done_at, job.locked_by = now, worker_name[:80]
                session.add(job)
                session.flush()
        except IntegrityError:
            pass  # another worker made it at the same moment: its beat counts
        return
    job.done_at, job.locked_by = now, worker_name[:80]
    session.add(job)


def last_heartbeat(session: Session) -> datetime | None:
    job = session.exec(select(OutboxJob).where(OutboxJob.dedupe_key == HEARTBEAT_KIND)).first()
    return None if job is None else job.done_at

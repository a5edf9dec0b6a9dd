"""The event bus and the outbox: jobs written in the transaction, delivered at least once by
the worker with retries and backoff, failures marked, leases that survive a crashed worker."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlmodel import select

from forum import events as ev
from forum.models import JobStatus, OutboxJob, utcnow
from forum.outbox import PermanentError, RetryLater, Worker, backoff_seconds, enqueue
from forum.services import Services


@dataclass(frozen=True)
class Pinged(ev.Event):
    value: int


def jobs(services: Services) -> list[OutboxJob]:
    with services.db.read() as db:
        return list(db.exec(select(OutboxJob).order_by(OutboxJob.id)))


def test_in_transaction_subscriber_writes_in_the_same_transaction(services: Services) -> None:
    services.bus.subscribe(Pinged, lambda db, e: enqueue(db, "echo", {"value": e.value}))
    with services.db.write() as db:
        ev.emit(db, Pinged(1))
    with pytest.raises(RuntimeError), services.db.write() as db:
        ev.emit(db, Pinged(2))
        raise RuntimeError("the action failed after emitting")
    # The rolled-back transaction left no job behind.
    assert [j.payload for j in jobs(services)] == ['{"value": 1}']


def test_after_commit_subscribers_run_only_after_commit(services: Services) -> None:
    seen: list[int] = []
    services.bus.subscribe_after_commit(Pinged, lambda e: seen.append(e.value))
    with services.db.write() as db:
        ev.emit(db, Pinged(1))
        assert seen == []  # not before the commit
    assert seen == [1]
    with pytest.raises(ValueError), services.db.write() as db:
        ev.emit(db, Pinged(2))
        raise ValueError
    assert seen == [1]


def test_a_failing_after_commit_subscriber_does_not_break_the_action(services: Services) -> None:
    def broken(event: Pinged) -> None:
        raise RuntimeError("boom")

    seen: list[int] = []
    services.bus.subscribe_after_commit(Pinged, broken)
    services.bus.subscribe_after_commit(Pinged, lambda e: seen.append(e.value))
    with services.db.write() as db:
        ev.emit(db, Pinged(7))
    assert seen == [7]


def make_worker(services: Services, handlers, now=None, worker_id="w1") -> Worker:  # type: ignore[no-untyped-def]
    clock = (lambda: now[0]) if now is not None else utcnow
    return Worker(
        services.db, handlers, services=services, worker_id=worker_id, clock=clock, jitter=False
    )


def test_worker_delivers_and_marks_done(services: Services) -> None:
    delivered: list[dict] = []
    with services.db.write() as db:
        enqueue(db, "deliver", {"to": "a"})
        enqueue(db, "deliver", {"to": "b"})
    worker = make_worker(services, {"deliver": lambda payload, ctx: delivered.append(payload)})
    assert asyncio.run(worker.drain()) == 2
    assert delivered == [{"to": "a"}, {"to": "b"}]
    assert {j.status for j in jobs(services)} == {JobStatus.done}


def test_async_handlers_are_awaited(services: Services) -> None:
    delivered: list[int] = []

    async def handler(payload: dict, ctx) -> None:  # type: ignore[no-untyped-def]
        await asyncio.sleep(0)
        delivered.append(ctx.job_id)

    with services.db.write() as db:
        enqueue(db, "deliver", {})
    asyncio.run(make_worker(services, {"deliver": handler}).drain())
    assert delivered == [jobs(services)[0].id]


def test_failures_retry_with_exponential_backoff_then_fail(services: Services) -> None:
    now = [utcnow() + timedelta(seconds=1)]
    attempts: list[int] = []

    def flaky(payload: dict, ctx) -> None:  # type: ignore[no-untyped-def]
        attempts.append(ctx.attempt)
        raise ConnectionError("network down")

    with services.db.write() as db:
        enqueue(db, "deliver", {}, max_attempts=4)
    worker = make_worker(services, {"deliver": flaky}, now)
    delays = []
    for _ in range(4):
        asyncio.run(worker.run_once())
        job = jobs(services)[0]
        if job.status == JobStatus.failed:
            break
        assert job.status == JobStatus.pending and "network down" in (job.last_error or "")
        delays.append((job.run_after - now[0]).total_seconds())
        assert asyncio.run(worker.run_once()) == 0  # not due before its backoff
        now[0] = job.run_after
    assert delays == [
        backoff_seconds(1, jitter=False),
        backoff_seconds(2, jitter=False),
        backoff_seconds(3, jitter=False),
    ]
    assert delays[0] < delays[1] < delays[2]
    assert attempts == [1, 2, 3, 4]
    assert jobs(services)[0].status == JobStatus.failed


def test_permanent_error_fails_at_once_without_blocking_others(services: Services) -> None:
    delivered: list[str] = []

    def handler(payload: dict, ctx) -> None:  # type: ignore[no-untyped-def]
        if payload["to"] == "blocked":
            raise PermanentError("user blocked the bot")
        delivered.append(payload["to"])

    with services.db.write() as db:
        enqueue(db, "deliver", {"to": "blocked"})
        enqueue(db, "deliver", {"to": "ok"})
    asyncio.run(make_worker(services, {"deliver": handler}).drain())
    first, second = jobs(services)
    assert first.status == JobStatus.failed and "blocked" in (first.last_error or "")
    assert second.status == JobStatus.done and delivered == ["ok"]


def test_retry_later_honours_the_delay_and_keeps_the_attempt_budget(services: Services) -> None:
    now = [utcnow() + timedelta(seconds=1)]

    def limited(payload: dict, ctx) -> None:  # type: ignore[no-untyped-def]
        raise RetryLater(30, "429 retry_after=30")

    with services.db.write() as db:
        enqueue(db, "deliver", {}, max_attempts=1)
    asyncio.run(make_worker(services, {"deliver": limited}, now).run_once())
    job = jobs(services)[0]
    assert job.status == JobStatus.pending
    assert (job.run_after - now[0]) == timedelta(seconds=30)
    assert job.attempts == 0


def test_jobs_survive_a_crashed_worker(services: Services) -> None:
    """A worker that claimed a job and died: after its lease, another worker runs it."""
    now = [utcnow() + timedelta(seconds=1)]
    with services.db.write() as db:
        enqueue(db, "deliver", {"n": 1})
    crashed = make_worker(services, {}, now, worker_id="crashed")
    claimed = crashed.claim()  # ...and the process dies here, before running the job
    assert len(claimed) == 1 and jobs(services)[0].status == JobStatus.running
    delivered: list[dict] = []
    rescuer = make_worker(
        services, {"deliver": lambda p, c: delivered.append(p)}, now, worker_id="rescuer"
    )
    assert asyncio.run(rescuer.run_once()) == 0  # the lease still holds
    now[0] += timedelta(minutes=3)
    assert asyncio.run(rescuer.run_once()) == 1
    assert delivered == [{"n": 1}] and jobs(services)[0].status == JobStatus.done
    # The crashed worker coming back cannot overwrite the outcome.
    asyncio.run(crashed.run_job(claimed[0]))
    assert jobs(services)[0].status == JobStatus.done


def test_two_workers_never_claim_the_same_job(services: Services) -> None:
    with services.db.write() as db:
        for n in range(30):
            enqueue(db, "deliver", {"n": n})
    a = make_worker(services, {}, worker_id="a")
    b = make_worker(services, {}, worker_id="b")
    a.batch_size = b.batch_size = 7
    claimed_a, claimed_b = [], []
    for _ in range(5):
        claimed_a += [j.id for j in a.claim()]
        claimed_b += [j.id for j in b.claim()]
    assert not set(claimed_a) & set(claimed_b)
    assert len(claimed_a) + len(claimed_b) == 30


def test_dedupe_key_makes_a_second_enqueue_a_no_op(services: Services) -> None:
    with services.db.write() as db:
        assert enqueue(db, "deliver", {}, dedupe_key="notify:1") is not None
    with services.db.write() as db:
        assert enqueue(db, "deliver", {}, dedupe_key="notify:1") is None
    assert len(jobs(services)) == 1


def test_unknown_job_kind_is_marked_failed(services: Services) -> None:
    with services.db.write() as db:
        enqueue(db, "nobody-handles-this", {})
    asyncio.run(make_worker(services, {}).drain())
    job = jobs(services)[0]
    assert job.status == JobStatus.failed and "no handler" in (job.last_error or "")


def test_worker_in_the_web_process_runs_jobs_after_commit(services: Services) -> None:
    """The lifespan starts the worker; a commit that emits an event wakes it up."""
    from starlette.testclient import TestClient

    from forum.app import create_app

    delivered: list[dict] = []
    services.job_handlers["deliver"] = lambda payload, ctx: delivered.append(payload)
    services.bus.subscribe(Pinged, lambda db, e: enqueue(db, "deliver", {"v": e.value}))
    settings = services.settings.__class__(
        **{**services.settings.__dict__, "run_worker": True, "worker_poll_seconds": 30.0}
    )
    app = create_app(settings, services=services)
    with TestClient(app):
        with services.db.write() as db:
            ev.emit(db, Pinged(5))
        for _ in range(200):
            if delivered:
                break
            import time

            time.sleep(0.01)
    assert delivered == [{"v": 5}]

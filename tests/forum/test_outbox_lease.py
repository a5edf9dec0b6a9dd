"""Leases over a long batch: a worker whose batch outlived the lease must not run a job that
another worker took meanwhile (that would send the same message twice)."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from forum.models import utcnow
from forum.outbox import Worker, enqueue
from forum.services import Services


class Clock:
    def __init__(self) -> None:
        self.now = utcnow()

    def __call__(self) -> datetime:
        return self.now


def test_a_job_taken_over_after_its_lease_expired_runs_only_once(services: Services) -> None:
    ran: list[tuple[str, int]] = []
    clock = Clock()
    lease = timedelta(seconds=60)

    def worker(name: str) -> Worker:
        return Worker(
            services.db,
            {"send": lambda payload, ctx: ran.append((name, payload["n"]))},
            worker_id=name,
            clock=clock,
            lease=lease,
        )

    slow, fresh = worker("slow"), worker("fresh")
    with services.db.write() as db:
        for n in range(3):
            enqueue(db, "send", {"n": n})
    clock.now = utcnow()
    batch = slow.claim()
    assert len(batch) == 3
    asyncio.run(slow.run_job(batch[0]))  # the first job runs, then the batch stalls
    clock.now += lease + timedelta(seconds=1)
    assert asyncio.run(fresh.run_once()) == 2  # the other worker takes the two left over
    for job in batch[1:]:  # the stalled batch resumes: its lease is gone
        assert not slow._renew(job)
    assert sorted(ran) == [("fresh", 1), ("fresh", 2), ("slow", 0)]


def test_a_long_batch_keeps_its_lease_by_renewing_it(services: Services) -> None:
    clock = Clock()
    lease = timedelta(seconds=60)
    ran: list[int] = []
    worker = Worker(
        services.db,
        {"send": lambda payload, ctx: ran.append(payload["n"])},
        worker_id="w",
        clock=clock,
        lease=lease,
    )
    with services.db.write() as db:
        enqueue(db, "send", {"n": 1})
    clock.now = utcnow()
    (job,) = worker.claim()
    clock.now += lease * 0.75  # less than half the lease left: the worker takes it afresh
    assert worker._renew(job)
    clock.now += lease * 0.75  # past the first lease, within the renewed one
    other = Worker(services.db, {}, worker_id="other", clock=clock, lease=lease)
    assert other.claim() == []
    asyncio.run(worker.run_job(job))
    assert ran == [1]

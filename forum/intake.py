"""Webhook intake and the processing of what it took in.

Intake (web process): updates arriving within a few milliseconds of each other are stored in
the spool (``forum.spool``) in one fully-synced transaction (group commit), so acknowledging
200 updates/s costs a handful of fsyncs instead of 200; each request answers only after its
update is on disk. On SQLite the spool is a file of its own, so the acknowledgement never
waits for the main database's writer. After answering, the web process makes the one drain
job of the outbox due ("nudge"), in the background.

Processing (worker): the drain job takes the oldest spooled updates in batches and runs a
whole batch in one write transaction of the main database, a savepoint per update (a failing
update does not spoil the others; it is retried, then given up after a few tries, and later
updates of its chat wait for it). Replies are queued as deliveries in the same transaction;
sending them is other jobs' work. One drain job means one chat's updates are processed in
order, whatever the number of workers.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col, select

from forum.models import ChatInbound, OutboxJob
from forum.outbox import JobContext, RetryLater, make_due, standing_job_idle
from forum.services import Services
from forum.spool import Incoming, Spool, Spooled, TableSpool, spool

log = logging.getLogger(__name__)

MAX_BATCH = 256
MAX_WAIT_SECONDS = 0.004

DRAIN_JOB = "bots.intake.drain"
DRAIN_KEY = "bots.intake.drain"  # the job's dedupe key: there is only ever one
PROCESS_BATCH = 100  # updates per processing transaction
DRAIN_SECONDS = 1.0  # then other jobs (deliveries, indexing) get their turn
IDLE_SECONDS = 1.0  # an empty spool is looked at again after this
LINGER_SECONDS = 10.0  # empty that long: the drain job is done until the next nudge
GIVE_UP_AFTER = 3  # failed tries of one update
PRUNE_EVERY = 600.0  # seconds between prunings of the spool's done rows
BUSY_SECONDS = 0.5  # the intake of this process took something in this recently: busy
YIELD_SHARE = 0.2  # a busy process's drain job runs at most this share of the time
YIELD_MAX_SECONDS = 5.0  # the longest pause between two batches of a busy process

PROCESSORS = "bots.intake.processors"  # services.extensions key: {channel: Processor}


@dataclass(frozen=True)
class Processor:
    """How one channel's stored updates are processed: ``handle(services, db, raw)`` in the
    batch's transaction; ``after(services, raw)`` once it committed (e.g. stop a button's
    spinner), best effort. ``keep_raw=False``: once its effect is stored, the record in
    ``chat_inbound`` keeps only the key (a web submission's text then lives only in what it
    became, where deletion and anonymisation reach it)."""

    handle: Callable[[Services, Session, str], None]
    after: Callable[[Services, str], Awaitable[None]] | None = None
    keep_raw: bool = True


def register_processor(services: Services, channel: str, processor: Processor) -> None:
    services.extensions.setdefault(PROCESSORS, {})[channel] = processor


# --- intake: group commit into the spool, then nudge ----------------------------------------


@dataclass
class _Item:
    incoming: Incoming
    done: asyncio.Future[bool] = field(repr=False)


class IntakeBatcher:
    """One per process and event loop; ``store`` answers True for a new update, False for a
    repeat (the spool's unique constraint decides)."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self._queue: asyncio.Queue[_Item] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None
        self._nudging: asyncio.Task[None] | None = None
        self._nudge_again = False
        self._settled = threading.Event()
        self._settled.set()
        self.last_store = 0.0  # time.monotonic() of the latest acknowledgement asked for

    def busy(self, within: float = BUSY_SECONDS) -> bool:
        """This process took something in lately: its requests are under way."""
        return time.monotonic() - self.last_store < within

    async def store(self, *, channel: str, platform_id: str, chat_key: str, raw: str) -> bool:
        loop = asyncio.get_running_loop()
        if self._loop is not loop or self._task is None or self._task.done():
            self._loop, self._queue = loop, asyncio.Queue()
            self._task = loop.create_task(self._drain())
        assert self._queue is not None
        self.last_store = time.monotonic()
        item = _Item(Incoming(channel, platform_id, chat_key, raw), loop.create_future())
        self._settled.clear()
        await self._queue.put(item)
        return await item.done

    async def _drain(self) -> None:
        assert self._queue is not None
        queue = self._queue
        while True:
            batch = [await queue.get()]
            deadline = asyncio.get_running_loop().time() + MAX_WAIT_SECONDS
            while len(batch) < MAX_BATCH:
                remaining = deadline - asyncio.get_running_loop().time()
                if remaining <= 0:
                    break
                try:
                    batch.append(await asyncio.wait_for(queue.get(), remaining))
                except TimeoutError:
                    break
            try:
                results = await asyncio.to_thread(
                    spool(self.services).put, [item.incoming for item in batch]
                )
            except Exception as exc:  # the requests fail (500): the platform retries them
                log.exception("webhook intake batch failed")
                for item in batch:
                    if not item.done.done():
                        item.done.set_exception(exc)
                self._nudge_later()
                continue
            for item, result in zip(batch, results, strict=True):
                if not item.done.done():
                    item.done.set_result(result)
            self._nudge_later()

    def _nudge_later(self) -> None:
        """Make the drain job due, after the answers went out; one nudge at a time, and one
        more if updates arrived meanwhile."""
        self._settled.clear()
        if self._nudging is not None and not self._nudging.done():
            self._nudge_again = True
            return
        self._nudging = asyncio.get_running_loop().create_task(self._nudge())

    async def _nudge(self) -> None:
        while True:
            self._nudge_again = False
            try:
                await asyncio.to_thread(nudge, self.services)
            except Exception:  # the drain job looks again after IDLE_SECONDS anyway
                log.exception("could not nudge the intake drain job")
            if not self._nudge_again:
                break
        if self._queue is None or self._queue.empty():
            self._settled.set()

    def wait_settled(self, timeout: float = 10.0) -> bool:
        """Block until everything stored so far has been nudged (tests, from another thread)."""
        return self._settled.wait(timeout)


def batcher(services: Services) -> IntakeBatcher:
    found: Any = services.extensions.get("bots.intake")
    if found is None:
        found = services.extensions["bots.intake"] = IntakeBatcher(services)
    assert isinstance(found, IntakeBatcher)
    return found


def store_now(services: Services, incoming: Sequence[Incoming]) -> list[bool]:
    """Store and nudge at once, without the group commit (the development poller)."""
    results = spool(services).put(incoming)
    nudge(services)
    return results


def nudge(services: Services) -> None:
    """Make the drain job due now, creating it on first use. A running drain looks at the
    spool again before it sleeps, so it needs nothing. Read first: during a burst the job is
    due or running, and the nudge then costs no write (nor a wait for the writer)."""
    with services.db.read() as db:
        job = db.exec(select(OutboxJob).where(OutboxJob.dedupe_key == DRAIN_KEY)).first()
        if job is not None and not standing_job_idle(job):
            return
    with services.db.write() as db:
        if not make_due(db, DRAIN_JOB, dedupe_key=DRAIN_KEY, max_attempts=1_000_000):
            return
    if services.worker is not None:
        services.worker.wake()


# --- processing ------------------------------------------------------------------------------


@dataclass
class _Progress:
    failures: dict[tuple[str, str], int] = field(default_factory=dict)
    pruned_at: float = 0.0
    idle_since: float | None = None


def _progress(services: Services) -> _Progress:
    found: _Progress | None = services.extensions.get("bots.intake.progress")
    if found is None:
        found = services.extensions["bots.intake.progress"] = _Progress()
    return found


def process_batch(
    services: Services, rows: Sequence[Spooled], store: Spool | None = None
) -> tuple[list[Spooled], int]:
    """Run ``rows`` (oldest first) in one transaction of the main database; returns the ones
    whose effect committed (their ``after`` hooks run next) and how many are done with (the
    rest wait for a retry). Marks in the spool what is done."""
    store = store or spool(services)
    processors: dict[str, Processor] = services.extensions.get(PROCESSORS, {})
    progress = _progress(services)
    ran: list[Spooled] = []
    finished: list[int] = []
    held_chats: set[tuple[str, str]] = set()
    with services.db.write() as db:
        for row in rows:
            chat = (row.channel, row.chat_key or f"#{row.id}")
            if chat in held_chats:
                continue  # an older update of this chat failed: keep the order
            processor = processors.get(row.channel)
            key = (row.channel, row.platform_id)
            try:
                with db.begin_nested():
                    if not store.claim(db, row):
                        finished.append(row.id)  # processed before (replay after a crash)
                        continue
                    if processor is not None:
                        processor.handle(services, db, row.raw)
                        if not processor.keep_raw:
                            db.execute(
                                update(ChatInbound)
                                .where(
                                    col(ChatInbound.channel) == row.channel,
                                    col(ChatInbound.platform_id) == row.platform_id,
                                )
                                .values(raw="")
                            )
            except Exception:
                tries = progress.failures.get(key, 0) + 1
                progress.failures[key] = tries
                log.exception("chat update %s/%s failed (try %s)", *key, tries)
                if tries < GIVE_UP_AFTER:
                    held_chats.add(chat)
                    continue
                log.error("chat update %s/%s given up after %s tries", *key, tries)
                with db.begin_nested():
                    store.claim(db, row)  # taken in, without effect
                progress.failures.pop(key, None)
                finished.append(row.id)
                continue
            progress.failures.pop(key, None)
            finished.append(row.id)
            ran.append(row)
    store.mark_done(finished)
    return ran, len(finished)


def _timed_batch(services: Services, rows: Sequence[Spooled]) -> tuple[list[Spooled], int, float]:
    began = time.thread_time()
    ran, finished = process_batch(services, rows)
    return ran, finished, time.thread_time() - began


async def drain_job(payload: dict[str, Any], context: JobContext) -> None:
    """Outbox job (only ever one): process what waits in the spool for up to DRAIN_SECONDS,
    then let other jobs run; when the spool is empty, look again every IDLE_SECONDS for
    LINGER_SECONDS (a burst keeps it warm), then finish: the next update's nudge makes it due
    again, and the scheduler's check (``nudge_if_waiting``) catches a nudge that came while
    it was finishing."""
    services: Services = context.services
    store = spool(services)
    progress = _progress(services)
    processors: dict[str, Processor] = services.extensions.get(PROCESSORS, {})
    started = time.monotonic()
    while True:
        rows = await asyncio.to_thread(store.pending, PROCESS_BATCH)
        if not rows:
            break
        progress.idle_since = None
        ran, finished, spent = await asyncio.to_thread(_timed_batch, services, rows)
        if batcher(services).busy():
            # The worker runs inside a web process whose intake is taking a rush in (the
            # embedded default): what it stores later is safe already, so the requests get
            # the larger share of the one core, and the backlog is worked off meanwhile.
            # ``spent`` is the batch's own processor time, not its wall time: under the rush the
            # wall time is mostly waiting for the interpreter lock the requests hold.
            await asyncio.sleep(min(spent * (1 - YIELD_SHARE) / YIELD_SHARE, YIELD_MAX_SECONDS))
        hooks = [
            hook(services, row.raw)
            for row in ran
            if (hook := getattr(processors.get(row.channel), "after", None)) is not None
        ]
        if hooks:
            await asyncio.gather(*hooks, return_exceptions=True)
        if not finished:
            break  # only updates waiting for a retry are left
        if time.monotonic() - started >= DRAIN_SECONDS:
            raise RetryLater(0.0, "more updates waiting")
    if time.monotonic() - progress.pruned_at >= PRUNE_EVERY:
        progress.pruned_at = time.monotonic()
        await asyncio.to_thread(store.prune)
    if progress.failures:
        raise RetryLater(2.0, "updates waiting for a retry")
    now = time.monotonic()
    if progress.idle_since is None:
        progress.idle_since = now
    if now - progress.idle_since < LINGER_SECONDS:
        raise RetryLater(IDLE_SECONDS, "idle: waiting for updates")
    progress.idle_since = None  # done until the next nudge


def nudge_if_waiting(services: Services) -> None:
    """Scheduler hook: updates in the spool and a drain job that is not due (a nudge that
    came while the job was finishing) make it due."""
    if spool(services).count_pending():
        nudge(services)


async def legacy_update_job(payload: dict[str, Any], context: JobContext) -> None:
    """Outbox job of earlier versions (one per update stored in chat_inbound with its job):
    processed like a spooled update, claimed in chat_inbound itself."""
    services: Services = context.services
    with services.db.read() as db:
        row = db.get(ChatInbound, int(payload["inbound_id"]))
    if row is None or row.processed_at is not None or row.id is None:
        return
    spooled = Spooled(row.id, row.channel, row.platform_id, row.chat_key, row.raw, row.received_at)
    ran, _ = await asyncio.to_thread(process_batch, services, [spooled], TableSpool(services.db))
    processor = services.extensions.get(PROCESSORS, {}).get(row.channel)
    if ran and processor is not None and processor.after is not None:
        await processor.after(services, row.raw)


def pending_count(services: Services) -> int:
    """Updates acknowledged but not processed yet."""
    return spool(services).count_pending()

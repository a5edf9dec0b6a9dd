"""Group commit for webhook intake: updates arriving within a few milliseconds of each other
are stored in one fully-synced transaction, so acknowledging 200 updates/s costs a handful of
fsyncs instead of 200 (each request still answers only after its update is on disk)."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any

from bots import actions
from forum.services import Services

log = logging.getLogger(__name__)

MAX_BATCH = 256
MAX_WAIT_SECONDS = 0.004


@dataclass
class _Item:
    channel: str
    platform_id: str
    chat_key: str
    raw: str
    job_kind: str
    done: asyncio.Future[bool] = field(repr=False)


class IntakeBatcher:
    """One per process and event loop; ``store`` answers True for a new update, False for a
    repeat (the unique constraint decides, as before)."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self._queue: asyncio.Queue[_Item] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None

    async def store(
        self, *, channel: str, platform_id: str, chat_key: str, raw: str, job_kind: str
    ) -> bool:
        loop = asyncio.get_running_loop()
        if self._loop is not loop or self._task is None or self._task.done():
            self._loop, self._queue = loop, asyncio.Queue()
            self._task = loop.create_task(self._drain())
        assert self._queue is not None
        item = _Item(channel, platform_id, chat_key, raw, job_kind, loop.create_future())
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
                results = await asyncio.to_thread(self._write, batch)
            except Exception as exc:  # the requests fail (500): the platform retries them
                log.exception("webhook intake batch failed")
                for item in batch:
                    if not item.done.done():
                        item.done.set_exception(exc)
                continue
            for item, result in zip(batch, results, strict=True):
                if not item.done.done():
                    item.done.set_result(result)

    def _write(self, batch: list[_Item]) -> list[bool]:
        with self.services.db.write(durable=True) as db:
            return [
                actions.record_inbound(
                    db,
                    channel=item.channel,
                    platform_id=item.platform_id,
                    chat_key=item.chat_key,
                    raw=item.raw,
                    job_kind=item.job_kind,
                )
                for item in batch
            ]


def batcher(services: Services) -> IntakeBatcher:
    found: Any = services.extensions.get("bots.intake")
    if found is None:
        found = services.extensions["bots.intake"] = IntakeBatcher(services)
    assert isinstance(found, IntakeBatcher)
    return found

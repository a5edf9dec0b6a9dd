"""Rebuild the whole index from the database (``rembug reindex``) while search stays online:
the engine builds aside and swaps; changes made meanwhile are re-applied after the swap."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import sys
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any, TextIO

from sqlalchemy import func
from sqlmodel import Session, col, select

from forum.models import (
    Aspiration,
    Comment,
    JobStatus,
    OfficialResponse,
    OutboxJob,
    Section,
    utcnow,
)
from forum.outbox import JobContext, enqueue
from search.analysis import analyzer_version, load_stem_cache, save_stem_cache
from search.documents import all_keys, load_source, to_document
from search.index import IndexDocument
from search.service import get_index
from search.subscribers import SYNC_JOB, sync_documents

# Jobs enqueued this long before the rebuild started are re-applied too: their transaction
# may have committed after the rebuild's snapshot.
CATCH_UP_MARGIN = timedelta(minutes=5)


def count_candidates(db: Session) -> int:
    return sum(
        int(db.exec(select(func.count()).select_from(model)).one())
        for model in (Aspiration, Comment, OfficialResponse, Section)
    )


class Progress:
    """A plain progress bar on stderr (a terminal redraws it in place)."""

    def __init__(self, total: int, stream: TextIO = sys.stderr) -> None:
        self.total, self.stream, self.done = max(total, 1), stream, 0
        self.started = time.monotonic()
        self._last = -1

    def step(self) -> None:
        self.done += 1
        percent = min(100, self.done * 100 // self.total)
        if percent != self._last:
            self._last = percent
            bar = "#" * (percent // 4)
            rate = self.done / max(time.monotonic() - self.started, 1e-6)
            self.stream.write(f"\rreindex [{bar:<25}] {percent:3d}% {self.done} ({rate:,.0f}/s)")
            self.stream.flush()

    def finish(self) -> None:
        self.stream.write("\n")
        self.stream.flush()


def documents(db: Session, on_each: Callable[[], None]) -> Iterator[IndexDocument]:
    for key in all_keys(db):
        on_each()
        source = load_source(db, key)
        if source is not None:
            yield to_document(db, source)


def stem_cache_path(services: Any) -> Path:
    return Path(services.settings.data_dir) / "search" / "stems.tsv"


def reindex(services: Any, stream: TextIO = sys.stderr, procs: int = 1) -> int:
    """Rebuild the index; returns how many documents it holds. The stems found are saved
    next to the index, so the next rebuild runs the (slow) stemmer on new words only.
    ``procs`` > 1 lets an engine that can (Whoosh) write with that many processes."""
    index = get_index(services)
    if hasattr(index, "rebuild_procs"):
        index.rebuild_procs = procs
    started = utcnow()
    cache = stem_cache_path(services)
    load_stem_cache(cache)
    with services.db.read() as db:
        progress = Progress(count_candidates(db), stream)
        count = index.rebuild(documents(db, progress.step))
        progress.finish()
    save_stem_cache(cache)
    with services.db.read() as db:
        payloads = db.exec(
            select(OutboxJob.payload).where(
                OutboxJob.kind == SYNC_JOB, col(OutboxJob.created_at) >= started - CATCH_UP_MARGIN
            )
        )
        keys = list(dict.fromkeys(k for p in payloads for k in json.loads(p).get("keys", [])))
        if keys:
            sync_documents(db, index, keys)
    return count


# --- an empty index over a database that has content ----------------------------------------

REBUILD_JOB = "search.rebuild"
log = logging.getLogger(__name__)


def rebuild_if_empty(services: Any) -> bool:
    """Scheduler hook (in the worker): an index that holds nothing while the database has
    published content — a new host, a lost index folder, an index of an older schema that the
    engine replaced on upgrade — or one built by another analyzer version (an upgrade changed
    the stems; searches keep using it until the rebuild swaps it) is rebuilt by a job,
    without an operator. True when queued."""
    index = get_index(services)
    empty = index.count() == 0
    if not empty and index.analyzer() == analyzer_version():
        return False
    with services.db.read() as db:
        waiting = db.exec(
            select(OutboxJob.id).where(
                OutboxJob.kind == REBUILD_JOB,
                col(OutboxJob.status).in_((JobStatus.pending, JobStatus.running)),
            )
        ).first()
        if waiting is not None or count_candidates(db) == 0:
            return False
    with services.db.write() as db:
        enqueue(db, REBUILD_JOB, {})
    if empty:
        log.warning("the search index is empty but the database has content: rebuilding it")
    else:
        log.warning("the search index was built by another analyzer version: rebuilding it")
    return True


async def run_rebuild_job(payload: dict[str, Any], context: JobContext) -> None:
    services = context.services
    count = await asyncio.to_thread(reindex, services, io.StringIO())
    log.warning("search index rebuilt: %s documents", count)

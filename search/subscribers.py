"""Forum events -> index jobs: each event names the documents it may change; an outbox job
re-reads them from the database in the worker and upserts or deletes them (idempotent)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session
from sqlmodel import Session as SQLModelSession

from forum import events as ev
from forum.outbox import JobContext, enqueue
from search.documents import doc_key, expand_keys, load_source, to_document
from search.service import get_index

SYNC_JOB = "search.sync"


def _item(event: Any) -> list[str]:
    return [doc_key(event.kind, event.item_id)]


def _support(event: Any) -> list[str]:
    if event.aspiration_id is not None:
        return [doc_key("aspiration", event.aspiration_id)]
    return [doc_key("comment", event.comment_id)]


def _response(event: Any) -> list[str]:
    keys = [doc_key("response", event.response_id)]
    if event.aspiration_id is not None:  # its status and "answered" change
        keys.append(doc_key("aspiration", event.aspiration_id))
    return keys


# Which documents each event may change. Adding an event (e.g. from moderation) is one line.
KEYS_OF: dict[type[ev.Event], Callable[[Any], list[str]]] = {
    ev.AspirationPublished: lambda e: [doc_key("aspiration", e.aspiration_id)],
    ev.AspirationRejected: lambda e: [doc_key("aspiration", e.aspiration_id)],
    ev.AspirationWithdrawn: lambda e: [doc_key("aspiration", e.aspiration_id)],
    ev.AspirationMerged: lambda e: [
        doc_key("aspiration", e.duplicate_id),
        doc_key("aspiration", e.original_id),
    ],
    ev.CommentPublished: lambda e: [doc_key("comment", e.comment_id)],
    ev.CommentRejected: lambda e: [doc_key("comment", e.comment_id)],
    ev.CommentWithdrawn: lambda e: [doc_key("comment", e.comment_id)],
    ev.ContentHidden: _item,
    ev.ContentRestored: _item,
    ev.ContentRedacted: _item,
    ev.OfficialResponsePublished: _response,
    ev.SupportAdded: _support,
    ev.SupportWithdrawn: _support,
    ev.ConsultationPublished: lambda e: [doc_key("consultation", e.consultation_id)],
    ev.ConsultationOpened: lambda e: [doc_key("consultation", e.consultation_id)],
    ev.ConsultationClosed: lambda e: [doc_key("consultation", e.consultation_id)],
}


def queue_sync(session: Session, event: ev.Event) -> None:
    """In the action's transaction: the index job commits (or rolls back) with the change."""
    keys = KEYS_OF[type(event)](event)
    enqueue(session, SYNC_JOB, {"keys": keys})  # type: ignore[arg-type]


def sync_documents(db: SQLModelSession, index: Any, keys: list[str]) -> tuple[int, int]:
    """Upsert what may be indexed now, delete the rest; returns (upserted, deleted)."""
    upserts, deletes = [], []
    for key in keys:
        for expanded in expand_keys(db, key):
            source = load_source(db, expanded)
            if source is None:
                deletes.append(expanded)
            else:
                upserts.append(to_document(db, source))
    index.delete(deletes)
    index.upsert(upserts)
    return len(upserts), len(deletes)


async def run_sync_job(payload: dict[str, Any], context: JobContext) -> None:
    """The outbox handler: safe to run twice (it converges on the database's state). Index
    writes block, so they run in a thread, off the web process's event loop."""
    await asyncio.to_thread(_sync, context.services, [str(k) for k in payload.get("keys", [])])


def _sync(services: Any, keys: list[str]) -> None:
    with services.db.read() as db:
        sync_documents(db, get_index(services), keys)


def subscribe(services: Any) -> None:
    for event_type in KEYS_OF:
        services.bus.subscribe(event_type, queue_sync)
    services.job_handlers[SYNC_JOB] = run_sync_job

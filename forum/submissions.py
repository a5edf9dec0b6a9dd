"""Web submissions (aspirations, comments) through the durable intake (forum.intake).

At the deadline rush a submission's request does only what its durability needs: the form is
checked against the database in a read transaction (the session, the fields, the consultation,
the posting limits), and the submission is written to the intake spool in the group commit
that also takes the chat channels' updates, fully synced before the answer. An aspiration gets
its ticket number at once, from a block this process reserved. The worker's drain job then
stores it as the forum always did (``submit_aspiration`` / ``submit_comment``: the moderation
case, the screens, the notifications), in batches, with the time it was received: a comment
taken in before the consultation closed counts even when it is processed after the close.

Until the drain job has run it, the author's ticket page says the aspiration is received and
being checked (``waiting_aspiration``); nothing is public before moderation either way.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session

from forum import actions, ratelimit
from forum.attachments import StoredFile, extension_of, ocr_text, store_for
from forum.errors import N_, ActionError, Throttled
from forum.intake import Processor, register_processor
from forum.models import (
    Account,
    Attachment,
    AttachmentKind,
    AttachmentStatus,
    Consultation,
    Visibility,
    utcnow,
)
from forum.outbox import JobContext
from forum.services import Services
from forum.spool import Incoming, spool

log = logging.getLogger(__name__)

ASPIRATION = "web-asp"  # spool channel; platform id: the reserved ticket number
COMMENT = "web-comment"  # platform id: a random key made by the request
CHANNELS = (ASPIRATION, COMMENT)
TICKET_BLOCK = 20  # ticket numbers reserved per write of the counter, out of a rush
TICKET_BLOCK_MAX = 640  # the largest block, in a long rush
TICKET_RUSH_SECONDS = 10.0  # refills closer together than this: a rush, the next block doubles
NEW_ACCOUNT = timedelta(days=1)  # younger accounts post one item per N seconds
NEW_ACCOUNT_PACED = N_("New accounts can post once every %(seconds)s seconds.")


def chat_key(account_id: int) -> str:
    """One account's submissions are processed in order and counted for its limits."""
    return f"account:{account_id}"


# --- in the request: limits and ticket numbers ------------------------------------------------


def check_posting(services: Services, db: Session, account: Account, kind: str) -> None:
    """The posting limits (per account and hour; a new account one ``kind`` per N seconds),
    counted over what is stored (``rate_event``, recorded when a submission is processed) and
    what still waits in the intake; raises Throttled. Reads only."""
    settings = services.settings
    assert account.id is not None
    waiting = spool(services).count_pending_of(CHANNELS, chat_key(account.id), db)
    ratelimit.check(
        db,
        f"post:{account.id}",
        limit=max(settings.rate_posts_per_hour - waiting, 0),
        window=timedelta(hours=1),
    )
    if account.created_at > utcnow() - NEW_ACCOUNT:
        channel = ASPIRATION if kind == "aspiration" else COMMENT
        seconds = settings.rate_new_account_post_seconds
        if spool(services).count_pending_of((channel,), chat_key(account.id), db):
            raise Throttled(NEW_ACCOUNT_PACED, retry_after=seconds, minutes=1, seconds=seconds)
        ratelimit.check(
            db,
            f"post-new:{kind}:{account.id}",
            limit=1,
            window=timedelta(seconds=seconds),
            message=NEW_ACCOUNT_PACED,
        )


class TicketBlock:
    """Ticket numbers handed out from a block reserved in one write (``reserve_tickets``), so
    a submission's request does not wait for the main database's writer each time.

    The next block is reserved ahead, in a thread of its own, once a quarter of the current one
    is left: under a rush the writer is busy with the drain job's batches, and a request that
    had to wait for it would hold every other submission behind this lock. Blocks grow (up to
    ``TICKET_BLOCK_MAX``) while refills come faster than one per ``TICKET_RUSH_SECONDS`` and
    shrink back when they do not; a block unused at a crash leaves a gap, never a repeat."""

    def __init__(self, size: int = TICKET_BLOCK) -> None:
        self.base = self.size = size
        self._lock = threading.Lock()
        self._year = 0
        self._free: list[str] = []
        self._refilled_at = 0.0
        self._ahead: threading.Thread | None = None

    def take(self, services: Services, year: int) -> str:
        with self._lock:
            if self._year != year:
                self._free, self._year = [], year
            if not self._free:
                self._free = self._reserve(services, year)
            ticket = self._free.pop(0)
            if len(self._free) <= self.size // 4 and self._ahead is None:
                self._ahead = threading.Thread(
                    target=self._reserve_ahead, args=(services, year), daemon=True
                )
                self._ahead.start()
            return ticket

    def _next_size(self) -> int:
        """The size of the block about to be reserved (called with the lock held)."""
        now = time.monotonic()
        rush = now - self._refilled_at < TICKET_RUSH_SECONDS
        self._refilled_at = now
        return min(self.size * 2, TICKET_BLOCK_MAX) if rush else self.base

    def _reserve(self, services: Services, year: int) -> list[str]:
        self.size = self._next_size()
        with services.db.write() as db:
            return actions.reserve_tickets(db, year, self.size)

    def _reserve_ahead(self, services: Services, year: int) -> None:
        try:
            with self._lock:
                if self._year != year or len(self._free) > self.size // 4:
                    return
                size = self._next_size()
            # The lock is let go during the write: requests go on taking what is left.
            with services.db.write() as db:
                block = actions.reserve_tickets(db, year, size)
            with self._lock:
                if self._year == year:
                    self.size = size
                    self._free.extend(block)
        except Exception:  # the next request that finds the block empty reserves one itself
            log.exception("could not reserve the next block of ticket numbers")
        finally:
            with self._lock:
                self._ahead = None


def _tickets(services: Services) -> TicketBlock:
    found: TicketBlock | None = services.extensions.get("forum.submissions.tickets")
    if found is None:
        found = services.extensions["forum.submissions.tickets"] = TicketBlock()
    return found


def aspiration_incoming(
    services: Services,
    account: Account,
    fields: dict[str, Any],
    now: datetime | None = None,
    *,
    attachments: Sequence[StoredFile] = (),
) -> tuple[str, Incoming]:
    """A checked aspiration as the intake stores it, with its ticket number and the
    description of its files (already in the store: only their addresses travel here)."""
    now = now or utcnow()
    assert account.id is not None
    ticket = _tickets(services).take(services, now.year)
    payload = {
        "account_id": account.id,
        "ticket": ticket,
        "title": fields["title"],
        "body": fields["body"],
        "category_id": fields["category_id"],
        "region_id": fields["region_id"],
        "agency_id": fields["agency_id"],
        "visibility": str(fields["visibility"]),
        "received_at": now.isoformat(),
        "attachments": [stored.to_json() for stored in attachments],
    }
    raw = json.dumps(payload, ensure_ascii=False)
    return ticket, Incoming(ASPIRATION, ticket, chat_key(account.id), raw)


def comment_incoming(
    account: Account,
    consultation_id: int,
    *,
    key: str,
    body: str,
    section_id: int | None,
    parent_id: int | None,
    now: datetime | None = None,
    attachments: Sequence[StoredFile] = (),
) -> Incoming:
    assert account.id is not None
    payload = {
        "account_id": account.id,
        "consultation_id": consultation_id,
        "body": body,
        "section_id": section_id,
        "parent_id": parent_id,
        "received_at": (now or utcnow()).isoformat(),
        "attachments": [stored.to_json() for stored in attachments],
    }
    return Incoming(COMMENT, key, chat_key(account.id), json.dumps(payload, ensure_ascii=False))


@dataclass(frozen=True)
class Waiting:
    """An aspiration received and not processed yet, as its author's ticket page shows it."""

    ticket: str
    author_id: int
    title: str
    body: str
    received_at: datetime
    attachments: int = 0  # how many files came with it


def waiting_aspiration(services: Services, db: Session, ticket: str) -> Waiting | None:
    row = spool(services).find_pending(ASPIRATION, ticket, db)
    if row is None:
        return None
    data = json.loads(row.raw)
    return Waiting(
        ticket,
        int(data["account_id"]),
        str(data["title"]),
        str(data["body"]),
        datetime.fromisoformat(data["received_at"]),
        len(data.get("attachments", ())),
    )


# --- in the drain job: store what was received ------------------------------------------------


def _record_posting(db: Session, account: Account, kind: str, at: datetime) -> None:
    ratelimit.record(db, f"post:{account.id}", now=at)
    if account.created_at > at - NEW_ACCOUNT:
        ratelimit.record(db, f"post-new:{kind}:{account.id}", now=at)


def _files(data: dict[str, Any]) -> list[StoredFile]:
    """The files a submission carries (none in what earlier versions spooled). One that does
    not read back is logged and left out: the contribution itself is never lost for it."""
    files = []
    for item in data.get("attachments", ()):
        try:
            files.append(StoredFile.from_json(item))
        except (KeyError, TypeError, ValueError):
            log.error("web submission: an attachment's description is unreadable: %r", item)
    return files


def _author(db: Session, data: dict[str, Any]) -> Account | None:
    account = db.get(Account, int(data["account_id"]))
    if account is None or not account.is_active:
        # Deleted or disabled between the answer and the processing: nothing to store.
        log.warning("web submission of account %s dropped: account gone", data["account_id"])
        return None
    return account


def store_aspiration(services: Services, db: Session, raw: str) -> None:
    data = json.loads(raw)
    account = _author(db, data)
    if account is None:
        return
    received = datetime.fromisoformat(data["received_at"])
    files = _files(data)
    try:
        aspiration = actions.submit_aspiration(
            db,
            account,
            title=data["title"],
            body=data["body"],
            category_id=data["category_id"],
            region_id=data["region_id"],
            agency_id=data["agency_id"],
            visibility=Visibility(data["visibility"]),
            now=received,
            ticket=data["ticket"],
        )
    except ActionError as exc:
        # Checked when it was received: only a change since (a category closed) gets here.
        # The intake retries it, then keeps it in chat_inbound for an operator to see.
        log.error("aspiration %s could not be stored: %s", data["ticket"], exc.message)
        raise
    if files:  # in the transaction that stores the aspiration: both, or neither
        actions.attach_files(db, account, files, aspiration=aspiration, now=received)
    _record_posting(db, account, "aspiration", received)


def store_comment(services: Services, db: Session, raw: str) -> None:
    data = json.loads(raw)
    account = _author(db, data)
    if account is None:
        return
    consultation = db.get(Consultation, int(data["consultation_id"]))
    if consultation is None:
        log.warning("comment dropped: consultation %s is gone", data["consultation_id"])
        return
    received = datetime.fromisoformat(data["received_at"])
    files = _files(data)
    comment = actions.submit_comment(
        db,
        account,
        consultation,
        body=data["body"],
        section_id=data["section_id"],
        parent_id=data["parent_id"],
        now=received,
    )
    if files:
        actions.attach_files(db, account, files, comment=comment, now=received)
    _record_posting(db, account, "comment", received)


# --- after the drain job: read the text in new photos ------------------------------------------

OCR_TEXT_LIMIT = 20_000  # characters kept of what OCR reads (a photo of a page has ~3,000)


async def ocr_job(payload: dict[str, Any], context: JobContext) -> None:
    """Outbox job (one a photo, enqueued with its row): OCR on the stored, re-encoded photo,
    then ``record_ocr_text``, whose event runs the personal-data screens (moderation) in the
    same transaction; a photo OCR could not read (tesseract missing, failing, too slow) is held
    by them for a moderator. Idempotent: a photo read before, or removed, is left alone. A file
    missing from the store fails the job (retried, then failed, visible in the outbox): the
    photo stays unpublished until a moderator publishes or removes it."""
    services: Services = context.services
    attachment_id = int(payload["attachment_id"])
    with services.db.read() as db:
        row = db.get(Attachment, attachment_id)
        if (
            row is None
            or row.kind != AttachmentKind.image
            or row.ocr_done_at is not None
            or row.status == AttachmentStatus.removed
        ):
            return
        sha256, extension = row.sha256, extension_of(row.media_type)
    store = store_for(services.settings)
    data = await asyncio.to_thread(store.read, sha256, extension)
    text = await asyncio.to_thread(ocr_text, data)
    if text is not None:
        text = text.replace("\x00", "")[:OCR_TEXT_LIMIT]
    await asyncio.to_thread(_record_text, services, attachment_id, text)


def _record_text(services: Services, attachment_id: int, text: str | None) -> None:
    with services.db.write() as db:
        row = db.get(Attachment, attachment_id)
        if row is not None:
            actions.record_ocr_text(db, row, text)


def register(services: Services) -> None:
    register_processor(services, ASPIRATION, Processor(handle=store_aspiration, keep_raw=False))
    register_processor(services, COMMENT, Processor(handle=store_comment, keep_raw=False))
    services.job_handlers[actions.OCR_JOB] = ocr_job

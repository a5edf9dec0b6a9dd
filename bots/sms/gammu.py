"""Gammu SMSD (a GSM modem) through its SQL store, in a database of Gammu's own (issue 13).

Gammu (GPL-2.0) is never linked: Rembug reads and writes the tables Gammu's schema creates
(``/usr/share/doc/gammu-smsd/examples/sqlite.sql`` or ``pgsql.sql``), SQLite through Gammu's
DBI driver or PostgreSQL through ``native_pgsql``; why the SQL backend: docs/integrations/sms.md.

Inbound (``poll_once``): ``inbox`` rows not yet ``Processed`` become ``SmsEvent``s stored in
Rembug's spool, and only then are they marked processed. A replay after a crash between the two
finds the same rows, makes the same events (same Gammu ID, same ``platform_id``) and the spool's
unique key turns them into no-ops. The parts of a concatenated SMS are rows of their own (Gammu
1.42 puts the joined text in the first part's ``TextDecoded`` and leaves the others empty): they
are grouped by sender and the UDH's concatenation reference and joined from each part's own
``Text`` in sequence order, so the event carries the whole text once.

Outbound (``GammuGateway.submit``): one ``outbox`` row, and for a text longer than one SMS the
further parts in ``outbox_multipart`` with a concatenation UDH each (Gammu sends each row as
one SMS and never splits a text itself), all in one transaction, so Gammu never sees half a
message. ``CreatorID`` carries our attempt marker (``rembug:d<id>:a<n>``), which Gammu copies to
``sentitems``. Delivery: ``sentitems.Status`` of every part (sent, then the status report's
``DeliveryOK`` / ``DeliveryFailed``) becomes a ``kind="status"`` event (sent / delivered /
failed), stored in the spool like a WhatsApp receipt.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import secrets
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    func,
    inspect,
    select,
    update,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.types import TypeDecorator, TypeEngine

from bots.channels import Outcome, SendResult
from bots.config import BotSettings
from bots.sms.gateway import DELIVERED, FAILED, SENT, SmsEvent
from bots.sms.numbers import to_e164
from bots.sms.segments import GSM7_EXTENSION, PART, size
from forum.intake import store_now
from forum.services import Services
from forum.settings import Settings

log = logging.getLogger(__name__)

GATEWAY = "gammu"
CREATOR = "rembug"  # CreatorID of every row we queue (our attempt marker starts with it)
SCHEMA_VERSION = 17  # Gammu 1.42's schema; later versions only add columns
TABLES = ("gammu", "inbox", "outbox", "outbox_multipart", "sentitems")
EXTENSION_KEY = "bots.sms.gammu"
MULTIPART_GRACE = 30.0  # seconds an incomplete concatenated message waits for its other parts
STATUS_OVERLAP = timedelta(seconds=5)  # sentitems rows re-read around the cursor (1 s clock)
STATUS_LOOKBACK = timedelta(days=2)  # on start: reports of the last two days are looked at
BATCH = 500  # inbox rows per poll


# --- Gammu's columns: text on SQLite, native types on PostgreSQL ----------------------------


class GammuBool(TypeDecorator[bool]):
    """``Processed``/``MultiPart``: ``'true'``/``'false'`` text on SQLite, boolean on PostgreSQL."""

    impl = String
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        return dialect.type_descriptor(Boolean() if dialect.name == "postgresql" else String())

    def process_bind_param(self, value: bool | None, dialect: Dialect) -> Any:
        if value is None or dialect.name == "postgresql":
            return value
        return "true" if value else "false"

    def process_result_value(self, value: Any, dialect: Dialect) -> bool | None:
        if value is None or isinstance(value, bool):
            return value
        return str(value).lower() in ("true", "1", "t", "yes")


class GammuTime(TypeDecorator[datetime]):
    """Gammu's timestamps: ``YYYY-MM-DD HH:MM:SS`` text on SQLite, ``timestamp`` on PostgreSQL;
    naive, in the clock of Gammu's database (compared only with its own values)."""

    impl = String
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        return dialect.type_descriptor(DateTime() if dialect.name == "postgresql" else String())

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None or dialect.name == "postgresql":
            return value
        return value.strftime("%Y-%m-%d %H:%M:%S")

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None or isinstance(value, datetime):
            return value
        try:
            return datetime.fromisoformat(str(value).strip())
        except ValueError:
            return None


metadata = MetaData()
gammu_version = Table("gammu", metadata, Column("Version", Integer, primary_key=True))
inbox = Table(
    "inbox",
    metadata,
    Column("ID", Integer, primary_key=True),
    Column("UpdatedInDB", GammuTime()),
    Column("ReceivingDateTime", GammuTime()),
    Column("Text", Text),
    Column("SenderNumber", String),
    Column("Coding", String),
    Column("UDH", Text),
    Column("Class", Integer),
    Column("TextDecoded", Text),
    Column("RecipientID", Text),
    Column("Processed", GammuBool()),
)
outbox = Table(
    "outbox",
    metadata,
    Column("ID", Integer, primary_key=True),
    Column("DestinationNumber", String),
    Column("TextDecoded", Text),
    Column("Coding", String),
    Column("UDH", Text),
    Column("Class", Integer),
    Column("MultiPart", GammuBool()),
    Column("SenderID", String),
    Column("DeliveryReport", String),
    Column("CreatorID", Text),
)
outbox_multipart = Table(
    "outbox_multipart",
    metadata,
    Column("ID", Integer, primary_key=True),
    Column("SequencePosition", Integer, primary_key=True),
    Column("TextDecoded", Text),
    Column("Coding", String),
    Column("UDH", Text),
    Column("Class", Integer),
)
sentitems = Table(
    "sentitems",
    metadata,
    Column("ID", Integer, primary_key=True),
    Column("SequencePosition", Integer, primary_key=True),
    Column("UpdatedInDB", GammuTime()),
    Column("DeliveryDateTime", GammuTime()),
    Column("DestinationNumber", String),
    Column("UDH", Text),
    Column("Status", String),
    Column("StatusError", Integer),
    Column("CreatorID", Text),
)

# Gammu's sending states → ours. A report may be "pending" or "unknown" for a while: still sent.
STATES = {
    "SendingOK": SENT,
    "SendingOKNoReport": SENT,
    "DeliveryPending": SENT,
    "DeliveryUnknown": SENT,
    "DeliveryOK": DELIVERED,
    "SendingError": FAILED,
    "DeliveryFailed": FAILED,
    "Error": FAILED,
}


def engine_for(url: str) -> Engine:
    """Gammu's database: SQLite shared with a running gammu-smsd (waits for its locks), or
    PostgreSQL."""
    if url.startswith("sqlite"):
        return create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
    return create_engine(url, pool_pre_ping=True, connect_args={"connect_timeout": 10})


# --- the UDH and the text of one part -------------------------------------------------------


@dataclass(frozen=True)
class Concat:
    reference: int
    total: int
    sequence: int


def concat_of(udh_hex: str | None) -> Concat | None:
    """The concatenation element of a UDH (8-bit reference ``00``, 16-bit ``08``), if any."""
    if not udh_hex:
        return None
    try:
        udh = bytes.fromhex(udh_hex.strip())
    except ValueError:
        return None
    if len(udh) < 2:
        return None
    end = min(len(udh), udh[0] + 1)
    at = 1
    while at + 2 <= end:
        kind, length = udh[at], udh[at + 1]
        data = udh[at + 2 : at + 2 + length]
        if len(data) < length:
            return None
        if kind == 0x00 and length == 3 and data[1]:
            return Concat(data[0], data[1], data[2])
        if kind == 0x08 and length == 4 and data[2]:
            return Concat(data[0] << 8 | data[1], data[2], data[3])
        at += 2 + length
    return None


def part_text(row: Any) -> str:
    """One part's own text: ``Text`` is the part as UCS-2 hex (binary hex for 8-bit, which is
    no text for the conversation); ``TextDecoded`` when ``Text`` cannot be read."""
    coding = str(row.Coding or "")
    if coding == "8bit":
        return ""
    raw = str(row.Text or "")
    try:
        return bytes.fromhex(raw).decode("utf-16-be")
    except (ValueError, UnicodeDecodeError):
        return str(row.TextDecoded or "")


def _received_at(value: datetime | None) -> str:
    """Gammu writes ``ReceivingDateTime`` in the modem host's local time."""
    if value is None:
        return datetime.now(UTC).isoformat()
    return value.astimezone(UTC).isoformat() if value.tzinfo is None else value.isoformat()


def _fingerprint(*parts: object) -> str:
    """With Gammu's ID in the event's id: a Gammu database made anew (IDs start again at 1) does
    not make new messages look like replays of old ones."""
    digest = hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).hexdigest()
    return digest[:10]


# --- the store ------------------------------------------------------------------------------


class GammuStore:
    """Gammu's tables in Gammu's database (never Rembug's)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = engine_for(url)

    def close(self) -> None:
        self.engine.dispose()

    def problems(self) -> list[str]:
        """For ``rembug check``: unreachable, Gammu's tables missing, an older schema."""
        where = _redact(self.url)
        try:
            with self.engine.connect() as conn:
                names = set(inspect(conn).get_table_names())
                missing = [name for name in TABLES if name not in names]
                if missing:
                    return [
                        f"Gammu database {where} lacks Gammu's tables ({', '.join(missing)}); "
                        "create them from Gammu's schema (docs/integrations/sms.md)"
                    ]
                version = conn.execute(select(func.max(gammu_version.c.Version))).scalar()
        except SQLAlchemyError as exc:
            reason = str(exc.__cause__ or exc).splitlines()[0]
            return [f"Gammu database {where} cannot be reached: {reason}"]
        if version is None or int(version) < SCHEMA_VERSION:
            return [
                f"Gammu database {where} has schema version {version}; Rembug needs "
                f"{SCHEMA_VERSION} or later (Gammu 1.42): upgrade it with Gammu's scripts"
            ]
        return []

    def unprocessed(self, limit: int = BATCH) -> list[Any]:
        with self.engine.connect() as conn:
            return list(
                conn.execute(
                    select(inbox)
                    .where(inbox.c.Processed == False)  # noqa: E712 - SQL, not Python
                    .order_by(inbox.c.ID)
                    .limit(limit)
                )
            )

    def mark_processed(self, ids: Iterable[int]) -> None:
        wanted = sorted(set(ids))
        with self.engine.begin() as conn:
            for start in range(0, len(wanted), 500):
                conn.execute(
                    update(inbox)
                    .where(inbox.c.ID.in_(wanted[start : start + 500]))
                    .values(Processed=True)
                )

    def queue(
        self, number: str, parts: Sequence[str], coding: str, creator: str, phone_id: str
    ) -> int:
        """One message for Gammu to send: its parts in one transaction; returns its ID."""
        udhs = [""] if len(parts) == 1 else _udhs(len(parts))
        with self.engine.begin() as conn:
            message_id = conn.execute(
                outbox.insert()
                .values(
                    DestinationNumber=number,
                    TextDecoded=parts[0],
                    Coding=coding,
                    UDH=udhs[0],
                    Class=-1,
                    MultiPart=len(parts) > 1,
                    SenderID=phone_id or None,
                    DeliveryReport="yes",
                    CreatorID=creator,
                )
                .returning(outbox.c.ID)
            ).scalar_one()
            if len(parts) > 1:
                conn.execute(
                    outbox_multipart.insert(),
                    [
                        {
                            "ID": message_id,
                            "SequencePosition": position,
                            "TextDecoded": text,
                            "Coding": coding,
                            "UDH": udh,
                            "Class": -1,
                        }
                        for position, (text, udh) in enumerate(
                            zip(parts[1:], udhs[1:], strict=True), start=2
                        )
                    ],
                )
        return int(message_id)

    def sent_since(self, since: datetime | None) -> list[Any]:
        """``sentitems`` rows of our messages changed since ``since`` (all parts of each)."""
        with self.engine.connect() as conn:
            changed = select(sentitems.c.ID).where(sentitems.c.CreatorID.like(f"{CREATOR}%"))
            if since is not None:
                changed = changed.where(sentitems.c.UpdatedInDB >= since)
            return list(
                conn.execute(
                    select(sentitems)
                    .where(sentitems.c.ID.in_(changed))
                    .order_by(sentitems.c.ID, sentitems.c.SequencePosition)
                )
            )

    def latest_sent_change(self) -> datetime | None:
        with self.engine.connect() as conn:
            value = conn.execute(select(func.max(sentitems.c.UpdatedInDB))).scalar()
        if value is None or isinstance(value, datetime):
            return value
        return GammuTime().process_result_value(value, self.engine.dialect)


def _redact(url: str) -> str:
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        return f"{scheme}://***@{rest.split('@', 1)[1]}"
    return url


def _udhs(total: int) -> list[str]:
    reference = secrets.randbelow(256)
    return [f"050003{reference:02X}{total:02X}{n:02X}" for n in range(1, total + 1)]


# --- outbound -------------------------------------------------------------------------------


def split(text: str) -> tuple[str, list[str]]:
    """Gammu's coding and the parts of ``text``: one SMS when it fits (160 GSM-7 septets, 70
    UCS-2 units), else parts of 153 / 67 that never cut an escaped GSM-7 character or a
    surrogate pair."""
    sizing = size(text)
    coding = "Default_No_Compression" if sizing.encoding == "gsm7" else "Unicode_No_Compression"
    if sizing.segments <= 1:
        return coding, [text]
    limit = PART[sizing.encoding]
    parts: list[str] = []
    current: list[str] = []
    used = 0
    for ch in text:
        if sizing.encoding == "gsm7":
            units = 2 if ch in GSM7_EXTENSION else 1
        else:
            units = 2 if ord(ch) > 0xFFFF else 1
        if used + units > limit:
            parts.append("".join(current))
            current, used = [], 0
        current.append(ch)
        used += units
    if current:
        parts.append("".join(current))
    return coding, parts


class GammuGateway:
    """Hands SMS to Gammu SMSD by queueing them in its ``outbox`` (``Gateway`` of
    ``bots.sms.gateway``). ``sent`` means Gammu has it; its fate arrives as a status event."""

    name = GATEWAY
    receipts = True  # the worker reports each SMS's fate from sentitems (Capabilities.receipts)

    def __init__(self, settings: Settings | BotSettings, store: GammuStore | None = None) -> None:
        config = settings if isinstance(settings, BotSettings) else BotSettings.read(settings)
        if store is None and not config.gammu_database_url:
            raise ValueError("REMBUG_GAMMU_DATABASE_URL is empty")
        self.store = store or GammuStore(config.gammu_database_url)
        self.phone_id = config.gammu_phone_id

    async def submit(self, to: str, text: str, reference: str) -> SendResult:
        number = to_e164(to)
        if number is None:
            return SendResult(Outcome.permanent, error=f"not a phone number: {to!r}")
        if not text:
            return SendResult(Outcome.permanent, error="empty text")
        coding, parts = split(text)
        creator = reference if reference.startswith(CREATOR) else CREATOR
        try:
            message_id = await asyncio.to_thread(
                self.store.queue, number, parts, coding, creator[:255], self.phone_id
            )
        except SQLAlchemyError as exc:
            reason = str(exc.__cause__ or exc).splitlines()[0]
            return SendResult(Outcome.transient, error=f"Gammu database: {reason}"[:500])
        return SendResult(Outcome.sent, message_id=str(message_id))

    async def aclose(self) -> None:
        await asyncio.to_thread(self.store.close)


# --- inbound and reports --------------------------------------------------------------------


@dataclass
class Poller:
    """What one polling process remembers between rounds: when an incomplete concatenated
    message was first seen, and up to where ``sentitems`` was read."""

    store: GammuStore
    multipart_grace: float = MULTIPART_GRACE
    first_seen: dict[tuple[str, int, int], float] = field(default_factory=dict)
    sent_cursor: datetime | None = None
    started: bool = False
    taken: int = 0  # messages stored since start
    reports: int = 0  # reports stored since start
    behind: bool = False  # the last round read a full batch: more waits in the inbox

    def inbox_events(self, rows: Sequence[Any], now: float) -> tuple[list[SmsEvent], list[int]]:
        """The events of ``rows`` and the inbox IDs they account for (to mark processed);
        rows of a concatenated message still waiting for parts are left for a later round."""
        singles: list[list[Any]] = []
        groups: dict[tuple[str, int, int], list[Any]] = {}
        for row in rows:
            concat = concat_of(row.UDH)
            if concat is None or concat.total < 2:
                singles.append([row])
            else:
                key = (str(row.SenderNumber or ""), concat.reference, concat.total)
                groups.setdefault(key, []).append(row)
        ready = list(singles)
        for key, parts in groups.items():
            by_sequence = {concat_of(r.UDH).sequence: r for r in parts}  # type: ignore[union-attr]
            complete = all(n in by_sequence for n in range(1, key[2] + 1))
            seen = self.first_seen.setdefault(key, now)
            if complete or now - seen >= self.multipart_grace:
                ready.append([by_sequence[n] for n in sorted(by_sequence)])
                self.first_seen.pop(key, None)
        ready.sort(key=lambda parts: int(parts[0].ID))  # one citizen's texts in their order
        events: list[SmsEvent] = []
        accounted: list[int] = []
        for parts in ready:
            accounted.extend(int(r.ID) for r in parts)
            event = _message_event(parts)
            if event is not None:
                events.append(event)
        return events, accounted

    def status_events(self, rows: Sequence[Any]) -> list[SmsEvent]:
        messages: dict[int, list[Any]] = {}
        for row in rows:
            messages.setdefault(int(row.ID), []).append(row)
        events = []
        for message_id, parts in messages.items():
            event = _status_event(message_id, parts)
            if event is not None:
                events.append(event)
        return events

    def round(self, services: Services) -> int:
        """One round, synchronously: inbox → spool → processed; reports → spool. Returns how
        many new events were stored."""
        stored = 0
        rows = self.store.unprocessed()
        self.behind = False
        if rows:
            events, accounted = self.inbox_events(rows, time.monotonic())
            if events:
                new = store_now(services, [e.to_incoming() for e in events])
                stored += sum(new)
                self.taken += sum(new)
            if accounted:
                self.store.mark_processed(accounted)  # only once they are in the spool
            self.behind = len(rows) >= BATCH and bool(accounted)
        if not self.started:
            latest = self.store.latest_sent_change()
            self.sent_cursor = latest - STATUS_LOOKBACK if latest is not None else None
            self.started = True
        sent = self.store.sent_since(self.sent_cursor)
        if sent:
            latest = max((r.UpdatedInDB for r in sent if r.UpdatedInDB is not None), default=None)
            events = self.status_events(sent)
            if events:
                new = store_now(services, [e.to_incoming() for e in events])
                stored += sum(new)
                self.reports += sum(new)
            if latest is not None:
                self.sent_cursor = latest - STATUS_OVERLAP
        return stored


def _message_event(parts: Sequence[Any]) -> SmsEvent | None:
    first = parts[0]
    number = to_e164(str(first.SenderNumber or ""))
    if number is None:
        # An operator's promotion from a name ("TELKOMSEL") or a service code: nobody to answer.
        log.info("Gammu inbox %s: sender %r is not a phone number; skipped", first.ID, "•••")
        return None
    if first.Class == 127:  # a USSD answer of the network, not a citizen's SMS
        return None
    text = "".join(part_text(p) for p in parts)
    if len(parts) == 1 and not text and first.Coding != "8bit":
        text = str(first.TextDecoded or "")
    fingerprint = _fingerprint(first.SenderNumber, first.ReceivingDateTime, first.Text)
    return SmsEvent(
        gateway=GATEWAY,
        kind="message",
        message_id=f"{first.ID}-{fingerprint}",
        number=number,
        text=text,
        recipient=str(first.RecipientID or ""),
        received_at=_received_at(first.ReceivingDateTime),
    )


def _status_event(message_id: int, parts: Sequence[Any]) -> SmsEvent | None:
    states = [STATES.get(str(p.Status or "")) for p in parts]
    concat = concat_of(parts[0].UDH)
    total = concat.total if concat is not None else 1
    if FAILED in states:
        status = FAILED
    elif len(parts) >= total and all(s == DELIVERED for s in states):
        status = DELIVERED
    elif any(s in (SENT, DELIVERED) for s in states):
        status = SENT
    else:
        return None
    number = to_e164(str(parts[0].DestinationNumber or "")) or str(parts[0].DestinationNumber)
    failed = [p for p in parts if STATES.get(str(p.Status or "")) == FAILED]
    error = (
        "; ".join(
            f"Gammu {p.Status} (part {p.SequencePosition}, error {p.StatusError})" for p in failed
        )
        if failed
        else ""
    )
    creator = str(parts[0].CreatorID or "")
    return SmsEvent(
        gateway=GATEWAY,
        kind="status",
        message_id=str(message_id),
        number=number,
        status=status,
        error=error[:500],
        ref=creator if creator.startswith(f"{CREATOR}:") else "",
        # When Rembug learnt it: Gammu's report times are the network's or the SMSC's clock.
        received_at=datetime.now(UTC).isoformat(),
    )


def poller(services: Services) -> Poller:
    """The process's poller (its memory lasts between rounds), on REMBUG_GAMMU_DATABASE_URL."""
    found: Poller | None = services.extensions.get(EXTENSION_KEY)
    if found is None:
        config = BotSettings.read(services.settings)
        if not config.gammu_database_url:
            raise ValueError("REMBUG_GAMMU_DATABASE_URL is empty")
        found = Poller(GammuStore(config.gammu_database_url))
        services.closers.append(found.store.close)
        services.extensions[EXTENSION_KEY] = found
    return found


async def poll_once(services: Services, using: Poller | None = None) -> int:
    """One round of the worker: new received messages and new delivery reports into Rembug's
    spool (the drain job is nudged); returns how many were new. ``using``: another poller than
    the process's own (a test's "new process")."""
    found = using or poller(services)
    return await asyncio.to_thread(found.round, services)


async def run(services: Services, stop: asyncio.Event) -> None:
    """``rembug sms gammu``: poll every REMBUG_GAMMU_POLL_SECONDS until ``stop``; a line per
    round that took something in, and a summary every minute."""
    config = BotSettings.read(services.settings)
    found = poller(services)
    problems = await asyncio.to_thread(found.store.problems)
    for problem in problems:
        log.error("%s", problem)
    summary_at = time.monotonic()
    failing = False
    while not stop.is_set():
        try:
            before = (found.taken, found.reports)
            if await poll_once(services, found):
                log.info(
                    "Gammu: %s messages, %s delivery reports taken in",
                    found.taken - before[0],
                    found.reports - before[1],
                )
            if failing:
                log.info("Gammu database reachable again")
            failing = False
        except SQLAlchemyError as exc:
            if not failing:
                reason = str(exc.__cause__ or exc).splitlines()[0]
                log.error("Gammu database: %s (retrying)", reason)
            failing = True
        if time.monotonic() - summary_at >= 60:
            summary_at = time.monotonic()
            log.info(
                "Gammu: %s messages and %s delivery reports taken in since start",
                found.taken,
                found.reports,
            )
        if found.behind and not failing:
            continue  # a backlog (the worker was stopped a while): no pause between batches
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=config.gammu_poll_seconds)

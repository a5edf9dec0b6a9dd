"""Where acknowledged webhook updates wait until the worker processes them.

On SQLite the spool is its own database file beside the main one (``rembug.sqlite3`` →
``rembug.spool.sqlite3``) with its own writer lock, fully synced (``synchronous=FULL``) before
the webhook answers 200: the acknowledgement never waits for the main database's single
writer, which the worker keeps busy. On PostgreSQL (or an in-memory SQLite database) the spool
is the ``chat_inbound`` table of the main database.

Exactly once: an update's (channel, platform id) is unique in the spool, so the platform's
retries are no-ops there, and it is unique again in ``chat_inbound`` of the main database,
written in the same transaction as the update's effect (``claim``). Moving an update from the
spool to the main database is therefore idempotent: after a crash between the main commit and
``mark_done`` the update is read again, ``claim`` answers False, and it is only marked done.
"""

from __future__ import annotations

import sqlite3
import threading
import weakref
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import func, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select

from forum.db import Database
from forum.models import ChatInbound, utcnow

SPOOL_KEY = "bots.spool"  # services.extensions key
KEEP_DONE = timedelta(days=1)  # done rows kept this long: retries within it stop at the spool


@dataclass(frozen=True)
class Incoming:
    """An update as the webhook takes it in."""

    channel: str
    platform_id: str
    chat_key: str
    raw: str


@dataclass(frozen=True)
class Spooled:
    """An update waiting in the spool (``id`` orders it; one chat's updates go in order)."""

    id: int
    channel: str
    platform_id: str
    chat_key: str
    raw: str
    received_at: datetime


class Spool(Protocol):
    def put(self, items: Sequence[Incoming]) -> list[bool]:
        """Store durably in one transaction; True for each new update, False for a repeat."""

    def pending(self, limit: int) -> list[Spooled]:
        """The oldest updates not processed yet."""

    def claim(self, db: Session, row: Spooled) -> bool:
        """In the main database's processing transaction: record the update as processed;
        False when it already was (its effect is there: do not run it again)."""

    def mark_done(self, ids: Sequence[int]) -> None:
        """After the main commit: the spool forgets these (kept a while against retries)."""

    def count_pending(self) -> int: ...

    def count_pending_of(
        self, channels: Sequence[str], chat_key: str, db: Session | None = None
    ) -> int:
        """Not processed yet, of these channels and this chat key (one account's posts).
        ``db``: the caller's session, used where the spool is a table of the main database
        (a request must not take a second connection while it holds one)."""

    def find_pending(
        self, channel: str, platform_id: str, db: Session | None = None
    ) -> Spooled | None:
        """The update with this id if it still waits (an aspiration's reserved ticket)."""

    def prune(self, now: datetime | None = None) -> int: ...


# --- PostgreSQL (and in-memory SQLite): the main database's chat_inbound table ---------------


class TableSpool:
    def __init__(self, db: Database) -> None:
        self.db = db

    def put(self, items: Sequence[Incoming]) -> list[bool]:
        """One multi-row INSERT … ON CONFLICT DO NOTHING RETURNING for the whole batch."""
        if not items:
            return []
        insert = pg_insert if not self.db.is_sqlite else sqlite_insert
        now = utcnow()
        rows = [
            {
                "channel": item.channel,
                "platform_id": item.platform_id,
                "chat_key": item.chat_key,
                "raw": item.raw,
                "received_at": now,
            }
            for item in items
        ]
        statement = (
            insert(ChatInbound)
            .values(rows)
            .on_conflict_do_nothing()
            .returning(col(ChatInbound.channel), col(ChatInbound.platform_id))
        )
        with self.db.write(durable=True) as db:
            new = {(channel, platform_id) for channel, platform_id in db.execute(statement)}
        # A repeat within the batch itself is stored once: the first of it counts as new.
        results = []
        for item in items:
            key = (item.channel, item.platform_id)
            results.append(key in new)
            new.discard(key)
        return results

    def pending(self, limit: int) -> list[Spooled]:
        with self.db.read() as db:
            rows = db.exec(
                select(ChatInbound)
                .where(col(ChatInbound.processed_at).is_(None))
                .order_by(col(ChatInbound.id))
                .limit(limit)
            ).all()
        return [
            Spooled(r.id or 0, r.channel, r.platform_id, r.chat_key, r.raw, r.received_at)
            for r in rows
        ]

    def claim(self, db: Session, row: Spooled) -> bool:
        result = db.execute(
            update(ChatInbound)
            .where(col(ChatInbound.id) == row.id, col(ChatInbound.processed_at).is_(None))
            .values(processed_at=utcnow())
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    def mark_done(self, ids: Sequence[int]) -> None:
        return None  # claim did it, with the effect

    def count_pending(self) -> int:
        with self.db.read() as db:
            return int(
                db.exec(
                    select(func.count())
                    .select_from(ChatInbound)
                    .where(col(ChatInbound.processed_at).is_(None))
                ).one()
            )

    def count_pending_of(
        self, channels: Sequence[str], chat_key: str, db: Session | None = None
    ) -> int:
        if db is None:
            with self.db.read() as own:
                return self.count_pending_of(channels, chat_key, own)
        return int(
            db.exec(
                select(func.count())
                .select_from(ChatInbound)
                .where(
                    col(ChatInbound.channel).in_(channels),
                    ChatInbound.chat_key == chat_key,
                    col(ChatInbound.processed_at).is_(None),
                )
            ).one()
        )

    def find_pending(
        self, channel: str, platform_id: str, db: Session | None = None
    ) -> Spooled | None:
        if db is None:
            with self.db.read() as own:
                return self.find_pending(channel, platform_id, own)
        r = db.exec(
            select(ChatInbound).where(
                ChatInbound.channel == channel,
                ChatInbound.platform_id == platform_id,
                col(ChatInbound.processed_at).is_(None),
            )
        ).first()
        if r is None:
            return None
        return Spooled(r.id or 0, r.channel, r.platform_id, r.chat_key, r.raw, r.received_at)

    def prune(self, now: datetime | None = None) -> int:
        return 0  # chat_inbound is the record of what was taken in


# --- SQLite: a spool file beside the main database -----------------------------------------

_SCHEMA = """
CREATE TABLE IF NOT EXISTS chat_spool (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    channel TEXT NOT NULL,
    platform_id TEXT NOT NULL,
    chat_key TEXT NOT NULL DEFAULT '',
    raw TEXT NOT NULL,
    received_at TEXT NOT NULL,
    done INTEGER NOT NULL DEFAULT 0,
    UNIQUE (channel, platform_id)
);
CREATE INDEX IF NOT EXISTS ix_chat_spool_pending ON chat_spool (done, id);
CREATE INDEX IF NOT EXISTS ix_chat_spool_chat ON chat_spool (chat_key, done);
"""


class FileSpool:
    """One writing connection per process, used under a lock (the group commit already makes
    one transaction of many updates, so there is no point in more), and reading connections
    handed out one per thread at a time: in WAL mode a read never waits for the writer, so a
    request counting its account's waiting posts does not queue behind a group commit's
    fsync."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None
        self._readers_lock = threading.Lock()
        self._readers: list[sqlite3.Connection] = []
        self._all_readers: list[sqlite3.Connection] = []

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(
                self.path, timeout=30, isolation_level=None, check_same_thread=False
            )
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")  # on disk before the 200
            conn.execute("PRAGMA busy_timeout=30000")
            conn.executescript(_SCHEMA)
            # Closed by close() (Services.close at shutdown); the finaliser closes a spool
            # nobody closed, so no connection is ever left to the garbage collector.
            weakref.finalize(self, conn.close)
            self._conn = conn
        return self._conn

    @contextmanager
    def _reader(self) -> Iterator[sqlite3.Connection]:
        with self._readers_lock:
            conn = self._readers.pop() if self._readers else None
        if conn is None:
            with self._lock:
                self._connection()  # the file and its schema exist once the writer has run
            conn = sqlite3.connect(
                self.path, timeout=30, isolation_level=None, check_same_thread=False
            )
            conn.execute("PRAGMA busy_timeout=30000")
            conn.execute("PRAGMA query_only=1")
            with self._readers_lock:
                self._all_readers.append(conn)
            weakref.finalize(self, conn.close)
        try:
            yield conn
        finally:
            with self._readers_lock:
                if conn in self._all_readers:  # not closed meanwhile
                    self._readers.append(conn)

    def put(self, items: Sequence[Incoming]) -> list[bool]:
        now = utcnow().isoformat()
        with self._lock:
            conn = self._connection()
            conn.execute("BEGIN IMMEDIATE")
            try:
                results = []
                for item in items:
                    cursor = conn.execute(
                        "INSERT OR IGNORE INTO chat_spool "
                        "(channel, platform_id, chat_key, raw, received_at) VALUES (?, ?, ?, ?, ?)",
                        (item.channel, item.platform_id, item.chat_key, item.raw, now),
                    )
                    results.append(cursor.rowcount == 1)
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        return results

    def pending(self, limit: int) -> list[Spooled]:
        with self._reader() as conn:
            rows = conn.execute(
                "SELECT id, channel, platform_id, chat_key, raw, received_at "
                "FROM chat_spool WHERE done = 0 ORDER BY id LIMIT ?",
                (limit,),
            ).fetchall()
        return [Spooled(r[0], r[1], r[2], r[3], r[4], datetime.fromisoformat(r[5])) for r in rows]

    def claim(self, db: Session, row: Spooled) -> bool:
        statement = (
            sqlite_insert(ChatInbound)
            .values(
                channel=row.channel,
                platform_id=row.platform_id,
                chat_key=row.chat_key,
                raw=row.raw,
                received_at=row.received_at,
                processed_at=utcnow(),
            )
            .on_conflict_do_nothing()
            .returning(col(ChatInbound.id))
        )
        return db.execute(statement).first() is not None

    def mark_done(self, ids: Sequence[int]) -> None:
        if not ids:
            return
        with self._lock:
            conn = self._connection()
            conn.execute("BEGIN IMMEDIATE")
            try:
                conn.executemany("UPDATE chat_spool SET done = 1 WHERE id = ?", [(i,) for i in ids])
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise

    def count_pending(self) -> int:
        with self._reader() as conn:
            row = conn.execute("SELECT count(*) FROM chat_spool WHERE done = 0")
            return int(row.fetchone()[0])

    def count_pending_of(
        self, channels: Sequence[str], chat_key: str, db: Session | None = None
    ) -> int:
        marks = ", ".join("?" for _ in channels)
        with self._reader() as conn:
            row = conn.execute(
                f"SELECT count(*) FROM chat_spool WHERE chat_key = ? AND done = 0 "  # noqa: S608
                f"AND channel IN ({marks})",
                (chat_key, *channels),
            )
            return int(row.fetchone()[0])

    def find_pending(
        self, channel: str, platform_id: str, db: Session | None = None
    ) -> Spooled | None:
        with self._reader() as conn:
            r = conn.execute(
                "SELECT id, channel, platform_id, chat_key, raw, received_at FROM chat_spool "
                "WHERE channel = ? AND platform_id = ? AND done = 0",
                (channel, platform_id),
            ).fetchone()
        if r is None:
            return None
        return Spooled(r[0], r[1], r[2], r[3], r[4], datetime.fromisoformat(r[5]))

    def prune(self, now: datetime | None = None) -> int:
        cutoff = ((now or utcnow()) - KEEP_DONE).isoformat()
        with self._lock:
            cursor = self._connection().execute(
                "DELETE FROM chat_spool WHERE done = 1 AND received_at < ?", (cutoff,)
            )
            return int(cursor.rowcount)

    def clear(self) -> None:
        """Forget everything (tests start from an empty database)."""
        with self._lock:
            self._connection().execute("DELETE FROM chat_spool")

    def close(self) -> None:
        with self._readers_lock:
            readers, self._all_readers, self._readers = self._all_readers, [], []
        for conn in readers:
            conn.close()
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None


def spool_path(database_url: str) -> Path | None:
    """The spool file for a SQLite database file; None for PostgreSQL and in-memory SQLite."""
    if not database_url.startswith("sqlite"):
        return None
    path = database_url.split("///", 1)[-1].split("?", 1)[0]
    if not path or path == ":memory:" or "///" not in database_url:
        return None
    main = Path(path)
    return main.with_name(f"{main.stem}.spool{main.suffix or '.sqlite3'}")


def spool(services: Any) -> Spool:
    found: Spool | None = services.extensions.get(SPOOL_KEY)
    if found is None:
        path = spool_path(services.settings.database_url)
        found = FileSpool(path) if path is not None else TableSpool(services.db)
        if isinstance(found, FileSpool):
            services.closers.append(found.close)
        services.extensions[SPOOL_KEY] = found
    return found

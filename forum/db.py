"""Engine set-up (SQLite WAL pragmas, PostgreSQL), units of work, and the migration check."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, text
from sqlmodel import Session

from forum.events import EventBus
from forum.workdays import Calendar, Deadlines, attach_deadlines

if TYPE_CHECKING:
    from forum.settings import Settings

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


class DatabaseNotMigrated(RuntimeError):
    """The schema is older than the code; the message tells the operator what to run."""


def make_engine(url: str, *, pool_size: int = 10) -> Engine:
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        # A SQLite connection is a file handle: every one of them stays in the pool instead
        # of being opened and closed again (with its pragmas) per request under load, as an
        # overflow connection would be; the same 30 at most as on PostgreSQL.
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30},
            pool_size=pool_size + 20,
            max_overflow=0,
        )
        _configure_sqlite(engine)
        return engine
    return create_engine(url, pool_size=pool_size, max_overflow=20, pool_pre_ping=True)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # We issue BEGIN ourselves (below) so write transactions can take the lock up front.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        # NORMAL never loses a commit on an application crash in WAL mode; submissions switch
        # to FULL (see Database.write(durable=True)) so a power cut cannot lose them either.
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        options = conn.get_execution_options()
        if options.get("rembug_durable"):
            conn.exec_driver_sql("PRAGMA synchronous=FULL")
        elif options.get("rembug_write") is not None:
            conn.exec_driver_sql("PRAGMA synchronous=NORMAL")
        # IMMEDIATE takes the write lock at BEGIN: no deadlock-prone lock upgrade later.
        conn.exec_driver_sql("BEGIN IMMEDIATE" if options.get("rembug_write") else "BEGIN")


class Database:
    """The engine plus the bus; hands out read sessions and write units of work. Every session
    carries the bus and the deadline policy (actions read both from ``session.info``)."""

    def __init__(self, engine: Engine, bus: EventBus, deadlines: Deadlines | None = None) -> None:
        self.engine = engine
        self.bus = bus
        self.deadlines = deadlines or Deadlines(Calendar.from_file(None, "Asia/Jakarta"))
        self.is_sqlite = engine.dialect.name == "sqlite"
        self._write_engine = engine.execution_options(rembug_write=True)
        self._durable_engine = engine.execution_options(rembug_write=True, rembug_durable=True)

    @contextmanager
    def read(self) -> Iterator[Session]:
        with Session(self.engine, expire_on_commit=False) as session:
            self._attach(session)
            yield session

    @contextmanager
    def write(self, *, durable: bool = False) -> Iterator[Session]:
        """A transaction that commits on success and rolls back on any exception."""
        bind = self._durable_engine if durable else self._write_engine
        with Session(bind, expire_on_commit=False) as session:
            self._attach(session)
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    def session(self, *, write: bool, durable: bool = False) -> Session:
        """An open session the caller commits/closes (the web layer's per-request session)."""
        bind = self.engine
        if write:
            bind = self._durable_engine if durable else self._write_engine
        return self._attach(Session(bind, expire_on_commit=False))

    def _attach(self, session: Session) -> Session:
        self.bus.attach(session)
        attach_deadlines(session.info, self.deadlines)
        return session

    def ping(self) -> None:
        with self.engine.connect() as conn:
            conn.execute(text("SELECT 1"))


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def head_revisions() -> set[str]:
    """The newest revision of every branch (each package may keep its own branch)."""
    return set(ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads())


def current_revisions(engine: Engine) -> set[str]:
    with engine.connect() as conn:
        return set(MigrationContext.configure(conn).get_current_heads())


def check_migrated(engine: Engine) -> None:
    """Refuse to run on a schema older (or newer) than the code, with the command to fix it."""
    current, heads = current_revisions(engine), head_revisions()
    if current != heads:
        now = ", ".join(sorted(current)) or "kosong"
        raise DatabaseNotMigrated(
            "Basis data belum dimigrasi ke versi terbaru "
            f"(sekarang: {now}; dibutuhkan: {', '.join(sorted(heads))}). "
            "Jalankan: rembug migrate\n"
            "The database is not migrated to the latest schema. Run: rembug migrate"
        )


def migrate(url: str, *, settings: Settings | None = None) -> None:
    """Upgrade to the heads; ``settings`` gives data migrations the deployment's keys
    (0008 re-seals two-factor secrets with them)."""
    from alembic import command

    engine = make_engine(url, pool_size=1)
    try:
        with engine.begin() as conn:
            config = alembic_config(url)
            config.attributes["connection"] = conn
            config.attributes["rembug_settings"] = settings
            command.upgrade(config, "heads")
        optimize(engine)
    finally:
        engine.dispose()


def optimize(engine: Engine) -> None:
    """Refresh the query planner's statistics (SQLite has none until ANALYZE; without them it
    can pick a poor index for comment threads). Run after migrations and by the scheduler."""
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            conn.exec_driver_sql("PRAGMA optimize=0x10002")
        else:
            conn.exec_driver_sql("ANALYZE")
        conn.commit()

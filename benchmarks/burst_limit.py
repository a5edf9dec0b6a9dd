"""The burst benchmark's limit (issue 15): a bare Starlette app under uvicorn with `rembug
serve`'s options whose ``POST /aspirasi/baru`` does only what a durable web submission cannot
avoid, so benchmarks/burst.py can set Rembug's accepted/s beside what this machine allows.

Each submission: the form parsed by Starlette (``request.form()``, with Rembug's size and
field limits), the session cookie (``rembug_session``) looked up in an in-memory set of valid
tokens (403 otherwise), the CSRF form token checked as Rembug checks it (an HMAC of the
``rembug_csrf`` cookie, ``forum.web.kit.csrf_token_for``; 403 otherwise), one row written to
SQLite in WAL mode with ``synchronous=FULL``, and 303 answered only after the commit.

``--commit per-request``: one transaction and commit per request, in a thread of Starlette's
pool as Rembug's handlers run. ``--commit group``: requests arriving within a few
milliseconds are written in one transaction by one writer thread (an asyncio queue drained
as ``bots.intake.IntakeBatcher`` drains its own, with its batch size and wait), each
answering after that commit.

Started by benchmarks/burst.py as

    python benchmarks/burst_limit.py --port P --db PATH --sessions FILE --commit group

(the secret key for the CSRF check from ``REMBUG_SECRET_KEY``, as for Rembug). It prints
nothing but errors. ``GET /healthz`` answers "ok"; ``GET /`` a small fixed page (the
benchmark's visitor loads the home page, which Rembug mostly serves from its page cache).
"""

from __future__ import annotations

import argparse
import asyncio
import hmac
import os
import sqlite3
import sys
import threading
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from forum.intake import MAX_BATCH, MAX_WAIT_SECONDS  # noqa: E402
from forum.web.kit import CSRF_COOKIE, MAX_FORM_BYTES, SESSION_COOKIE, csrf_token_for  # noqa: E402

SCHEMA = """
CREATE TABLE IF NOT EXISTS submission (
    id INTEGER PRIMARY KEY,
    session TEXT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    category TEXT NOT NULL,
    region TEXT NOT NULL,
    agency TEXT NOT NULL,
    visibility TEXT NOT NULL,
    created_at TEXT NOT NULL
)
"""
INSERT = (
    "INSERT INTO submission (session, title, body, category, region, agency, visibility, "
    "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)
HOME = b"<!doctype html><html lang=id><title>Rembug</title><h1>Rembug</h1></html>\n" * 20

Row = tuple[str, str, str, str, str, str, str, str]


def connect(path: Path) -> sqlite3.Connection:
    """A connection as Rembug's durable writes use one: WAL, synchronous=FULL, a long busy
    timeout; we issue BEGIN IMMEDIATE ourselves."""
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA busy_timeout=30000")
    conn.execute("PRAGMA synchronous=FULL")
    return conn


def write(conn: sqlite3.Connection, rows: list[Row]) -> None:
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.executemany(INSERT, rows)
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


class PerRequest:
    """One transaction per request, in Starlette's thread pool (a connection per thread)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.local = threading.local()

    def _write_one(self, row: Row) -> None:
        conn = getattr(self.local, "conn", None)
        if conn is None:
            conn = self.local.conn = connect(self.path)
        write(conn, [row])

    async def store(self, row: Row) -> None:
        await run_in_threadpool(self._write_one, row)


@dataclass
class _Item:
    row: Row
    done: asyncio.Future[None] = field(repr=False)


class Group:
    """Group commit: an asyncio queue, drained in batches (the first row, then whatever
    arrives within MAX_WAIT_SECONDS, at most MAX_BATCH) by one writer thread."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="writer")
        self.conn: sqlite3.Connection | None = None
        self.queue: asyncio.Queue[_Item] | None = None
        self.task: asyncio.Task[None] | None = None

    def _write_batch(self, rows: list[Row]) -> None:
        if self.conn is None:
            self.conn = connect(self.path)
        write(self.conn, rows)

    async def store(self, row: Row) -> None:
        loop = asyncio.get_running_loop()
        if self.queue is None or self.task is None or self.task.done():
            self.queue = asyncio.Queue()
            self.task = loop.create_task(self._drain(self.queue))
        item = _Item(row, loop.create_future())
        await self.queue.put(item)
        await item.done

    async def _drain(self, queue: asyncio.Queue[_Item]) -> None:
        loop = asyncio.get_running_loop()
        while True:
            batch = [await queue.get()]
            deadline = loop.time() + MAX_WAIT_SECONDS
            while len(batch) < MAX_BATCH:
                remaining = deadline - loop.time()
                if remaining <= 0:
                    break
                try:
                    batch.append(await asyncio.wait_for(queue.get(), remaining))
                except TimeoutError:
                    break
            try:
                rows = [item.row for item in batch]
                await loop.run_in_executor(self.writer, self._write_batch, rows)
            except Exception as exc:  # each request of the batch fails (500)
                for item in batch:
                    if not item.done.done():
                        item.done.set_exception(exc)
                continue
            for item in batch:
                if not item.done.done():
                    item.done.set_result(None)


def build_app(
    sessions: set[str], secret_key: str, store: Callable[[Row], Awaitable[None]]
) -> Starlette:
    async def submit(request: Request) -> Response:
        length = request.headers.get("content-length", "0")
        if not length.isdigit() or int(length) > MAX_FORM_BYTES:
            return PlainTextResponse("Request too large", status_code=413)
        form: FormData = await request.form(max_files=0, max_fields=200)
        token = request.cookies.get(SESSION_COOKIE, "")
        if token not in sessions:
            return PlainTextResponse("Not allowed", status_code=403)
        cookie = request.cookies.get(CSRF_COOKIE, "")
        sent = str(form.get("csrf_token") or "")
        if not (16 <= len(cookie) <= 64 and cookie.isascii()) or not (
            sent and hmac.compare_digest(sent, csrf_token_for(secret_key, cookie))
        ):
            return PlainTextResponse("Form expired", status_code=403)
        row: Row = (
            token,
            str(form.get("title") or ""),
            str(form.get("body") or ""),
            str(form.get("category") or ""),
            str(form.get("region") or ""),
            str(form.get("agency") or ""),
            str(form.get("visibility") or ""),
            datetime.now(UTC).isoformat(),
        )
        await store(row)
        return RedirectResponse("/aspirasi/terkirim", status_code=303)

    async def home(request: Request) -> Response:
        return HTMLResponse(HOME)

    async def healthz(request: Request) -> Response:
        return PlainTextResponse("ok")

    return Starlette(
        routes=[
            Route("/aspirasi/baru", submit, methods=["POST"]),
            Route("/healthz", healthz),
            Route("/", home),
        ]
    )


def main() -> None:
    import uvicorn

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--db", type=Path, required=True, help="the SQLite file (made if new)")
    parser.add_argument("--sessions", type=Path, required=True, help="valid tokens, one a line")
    parser.add_argument("--commit", choices=["per-request", "group"], required=True)
    args = parser.parse_args()
    secret_key = os.environ.get("REMBUG_SECRET_KEY", "")
    if not secret_key:
        sys.exit("REMBUG_SECRET_KEY is not set")
    sessions = {line.strip() for line in args.sessions.read_text("utf-8").splitlines()}
    sessions.discard("")
    conn = connect(args.db)
    conn.execute(SCHEMA)
    conn.close()
    backend = PerRequest(args.db) if args.commit == "per-request" else Group(args.db)
    app = build_app(sessions, secret_key, backend.store)
    # The options of forum.cli.cmd_serve (one process: uvicorn serves in this one; the loop
    # and HTTP implementation are uvicorn's "auto" choice, as there), so only the
    # application differs.
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        workers=1,
        proxy_headers=True,
        forwarded_allow_ips="127.0.0.1",
        log_level="warning",
        access_log=False,
    )


if __name__ == "__main__":
    main()

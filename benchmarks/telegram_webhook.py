"""Telegram webhook benchmark: acknowledgement latency and sustained updates/s into the
moderation queue, against ``rembug serve`` on loopback with a fake Bot API.

Each simulated citizen presses "comment on the whole draft" and sends a comment (two
updates); the run counts pending comments until every one has arrived (nothing lost).

    .venv/bin/python benchmarks/telegram_webhook.py [--rate 200] [--seconds 10]

Prints a report and saves it under benchmarks/results/ (git-ignored).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from sqlmodel import func, select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from telegram_kit import fake_bot_api, free_port, tg_update  # noqa: E402

from forum import actions  # noqa: E402
from forum.app import build_services  # noqa: E402
from forum.db import migrate  # noqa: E402
from forum.models import Agency, Comment, ContentStatus, Role  # noqa: E402
from forum.seeds import upsert_reference_data  # noqa: E402
from forum.services import Services  # noqa: E402
from forum.settings import Settings  # noqa: E402

TOKEN = "7000000001:BENCHfakeToken_0123456789abcdefghij"  # noqa: S105 - a fake API
SECRET = "bench-secret-token"  # noqa: S105 - throwaway


class Connection:
    """One keep-alive HTTP/1.1 connection written by hand: the load generator must cost far
    less CPU than the server it measures (an httpx pool of hundreds costs more than the app)."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    async def post(self, head: bytes, body: bytes) -> int:
        self.writer.write(head + str(len(body)).encode() + b"\r\n\r\n" + body)
        await self.writer.drain()
        header = await self.reader.readuntil(b"\r\n\r\n")
        status = int(header.split(b" ", 2)[1])
        length = 0
        for line in header.split(b"\r\n"):
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        await self.reader.readexactly(length)
        return status


async def fire(
    port: int, pairs: list[tuple[dict, dict]], rate: float, connections: int
) -> tuple[list[float], int, float]:
    """Send at ``rate`` updates/s overall over at most ``connections`` connections (Telegram
    uses up to 40 per bot: `set-webhook` asks for 40); a citizen's second update (the comment)
    leaves only once the first (the button) was acknowledged, as a person types after
    pressing. Latency is measured from the moment an update goes on a connection; the worst
    lag behind the schedule (updates waiting for a free connection) is returned too."""
    latencies: list[float] = []
    errors = 0
    lag = 0.0
    head = (
        b"POST /webhooks/telegram HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Content-Type: application/json\r\n"
        b"X-Telegram-Bot-Api-Secret-Token: " + SECRET.encode() + b"\r\nContent-Length: "
    )
    pool: asyncio.Queue[Connection] = asyncio.Queue()
    for _ in range(connections):
        pool.put_nowait(Connection(*await asyncio.open_connection("127.0.0.1", port)))
    start = time.perf_counter()

    async def post(at: float, body: dict) -> None:
        nonlocal errors, lag
        await asyncio.sleep(max(0.0, at - time.perf_counter()))
        connection = await pool.get()
        t0 = time.perf_counter()
        lag = max(lag, t0 - at)
        try:
            status = await connection.post(head, json.dumps(body).encode())
        finally:
            pool.put_nowait(connection)
        latencies.append((time.perf_counter() - t0) * 1000)
        if status != 200:
            errors += 1

    async def citizen(i: int, first: dict, second: dict) -> None:
        await post(start + 2 * i / rate, first)
        await post(start + (2 * i + 1) / rate, second)

    await asyncio.gather(*(citizen(i, a, b) for i, (a, b) in enumerate(pairs)))
    while not pool.empty():
        pool.get_nowait().writer.close()
    return latencies, errors, lag


def pending_comments(services: Services) -> int:
    with services.db.read() as db:
        return int(
            db.exec(
                select(func.count())
                .select_from(Comment)
                .where(Comment.status == ContentStatus.pending)
            ).one()
        )


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rate", type=float, default=200.0, help="updates per second sent")
    parser.add_argument("--seconds", type=float, default=10.0, help="how long to send")
    parser.add_argument(
        "--database-url",
        default="",
        help="an empty PostgreSQL database to use (default: a new SQLite file)",
    )
    parser.add_argument(
        "--worker-after-send",
        action="store_true",
        help="start the worker only once everything was sent: acknowledgement and processing "
        "measured apart (on a small machine they compete for the same cores)",
    )
    parser.add_argument(
        "--worker-nice",
        type=int,
        default=0,
        help="run the worker with this niceness (the acknowledgement goes first on few cores)",
    )
    parser.add_argument(
        "--connections", type=int, default=40, help="concurrent connections (Telegram: 40)"
    )
    args = parser.parse_args()
    load_before = " ".join(f"{x:.1f}" for x in os.getloadavg())
    tmp = Path(tempfile.mkdtemp(prefix="rembug-tg-bench-"))
    db_url = args.database_url or f"sqlite:///{tmp / 'bench.sqlite3'}"
    engine = "SQLite" if db_url.startswith("sqlite") else "PostgreSQL"
    web_port = free_port()
    api_url = fake_bot_api()
    env = {
        "REMBUG_DATA_DIR": str(tmp),
        "REMBUG_DATABASE_URL": db_url,
        "REMBUG_SECRET_KEY": "bench-secret-key-0123456789-0123456789-abcdef",
        "REMBUG_TELEGRAM_TOKEN": TOKEN,
        "REMBUG_TELEGRAM_WEBHOOK_SECRET": SECRET,
        "REMBUG_TELEGRAM_API_URL": api_url,
        "REMBUG_LOG_LEVEL": "WARNING",
        "REMBUG_PASSWORD_HASH_TIME_COST": "1",
        "REMBUG_PASSWORD_HASH_MEMORY_KIB": "1024",
        "REMBUG_SEARCH_BACKEND": "whoosh" if engine == "SQLite" else "postgres",
    }
    migrate(db_url)
    services = build_services(Settings.from_env(env))
    with services.db.write() as db:
        upsert_reference_data(db)
        agency = Agency(slug="bench", name="Dinas Benchmark")
        db.add(agency)
        db.flush()
        official = actions.create_account(
            db,
            name="Petugas",
            email="petugas@bench.id",
            password="rahasia-sekali-123",  # noqa: S106 - throwaway database
            role=Role.official,
            agency_id=agency.id,
            consent=True,
        )
        now = datetime.now(UTC)
        consultation = actions.create_consultation_from_markdown(
            db,
            official,
            agency_id=agency.id,
            markdown="# Judul\n\n## Bagian\n\nIsi.",
            title="Rancangan Benchmark",
            opens_at=now - timedelta(days=1),
            closes_at=now + timedelta(days=30),
        )  # type: ignore[arg-type]
        actions.publish_consultation(db, official, consultation)
    # The documented multi-process layout: the web process only takes updates in; a separate
    # `rembug worker` runs the conversation and the deliveries.
    web_env = {**os.environ, **env, "REMBUG_RUN_WORKER": "false"}
    server = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "rembug"), "serve", "--port", str(web_port)],
        env=web_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )

    def start_worker() -> subprocess.Popen[bytes]:
        nice = ["nice", "-n", str(args.worker_nice)] if args.worker_nice else []
        return subprocess.Popen(
            [*nice, str(ROOT / ".venv" / "bin" / "rembug"), "worker"],
            env={**os.environ, **env, "REMBUG_WORKER_POLL_SECONDS": "0.1"},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    worker = None if args.worker_after_send else start_worker()
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"http://127.0.0.1:{web_port}/", timeout=2)
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        total = int(args.rate * args.seconds)
        users = total // 2
        pairs = [
            (
                tg_update(10_000 + 2 * u, 800_000_000 + u, data=f"cm:{consultation.id}:0"),
                tg_update(
                    10_001 + 2 * u,
                    800_000_000 + u,
                    text=f"Komentar warga nomor {u} untuk rancangan.",
                ),
            )
            for u in range(users)
        ]
        updates = [body for pair in pairs for body in pair]
        started = time.perf_counter()
        latencies, errors, lag = asyncio.run(fire(web_port, pairs, args.rate, args.connections))
        sent_for = time.perf_counter() - started
        if worker is None:
            worker = start_worker()
            started = time.perf_counter()
            while pending_comments(services) == 0 and time.perf_counter() - started < 60:
                time.sleep(0.02)  # the worker process starting up is not processing
            started = time.perf_counter()
        pending = 0
        while time.perf_counter() - started < sent_for + 300:
            pending = pending_comments(services)
            if pending >= users:
                break
            time.sleep(0.1)
        processed_for = time.perf_counter() - started
    finally:
        for process in (server, worker):
            if process is not None:
                process.terminate()
                process.wait(timeout=20)
    latencies.sort()
    p = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))]  # noqa: E731
    report = "\n".join(
        [
            f"# Telegram webhook benchmark ({datetime.now(UTC):%Y-%m-%d %H:%M} UTC)",
            "",
            f"machine: {platform.platform()}, {os.cpu_count()} cores (load average before: {load_before}); Python {platform.python_version()}; {engine}; `rembug serve` (1 process, REMBUG_RUN_WORKER=false) + `rembug worker`{f' (nice {args.worker_nice})' if args.worker_nice else ''}{' started after sending' if args.worker_after_send else ''}",  # noqa: E501
            f"sent: {len(updates)} updates at {args.rate:.0f}/s for {sent_for:.1f} s ({users} citizens × 2 updates) over {args.connections} connections; worst lag behind schedule {lag * 1000:.0f} ms; non-200 answers: {errors}",  # noqa: E501
            f"acknowledgement latency ms: p50 {p(0.5):.1f}, p95 {p(0.95):.1f}, p99 {p(0.99):.1f}, max {latencies[-1]:.1f}, mean {statistics.mean(latencies):.1f}",  # noqa: E501
            f"comments in the moderation queue: {pending} of {users} ({'nothing lost' if pending == users else 'MISSING ' + str(users - pending)})",  # noqa: E501
            f"all processed after {processed_for:.1f} s{' (from the first comment)' if args.worker_after_send else ''}: sustained {len(updates) / processed_for:.0f} updates/s {'processing' if args.worker_after_send else 'end to end'}",  # noqa: E501
        ]
    )
    print(report)
    out = ROOT / "benchmarks" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / f"telegram_webhook-{datetime.now(UTC):%Y%m%d-%H%M%S}.md").write_text(
        report + "\n", encoding="utf-8"
    )
    return 0 if pending == users and not errors else 1


if __name__ == "__main__":
    sys.exit(main())

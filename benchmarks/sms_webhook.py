"""SMS webhook benchmark (Twilio-compatible gateway): acknowledgement latency and sustained
messages/s into the moderation queue, against ``rembug serve`` on loopback with a fake
provider REST API, reported the same way as the Telegram webhook benchmark.

Each simulated citizen sends one signed SMS ``ASPIRASI <text>`` (a one-message aspiration,
answered by SMS with its ticket); the run counts pending aspirations until every one has
arrived (nothing lost).

    .venv/bin/python benchmarks/sms_webhook.py [--rate 200] [--seconds 30]

Prints a report and saves it under benchmarks/results/.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode

import httpx
import uvicorn
from sqlmodel import func, select
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from telegram_kit import free_port  # noqa: E402
from telegram_webhook import Connection  # noqa: E402

from bots.sms.twilio import signature  # noqa: E402
from forum.app import build_services  # noqa: E402
from forum.db import migrate  # noqa: E402
from forum.models import Aspiration, AspirationStatus  # noqa: E402
from forum.seeds import upsert_reference_data  # noqa: E402
from forum.services import Services  # noqa: E402
from forum.settings import Settings  # noqa: E402

ACCOUNT_SID = "ACbench0123456789abcdef0123456789"
AUTH_TOKEN = "bench-auth-token"  # noqa: S105 - a fake provider
PATH = "/webhooks/sms/twilio"


def fake_provider() -> str:
    """A Messages REST endpoint on a free loopback port that accepts every SMS."""
    ids = itertools.count(1)

    async def endpoint(request: Request) -> JSONResponse:
        await request.body()
        return JSONResponse({"sid": f"SM{next(ids):032d}", "status": "queued"}, status_code=201)

    port = free_port()
    app = Starlette(
        routes=[Route("/2010-04-01/Accounts/{sid}/Messages.json", endpoint, methods=["POST"])]
    )
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.02)
    return f"http://127.0.0.1:{port}"


def signed_bodies(base_url: str, count: int) -> list[tuple[str, bytes]]:
    """(signature, form body) of ``count`` SMS from as many numbers, signed as the provider
    signs them (prepared before sending: the load generator must stay cheap)."""
    bodies = []
    for i in range(count):
        form = {
            "MessageSid": f"SMbench{i:026d}",
            "AccountSid": ACCOUNT_SID,
            "From": f"+62812{10_000_000 + i:08d}",
            "To": "+6281100001708",
            "Body": f"ASPIRASI Jalan di RT {i % 20} Kelurahan Sukamaju rusak, warga nomor {i}.",
            "NumMedia": "0",
        }
        bodies.append(
            (signature(AUTH_TOKEN, base_url + PATH, form.items()), urlencode(form).encode())
        )
    return bodies


async def fire(
    port: int, bodies: list[tuple[str, bytes]], rate: float, connections: int
) -> tuple[list[float], int, float]:
    """Send at ``rate`` messages/s over at most ``connections`` connections; latency from the
    moment a message goes on a connection, and the worst lag behind the schedule."""
    latencies: list[float] = []
    errors = 0
    lag = 0.0
    pool: asyncio.Queue[Connection] = asyncio.Queue()
    for _ in range(connections):
        pool.put_nowait(Connection(*await asyncio.open_connection("127.0.0.1", port)))
    start = time.perf_counter()

    async def post(at: float, sig: str, body: bytes) -> None:
        nonlocal errors, lag
        await asyncio.sleep(max(0.0, at - time.perf_counter()))
        connection = await pool.get()
        t0 = time.perf_counter()
        lag = max(lag, t0 - at)
        head = (
            f"POST {PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\n"
            f"X-Twilio-Signature: {sig}\r\nContent-Length: "
        ).encode()
        try:
            status = await connection.post(head, body)
        finally:
            pool.put_nowait(connection)
        latencies.append((time.perf_counter() - t0) * 1000)
        if status != 200:
            errors += 1

    await asyncio.gather(
        *(post(start + i / rate, sig, body) for i, (sig, body) in enumerate(bodies))
    )
    while not pool.empty():
        pool.get_nowait().writer.close()
    return latencies, errors, lag


def pending_aspirations(services: Services) -> int:
    with services.db.read() as db:
        return int(
            db.exec(
                select(func.count())
                .select_from(Aspiration)
                .where(Aspiration.status == AspirationStatus.pending)
            ).one()
        )


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rate", type=float, default=200.0, help="SMS per second sent")
    parser.add_argument("--seconds", type=float, default=30.0, help="how long to send")
    parser.add_argument(
        "--database-url",
        default="",
        help="an empty PostgreSQL database to use (default: a new SQLite file)",
    )
    parser.add_argument("--connections", type=int, default=40, help="concurrent connections")
    parser.add_argument(
        "--worker-nice",
        type=int,
        default=10,
        help="run the worker with this niceness (the acknowledgement goes first on few cores)",
    )
    args = parser.parse_args()
    load_before = " ".join(f"{x:.1f}" for x in os.getloadavg())
    tmp = Path(tempfile.mkdtemp(prefix="rembug-sms-bench-"))
    db_url = args.database_url or f"sqlite:///{tmp / 'bench.sqlite3'}"
    engine = "SQLite" if db_url.startswith("sqlite") else "PostgreSQL"
    web_port = free_port()
    base_url = f"http://127.0.0.1:{web_port}"
    env = {
        "REMBUG_DATA_DIR": str(tmp),
        "REMBUG_DATABASE_URL": db_url,
        "REMBUG_BASE_URL": base_url,
        "REMBUG_SECRET_KEY": "bench-secret-key-0123456789-0123456789-abcdef",
        "REMBUG_SMS_GATEWAY": "twilio",
        "REMBUG_SMS_TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "REMBUG_SMS_TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "REMBUG_SMS_TWILIO_FROM": "+6281100001708",
        "REMBUG_SMS_TWILIO_API_URL": fake_provider(),
        "REMBUG_SMS_RATE_OVERALL": "10000",
        "REMBUG_LOG_LEVEL": "WARNING",
        "REMBUG_PASSWORD_HASH_TIME_COST": "1",
        "REMBUG_PASSWORD_HASH_MEMORY_KIB": "1024",
        "REMBUG_SEARCH_BACKEND": "whoosh" if engine == "SQLite" else "postgres",
    }
    migrate(db_url)
    services = build_services(Settings.from_env(env))
    with services.db.write() as db:
        upsert_reference_data(db)
    total = int(args.rate * args.seconds)
    bodies = signed_bodies(base_url, total)
    web_env = {**os.environ, **env, "REMBUG_RUN_WORKER": "false"}
    server = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "rembug"), "serve", "--port", str(web_port)],
        env=web_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    nice = ["nice", "-n", str(args.worker_nice)] if args.worker_nice else []
    worker = subprocess.Popen(
        [*nice, str(ROOT / ".venv" / "bin" / "rembug"), "worker"],
        env={**os.environ, **env, "REMBUG_WORKER_POLL_SECONDS": "0.1"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{base_url}/", timeout=2)
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        started = time.perf_counter()
        latencies, errors, lag = asyncio.run(fire(web_port, bodies, args.rate, args.connections))
        sent_for = time.perf_counter() - started
        pending = 0
        while time.perf_counter() - started < sent_for + 300:
            pending = pending_aspirations(services)
            if pending >= total:
                break
            time.sleep(0.1)
        processed_for = time.perf_counter() - started
    finally:
        for process in (server, worker):
            process.terminate()
            process.wait(timeout=20)
    latencies.sort()
    p = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))]  # noqa: E731
    report = "\n".join(
        [
            f"# SMS webhook benchmark ({datetime.now(UTC):%Y-%m-%d %H:%M} UTC)",
            "",
            f"machine: {platform.platform()}, {os.cpu_count()} cores (load average before: {load_before}); Python {platform.python_version()}; {engine}; `rembug serve` (1 process, REMBUG_RUN_WORKER=false) + `rembug worker`{f' (nice {args.worker_nice})' if args.worker_nice else ''}",  # noqa: E501
            f"sent: {total} signed SMS (ASPIRASI …, one number each) at {args.rate:.0f}/s for {sent_for:.1f} s over {args.connections} connections; worst lag behind schedule {lag * 1000:.0f} ms; non-200 answers: {errors}",  # noqa: E501
            f"acknowledgement latency ms: p50 {p(0.5):.1f}, p95 {p(0.95):.1f}, p99 {p(0.99):.1f}, max {latencies[-1]:.1f}, mean {statistics.mean(latencies):.1f}",  # noqa: E501
            f"aspirations in the moderation queue: {pending} of {total} ({'nothing lost' if pending == total else 'MISSING ' + str(total - pending)})",  # noqa: E501
            f"all processed after {processed_for:.1f} s: sustained {total / processed_for:.0f} SMS/s end to end (each answered by SMS with its ticket)",  # noqa: E501
        ]
    )
    print(report)
    out = ROOT / "benchmarks" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / f"sms_webhook-{datetime.now(UTC):%Y%m%d-%H%M%S}.md").write_text(
        report + "\n", encoding="utf-8"
    )
    return 0 if pending == total and not errors and p(0.95) <= 50 else 1


if __name__ == "__main__":
    sys.exit(main())

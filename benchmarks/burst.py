"""Burst intake benchmark (issue 8): aspirations arriving at a fixed offered rate from many
clients, web form submissions (session + CSRF) mixed with Telegram webhook conversations that
file aspirations, while a visitor keeps loading the home page.

Two layouts:

- embedded (default): a fresh SQLite database, one `rembug serve` with its in-process worker;
- postgres: ``--database-url postgresql+psycopg://…`` (a throwaway, empty database), two
  `rembug serve` processes (worker off) and two `rembug worker` processes, the clients
  alternating between the two web processes.

Reports accepted aspirations/s, p95 latency of the submission, of the webhook and of the home
page during the burst, and lost = acknowledged submissions missing afterwards (must be 0).

    .venv/bin/python benchmarks/burst.py [--rate 1000] [--seconds 60] [--clients 200]
        [--telegram-share 0.2] [--database-url postgresql+psycopg://…]

Prints progress and a report, and saves the report as JSON under benchmarks/results/.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func
from sqlmodel import select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from telegram_kit import fake_bot_api, free_port, tg_update  # noqa: E402

from forum import actions  # noqa: E402
from forum.app import build_services  # noqa: E402
from forum.db import migrate  # noqa: E402
from forum.intake import pending_count  # noqa: E402
from forum.models import Account, Agency, Aspiration, Category, Region, Role  # noqa: E402
from forum.seeds import upsert_reference_data  # noqa: E402
from forum.services import Services  # noqa: E402
from forum.settings import Settings  # noqa: E402
from forum.web.kit import CSRF_COOKIE, SESSION_COOKIE, csrf_token_for  # noqa: E402

TOKEN = "7000000001:BENCHfakeToken_0123456789abcdefghij"  # noqa: S105 - a fake API
SECRET = "bench-secret-token"  # noqa: S105 - throwaway
SECRET_KEY = "burst-secret-key-0123456789-0123456789-abcdef"  # noqa: S105 - throwaway
BODY = "Saluran air di lingkungan kami tersumbat dan meluap setiap hujan, mohon ditangani."


@dataclass
class Seeded:
    sessions: list[str]
    category: int
    region: int
    agency: int


def seed(services: Services, clients: int) -> Seeded:
    """Citizens with sessions (older than a day: no new-account pacing), made by the actions."""
    with services.db.write() as db:
        upsert_reference_data(db)
        if db.exec(select(func.count()).select_from(Aspiration)).one():
            sys.exit("the database already holds aspirations: use a fresh, throwaway one")
        agency = db.exec(select(Agency).where(Agency.slug == "burst")).first()
        if agency is None:
            agency = Agency(slug="burst", name="Dinas Uji Beban")
            db.add(agency)
            db.flush()
        category = db.exec(select(Category.id).where(Category.slug == "infrastruktur")).one()
        region = db.exec(select(Region.id).where(Region.code == "32.73")).one()
        sessions = []
        for n in range(clients):
            email = f"warga{n}@burst.id"
            account = db.exec(select(Account).where(Account.email == email)).first()
            if account is None:
                account = actions.create_account(
                    db,
                    name=f"Warga Beban {n}",
                    email=email,
                    password="rahasia-sekali-123",  # noqa: S106 - throwaway database
                    role=Role.citizen,
                    consent=True,
                )
            account.created_at = account.created_at - timedelta(days=30)
            db.add(account)
            sessions.append(
                actions.open_session(
                    db, account, ip="127.0.0.1", user_agent="burst", session_days=1
                )
            )
        assert agency.id is not None
        return Seeded(sessions, category, region, agency.id)


@dataclass
class Tally:
    web_ok: list[str] = field(default_factory=list)  # titles acknowledged (303)
    tg_ok: list[str] = field(default_factory=list)  # titles whose six updates all got 200
    web_ms: list[float] = field(default_factory=list)
    hook_ms: list[float] = field(default_factory=list)
    home_ms: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)
    started: int = 0

    def error(self, what: str) -> None:
        self.errors[what] = self.errors.get(what, 0) + 1


async def burst(args: argparse.Namespace, urls: list[str], seeded: Seeded, tally: Tally) -> float:
    total = int(args.rate * args.seconds)
    tg_every = round(1 / args.telegram_share) if args.telegram_share > 0 else 0
    csrf_cookie = "burst-csrf-cookie-0123456789abcdef"
    token = csrf_token_for(SECRET_KEY, csrf_cookie)
    next_index = itertools.count()
    update_ids = itertools.count(1_000_000)
    limits = httpx.Limits(max_connections=args.clients + 10, max_keepalive_connections=args.clients)
    stop_home = asyncio.Event()
    async with httpx.AsyncClient(limits=limits, timeout=120) as client:
        start = time.perf_counter()

        async def web(n: int, i: int) -> None:
            url = urls[i % len(urls)]
            title = f"Saluran tersumbat nomor {i:06d}"
            cookies = {SESSION_COOKIE: seeded.sessions[n], CSRF_COOKIE: csrf_cookie}
            form = {
                "csrf_token": token,
                "title": title,
                "body": BODY,
                "category": str(seeded.category),
                "region": str(seeded.region),
                "agency": str(seeded.agency),
                "visibility": "public",
                "step": "send",
            }
            t0 = time.perf_counter()
            try:
                response = await client.post(f"{url}/aspirasi/baru", data=form, cookies=cookies)
            except httpx.HTTPError as exc:
                tally.error(type(exc).__name__)
                return
            tally.web_ms.append((time.perf_counter() - t0) * 1000)
            if response.status_code == 303:
                tally.web_ok.append(title)
            else:
                tally.error(f"web {response.status_code}")

        async def telegram(i: int) -> None:
            url = urls[i % len(urls)]
            user = 900_000_000 + i
            title = f"Laporan obrolan nomor {i:06d}"
            steps = [
                tg_update(next(update_ids), user, data="a"),
                tg_update(next(update_ids), user, text=title),
                tg_update(next(update_ids), user, text=BODY),
                tg_update(next(update_ids), user, data=f"ac:{seeded.category}"),
                tg_update(next(update_ids), user, data=f"ar:{seeded.region}"),
                tg_update(next(update_ids), user, data="av:public"),
            ]
            for body in steps:
                t0 = time.perf_counter()
                try:
                    response = await client.post(
                        f"{url}/webhooks/telegram",
                        json=body,
                        headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
                    )
                except httpx.HTTPError as exc:
                    tally.error(type(exc).__name__)
                    return
                tally.hook_ms.append((time.perf_counter() - t0) * 1000)
                if response.status_code != 200:
                    tally.error(f"webhook {response.status_code}")
                    return
            tally.tg_ok.append(title)

        async def client_loop(n: int) -> None:
            while True:
                i = next(next_index)
                if i >= total or time.perf_counter() - start > args.seconds:
                    return  # the burst is over: what was not started by now was not sent
                delay = start + i / args.rate - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                tally.started += 1
                if tg_every and i % tg_every == 0:
                    await telegram(i)
                else:
                    await web(n, i)

        async def home_loop() -> None:
            n = 0
            while not stop_home.is_set():
                t0 = time.perf_counter()
                try:
                    response = await client.get(f"{urls[n % len(urls)]}/")
                    if response.status_code == 200:
                        tally.home_ms.append((time.perf_counter() - t0) * 1000)
                    else:
                        tally.error(f"home {response.status_code}")
                except httpx.HTTPError as exc:
                    tally.error(f"home {type(exc).__name__}")
                n += 1
                await asyncio.sleep(0.25)

        async def progress() -> None:
            while not stop_home.is_set():
                await asyncio.sleep(5)
                elapsed = time.perf_counter() - start
                done = len(tally.web_ok) + len(tally.tg_ok)
                print(
                    f"  {elapsed:5.0f} s: offered {min(total, int(elapsed * args.rate))}, "
                    f"started {tally.started}, acknowledged {done} "
                    f"({done / elapsed:.0f}/s), errors {sum(tally.errors.values())}",
                    flush=True,
                )

        home = asyncio.create_task(home_loop())
        reporter = asyncio.create_task(progress())
        await asyncio.gather(*(client_loop(n) for n in range(args.clients)))
        elapsed = time.perf_counter() - start
        stop_home.set()
        await home
        reporter.cancel()
    return elapsed


def pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 1)


def start_process(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "forum.cli", *args], env=env, stdout=out, stderr=out
        )


def wait_healthy(url: str) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise SystemExit(f"{url} did not start")
        time.sleep(0.2)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=1000.0, help="aspirations per second offered")
    parser.add_argument("--seconds", type=float, default=60.0, help="how long to offer them")
    parser.add_argument("--clients", type=int, default=200, help="concurrent clients")
    parser.add_argument(
        "--telegram-share", type=float, default=0.2, help="share filed through Telegram"
    )
    parser.add_argument("--database-url", default="", help="PostgreSQL URL: the scale-out layout")
    parser.add_argument(
        "--drain-seconds", type=float, default=600, help="how long to wait for the chat backlog"
    )
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="rembug-burst-"))
    postgres = args.database_url.startswith("postgresql")
    db_url = args.database_url or f"sqlite:///{tmp / 'burst.sqlite3'}"
    env = {
        "REMBUG_DATA_DIR": str(tmp),
        "REMBUG_DATABASE_URL": db_url,
        "REMBUG_SECRET_KEY": SECRET_KEY,
        "REMBUG_TELEGRAM_TOKEN": TOKEN,
        "REMBUG_TELEGRAM_WEBHOOK_SECRET": SECRET,
        "REMBUG_TELEGRAM_API_URL": fake_bot_api(),
        "REMBUG_LOG_LEVEL": "WARNING",
        "REMBUG_PASSWORD_HASH_TIME_COST": "1",
        "REMBUG_PASSWORD_HASH_MEMORY_KIB": "1024",
        # A few hundred sessions stand in for many thousand citizens: lift the per-account
        # posting limit (per-IP limits do not apply to submissions).
        "REMBUG_RATE_POSTS_PER_HOUR": "100000000",
    }
    if postgres:
        env["REMBUG_SEARCH_BACKEND"] = "postgres"
    layout = (
        "PostgreSQL: 2 × rembug serve + 2 × rembug worker"
        if postgres
        else ("SQLite (embedded default): 1 × rembug serve with its in-process worker")
    )
    print(f"burst: {layout}; data in {tmp}", flush=True)
    migrate(db_url)
    services = build_services(Settings.from_env(env))
    seeded = seed(services, args.clients)
    base_env = {**os.environ, **env}
    processes: list[subprocess.Popen[bytes]] = []
    urls = []
    try:
        webs = 2 if postgres else 1
        for n in range(webs):
            port = free_port()
            web_env = {**base_env, "REMBUG_RUN_WORKER": "false" if postgres else "true"}
            processes.append(
                start_process(["serve", "--port", str(port)], web_env, tmp / f"web-{n}.log")
            )
            urls.append(f"http://127.0.0.1:{port}")
        if postgres:
            for n in range(2):
                worker_env = {**base_env, "REMBUG_WORKER_POLL_SECONDS": "0.2"}
                processes.append(start_process(["worker"], worker_env, tmp / f"worker-{n}.log"))
        for url in urls:
            wait_healthy(url)
        print(
            f"offering {args.rate:.0f} aspirations/s for {args.seconds:.0f} s from "
            f"{args.clients} clients ({args.telegram_share:.0%} through Telegram)",
            flush=True,
        )
        tally = Tally()
        elapsed = asyncio.run(burst(args, urls, seeded, tally))
        acknowledged = len(tally.web_ok) + len(tally.tg_ok)
        print(f"sent for {elapsed:.1f} s; {acknowledged} acknowledged; checking…", flush=True)
        # Web submissions are stored when acknowledged; Telegram ones once the worker has run
        # the stored updates: wait for that backlog.
        drain_start = time.perf_counter()
        while True:
            # The spool: its own file beside an SQLite database, chat_inbound on PostgreSQL.
            unprocessed = pending_count(services)
            if unprocessed == 0 or time.perf_counter() - drain_start > args.drain_seconds:
                break
            print(f"  chat backlog: {unprocessed} updates to process", flush=True)
            time.sleep(5)
        drained_after = time.perf_counter() - drain_start
        with services.db.read() as db:
            titles = set(db.exec(select(Aspiration.title)))
            stored = int(db.exec(select(func.count()).select_from(Aspiration)).one())
        lost_web = [t for t in tally.web_ok if t not in titles]
        missing_tg = [t for t in tally.tg_ok if t not in titles]
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        services.db.engine.dispose()
    report: dict[str, Any] = {
        "benchmark": "burst",
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.platform()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}",
        "layout": layout,
        "offered_rate": args.rate,
        "offered_seconds": args.seconds,
        "clients": args.clients,
        "telegram_share": args.telegram_share,
        "offered": int(args.rate * args.seconds),
        "sent": tally.started,
        "sending_seconds": round(elapsed, 1),
        "acknowledged_web": len(tally.web_ok),
        "acknowledged_telegram": len(tally.tg_ok),
        "accepted_per_second": round(acknowledged / elapsed, 1),
        "submission_ms": {"p50": pct(tally.web_ms, 0.5), "p95": pct(tally.web_ms, 0.95)},
        "webhook_ms": {"p50": pct(tally.hook_ms, 0.5), "p95": pct(tally.hook_ms, 0.95)},
        "home_ms": {
            "p50": pct(tally.home_ms, 0.5),
            "p95": pct(tally.home_ms, 0.95),
            "samples": len(tally.home_ms),
        },
        "errors": tally.errors,
        "stored_aspirations": stored,
        "lost": len(lost_web) + (len(missing_tg) if unprocessed == 0 else 0),
        "telegram_backlog_left": unprocessed,
        "telegram_backlog_seconds": round(drained_after, 1),
    }
    print(json.dumps(report, indent=2, ensure_ascii=False))
    out = ROOT / "benchmarks" / "results"
    out.mkdir(parents=True, exist_ok=True)
    name = f"burst-{'postgres' if postgres else 'sqlite'}-{datetime.now(UTC):%Y%m%d-%H%M%S}.json"
    (out / name).write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", "utf-8")
    print(f"saved benchmarks/results/{name}")
    return 0 if report["lost"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())

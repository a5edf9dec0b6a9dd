"""Burst intake benchmark (issues 8 and 15): aspirations arriving at a fixed offered rate from
many clients, web form submissions (session + CSRF) mixed with Telegram webhook conversations
that file aspirations, while a visitor keeps loading the home page.

Two layouts:

- embedded (default): a fresh SQLite database, one `rembug serve` with its in-process worker;
- postgres: ``--database-url postgresql+psycopg://…`` (a throwaway, empty database),
  ``--web-processes N`` `rembug serve` processes (worker off; default 2) and ``--workers N``
  `rembug worker` processes (default 2), the clients going round the web processes.

Reports accepted aspirations/s, p95 latency of the submission, of the webhook and of the home
page during the burst, and lost = acknowledged submissions missing afterwards (must be 0).

The limit (``--limit``, on by default for SQLite; ``--no-limit`` skips it): the same client
code, at the same offered rate, clients and duration, sends web submissions only (no
Telegram share: the limit has no webhook) to benchmarks/burst_limit.py (a bare Starlette app
under the same uvicorn options that only parses the form, checks session and CSRF token and
commits one row to SQLite, WAL, synchronous=FULL) once per commit mode (per request, group
commit), then to Rembug in a web-only run of its own (fresh database, no kill); Rembug's
accepted/s is reported as a share of the better limit mode. The run with the Telegram share
(and the kill) comes after it, as before; with ``--telegram-share 0`` and no ``--kill-at`` it
is the comparison run itself.

``--kill-at S``: S seconds into the (mixed) burst, the first `rembug serve` process gets
SIGKILL (its whole process group), is started again with the same command, and the clients
keep going (what fails meanwhile counts as errors, never as acknowledged). Afterwards the
benchmark waits until everything acknowledged has been processed (the chat spool, and the
web intake spool when ``forum.intake`` has one) and counts acknowledged vs stored.

``--scale 1,2,4`` (PostgreSQL): the mixed run once per number of web processes, each on a
fresh database made beside the given one (``<name>_n<N>``, dropped afterwards), side by side.

    .venv/bin/python benchmarks/burst.py [--rate 1000] [--seconds 60] [--clients 200]
        [--telegram-share 0.2] [--limit | --no-limit] [--kill-at S]
        [--database-url postgresql+psycopg://… [--web-processes 2] [--workers 2]
         [--scale 1,2,4]]

Prints progress every 5 s and a report, and saves it (JSON and a Markdown table) under
benchmarks/results/. Servers run the code of the checkout this file is in.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import platform
import secrets
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func
from sqlalchemy.engine import make_url
from sqlmodel import select

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
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
LIMIT_MODES = ("per-request", "group")


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
        assert agency.id is not None and category is not None and region is not None
        return Seeded(sessions, category, region, agency.id)


@dataclass
class Offer:
    """What one run offers: the same for every run of an invocation but the Telegram share."""

    rate: float
    seconds: float
    clients: int
    telegram_share: float


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


# --- processes ------------------------------------------------------------------------------


@dataclass
class Server:
    """A process the benchmark starts (in its own process group, so a supervisor and its
    children go together), and can start again with the same command."""

    name: str
    cmd: list[str]
    env: dict[str, str]
    log: Path
    proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                self.cmd,
                env=self.env,
                cwd=ROOT,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def kill(self) -> None:
        """SIGKILL, the whole group: no shutdown handler runs."""
        assert self.proc is not None
        with suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            with suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
        with suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=20)
        # Children of a stopped supervisor may outlive it briefly: clear the group for good.
        with suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=5)

    def check_running(self) -> None:
        if self.proc is not None and self.proc.poll() is not None:
            tail = self.log.read_text("utf-8", "replace")[-2000:]
            raise SystemExit(f"{self.name} exited early (see {self.log}):\n{tail}")


def rembug(*args: str) -> list[str]:
    # The interpreter running this file, with the checkout first on PYTHONPATH (see main).
    return [sys.executable, "-m", "forum.cli", *args]


def wait_healthy(url: str, server: Server, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        server.check_running()
        try:
            if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise SystemExit(f"{url} did not start (see {server.log})")
        time.sleep(0.2)


@dataclass
class KillPlan:
    at: float
    server: Server
    url: str
    killed_at: float | None = None
    back_at: float | None = None


# --- the burst ------------------------------------------------------------------------------


async def burst(
    label: str, offer: Offer, urls: list[str], seeded: Seeded, tally: Tally, kill: KillPlan | None
) -> float:
    total = int(offer.rate * offer.seconds)
    tg_every = round(1 / offer.telegram_share) if offer.telegram_share > 0 else 0
    csrf_cookie = "burst-csrf-cookie-0123456789abcdef"
    token = csrf_token_for(SECRET_KEY, csrf_cookie)
    next_index = itertools.count()
    update_ids = itertools.count(1_000_000)
    limits = httpx.Limits(
        max_connections=offer.clients + 10, max_keepalive_connections=offer.clients
    )
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
                if i >= total or time.perf_counter() - start > offer.seconds:
                    return  # the burst is over: what was not started by now was not sent
                delay = start + i / offer.rate - time.perf_counter()
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
                    f"  [{label}] {elapsed:5.0f} s: offered "
                    f"{min(total, int(elapsed * offer.rate))}, started {tally.started}, "
                    f"acknowledged {done} ({done / elapsed:.0f}/s), "
                    f"errors {sum(tally.errors.values())}",
                    flush=True,
                )

        async def kill_and_restart(plan: KillPlan) -> None:
            await asyncio.sleep(max(0.0, start + plan.at - time.perf_counter()))
            plan.killed_at = time.perf_counter() - start
            await asyncio.to_thread(plan.server.kill)
            print(f"  [{label}] {plan.killed_at:5.1f} s: SIGKILL {plan.server.name}", flush=True)
            await asyncio.to_thread(plan.server.start)
            deadline = time.monotonic() + 60
            while True:
                plan.server.check_running()
                try:
                    health = await client.get(f"{plan.url}/healthz", timeout=2)
                    if health.status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    raise SystemExit(f"{plan.server.name} did not come back")
                await asyncio.sleep(0.1)
            plan.back_at = time.perf_counter() - start
            print(f"  [{label}] {plan.back_at:5.1f} s: {plan.server.name} back", flush=True)

        home = asyncio.create_task(home_loop())
        reporter = asyncio.create_task(progress())
        killer = asyncio.create_task(kill_and_restart(kill)) if kill is not None else None
        await asyncio.gather(*(client_loop(n) for n in range(offer.clients)))
        elapsed = time.perf_counter() - start
        stop_home.set()
        await home
        reporter.cancel()
        if killer is not None:
            await killer  # a kill later than the burst still happens (and is waited for)
    return elapsed


def pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 1)


def figures(offer: Offer, tally: Tally, elapsed: float) -> dict[str, Any]:
    acknowledged = len(tally.web_ok) + len(tally.tg_ok)
    return {
        "offered": int(offer.rate * offer.seconds),
        "telegram_share": offer.telegram_share,
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
    }


# --- the limit ------------------------------------------------------------------------------


def run_limit(mode: str, offer: Offer, tmp: Path, env: dict[str, str]) -> dict[str, Any]:
    """benchmarks/burst_limit.py in one commit mode, web submissions only."""
    work = tmp / f"limit-{mode}"
    work.mkdir()
    # Tokens shaped like Rembug's session tokens (forum.actions.open_session).
    seeded = Seeded([secrets.token_urlsafe(32) for _ in range(offer.clients)], 1, 1, 1)
    sessions = work / "sessions.txt"
    sessions.write_text("\n".join(seeded.sessions) + "\n", "utf-8")
    db = work / "limit.sqlite3"
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = Server(
        f"limit ({mode})",
        [
            sys.executable,
            str(HERE / "burst_limit.py"),
            *("--port", str(port), "--db", str(db), "--sessions", str(sessions)),
            *("--commit", mode),
        ],
        env,
        work / "limit.log",
    )
    label = f"limit {mode}"
    try:
        server.start()
        wait_healthy(url, server)
        print(f"{label}: bare app, web submissions only", flush=True)
        tally = Tally()
        elapsed = asyncio.run(burst(label, offer, [url], seeded, tally, None))
    finally:
        server.stop()
    with sqlite3.connect(db) as conn:
        titles = [row[0] for row in conn.execute("SELECT title FROM submission")]
    conn.close()
    stored = set(titles)
    acknowledged = set(tally.web_ok)
    result = {
        "run": label,
        "layout": f"bare Starlette app, {mode} commit (benchmarks/burst_limit.py)",
        **figures(offer, tally, elapsed),
        "stored": len(titles),
        "missing": len(acknowledged - stored),
        "stored_not_acknowledged": len(stored - acknowledged),
        "lost": len(acknowledged - stored),
        "stored_equals_acknowledged": len(titles) == len(tally.web_ok) and stored == acknowledged,
    }
    print(
        f"{label}: {result['accepted_per_second']}/s; {len(tally.web_ok)} acknowledged, "
        f"{len(titles)} rows stored",
        flush=True,
    )
    return result


# --- Rembug ---------------------------------------------------------------------------------


def pending(services: Services) -> dict[str, int]:
    """What the intake acknowledged and the worker has not stored yet: chat updates and web
    submissions wait in the same spool (forum.intake)."""
    return {"intake": pending_count(services)}


@dataclass
class Layout:
    postgres: bool
    web_processes: int
    workers: int

    def describe(self) -> str:
        if not self.postgres:
            return "SQLite (embedded default): 1 × rembug serve with its in-process worker"
        return f"PostgreSQL: {self.web_processes} × rembug serve + {self.workers} × rembug worker"


def run_rembug(
    label: str,
    layout: Layout,
    offer: Offer,
    kill_at: float | None,
    db_url: str,
    work: Path,
    env_base: dict[str, str],
    drain_seconds: float,
) -> dict[str, Any]:
    """One Rembug run on a fresh database: seed, serve, burst, wait for the backlog, count."""
    work.mkdir()
    env = {
        **env_base,
        "REMBUG_DATA_DIR": str(work),
        "REMBUG_DATABASE_URL": db_url,
    }
    if layout.postgres:
        env["REMBUG_SEARCH_BACKEND"] = "postgres"
    print(f"{label}: {layout.describe()}; data in {work}", flush=True)
    migrate(db_url)
    services = build_services(Settings.from_env(env))
    servers: list[Server] = []
    try:
        seeded = seed(services, offer.clients)
        urls = []
        for n in range(layout.web_processes):
            port = free_port()
            web_env = {**env, "REMBUG_RUN_WORKER": "false" if layout.postgres else "true"}
            cmd = rembug("serve", "--port", str(port))
            servers.append(Server(f"rembug serve {n}", cmd, web_env, work / f"web-{n}.log"))
            urls.append(f"http://127.0.0.1:{port}")
        if layout.postgres:
            for n in range(layout.workers):
                worker_env = {**env, "REMBUG_WORKER_POLL_SECONDS": "0.2"}
                servers.append(
                    Server(f"rembug worker {n}", rembug("worker"), worker_env, work / f"w-{n}.log")
                )
        for server in servers:
            server.start()
        for url, server in zip(urls, servers, strict=False):
            wait_healthy(url, server)
        kill = KillPlan(kill_at, servers[0], urls[0]) if kill_at is not None else None
        tally = Tally()
        elapsed = asyncio.run(burst(label, offer, urls, seeded, tally, kill))
        acknowledged = len(tally.web_ok) + len(tally.tg_ok)
        print(f"{label}: sent for {elapsed:.1f} s; {acknowledged} acknowledged; checking…")
        # Telegram updates (and, with forum.intake, web submissions) are stored in a spool when
        # acknowledged and become aspirations once the worker has run them: wait for that.
        drain_start = time.perf_counter()
        while True:
            left = pending(services)
            if not any(left.values()) or time.perf_counter() - drain_start > drain_seconds:
                break
            waiting = ", ".join(f"{what} {count}" for what, count in left.items())
            print(f"  [{label}] backlog: {waiting} to process", flush=True)
            time.sleep(5)
        drained_after = time.perf_counter() - drain_start
        with services.db.read() as db:
            titles = set(db.exec(select(Aspiration.title)))
            stored = int(db.exec(select(func.count()).select_from(Aspiration)).one())
    finally:
        for server in reversed(servers):
            server.stop()
        services.close()
    acked = set(tally.web_ok) | set(tally.tg_ok)
    missing = len(acked - titles)
    backlog = sum(left.values())
    result = {
        "run": label,
        "layout": layout.describe(),
        "web_processes": layout.web_processes,
        "workers": layout.workers if layout.postgres else 0,
        **figures(offer, tally, elapsed),
        "killed_at": round(kill.killed_at, 1) if kill and kill.killed_at is not None else None,
        "back_at": round(kill.back_at, 1) if kill and kill.back_at is not None else None,
        "stored_aspirations": stored,
        "missing": missing,
        # Stored although the client saw an error (the answer was lost with the process).
        "stored_not_acknowledged": len(titles - acked),
        # Unknown (None) while a backlog is left: it may still be processed.
        "lost": missing if backlog == 0 else None,
        "backlog_left": left,
        "backlog_seconds": round(drained_after, 1),
    }
    print(
        f"{label}: {result['accepted_per_second']}/s; {acknowledged} acknowledged, "
        f"{missing} of them missing, backlog left {backlog}",
        flush=True,
    )
    return result


# --- PostgreSQL throwaway databases ---------------------------------------------------------


def _admin_dsn(url: str) -> str:
    """A libpq URI for the server's ``postgres`` database."""
    admin = make_url(url).set(drivername="postgresql", database="postgres")
    return admin.render_as_string(hide_password=False)


def fresh_database(url: str, suffix: str) -> str:
    """Drop and create ``<name>_<suffix>`` on the server of ``url``; returns its URL."""
    import psycopg
    from psycopg import sql

    base = make_url(url)
    name = f"{base.database}_{suffix}"
    with psycopg.connect(_admin_dsn(url), autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return base.set(database=name).render_as_string(hide_password=False)


def drop_database(url: str) -> None:
    import psycopg
    from psycopg import sql

    name = str(make_url(url).database)
    with psycopg.connect(_admin_dsn(url), autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


# --- the report -----------------------------------------------------------------------------


def _ms(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value / 1000:.1f} s" if value >= 1000 else f"{value:.0f} ms"


def markdown(report: dict[str, Any]) -> str:
    lines = [
        f"Burst, {report['when']}: {report['offered_rate']:.0f}/s offered for "
        f"{report['offered_seconds']:.0f} s from {report['clients']} clients; "
        f"{report['machine']}",
        "",
        "| run | layout | Telegram | sent | acknowledged | accepted/s | submission p50 / p95 "
        "| webhook p95 | home p95 | errors | killed / back at | lost |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for run in report["runs"]:
        acked = run["acknowledged_web"] + run["acknowledged_telegram"]
        killed = (
            f"{run['killed_at']} s / {run['back_at']} s" if run.get("killed_at") is not None else ""
        )
        lost = run["lost"]
        lines.append(
            f"| {run['run']} | {run['layout']} | {run['telegram_share']:.0%} | {run['sent']} "
            f"| {acked} | {run['accepted_per_second']} "
            f"| {_ms(run['submission_ms']['p50'])} / {_ms(run['submission_ms']['p95'])} "
            f"| {_ms(run['webhook_ms']['p95'])} | {_ms(run['home_ms']['p95'])} "
            f"| {sum(run['errors'].values())} | {killed} "
            f"| **{'?' if lost is None else lost}** |"
        )
    limit = report.get("limit")
    if limit:
        lines += [
            "",
            f"Limit: per request {limit['per_request']}/s, group commit {limit['group']}/s; "
            f"Rembug web-only {limit['rembug_web']}/s = **{limit['ratio']:.0%}** of the "
            f"better ({limit['best_mode']}). Limit rows stored = acknowledged: "
            f"{'yes' if limit['stored_equals_acknowledged'] else '**no**'}.",
        ]
        if not limit["saturated"]:
            lines.append(
                "(The limit kept up with the offered rate, so the ratio says little: offer more.)"
            )
    if report.get("scale"):
        lines += [
            "",
            "| web processes | workers | accepted/s | submission p95 | webhook p95 | home p95 "
            "| lost |",
            "|---|---|---|---|---|---|---|",
        ]
        for row in report["scale"]:
            lost = "?" if row["lost"] is None else row["lost"]
            lines.append(
                f"| {row['web_processes']} | {row['workers']} | {row['accepted_per_second']} "
                f"| {_ms(row['submission_p95_ms'])} | {_ms(row['webhook_p95_ms'])} "
                f"| {_ms(row['home_p95_ms'])} | **{lost}** |"
            )
    return "\n".join(lines) + "\n"


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
        "--limit",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="compare with benchmarks/burst_limit.py (default: on for SQLite, off for PostgreSQL)",
    )
    parser.add_argument(
        "--kill-at", type=float, default=None, help="SIGKILL rembug serve this many s in"
    )
    parser.add_argument("--web-processes", type=int, default=None, help="PostgreSQL: default 2")
    parser.add_argument("--workers", type=int, default=None, help="PostgreSQL: default 2")
    parser.add_argument(
        "--scale", default="", help="PostgreSQL: comma-separated web process counts, e.g. 1,2,4"
    )
    parser.add_argument(
        "--drain-seconds", type=float, default=600, help="how long to wait for the backlog"
    )
    args = parser.parse_args()
    postgres = args.database_url.startswith("postgresql")
    if not postgres and (args.scale or (args.web_processes or 1) != 1 or args.workers):
        parser.error("--web-processes, --workers and --scale are for the PostgreSQL layout")
    try:
        scale = [int(n) for n in args.scale.split(",") if n.strip()]
    except ValueError:
        parser.error("--scale takes comma-separated numbers, e.g. 1,2,4")
    if any(n < 1 for n in scale):
        parser.error("--scale: at least one web process")
    limit = args.limit if args.limit is not None else not postgres
    workers = args.workers if args.workers is not None else 2
    webs = scale or [args.web_processes or (2 if postgres else 1)]
    layouts = [Layout(postgres, n, workers) for n in webs]

    tmp = Path(tempfile.mkdtemp(prefix="rembug-burst-"))
    # Servers run this checkout's code whatever is installed: it goes first on PYTHONPATH.
    pythonpath = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)
    env = {
        **os.environ,
        "PYTHONPATH": pythonpath,
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
    code = subprocess.run(
        [sys.executable, "-c", "import forum, os; print(os.path.dirname(forum.__file__))"],
        env=env,
        cwd=tmp,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    if Path(code).resolve() != (ROOT / "forum").resolve():
        print(f"warning: the servers would run {code}, not this checkout's code", flush=True)
    print(f"burst: code under test {code}; data in {tmp}", flush=True)
    offer = Offer(args.rate, args.seconds, args.clients, args.telegram_share)
    web_only = Offer(args.rate, args.seconds, args.clients, 0.0)
    print(
        f"offering {args.rate:.0f} aspirations/s for {args.seconds:.0f} s from "
        f"{args.clients} clients ({args.telegram_share:.0%} through Telegram"
        f"{'; web only for the limit comparison' if limit else ''})",
        flush=True,
    )

    def rembug_run(label: str, layout: Layout, run_offer: Offer, kill_at: float | None) -> Any:
        suffix = label.replace(" ", "_").replace("-", "_")
        derived = postgres and (bool(scale) or label != "rembug")
        db_url = (
            fresh_database(args.database_url, suffix.removeprefix("rembug_"))
            if derived
            else (args.database_url or f"sqlite:///{tmp / suffix / 'burst.sqlite3'}")
        )
        try:
            return run_rembug(
                label, layout, run_offer, kill_at, db_url, tmp / suffix, env, args.drain_seconds
            )
        finally:
            if derived:
                drop_database(db_url)

    runs: list[dict[str, Any]] = []
    limit_report: dict[str, Any] | None = None
    if limit:
        limits = {mode: run_limit(mode, web_only, tmp, env) for mode in LIMIT_MODES}
        runs += limits.values()
        # The mixed run is the comparison itself when it sends web submissions only, unkilled.
        separate = args.telegram_share > 0 or args.kill_at is not None
        comparison = rembug_run("rembug web-only", layouts[0], web_only, None) if separate else None
        if comparison is not None:
            runs.append(comparison)
    mains = []
    for layout in layouts:
        label = f"rembug n{layout.web_processes}" if scale else "rembug"
        mains.append(rembug_run(label, layout, offer, args.kill_at))
    runs += mains
    if limit:
        compared = comparison if comparison is not None else mains[0]
        best_mode = max(LIMIT_MODES, key=lambda mode: limits[mode]["accepted_per_second"])
        best = limits[best_mode]["accepted_per_second"]
        limit_report = {
            "per_request": limits["per-request"]["accepted_per_second"],
            "group": limits["group"]["accepted_per_second"],
            "best_mode": best_mode,
            "rembug_web": compared["accepted_per_second"],
            "ratio": round(compared["accepted_per_second"] / best, 3) if best else 0.0,
            "stored_equals_acknowledged": all(
                limits[mode]["stored_equals_acknowledged"] for mode in LIMIT_MODES
            ),
            # Below the offered rate: the limit, not the offer, set its figure.
            "saturated": best < 0.95 * args.rate,
        }
    scale_rows = [
        {
            "web_processes": run["web_processes"],
            "workers": run["workers"],
            "accepted_per_second": run["accepted_per_second"],
            "submission_p95_ms": run["submission_ms"]["p95"],
            "webhook_p95_ms": run["webhook_ms"]["p95"],
            "home_p95_ms": run["home_ms"]["p95"],
            "lost": run["lost"],
        }
        for run in mains
    ]
    rembug_runs = [run for run in runs if run["run"].startswith("rembug")]
    lost = [run["lost"] for run in rembug_runs]
    report: dict[str, Any] = {
        "benchmark": "burst",
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.platform()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}",
        "code": code,
        "layout": layouts[0].describe() if not scale else "PostgreSQL, scale runs",
        "offered_rate": args.rate,
        "offered_seconds": args.seconds,
        "clients": args.clients,
        "telegram_share": args.telegram_share,
        "kill_at": args.kill_at,
        "runs": runs,
        "limit": limit_report,
        "scale": scale_rows if scale else None,
        "lost": None if None in lost else sum(n for n in lost if n is not None),
    }
    ok = report["lost"] == 0 and (
        limit_report is None or limit_report["stored_equals_acknowledged"]
    )
    report["ok"] = ok
    table = markdown(report)
    print(json.dumps(report, indent=2, ensure_ascii=False))
    print()
    print(table, end="")
    out = HERE / "results"
    out.mkdir(parents=True, exist_ok=True)
    stem = f"burst-{'postgres' if postgres else 'sqlite'}-{datetime.now(UTC):%Y%m%d-%H%M%S}"
    (out / f"{stem}.json").write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    (out / f"{stem}.md").write_text(table, "utf-8")
    print(f"saved benchmarks/results/{stem}.json and .md")
    if not ok:
        print("NOT OK: something acknowledged is missing (or a backlog was left)", flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

"""Crash test: a client submits aspirations through the real HTTP endpoint while the server
is killed with SIGKILL at random moments, 30 times; every submission that got a success
answer (on disk in the intake spool) must be stored once the server runs again, with its
moderation case and outbox rows, and the database must pass its integrity check. Runs on
SQLite and on PostgreSQL (whichever the suite uses)."""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import httpx
from sqlalchemy import text
from sqlmodel import select

from forum import actions
from forum.intake import pending_count
from forum.models import Account, Aspiration, Category, OutboxJob, Region, utcnow
from forum.web.kit import CSRF_COOKIE, SESSION_COOKIE, csrf_token_for
from moderation.models import ModerationCase
from tests.conftest import World

KILLS = 30


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(world: World, port: int, data_dir: Path) -> subprocess.Popen[bytes]:
    settings = world.services.settings
    env = {
        **os.environ,
        "REMBUG_DATABASE_URL": settings.database_url,
        "REMBUG_DATA_DIR": str(data_dir),
        "REMBUG_SECRET_KEY": settings.secret_key,
        "REMBUG_RUN_WORKER": "true",
        "REMBUG_RATE_POSTS_PER_HOUR": "1000000",
        "REMBUG_LOG_LEVEL": "WARNING",
        "REMBUG_PASSWORD_HASH_TIME_COST": "1",
        "REMBUG_PASSWORD_HASH_MEMORY_KIB": "1024",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "forum.cli", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    # Generous: a machine busy with other work may take long to import and migrate-check.
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.05)
    process.kill()
    process.wait(timeout=30)
    raise AssertionError(f"the server did not start (exit code {process.returncode})")


def test_acknowledged_submissions_survive_thirty_sigkills(world: World, tmp_path: Path) -> None:
    services = world.services
    with services.db.write() as db:
        account = db.get(Account, world.citizen.id)
        account.created_at = utcnow() - timedelta(days=30)  # not a new account: no 30 s pacing
        db.add(account)
        token = actions.open_session(
            db, account, ip="127.0.0.1", user_agent="crash-test", session_days=1
        )
        category = db.exec(select(Category.id).where(Category.slug == "infrastruktur")).one()
        region = db.exec(select(Region.id).where(Region.code == "32.73")).one()
    csrf_cookie = "crash-test-csrf-cookie-0123456789"
    cookies = {SESSION_COOKIE: token, CSRF_COOKIE: csrf_cookie}
    form = {
        "csrf_token": csrf_token_for(services.settings.secret_key, csrf_cookie),
        "body": "Jalan berlubang di depan sekolah, mohon segera diperbaiki sebelum musim hujan.",
        "category": str(category),
        "region": str(region),
        "visibility": "public",
        "step": "send",
    }
    rng = random.Random(2026)
    acknowledged: list[str] = []
    attempted = 0
    port = free_port()
    for round_number in range(KILLS):
        server = start_server(world, port, tmp_path)
        stop = threading.Event()

        def submit_until_dead(
            round_number: int = round_number, stop: threading.Event = stop
        ) -> None:
            nonlocal attempted
            with httpx.Client(
                base_url=f"http://127.0.0.1:{port}", cookies=cookies, timeout=5
            ) as client:
                n = 0
                while not stop.is_set():
                    title = f"Uji mati-listrik {round_number:02d}-{n:04d}"
                    n += 1
                    attempted += 1
                    try:
                        response = client.post("/aspirasi/baru", data={**form, "title": title})
                    except httpx.HTTPError:
                        return  # the server died: this one was never acknowledged
                    if response.status_code == 303:
                        acknowledged.append(title)
                    else:
                        raise AssertionError(f"unexpected answer {response.status_code}")

        worker = threading.Thread(target=submit_until_dead)
        worker.start()
        time.sleep(rng.uniform(0.2, 1.2))
        server.send_signal(signal.SIGKILL)
        server.wait()
        stop.set()
        worker.join(timeout=10)
    assert len(acknowledged) > KILLS  # the test did exercise the endpoint
    # Started once more, the server stores what its intake acknowledged before the last kill
    # (the killed worker's drain job is taken over at once, not after its lease).
    server = start_server(world, port, tmp_path)
    try:
        deadline = time.monotonic() + 60
        while pending_count(services) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert pending_count(services) == 0, "the restarted server left the intake waiting"
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    with services.db.read() as db:
        stored = {a.title: a for a in db.exec(select(Aspiration))}
        missing = [t for t in acknowledged if t not in stored]
        assert missing == [], f"{len(missing)} acknowledged submissions lost"
        cases = {c.aspiration_id for c in db.exec(select(ModerationCase))}
        assert all(stored[t].id in cases for t in acknowledged)
        # Each submission's "received" notification job was written in its transaction.
        received = {
            job.dedupe_key
            for job in db.exec(select(OutboxJob))
            if "AspirationSubmitted" in (job.dedupe_key or "")
        }
        assert all(
            any(f"aspiration_id={stored[t].id}:" in key for key in received) for t in acknowledged
        )
        if services.db.is_sqlite:
            assert db.execute(text("PRAGMA integrity_check")).scalar() == "ok"
        tickets = [a.ticket for a in stored.values()]
        assert len(tickets) == len(set(tickets))  # no ticket number handed out twice
    print(
        f"crash test: {KILLS} kills, {attempted} attempts, {len(acknowledged)} acknowledged, 0 lost"
    )

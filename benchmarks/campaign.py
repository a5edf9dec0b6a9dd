"""Copy-paste campaign benchmark (issue 8): the same comment from many accounts (10,000 by
default) must end up as ONE entry in the moderation queue, cleared by one bulk decision.

Contributions are made through the forum's actions (each one opens its moderation case and
runs every screen, as a web or chat submission does); the moderator's side goes through the
real web app: the queue page, then one bulk rejection of the cluster, which answers at once
with its progress page while the outbox worker decides the cases in chunks (timed: the
request in ms, the job in s, and the queue page while the job runs).

    .venv/bin/python benchmarks/campaign.py [--accounts 10000] [--database-url postgresql+psycopg://…]

Prints progress and a report, and saves it as JSON under benchmarks/results/.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import re
import statistics
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func
from sqlmodel import select
from starlette.testclient import TestClient

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from forum import actions, totp  # noqa: E402
from forum.app import build_services, create_app  # noqa: E402
from forum.db import migrate  # noqa: E402
from forum.models import Agency, Comment, Consultation, Role  # noqa: E402
from forum.seeds import upsert_reference_data  # noqa: E402
from forum.settings import Settings  # noqa: E402
from forum.web.kit import SESSION_COOKIE  # noqa: E402
from moderation.models import CaseStatus, ModerationCase  # noqa: E402

TEXT = "Tolak rancangan ini! Kami menolak seluruh isi peraturan ini demi rakyat kecil."
PASSWORD = "rahasia-sekali-123"  # noqa: S105 - throwaway database
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--accounts", type=int, default=10_000)
    parser.add_argument("--database-url", default="", help="a throwaway PostgreSQL database")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="rembug-campaign-"))
    db_url = args.database_url or f"sqlite:///{tmp / 'campaign.sqlite3'}"
    env = {
        "REMBUG_DATA_DIR": str(tmp),
        "REMBUG_DATABASE_URL": db_url,
        "REMBUG_SECRET_KEY": "campaign-secret-key-0123456789-0123456789-abc",
        "REMBUG_RUN_WORKER": "false",
        "REMBUG_LOG_LEVEL": "WARNING",
        "REMBUG_PAGE_CACHE_SECONDS": "0",
        "REMBUG_PASSWORD_HASH_TIME_COST": "1",
        "REMBUG_PASSWORD_HASH_MEMORY_KIB": "1024",
    }
    engine = "PostgreSQL" if db_url.startswith("postgresql") else "SQLite"
    print(f"campaign: {args.accounts} accounts, {engine}, data in {tmp}", flush=True)
    migrate(db_url)
    services = build_services(Settings.from_env(env))
    now = datetime.now(UTC)
    with services.db.write() as db:
        upsert_reference_data(db)
        if db.exec(select(func.count()).select_from(Comment)).one():
            sys.exit("the database already holds comments: use a fresh, throwaway one")
        agency = Agency(slug="kampanye", name="Dinas Uji Kampanye")
        db.add(agency)
        db.flush()
        official = actions.create_account(
            db,
            name="Petugas",
            email="petugas@kampanye.id",
            password=PASSWORD,
            role=Role.official,
            agency_id=agency.id,
            consent=True,
        )
        moderator = actions.create_account(
            db,
            name="Moderator",
            email="moderator@kampanye.id",
            password=PASSWORD,
            role=Role.moderator,
            consent=True,
        )
        consultation = actions.create_consultation_from_markdown(
            db,
            official,
            agency_id=agency.id,  # type: ignore[arg-type]
            markdown="# Rancangan\n\n## Pasal 1\n\nIsi.",
            title="Rancangan Uji Kampanye",
            opens_at=now - timedelta(days=1),
            closes_at=now + timedelta(days=30),
        )
        actions.publish_consultation(db, official, consultation)
        consultation_id = consultation.id
        # Staff must use two-factor authentication: enrolled as the demo does, so the
        # session below reaches the queue (not the enrolment page).
        actions.enrol_with_secret(
            db, moderator, totp.new_secret(), secret_key=services.settings.sealing_keys
        )
        session_token = actions.open_session(
            db, moderator, ip="127.0.0.1", user_agent="campaign", session_days=1
        )
    print("creating accounts …", flush=True)
    t0 = time.perf_counter()
    accounts = []
    for start in range(0, args.accounts, 500):
        with services.db.write() as db:
            for n in range(start, min(start + 500, args.accounts)):
                accounts.append(
                    actions.create_account(
                        db,
                        name=f"Akun {n}",
                        email=f"akun{n}@kampanye.id",
                        password=PASSWORD,
                        role=Role.citizen,
                        consent=True,
                    )
                )
    print(f"  {len(accounts)} accounts in {time.perf_counter() - t0:.1f} s", flush=True)
    print("ingesting the campaign (one transaction per comment, as from the web) …", flush=True)
    t0 = time.perf_counter()
    for n, account in enumerate(accounts):
        body = TEXT.upper() if n % 3 == 0 else TEXT.replace(" ", "  ", n % 2)
        with services.db.write(durable=True) as db:
            actions.submit_comment(db, account, db.get(Consultation, consultation_id), body=body)
        if (n + 1) % 1000 == 0:
            elapsed = time.perf_counter() - t0
            print(f"  {n + 1} comments, {(n + 1) / elapsed:.0f}/s", flush=True)
    ingest_seconds = time.perf_counter() - t0
    app = create_app(services.settings, services=services)
    with TestClient(app, base_url="http://testserver") as client:
        client.cookies.set(SESSION_COOKIE, session_token)
        t0 = time.perf_counter()
        page = client.get("/moderation", follow_redirects=False)
        queue_ms = (time.perf_counter() - t0) * 1000
        assert page.status_code == 200, (page.status_code, page.headers.get("location"))
        entries = len(re.findall(r'name="(?:case|kluster)" value="', page.text))
        clusters = re.findall(r'name="kluster" value="([0-9a-f]+)"', page.text)
        token = CSRF_RE.search(page.text)
        assert token is not None
        print(
            f"queue: {entries} entries ({len(clusters)} cluster) in {queue_ms:.0f} ms", flush=True
        )
        t0 = time.perf_counter()
        cleared = client.post(
            "/moderation/massal",
            data={
                "csrf_token": token.group(1),
                "kluster": clusters,
                "action": "reject",
                "reason": "off-topic",
            },
            follow_redirects=False,
        )
        request_ms = (time.perf_counter() - t0) * 1000
        assert cleared.status_code == 303, cleared.status_code
        progress = cleared.headers["location"]
        print(f"bulk rejection answered in {request_ms:.0f} ms: {progress}", flush=True)
        # The worker decides the cases in chunks (moderation.bulk_jobs) in its own thread, as
        # `rembug worker` would; meanwhile a moderator keeps using the queue.
        assert services.worker is not None
        worker = services.worker
        t0 = time.perf_counter()
        runner = threading.Thread(target=lambda: asyncio.run(worker.drain(max_rounds=100_000)))
        runner.start()
        queue_during: list[float] = []
        state = client.get(progress + ".json").json()
        while runner.is_alive() and not state["finished"]:
            q0 = time.perf_counter()
            assert client.get("/moderation").status_code == 200
            queue_during.append((time.perf_counter() - q0) * 1000)
            time.sleep(0.25)
            state = client.get(progress + ".json").json()
        job_seconds = time.perf_counter() - t0
        print(
            f"job {state['state']}: {state['decided']} decided, {state['skipped']} skipped in "
            f"{job_seconds:.1f} s; queue page meanwhile: median "
            f"{statistics.median(queue_during):.0f} ms, max {max(queue_during):.0f} ms",
            flush=True,
        )
        runner.join()  # the decisions' notifications and search updates
        outbox_seconds = time.perf_counter() - t0
        print(f"outbox drained (notifications, search) after {outbox_seconds:.1f} s", flush=True)
        after = client.get("/moderation").text
        entries_after = len(re.findall(r'name="(?:case|kluster)" value="', after))
    with services.db.read() as db:
        still_open = int(
            db.exec(
                select(func.count())
                .select_from(ModerationCase)
                .where(ModerationCase.status == CaseStatus.pending)
            ).one()
        )
    services.db.engine.dispose()
    report = {
        "benchmark": "campaign",
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.platform()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}",
        "engine": engine,
        "accounts": args.accounts,
        "ingest_seconds": round(ingest_seconds, 1),
        "ingest_per_second": round(args.accounts / ingest_seconds, 1),
        "queue_entries_seen": entries,
        "clusters_seen": len(clusters),
        "queue_page_ms": round(queue_ms, 1),
        "bulk_request_ms": round(request_ms, 1),
        "bulk_job_seconds": round(job_seconds, 1),
        "bulk_job_state": state["state"],
        "outbox_drained_seconds": round(outbox_seconds, 1),
        "bulk_decided": state["decided"],
        "queue_page_during_job_ms_max": round(max(queue_during), 1),
        "queue_page_during_job_ms_median": round(statistics.median(queue_during), 1),
        "queue_entries_after": entries_after,
        "cases_still_open": still_open,
    }
    print(json.dumps(report, indent=2))
    out = ROOT / "benchmarks" / "results"
    out.mkdir(parents=True, exist_ok=True)
    name = f"campaign-{engine.lower()}-{datetime.now(UTC):%Y%m%d-%H%M%S}.json"
    (out / name).write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"saved benchmarks/results/{name}")
    ok = entries == 1 and len(clusters) == 1 and still_open == 0 and state["state"] == "done"
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

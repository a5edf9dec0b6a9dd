"""Every-page benchmark (issue 22): each page Rembug serves to citizens and staff, anonymous and
signed in, under wrk next to a bare Starlette app that returns the same bytes, in one run.

    .venv/bin/python benchmarks/pages.py [--comments 10000 --aspirations 100000
        --citizens 5000 --connections 64 --duration 5 --workers 1]

Steps: a fresh data dir; `rembug migrate`; the consultation of benchmarks/consultation_page.py
(N comments and replies by the citizens, through forum.actions); M aspirations by those
citizens, published, routed to the agency, every tenth one answered; staff enrolled in
two-factor authentication; a session each for a citizen, the official and the moderator
(opened as a sign-in does, so every request looks the session up as in production); `rembug
reindex`; `rembug serve` (worker off). Each page is fetched once per role to capture its bytes
for the bare twin (benchmarks/bare_app.py, same uvicorn options), then wrk drives every page
and its twin with the same connections and duration. The report (Markdown and JSON) goes to
benchmarks/results/pages-<timestamp>/.

Goal (issue 22): every public page, anonymous or signed in, ≥ 0.25× the bare app and p99 ≤
100 ms; staff pages (the moderation queue, the agency desk) ≥ 0.1× and p99 ≤ 200 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from consultation_page import (  # noqa: E402
    BIN,
    LOAD_ENV,
    LUA_HOOK,
    OPINIONS,
    RESULTS,
    Processes,
    _on_sigterm,
    ensure_wrk,
    free_port,
    load_data,
    machine,
    wait_ready,
)

PUBLIC = {"ratio": 0.25, "p99_ms": 100.0}
STAFF = {"ratio": 0.1, "p99_ms": 200.0}
PLACES = ["jalan", "drainase", "sekolah", "puskesmas", "pasar", "lampu jalan", "air bersih"]


@dataclass
class Page:
    name: str
    path: str
    role: str  # anonymous, citizen, official, moderator
    staff: bool = False
    size: int = 0
    content_type: str = ""


def load_aspirations(env: dict[str, str], args: argparse.Namespace) -> dict[str, Any]:
    """Aspirations by the benchmark's citizens, published and routed, a tenth answered; staff
    enrolled; one session per signed-in role."""
    from sqlmodel import col, select

    from forum import actions
    from forum.app import build_services
    from forum.models import Account, Agency, AspirationStatus, Category, Region, Role, Visibility
    from forum.settings import Settings

    started = time.monotonic()
    rng = random.Random(args.seed + 1)
    services = build_services(Settings.from_env({**env, **LOAD_ENV}))
    db = services.db
    key = services.settings.sealing_keys
    try:
        with db.read() as s:
            agency_id = s.exec(select(Agency.id)).first()
            region_ids = list(s.exec(select(Region.id).limit(200)))
            category_ids = list(s.exec(select(Category.id)))
            citizen_ids = list(s.exec(select(Account.id).where(Account.role == Role.citizen)))
            staff = {
                a.role: a.id
                for a in s.exec(
                    select(Account).where(col(Account.role).in_([Role.official, Role.moderator]))
                )
            }
        first_ticket = ""
        done = 0
        now = datetime.now(UTC)
        step = timedelta(days=300) / max(args.aspirations, 1)
        at = now - timedelta(days=301)
        while done < args.aspirations:
            batch = min(args.batch, args.aspirations - done)
            with db.write() as s:
                moderator = s.get(Account, staff[Role.moderator])
                official = s.get(Account, staff[Role.official])
                authors = {
                    a.id: a for a in s.exec(select(Account).where(col(Account.id).in_(citizen_ids)))
                }
                for _ in range(batch):
                    at += step
                    place = rng.choice(PLACES)
                    aspiration = actions.submit_aspiration(
                        s,
                        authors[rng.choice(citizen_ids)],
                        title=f"Perbaikan {place} di kelurahan kami (no. {done + 1})",
                        body=f"{rng.choice(OPINIONS)}\n\nMohon {place} segera ditangani.",
                        category_id=rng.choice(category_ids),
                        region_id=rng.choice(region_ids),
                        agency_id=agency_id,
                        visibility=Visibility.public,
                        now=at,
                    )
                    if aspiration.status == AspirationStatus.pending:
                        actions.publish_aspiration(s, moderator, aspiration, now=at)
                    if done % 10 == 0 and aspiration.agency_id is not None:
                        actions.publish_official_response(
                            s,
                            official,  # type: ignore[arg-type]
                            body="Terima kasih, laporan Anda kami tindak lanjuti minggu ini.",
                            aspiration=aspiration,
                            now=at + timedelta(hours=5),
                        )
                    first_ticket = first_ticket or aspiration.ticket
                    done += 1
            rate = done / (time.monotonic() - started)
            print(f"  aspirations: {done}/{args.aspirations} ({rate:.0f}/s)", flush=True)

        tokens: dict[str, str] = {}
        with db.write() as s:
            for account_id in staff.values():
                account = s.get(Account, account_id)
                assert account is not None
                actions.enrol_with_secret(s, account, os.urandom(20), secret_key=key)
            accounts = {
                "citizen": s.get(Account, citizen_ids[0]),
                "official": s.get(Account, staff[Role.official]),
                "moderator": s.get(Account, staff[Role.moderator]),
            }
            for role, account in accounts.items():
                assert account is not None
                tokens[role] = actions.open_session(
                    s, account, ip="127.0.0.1", user_agent="wrk", session_days=30
                )
    finally:
        services.db.engine.dispose()
    return {
        "aspirations": done,
        "first_ticket": first_ticket,
        "tokens": tokens,
        "seconds": round(time.monotonic() - started, 1),
    }


def run_wrk(wrk: str, url: str, cookie: str, args: argparse.Namespace, duration: int) -> dict:
    cmd = [wrk, f"-t{args.threads}", f"-c{args.connections}", f"-d{duration}s"]
    cmd += ["--timeout", "10s", "--latency", "-s", str(LUA_HOOK)]
    if cookie:
        cmd += ["-H", f"Cookie: {cookie}"]
    out = subprocess.run(
        [*cmd, url], capture_output=True, text=True, timeout=duration + 60, check=True
    )
    line = next((x for x in out.stdout.splitlines() if x.startswith("BENCH_JSON ")), None)
    if line is None:
        raise SystemExit(f"wrk printed no report:\n{out.stdout}\n{out.stderr}")
    result: dict[str, Any] = json.loads(line.removeprefix("BENCH_JSON "))
    return result


def measure(wrk: str, url: str, cookie: str, args: argparse.Namespace) -> dict[str, Any]:
    if args.warmup:
        run_wrk(wrk, url, cookie, args, args.warmup)
    raw = run_wrk(wrk, url, cookie, args, args.duration)
    seconds = raw["duration_us"] / 1e6
    return {
        "rps": round(raw["requests"] / seconds, 1),
        "p50_ms": round(raw["p50_us"] / 1000, 1),
        "p99_ms": round(raw["p99_us"] / 1000, 1),
        "errors": raw["connect_errors"]
        + raw["read_errors"]
        + raw["write_errors"]
        + raw["timeouts"],
        "non_2xx": raw["status_errors"],
        "load": round(os.getloadavg()[0], 2),
    }


def capture(base: str, page: Page, cookie: str, pages_dir: Path) -> bytes:
    headers = {"Cookie": cookie} if cookie else {}
    response = httpx.get(base + page.path, headers=headers, timeout=60)
    if response.status_code != 200:
        raise SystemExit(f"{page.path} as {page.role} answered {response.status_code}, not 200")
    page.size, page.content_type = len(response.content), response.headers["content-type"]
    (pages_dir / f"{page.name}-{page.role}.html").write_bytes(response.content)
    return response.content


def table(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| page | as | Rembug req/s | p50 ms | p99 ms | bare req/s | ×bare | goal |",
        "|---|---|---:|---:|---:|---:|---:|---|",
    ]
    for r in rows:
        m, b = r["rembug"], r["bare"]
        lines.append(
            f"| {r['page']} `{r['path']}` | {r['role']} | {m['rps']:.1f} | {m['p50_ms']:.1f} | "
            f"{m['p99_ms']:.1f} | {b['rps']:.1f} | {r['ratio']:.3f} | "
            f"{'met' if r['goal_met'] else 'NOT met'} |"
        )
    return "\n".join(lines)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--comments", type=int, default=10000)
    p.add_argument("--aspirations", type=int, default=100000)
    p.add_argument("--citizens", type=int, default=5000)
    p.add_argument("--sections", type=int, default=50)
    p.add_argument("--connections", type=int, default=64)
    p.add_argument("--duration", type=int, default=5, help="seconds per measured run")
    p.add_argument("--warmup", type=int, default=2, help="seconds of unmeasured load first")
    p.add_argument("--workers", type=int, default=1)
    p.add_argument("--threads", type=int, default=2, help="wrk threads")
    p.add_argument("--rounds", type=int, default=1, help="rounds (medians reported)")
    p.add_argument("--seed", type=int, default=2)
    p.add_argument("--batch", type=int, default=1000, help="rows per transaction when loading")
    p.add_argument("--only", default="", help="comma-separated page names to measure")
    args = p.parse_args(argv)
    for name, low, high in [
        ("comments", 10, 200_000),
        ("aspirations", 10, 1_000_000),
        ("citizens", 1, 5000),
        ("connections", 1, 1024),
        ("duration", 1, 300),
        ("rounds", 1, 10),
        ("workers", 1, 16),
    ]:
        if not low <= getattr(args, name) <= high:
            p.error(f"--{name} must be between {low} and {high}")
    # What benchmarks/consultation_page.load_data also reads.
    args.reply_share, args.whole_share, args.busy_share = 0.3, 0.2, 0.15
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _on_sigterm)
    wrk = ensure_wrk()
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out = RESULTS / f"pages-{stamp}-w{args.workers}"
    pages_dir = out / "pages"
    pages_dir.mkdir(parents=True, exist_ok=True)
    data_dir = Path(tempfile.mkdtemp(prefix="rembug-pages-"))
    procs = Processes()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("REMBUG_")},
        "REMBUG_DATA_DIR": str(data_dir),
        "REMBUG_RUN_WORKER": "false",
        "REMBUG_LOG_LEVEL": "WARNING",
    }
    try:
        info = machine(wrk)
        print(f"Machine: {info['nproc']} CPUs, load {info['loadavg_at_start']}", flush=True)
        run = {"env": env, "check": True, "timeout": 3600, "stdout": subprocess.DEVNULL}
        subprocess.run([str(BIN / "rembug"), "migrate"], **run)  # type: ignore[call-overload]
        print(f"Loading {args.comments} comments, {args.citizens} citizens …", flush=True)
        loaded = load_data(env, args)
        print(f"Loading {args.aspirations} aspirations …", flush=True)
        extra = load_aspirations(env, args)
        print("Rebuilding the search index (rembug reindex) …", flush=True)
        subprocess.run([str(BIN / "rembug"), "reindex"], **run)  # type: ignore[call-overload]

        cid, ticket = loaded.consultation_id, extra["first_ticket"]
        public = [
            ("home", "/"),
            ("consultation", f"/konsultasi/{cid}"),
            ("aspirations", "/aspirasi"),
            ("aspiration", f"/aspirasi/{ticket}"),
            ("accountability", "/akuntabilitas"),
            ("search", "/cari?q=jalan+rusak"),
        ]
        pages = [Page(n, p, role) for n, p in public for role in ("anonymous", "citizen")]
        pages.append(Page("me", "/saya", "citizen"))
        pages.append(Page("queue", "/moderation", "moderator", staff=True))
        pages.append(Page("desk", "/instansi", "official", staff=True))
        if args.only:
            wanted = set(args.only.split(","))
            pages = [p for p in pages if p.name in wanted]
        cookies = {role: f"rembug_session={token}" for role, token in extra["tokens"].items()} | {
            "anonymous": ""
        }

        port = free_port()
        log = out / "rembug-serve.log"
        serve = [str(BIN / "rembug"), "serve", "--port", str(port), "--workers", str(args.workers)]
        proc = procs.start("rembug", serve, env, log)
        base = f"http://127.0.0.1:{port}"
        wait_ready(base + "/healthz", proc, log)
        manifest = {}
        for page in pages:
            capture(base, page, cookies[page.role], pages_dir)
            manifest[f"/{page.role}{page.path}"] = {
                "file": f"pages/{page.name}-{page.role}.html",
                "content_type": page.content_type,
            }
        (out / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
        bare_port = free_port()
        bare_cmd = [sys.executable, str(HERE / "bare_app.py"), str(out / "manifest.json")]
        bare_cmd += ["--port", str(bare_port), "--workers", str(args.workers)]
        bare_log = out / "bare.log"
        bare = procs.start("bare", bare_cmd, env, bare_log)
        bare_base = f"http://127.0.0.1:{bare_port}"
        wait_ready(bare_base + next(iter(manifest)), bare, bare_log)

        print(
            f"wrk: {args.connections} connections, {args.duration}s (+{args.warmup}s warm-up), "
            f"{args.workers} worker(s), {args.rounds} round(s)",
            flush=True,
        )
        rows = []
        for page in pages:
            mine, twins = [], []
            for _ in range(args.rounds):
                mine.append(measure(wrk, base + page.path, cookies[page.role], args))
                twins.append(measure(wrk, f"{bare_base}/{page.role}{page.path}", "", args))
            med = {k: statistics.median(m[k] for m in mine) for k in mine[0]}
            bmed = {k: statistics.median(m[k] for m in twins) for k in twins[0]}
            ratio = med["rps"] / bmed["rps"] if bmed["rps"] else 0.0
            goal = STAFF if page.staff else PUBLIC
            row = {
                "page": page.name,
                "path": page.path,
                "role": page.role,
                "bytes": page.size,
                "rembug": med,
                "bare": bmed,
                "ratio": round(ratio, 3),
                "goal": goal,
                "goal_met": ratio >= goal["ratio"] and med["p99_ms"] <= goal["p99_ms"],
            }
            rows.append(row)
            print(
                f"  {page.name:<15} {page.role:<10} {med['rps']:8.1f} req/s  p50 "
                f"{med['p50_ms']:7.1f}  p99 {med['p99_ms']:7.1f} ms  bare {bmed['rps']:8.1f}  "
                f"×{ratio:.3f}  non-2xx {med['non_2xx']}",
                flush=True,
            )
        report = {
            "created": stamp,
            "command": " ".join(["benchmarks/pages.py", *(argv or sys.argv[1:])]),
            "options": vars(args),
            "machine": {**info, "loadavg_at_end": [round(x, 2) for x in os.getloadavg()]},
            "data": {**asdict(loaded), **{k: v for k, v in extra.items() if k != "tokens"}},
            "summary": rows,
        }
        (out / "report.json").write_text(json.dumps(report, indent=2), encoding="utf-8")
        m = report["machine"]
        markdown = "\n".join(
            [
                f"# Every-page benchmark, {stamp}",
                "",
                f"Command: `{report['command']}`",
                "",
                f"Machine: {m['nproc']} CPUs ({m['cpu']}), Python {m['python']}, SQLite "
                f"{m['sqlite']}; load average at start {m['loadavg_at_start']}, at end "
                f"{m['loadavg_at_end']}.",
                "",
                f"Data: a consultation of {loaded.sections} sections with {loaded.comments} "
                f"published comments, {extra['aspirations']} published aspirations (a tenth "
                f"answered), {loaded.citizens} citizens.",
                "",
                table(rows),
                "",
                f"Goal: public pages ≥ {PUBLIC['ratio']}× bare and p99 ≤ {PUBLIC['p99_ms']:.0f} "
                f"ms; staff pages ≥ {STAFF['ratio']}× and p99 ≤ {STAFF['p99_ms']:.0f} ms.",
            ]
        )
        (out / "report.md").write_text(markdown + "\n", encoding="utf-8")
        print("\n" + table(rows) + f"\n\nReport: {out / 'report.md'}")
        return 0 if all(r["rembug"]["non_2xx"] == 0 for r in rows) else 1
    except KeyboardInterrupt:
        print("\nInterrupted: stopping every process started here.", file=sys.stderr)
        return 130
    finally:
        procs.stop_all()
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())

"""Consultation-page benchmark (issue 2): Rembug under wrk next to a bare Starlette endpoint
that returns the same bytes, in the same run, on loopback.

    .venv/bin/python benchmarks/consultation_page.py [--comments 10000 --sections 50
        --connections 64 --duration 20 --workers 1]

Steps: a fresh data dir in a temp folder; `rembug migrate`; data loaded through the real
actions (an agency, an official, a moderator, a few hundred citizens, a consultation made from
Markdown with N sections, M comments and replies submitted and published); `rembug serve`
(worker off) on a free loopback port; each target page fetched once; a bare Starlette app
(benchmarks/bare_app.py, same uvicorn options and worker count) serving those bytes; then
wrk (Debian package) drives each target and its bare twin with the same connections and
duration. The report (table, Markdown and JSON) goes to benchmarks/results/<timestamp>/.
Every process started here is stopped on exit, Ctrl+C or error.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import suppress
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import FrameType
from typing import Any

import httpx

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
BIN = Path(sys.executable).parent
LUA_HOOK = HERE / "wrk_report.lua"
RESULTS = HERE / "results"
GOAL_RATIO = 0.5
GOAL_P95_MS = 50.0
# Loading only: cheap argon2 so a few hundred accounts take seconds (never for serving).
LOAD_ENV = {"REMBUG_PASSWORD_HASH_TIME_COST": "1", "REMBUG_PASSWORD_HASH_MEMORY_KIB": "1024"}

TOPICS = [
    "Tata kelola data",
    "Interoperabilitas layanan",
    "Keamanan informasi",
    "Layanan di daerah 3T",
    "Aksesibilitas",
    "Pengaduan daring",
    "Identitas digital",
    "Pengadaan teknologi",
    "Kompetensi aparatur",
    "Evaluasi dan pelaporan",
]
OPINIONS = [
    "Saya setuju dengan arah bagian ini, tetapi perlu tenggat yang jelas untuk setiap instansi.",
    "Mohon diperjelas siapa yang bertanggung jawab bila layanan terhenti lebih dari sehari.",
    "Di kabupaten kami sinyal masih lemah; sediakan kanal SMS atau layanan tatap muka.",
    "Data warga harus dilindungi: **jangan** diminta berulang kali oleh instansi berbeda.",
    "Usul: terbitkan laporan kemajuan setiap triwulan agar warga bisa ikut memantau.",
    "Bagian ini terlalu umum. Contoh konkret akan membantu pemerintah daerah melaksanakannya.",
    "Perlu ada anggaran pelatihan untuk aparatur desa, bukan hanya untuk pegawai pusat.",
    "Terima kasih sudah membuka konsultasi ini. Saran saya:\n\n- standar terbuka\n- kode sumber "
    "terbuka untuk aplikasi yang dibiayai negara",
    "Bagaimana dengan penyandang disabilitas netra? Situs layanan wajib bisa dibaca pembaca layar.",
    "Saya kurang setuju; aplikasi baru sebaiknya tidak dibuat bila yang lama masih bisa "
    "diperbaiki.",
]
REPLIES = [
    "Setuju, di daerah saya juga begitu.",
    "Betul. Apalagi untuk warga lanjut usia.",
    "Menurut saya justru sebaliknya: standar nasional dulu, baru daerah menyesuaikan.",
    "Tambahan: sebutkan juga batas waktu tanggapannya.",
    "Sudah ada contoh baik di beberapa kota, bisa dijadikan acuan.",
    "Mohon pemerintah menjawab pertanyaan ini secara resmi.",
]


# --- processes ------------------------------------------------------------------------------


class Processes:
    """Every long-running process the benchmark starts, each in its own process group so a
    uvicorn supervisor and its workers stop together."""

    def __init__(self) -> None:
        self.running: list[tuple[str, subprocess.Popen[bytes]]] = []

    def start(self, name: str, cmd: list[str], env: dict[str, str], log: Path) -> Any:
        with log.open("wb") as out:
            proc = subprocess.Popen(
                cmd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        self.running.append((name, proc))
        return proc

    def stop_all(self) -> None:
        for _name, proc in reversed(self.running):
            if proc.poll() is None:
                with suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + 15
        for _name, proc in reversed(self.running):
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                with suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=5)
        # Workers of a stopped supervisor may outlive it briefly; clear the groups for good.
        for _name, proc in self.running:
            with suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
        self.running.clear()


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_ready(url: str, proc: Any, log: Path, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited early (see {log}):\n{log.read_text()[-2000:]}")
        try:
            if httpx.get(url, timeout=2).status_code < 500:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    raise SystemExit(f"server did not answer {url} within {timeout:.0f}s (see {log})")


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() != 0:
        raise SystemExit(
            "wrk (the load tool) is missing. Install the Debian package, then re-run:\n"
            "  sudo apt-get update && sudo apt-get install -y wrk\n"
            "(the script installs it itself only when run as root)."
        )
    print("wrk missing: installing the Debian package (apt-get) …", flush=True)
    subprocess.run(["apt-get", "update", "-qq"], check=True, timeout=600)
    subprocess.run(
        ["apt-get", "install", "-y", "-qq", "-o", "DPkg::Lock::Timeout=300", "wrk"],
        check=True,
        timeout=900,
    )
    found = shutil.which("wrk")
    if not found:
        raise SystemExit("apt-get installed wrk but it is not on PATH")
    return found


# --- data -----------------------------------------------------------------------------------


def policy_markdown(sections: int, rng: random.Random) -> str:
    """A draft regulation with exactly ``sections`` headings (so ``sections`` sections)."""
    parts = ["---", "title: Rancangan Peraturan tentang Layanan Publik Digital (uji beban)", "---"]
    for n in range(1, sections + 1):
        topic = TOPICS[(n - 1) % len(TOPICS)]
        level = "###" if n % 5 == 0 else "##"
        parts.append(f"\n{level} Bagian {n}: {topic}\n")
        for p in range(rng.randint(2, 4)):
            parts.append(
                f"({p + 1}) Instansi pemerintah menyelenggarakan *{topic.lower()}* secara "
                "terpadu, terbuka dan dapat dipertanggungjawabkan, dengan memperhatikan "
                "kebutuhan warga di seluruh wilayah Indonesia. Ketentuan lebih lanjut diatur "
                "dengan peraturan menteri paling lambat 12 bulan sejak peraturan ini berlaku.\n"
            )
        if n % 7 == 0:
            parts.append(
                "| Tahap | Tenggat |\n|---|---|\n| Rencana | 2027 |\n| Pelaksanaan | 2028 |\n"
            )
    return "\n".join(parts) + "\n"


@dataclass
class Loaded:
    consultation_id: int
    busy_position: int
    busy_top_level: int
    sections: int
    comments: int
    top_level: int
    replies: int
    whole_draft_top_level: int
    citizens: int
    seconds: float


def load_data(env: dict[str, str], args: argparse.Namespace) -> Loaded:
    """Everything through forum.actions, in large transactions."""
    from sqlmodel import col, select

    from forum import actions
    from forum.app import build_services
    from forum.models import Account, Comment, Consultation, ContentStatus, Role, Section
    from forum.settings import Settings

    started = time.monotonic()
    rng = random.Random(args.seed)
    services = build_services(Settings.from_env({**env, **LOAD_ENV}))
    db = services.db
    now = datetime.now(UTC)
    try:
        with db.write() as s:
            admin = actions.create_account(
                s,
                name="Admin Uji",
                email="admin@bench.invalid",
                password="x" * 12,
                role=Role.admin,
                consent=True,
            )
            agency = actions.save_agency(
                s,
                admin,
                agency=None,
                slug="kominfo-uji",
                name="Kementerian Uji Beban",
                short_name="KUB",
                description="Instansi untuk uji beban.",
            )
            assert agency.id is not None
            official = actions.create_account(
                s,
                name="Pejabat Uji",
                email="pejabat@bench.invalid",
                password="x" * 12,
                role=Role.official,
                agency_id=agency.id,
                consent=True,
                actor=admin,
            )
            moderator = actions.create_account(
                s,
                name="Moderator Uji",
                email="moderator@bench.invalid",
                password="x" * 12,
                role=Role.moderator,
                consent=True,
                actor=admin,
            )
            citizen_ids = []
            for n in range(args.citizens):
                citizen = actions.register_citizen(
                    s,
                    name=f"Warga {n + 1:04d}",
                    email=f"warga{n + 1}@bench.invalid",
                    phone=None,
                    password="x" * 12,
                    consent=True,
                )
                citizen_ids.append(citizen.id)
            consultation = actions.create_consultation_from_markdown(
                s,
                official,
                agency_id=agency.id,
                markdown=policy_markdown(args.sections, rng),
                opens_at=now - timedelta(days=30),
                closes_at=now + timedelta(days=30),
                summary="Konsultasi untuk uji beban halaman konsultasi: "
                f"{args.sections} bagian dan {args.comments} komentar.",
            )
            actions.publish_consultation(s, official, consultation, now=now - timedelta(days=30))
            cid, moderator_id = consultation.id, moderator.id
            section_ids = [
                sec.id
                for sec in s.exec(
                    select(Section)
                    .where(Section.consultation_id == cid)
                    .order_by(col(Section.position))
                )
            ]
        assert cid is not None and len(section_ids) == args.sections
        print(
            f"  accounts: {args.citizens} citizens + admin, official, moderator; "
            f"consultation #{cid} with {len(section_ids)} sections "
            f"({time.monotonic() - started:.1f}s)",
            flush=True,
        )

        # Top-level comments: a share on the whole draft, a busy section, the rest spread.
        busy_index = min(2, len(section_ids) - 1)
        n_replies = int(args.comments * args.reply_share)
        published: list[int] = []
        whole = top = replies = 0
        step = timedelta(days=29) / max(args.comments, 1)
        at = now - timedelta(days=29, minutes=5)
        done = 0
        reply_budget = n_replies
        while done < args.comments:
            batch = min(args.batch, args.comments - done)
            with db.write() as s:
                current = s.get(Consultation, cid)
                mod = s.get(Account, moderator_id)
                authors = {
                    a.id: a for a in s.exec(select(Account).where(col(Account.id).in_(citizen_ids)))
                }
                assert current is not None and mod is not None
                for _ in range(batch):
                    at += step
                    author = authors[rng.choice(citizen_ids)]
                    remaining = args.comments - done
                    is_reply = (
                        bool(published)
                        and reply_budget > 0
                        and rng.random() < reply_budget / remaining
                    )
                    if is_reply:
                        parent_id = rng.choice(published)
                        comment = actions.submit_comment(
                            s,
                            author,
                            current,
                            body=rng.choice(REPLIES),
                            parent_id=parent_id,
                            now=at,
                        )
                        reply_budget -= 1
                        replies += 1
                    else:
                        roll = rng.random()
                        if roll < args.whole_share:
                            section_id = None
                            whole += 1
                        elif roll < args.whole_share + args.busy_share:
                            section_id = section_ids[busy_index]
                        else:
                            section_id = rng.choice(section_ids)
                        comment = actions.submit_comment(
                            s,
                            author,
                            current,
                            body=f"{rng.choice(OPINIONS)}\n\n(komentar #{done + 1})",
                            section_id=section_id,
                            now=at,
                        )
                        top += 1
                    # A moderation plugin may already have decided it; publish what is pending.
                    if comment.status == ContentStatus.pending:
                        actions.publish_comment(s, mod, comment, now=at + timedelta(seconds=30))
                    assert comment.id is not None
                    # Only published comments can be replied to (a screen may hold some).
                    if comment.status == ContentStatus.published:
                        published.append(comment.id)
                    done += 1
            rate = done / (time.monotonic() - started)
            print(f"  comments: {done}/{args.comments} ({rate:.0f}/s overall)", flush=True)

        with db.read() as s:
            busy = s.get(Section, section_ids[busy_index])
            assert busy is not None
            busy_top = len(
                s.exec(
                    select(Comment.id).where(
                        Comment.section_id == busy.id,
                        col(Comment.parent_id).is_(None),
                        Comment.status == ContentStatus.published,
                    )
                ).all()
            )
            position = busy.position
            current = s.get(Consultation, cid)
            assert current is not None
            published_total = current.comment_count
    finally:
        services.db.engine.dispose()
    return Loaded(
        consultation_id=cid,
        busy_position=position,
        busy_top_level=busy_top,
        sections=len(section_ids),
        comments=published_total,
        top_level=top,
        replies=replies,
        whole_draft_top_level=whole,
        citizens=args.citizens,
        seconds=round(time.monotonic() - started, 1),
    )


# --- measuring ------------------------------------------------------------------------------


@dataclass
class Target:
    name: str
    path: str
    status: int = 0
    content_type: str = ""
    size: int = 0


@dataclass
class Run:
    target: str
    server: str
    round: int
    requests: int
    seconds: float
    rps: float
    p50_ms: float
    p90_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    socket_errors: int
    timeouts: int
    non_2xx: int
    load_before: float
    load_after: float
    raw: dict[str, Any] = field(default_factory=dict)


def run_wrk(
    wrk: str, url: str, args: argparse.Namespace, duration: int, log: Path | None
) -> dict[str, Any]:
    cmd = [
        wrk,
        f"-t{args.threads}",
        f"-c{args.connections}",
        f"-d{duration}s",
        "--timeout",
        "10s",
        "--latency",
        "-s",
        str(LUA_HOOK),
        url,
    ]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 60, check=True)
    if log is not None:
        log.write_text(" ".join(cmd) + "\n\n" + out.stdout + out.stderr, encoding="utf-8")
    line = next((x for x in out.stdout.splitlines() if x.startswith("BENCH_JSON ")), None)
    if line is None:
        raise SystemExit(f"wrk printed no report:\n{out.stdout}\n{out.stderr}")
    result: dict[str, Any] = json.loads(line.removeprefix("BENCH_JSON "))
    return result


def measure(
    wrk: str, server: str, base: str, target: Target, rnd: int, args: argparse.Namespace, out: Path
) -> Run:
    url = base + target.path
    if args.warmup > 0:
        run_wrk(wrk, url, args, args.warmup, None)
    load_before = os.getloadavg()[0]
    raw = run_wrk(wrk, url, args, args.duration, out / f"wrk-{target.name}-{server}-{rnd}.txt")
    seconds = raw["duration_us"] / 1e6
    run = Run(
        target=target.name,
        server=server,
        round=rnd,
        requests=raw["requests"],
        seconds=round(seconds, 2),
        rps=round(raw["requests"] / seconds, 1),
        p50_ms=raw["p50_us"] / 1000,
        p90_ms=raw["p90_us"] / 1000,
        p95_ms=raw["p95_us"] / 1000,
        p99_ms=raw["p99_us"] / 1000,
        max_ms=raw["max_us"] / 1000,
        socket_errors=raw["connect_errors"] + raw["read_errors"] + raw["write_errors"],
        timeouts=raw["timeouts"],
        non_2xx=raw["status_errors"],
        load_before=round(load_before, 2),
        load_after=round(os.getloadavg()[0], 2),
        raw=raw,
    )
    print(
        f"  {target.name:<14} {server:<7} round {rnd}: {run.rps:8.1f} req/s  "
        f"p50 {run.p50_ms:7.1f} ms  p95 {run.p95_ms:7.1f} ms  p99 {run.p99_ms:7.1f} ms  "
        f"errors {run.socket_errors + run.timeouts}  non-2xx {run.non_2xx}",
        flush=True,
    )
    return run


def summarise(runs: list[Run], targets: list[Target]) -> list[dict[str, Any]]:
    """Per target: medians over rounds for Rembug and bare, and Rembug's share of bare."""
    rows = []
    for target in targets:
        row: dict[str, Any] = {"target": target.name, "path": target.path, "bytes": target.size}
        for server in ("rembug", "bare"):
            mine = [r for r in runs if r.target == target.name and r.server == server]
            row[server] = {
                "rps": round(statistics.median(r.rps for r in mine), 1),
                "p50_ms": round(statistics.median(r.p50_ms for r in mine), 1),
                "p95_ms": round(statistics.median(r.p95_ms for r in mine), 1),
                "p99_ms": round(statistics.median(r.p99_ms for r in mine), 1),
                "errors": sum(r.socket_errors + r.timeouts for r in mine),
                "non_2xx": sum(r.non_2xx for r in mine),
            }
        ratio = row["rembug"]["rps"] / row["bare"]["rps"] if row["bare"]["rps"] else 0.0
        row["ratio"] = round(ratio, 3)
        row["goal_met"] = bool(ratio >= GOAL_RATIO and row["rembug"]["p95_ms"] <= GOAL_P95_MS)
        rows.append(row)
    return rows


def table(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| target | server | req/s | p50 ms | p95 ms | p99 ms | errors | non-2xx | ×bare | goal |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for row in rows:
        for server in ("rembug", "bare"):
            m = row[server]
            ratio = f"{row['ratio']:.3f}" if server == "rembug" else "1"
            goal = ("met" if row["goal_met"] else "NOT met") if server == "rembug" else ""
            lines.append(
                f"| {row['target']} | {server} | {m['rps']:.1f} | {m['p50_ms']:.1f} | "
                f"{m['p95_ms']:.1f} | {m['p99_ms']:.1f} | {m['errors']} | {m['non_2xx']} | "
                f"{ratio} | {goal} |"
            )
    return "\n".join(lines)


def machine(wrk: str) -> dict[str, Any]:
    import starlette
    import uvicorn

    wrk_version = subprocess.run([wrk, "--version"], capture_output=True, text=True, timeout=10)
    return {
        "nproc": os.cpu_count(),
        "platform": platform.platform(),
        "cpu": _cpu_model(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "starlette": starlette.__version__,
        "uvicorn": uvicorn.__version__,
        "wrk": (wrk_version.stdout + wrk_version.stderr).splitlines()[0].strip(),
        "loadavg_at_start": [round(x, 2) for x in os.getloadavg()],
    }


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


# --- main -----------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--comments", type=int, default=10000)
    p.add_argument("--sections", type=int, default=50)
    p.add_argument("--citizens", type=int, default=300)
    p.add_argument("--connections", type=int, default=64)
    p.add_argument("--duration", type=int, default=20, help="seconds per measured run")
    p.add_argument("--warmup", type=int, default=3, help="seconds of unmeasured load first")
    p.add_argument("--workers", type=int, default=1, help="uvicorn workers for both servers")
    p.add_argument("--threads", type=int, default=2, help="wrk threads")
    p.add_argument("--rounds", type=int, default=1, help="rounds per target (medians reported)")
    p.add_argument("--seed", type=int, default=2)
    p.add_argument("--batch", type=int, default=1000, help="comments per transaction")
    p.add_argument("--reply-share", type=float, default=0.3)
    p.add_argument("--whole-share", type=float, default=0.2, help="top-level on the whole draft")
    p.add_argument("--busy-share", type=float, default=0.15, help="top-level on the busy section")
    p.add_argument("--keep-data", action="store_true", help="keep the temp data dir")
    args = p.parse_args(argv)
    bounds = {
        "comments": (1, 200_000),
        "sections": (3, 500),
        "citizens": (1, 5000),
        "connections": (1, 1024),
        "duration": (1, 300),
        "warmup": (0, 60),
        "workers": (1, 16),
        "threads": (1, 16),
        "rounds": (1, 10),
    }
    for name, (low, high) in bounds.items():
        if not low <= getattr(args, name) <= high:
            p.error(f"--{name} must be between {low} and {high}")
    if args.threads > args.connections:
        args.threads = args.connections
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _on_sigterm)
    wrk = ensure_wrk()
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out = RESULTS / f"{stamp}-w{args.workers}"
    out.mkdir(parents=True, exist_ok=True)
    data_dir = Path(tempfile.mkdtemp(prefix="rembug-bench-"))
    procs = Processes()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("REMBUG_")},
        "REMBUG_DATA_DIR": str(data_dir),
        "REMBUG_RUN_WORKER": "false",
        "REMBUG_LOG_LEVEL": "WARNING",
    }
    try:
        info = machine(wrk)
        print(
            f"Machine: {info['nproc']} CPUs, Python {info['python']}, SQLite {info['sqlite']}, "
            f"{info['wrk']}, load {info['loadavg_at_start']}"
        )
        print(f"Data dir: {data_dir}\nMigrating …", flush=True)
        subprocess.run(
            [str(BIN / "rembug"), "migrate"],
            env=env,
            check=True,
            timeout=300,
            stdout=subprocess.DEVNULL,
        )
        print(f"Loading {args.comments} comments on {args.sections} sections …", flush=True)
        loaded = load_data(env, args)
        print(
            f"Loaded in {loaded.seconds:.0f}s: {loaded.top_level} top-level comments "
            f"({loaded.whole_draft_top_level} on the whole draft, {loaded.busy_top_level} on "
            f"section {loaded.busy_position}) and {loaded.replies} replies",
            flush=True,
        )

        cid, pos = loaded.consultation_id, loaded.busy_position
        targets = [
            Target("consultation", f"/konsultasi/{cid}"),
            Target("busy-section", f"/konsultasi/{cid}/bagian/{pos}"),
            Target("section-page-2", f"/konsultasi/{cid}/bagian/{pos}?halaman=2"),
        ]
        port = free_port()
        log = out / "rembug-serve.log"
        serve = [str(BIN / "rembug"), "serve", "--port", str(port), "--workers", str(args.workers)]
        proc = procs.start("rembug", serve, env, log)
        base = f"http://127.0.0.1:{port}"
        wait_ready(base + "/healthz", proc, log)

        # Capture the exact bytes of every target for the bare twin.
        pages_dir = out / "pages"
        pages_dir.mkdir(exist_ok=True)
        manifest: dict[str, dict[str, str]] = {}
        for target in targets:
            response = httpx.get(base + target.path, timeout=30)
            if response.status_code != 200:
                raise SystemExit(f"{target.path} answered {response.status_code}, not 200")
            target.status, target.size = response.status_code, len(response.content)
            target.content_type = response.headers["content-type"]
            (pages_dir / f"{target.name}.html").write_bytes(response.content)
            manifest[target.path] = {
                "file": f"pages/{target.name}.html",
                "content_type": target.content_type,
            }
        (out / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
        if "?halaman=2" in targets[2].path:
            page1 = (pages_dir / "busy-section.html").read_bytes()
            if page1 == (pages_dir / "section-page-2.html").read_bytes():
                raise SystemExit("page 2 equals page 1: the busy section has too few comments")

        bare_port = free_port()
        bare_log = out / "bare.log"
        bare_cmd = [
            sys.executable,
            str(HERE / "bare_app.py"),
            str(out / "manifest.json"),
            "--port",
            str(bare_port),
            "--workers",
            str(args.workers),
        ]
        bare_proc = procs.start("bare", bare_cmd, env, bare_log)
        bare_base = f"http://127.0.0.1:{bare_port}"
        wait_ready(bare_base + targets[0].path, bare_proc, bare_log)
        for target in targets:
            twin = httpx.get(bare_base + target.path, timeout=30)
            expected = (pages_dir / f"{target.name}.html").read_bytes()
            if twin.content != expected or twin.headers["content-type"] != target.content_type:
                raise SystemExit(f"the bare twin of {target.path} differs from Rembug's page")

        print(
            f"Driving each target with wrk: {args.connections} connections, {args.threads} "
            f"threads, {args.duration}s (+{args.warmup}s warm-up), {args.workers} uvicorn "
            f"worker(s), {args.rounds} round(s)",
            flush=True,
        )
        runs: list[Run] = []
        for rnd in range(1, args.rounds + 1):
            for target in targets:
                runs.append(measure(wrk, "rembug", base, target, rnd, args, out))
                runs.append(measure(wrk, "bare", bare_base, target, rnd, args, out))
        rows = summarise(runs, targets)
        report = {
            "created": stamp,
            "command": " ".join([Path(sys.argv[0]).name, *(argv or sys.argv[1:])]),
            "options": {k: v for k, v in vars(args).items()},
            "machine": {**info, "loadavg_at_end": [round(x, 2) for x in os.getloadavg()]},
            "data": asdict(loaded),
            "targets": [asdict(t) for t in targets],
            "summary": rows,
            "runs": [asdict(r) for r in runs],
            "goal": {"ratio_at_least": GOAL_RATIO, "p95_ms_at_most": GOAL_P95_MS},
        }
        (out / "report.json").write_text(json.dumps(report, indent=2), encoding="utf-8")
        markdown = render_markdown(report, rows)
        (out / "report.md").write_text(markdown, encoding="utf-8")
        print("\n" + table(rows))
        print(f"\nReport: {out / 'report.md'} and report.json")
        return 0 if all(r["rembug"]["non_2xx"] == 0 for r in rows) else 1
    except KeyboardInterrupt:
        print("\nInterrupted: stopping every process started here.", file=sys.stderr)
        return 130
    finally:
        procs.stop_all()
        if args.keep_data:
            print(f"Data kept in {data_dir}")
        else:
            shutil.rmtree(data_dir, ignore_errors=True)


def render_markdown(report: dict[str, Any], rows: list[dict[str, Any]]) -> str:
    m, d, o = report["machine"], report["data"], report["options"]
    lines = [
        f"# Consultation page benchmark, {report['created']}",
        "",
        f"Command: `{report['command']}`",
        "",
        f"Machine: {m['nproc']} CPUs ({m['cpu']}), {m['platform']}, Python {m['python']}, "
        f"SQLite {m['sqlite']}, Starlette {m['starlette']}, uvicorn {m['uvicorn']}, {m['wrk']}. "
        f"Load average at start {m['loadavg_at_start']}, at end {m['loadavg_at_end']}.",
        "",
        f"Data: {d['sections']} sections, {d['comments']} published comments "
        f"({d['top_level']} top-level, {d['whole_draft_top_level']} of them on the whole draft, "
        f"{d['busy_top_level']} on section {d['busy_position']}; {d['replies']} replies) by "
        f"{d['citizens']} citizens, loaded through forum.actions in {d['seconds']}s.",
        "",
        f"Load: wrk, {o['connections']} connections, {o['threads']} threads, {o['duration']}s per "
        f"run after {o['warmup']}s warm-up, {o['workers']} uvicorn worker(s) for both servers, "
        f"{o['rounds']} round(s) (medians). Anonymous visitor, no Accept-Encoding.",
        "",
        table(rows),
        "",
        "Pages: "
        + ", ".join(f"{t['name']} `{t['path']}` {t['size']} bytes" for t in report["targets"]),
        "",
        f"Goal: Rembug ≥ {GOAL_RATIO}× the bare endpoint's requests/s and p95 ≤ {GOAL_P95_MS:.0f} "
        "ms. errors = socket errors + timeouts; non-2xx = wrk's count of status ≥ 400.",
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    raise SystemExit(main())

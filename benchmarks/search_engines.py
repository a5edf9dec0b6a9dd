"""Search benchmark: one synthetic Indonesian corpus, three engines (our Whoosh backend, our
PostgreSQL backend, a plain SQLite FTS5 table as reference): build docs/s, index size and
p50/p95 latency of 1-, 2- and 3-word queries (with facets, as /cari asks).

    .venv/bin/python benchmarks/search_engines.py [--docs 100000] [--pg URL]

Without --pg it starts a throwaway PostgreSQL cluster (like scripts/test). The report is
printed and saved under benchmarks/results/.
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from search.analysis import analyze, parse_query, root_words
from search.index import IndexDocument, SearchQuery
from search.whoosh_index import WhooshIndex

RESULTS = Path(__file__).resolve().parent / "results"
PREFIXES = ["", "", "", "me", "di", "pe", "per", "ber", "ke", "ter", "pem", "peng", "mem"]
SUFFIXES = ["", "", "", "an", "kan", "i", "nya"]
FUNCTION = [
    "yang",
    "di",
    "dan",
    "ini",
    "itu",
    "untuk",
    "dengan",
    "tidak",
    "sudah",
    "belum",
    "karena",
    "dari",
    "ke",
    "pada",
    "sangat",
]


def corpus(count: int, seed: int = 7) -> list[tuple[str, str]]:
    """(title, body): Zipf-distributed roots with Indonesian affixes, 20-150 words a body."""
    rng = random.Random(seed)
    roots = [w for w in root_words() if "-" not in w and 4 <= len(w) <= 9]
    rng.shuffle(roots)
    roots = roots[:6000]
    cumulative = list(itertools.accumulate(1 / (rank + 1) for rank in range(len(roots))))
    pool = rng.choices(roots, cum_weights=cumulative, k=200_000)  # Zipf-like draws

    def word() -> str:
        if rng.random() < 0.35:
            return rng.choice(FUNCTION)
        return rng.choice(PREFIXES) + rng.choice(pool) + rng.choice(SUFFIXES)

    return [
        (
            " ".join(word() for _ in range(rng.randint(3, 9))),
            " ".join(word() for _ in range(int(rng.lognormvariate(4.0, 0.5)) % 150 + 20)),
        )
        for _ in range(count)
    ]


def documents(texts: list[tuple[str, str]]) -> list[IndexDocument]:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    return [
        IndexDocument(
            key=f"aspiration:{i}",
            kind="aspiration",
            title_terms=tuple(analyze(title)),
            body_terms=tuple(analyze(body)),
            published_at=now - timedelta(minutes=i),
            agency=i % 40 + 1,
            category=i % 12 + 1,
            region=i % 500 + 1,
            status="routed",
            support_count=i % 17,
        )
        for i, (title, body) in enumerate(texts)
    ]


def queries(texts: list[tuple[str, str]], words: int, count: int, seed: int) -> list[str]:
    """Queries of ``words`` words taken from real documents (so they have answers)."""
    rng = random.Random(seed)
    result = []
    while len(result) < count:
        body = [w for w in rng.choice(texts)[1].split() if w not in FUNCTION]
        if len(body) >= words:
            start = rng.randrange(len(body) - words + 1)
            result.append(" ".join(body[start : start + words]))
    return result


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))]


def timed(run, items) -> dict[str, float]:  # type: ignore[no-untyped-def]
    for item in items[:5]:
        run(item)  # warm caches
    times = []
    for item in items:
        started = time.perf_counter()
        run(item)
        times.append((time.perf_counter() - started) * 1000)
    return {"p50_ms": round(percentile(times, 0.5), 1), "p95_ms": round(percentile(times, 0.95), 1)}


def folder_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def bench_whoosh(docs, query_sets, work: Path) -> dict:  # type: ignore[no-untyped-def]
    index = WhooshIndex(work / "whoosh")
    started = time.perf_counter()
    index.rebuild(docs)
    build = time.perf_counter() - started
    report = {
        "build_docs_per_s": round(len(docs) / build),
        "size_mb": round(folder_size(work / "whoosh") / 1e6, 1),
    }
    for n, qs in query_sets.items():
        report[f"{n}_word"] = timed(lambda q: index.search(SearchQuery(parsed=parse_query(q))), qs)
        report[f"{n}_word_no_facets"] = timed(
            lambda q: index.search(SearchQuery(parsed=parse_query(q), facets=False)), qs
        )
    index.close()
    return report


def bench_postgres(docs, query_sets, url: str) -> dict:  # type: ignore[no-untyped-def]
    from sqlalchemy import text

    from forum.db import make_engine, migrate
    from search.postgres_index import PostgresIndex

    migrate(url)
    engine = make_engine(url)
    index = PostgresIndex(engine)
    started = time.perf_counter()
    index.rebuild(docs)
    build = time.perf_counter() - started
    with engine.connect() as conn:
        size = conn.execute(text("SELECT pg_total_relation_size('search_document')")).scalar_one()
    report = {"build_docs_per_s": round(len(docs) / build), "size_mb": round(size / 1e6, 1)}
    for n, qs in query_sets.items():
        report[f"{n}_word"] = timed(lambda q: index.search(SearchQuery(parsed=parse_query(q))), qs)
        report[f"{n}_word_no_facets"] = timed(
            lambda q: index.search(SearchQuery(parsed=parse_query(q), facets=False)), qs
        )
    engine.dispose()
    return report


def bench_fts5(docs, query_sets, work: Path) -> dict:  # type: ignore[no-untyped-def]
    path = work / "fts5.sqlite3"
    conn = sqlite3.connect(path)
    conn.execute("CREATE VIRTUAL TABLE d USING fts5(key UNINDEXED, title, body)")
    started = time.perf_counter()
    conn.executemany(
        "INSERT INTO d VALUES (?, ?, ?)",
        ((d.key, " ".join(d.title_terms), " ".join(d.body_terms)) for d in docs),
    )
    conn.commit()
    build = time.perf_counter() - started
    report = {
        "build_docs_per_s": round(len(docs) / build),
        "size_mb": round(path.stat().st_size / 1e6, 1),
    }

    def run(q: str) -> None:
        terms = " AND ".join(parse_query(q).terms)
        conn.execute(
            "SELECT key FROM d WHERE d MATCH ? ORDER BY bm25(d, 2.0, 1.0) LIMIT 20", (terms,)
        ).fetchall()
        conn.execute("SELECT count(*) FROM d WHERE d MATCH ?", (terms,)).fetchall()

    for n, qs in query_sets.items():
        report[f"{n}_word_no_facets"] = timed(run, qs)
    conn.close()
    return report


def throwaway_postgres(work: Path) -> tuple[str, callable]:  # type: ignore[valid-type]
    pg_bin = sorted(Path("/usr/lib/postgresql").glob("*/bin"))[-1]
    data = work / "pg"
    data.mkdir()
    shutil.chown(work, "postgres")
    shutil.chown(data, "postgres")
    run = ["runuser", "-u", "postgres", "--"]
    subprocess.run(
        [
            *run,
            str(pg_bin / "initdb"),
            "-D",
            str(data / "d"),
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
        ],
        check=True,
        capture_output=True,
    )
    subprocess.run(
        [
            *run,
            str(pg_bin / "pg_ctl"),
            "-D",
            str(data / "d"),
            "-l",
            str(data / "log"),
            "-w",
            "-o",
            f"-k {data} -c listen_addresses='' -c fsync=off",
            "start",
        ],
        check=True,
        capture_output=True,
    )
    subprocess.run(
        [*run, str(pg_bin / "createdb"), "-h", str(data), "-U", "postgres", "bench"], check=True
    )

    def stop() -> None:
        subprocess.run(
            [*run, str(pg_bin / "pg_ctl"), "-D", str(data / "d"), "-m", "immediate", "stop"],
            capture_output=True,
        )

    return f"postgresql+psycopg://postgres@/bench?host={data}", stop


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--pg", default="")
    parser.add_argument("--skip-postgres", action="store_true")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="rembug-search-bench-"))
    stop = None
    try:
        started = time.perf_counter()
        texts = corpus(args.docs)
        analysed_at = time.perf_counter()
        docs = documents(texts)
        analyse = time.perf_counter() - analysed_at
        print(
            f"corpus {args.docs} docs in {analysed_at - started:.0f}s; analysis (stemming, "
            f"cached) {args.docs / analyse:,.0f} docs/s",
            file=sys.stderr,
        )
        query_sets = {n: queries(texts, n, args.queries, seed=n) for n in (1, 2, 3)}
        report: dict = {
            "docs": args.docs,
            "analysis_docs_per_s": round(args.docs / analyse),
            "date": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        report["whoosh"] = bench_whoosh(docs, query_sets, work)
        print("whoosh", report["whoosh"], file=sys.stderr)
        report["sqlite_fts5"] = bench_fts5(docs, query_sets, work)
        print("fts5", report["sqlite_fts5"], file=sys.stderr)
        if not args.skip_postgres:
            url = args.pg
            if not url:
                url, stop = throwaway_postgres(work)
            report["postgres"] = bench_postgres(docs, query_sets, url)
            print("postgres", report["postgres"], file=sys.stderr)
    finally:
        if stop is not None:
            stop()
        shutil.rmtree(work, ignore_errors=True)
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"search_{args.docs}_{datetime.now(UTC):%Y%m%dT%H%M%S}.json"
    out.write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2))
    print(f"saved {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

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
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeVar

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from search.analysis import (
    analyze,
    clear_caches,
    load_stem_cache,
    parse_query,
    root_words,
    save_stem_cache,
    words,
)
from search.index import IndexDocument, SearchQuery
from search.whoosh_index import WhooshIndex

RESULTS = Path(__file__).resolve().parent / "results"
START = datetime(2026, 1, 1, tzinfo=UTC)
T = TypeVar("T")
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
# (prefix, suffix) derivations; meN-/peN- assimilate to the root's first letter as in real text.
FORMS = [
    ("", ""),
    ("meN", ""),
    ("di", ""),
    ("", "an"),
    ("meN", "kan"),
    ("di", "kan"),
    ("peN", "an"),
    ("ber", ""),
    ("", "nya"),
    ("ke", "an"),
    ("ter", ""),
    ("meN", "i"),
    ("di", "i"),
    ("per", "an"),
    ("peN", ""),
    ("ber", "an"),
    ("se", ""),
    ("", "kan"),
]
SYLLABLES = [c + v for c in "bcdgjklmnprstw" for v in "aiueo"]


def nasal(prefix: str, root: str) -> str:
    """meN-/peN- + root with the standard assimilation (tulis -> menulis, sapu -> menyapu)."""
    first = root[0]
    if first in "aiueo" or first in "ghqx":
        return prefix + "ng" + root
    if first in "bfv":
        return prefix + "m" + root
    if first == "p":
        return prefix + "m" + root[1:]
    if first == "t":
        return prefix + "n" + root[1:]
    if first in "dcjz":
        return prefix + "n" + root
    if first == "s":
        return prefix + "ny" + root[1:]
    if first == "k":
        return prefix + "ng" + root[1:]
    return prefix + root


def inflect(root: str, prefix: str, suffix: str) -> str:
    if prefix in ("meN", "peN"):
        word = nasal(prefix[:2], root)
    elif prefix == "ber" and root.startswith("r"):
        word = "be" + root
    else:
        word = prefix + root
    return word + suffix


def pseudo_word(rank: int) -> str:
    """A made-up name or misspelling for rank ``rank`` of the rare tail (unbounded)."""
    syllables = []
    rank += len(SYLLABLES)  # at least two syllables
    while rank:
        rank, digit = divmod(rank, len(SYLLABLES))
        syllables.append(SYLLABLES[digit])
    return "".join(syllables)


def corpus(count: int, seed: int = 7) -> list[tuple[str, str]]:
    """(title, body) of synthetic aspirations that grow a vocabulary like real text.

    Roots from the root list with Zipf-Mandelbrot frequencies and Indonesian derivations
    (each root has a few common forms and many rare ones); every document has one or two
    topics (60 topics of 200 roots) so words cluster per document as in real text; 35 %
    function words; 3 % of content words from an unbounded rare tail (names, misspellings)
    with a power-law rank, which keeps new distinct forms appearing at a slowing rate
    (Heaps' law, calibrated on the real policy text, see docs/performance.md)."""
    rng = random.Random(seed)
    roots = [w for w in root_words() if "-" not in w and 4 <= len(w) <= 9]
    rng.shuffle(roots)
    roots = roots[:6000]
    general = list(itertools.accumulate(1 / (rank + 30) ** 1.25 for rank in range(len(roots))))
    topics = [rng.sample(roots[:3000], 200) for _ in range(60)]
    in_topic = list(itertools.accumulate(1 / (rank + 1) for rank in range(200)))
    form_weights = list(itertools.accumulate(1 / (rank + 1) ** 2 for rank in range(len(FORMS))))
    root_forms: dict[str, list[tuple[str, str]]] = {}

    def content(topic: list[str]) -> str:
        draw = rng.random()
        if draw < 0.04:
            return pseudo_word(int(500 * rng.random() ** (-1 / 0.5)))
        if draw < 0.64:
            root = rng.choices(topic, cum_weights=in_topic)[0]
        else:
            root = rng.choices(roots, cum_weights=general)[0]
        forms = root_forms.get(root)
        if forms is None:
            forms = FORMS[1:]
            random.Random(root).shuffle(forms)
            forms = root_forms[root] = [FORMS[0], *forms]
        return inflect(root, *rng.choices(forms, cum_weights=form_weights)[0])

    def text(length: int, doc_topics: list[list[str]]) -> str:
        return " ".join(
            rng.choice(FUNCTION) if rng.random() < 0.35 else content(rng.choice(doc_topics))
            for _ in range(length)
        )

    result = []
    for _ in range(count):
        doc_topics = [rng.choice(topics)]
        if rng.random() < 0.3:
            doc_topics.append(rng.choice(topics))
        result.append(
            (
                text(rng.randint(3, 9), doc_topics),
                text(int(rng.lognormvariate(4.0, 0.5)) % 150 + 20, doc_topics),
            )
        )
    return result


def document(i: int, title: str, body: str) -> IndexDocument:
    """The IndexDocument of synthetic text ``i``: analysis included, as in ``rembug reindex``."""
    return IndexDocument(
        key=f"aspiration:{i}",
        kind="aspiration",
        title_terms=tuple(analyze(title)),
        body_terms=tuple(analyze(body)),
        published_at=START - timedelta(minutes=i),
        agency=i % 40 + 1,
        category=i % 12 + 1,
        region=i % 500 + 1,
        status="routed",
        support_count=i % 17,
        confidential=i % 50 == 0,
    )


def load_corpus(count: int, path: Path | None) -> list[tuple[str, str]]:
    """The corpus from ``path`` (JSON lines) if it holds ``count`` documents, else generated
    (and saved there): the 1,000,000-document corpus takes minutes to generate."""
    if path is not None and path.exists():
        with path.open(encoding="utf-8") as lines:
            texts = [tuple(json.loads(line)) for line in itertools.islice(lines, count)]
        if len(texts) == count:
            return texts  # type: ignore[return-value]
    texts = corpus(count)
    if path is not None:
        with path.open("w", encoding="utf-8") as out:
            for pair in texts:
                out.write(json.dumps(pair, ensure_ascii=False) + "\n")
    return texts


def progress(items: Iterable[T], total: int, label: str) -> Iterator[T]:
    started = time.perf_counter()
    step = max(total // 20, 1)
    for number, item in enumerate(items, 1):
        yield item
        if number % step == 0:
            rate = number / (time.perf_counter() - started)
            print(f"  {label}: {number:,}/{total:,} ({rate:,.0f}/s)", file=sys.stderr, flush=True)


def queries(texts: list[tuple[str, str]], words: int, count: int, seed: int) -> list[str]:
    """Queries of ``words`` words taken from the documents (so they have answers); each word
    must leave a term after analysis (a stopword-only query would list everything)."""
    rng = random.Random(seed)
    result = []
    while len(result) < count:
        body = [w for w in rng.choice(texts)[1].split() if w not in FUNCTION]
        if len(body) >= words:
            start = rng.randrange(len(body) - words + 1)
            span = body[start : start + words]
            if all(analyze(w) for w in span):
                result.append(" ".join(span))
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


def whoosh_rebuild(index: WhooshIndex, texts: list[tuple[str, str]], label: str) -> float:
    started = time.perf_counter()
    index.rebuild(
        progress(
            (document(i, title, body) for i, (title, body) in enumerate(texts)), len(texts), label
        )
    )
    return time.perf_counter() - started


def bench_whoosh(texts, query_sets, work: Path) -> dict:  # type: ignore[no-untyped-def]
    """The rebuild as ``rembug reindex`` runs it: analysis + index writes, first with no saved
    stems (a first reindex), then with the stems the first one saved (every later reindex)."""
    index = WhooshIndex(work / "whoosh")
    index.rebuild_procs = 2  # as `rembug reindex` on a machine with 2 or more cores
    clear_caches()
    cold = whoosh_rebuild(index, texts, "whoosh rebuild, no saved stems")
    stems = work / "stems.tsv"
    save_stem_cache(stems)
    clear_caches()
    started = time.perf_counter()
    load_stem_cache(stems)  # part of the timed rebuild, as in `rembug reindex`
    whoosh_rebuild(index, texts, "whoosh rebuild, saved stems")
    warm = time.perf_counter() - started
    index.close()
    index = WhooshIndex(work / "whoosh")  # a fresh process's view: nothing cached yet
    opened = time.perf_counter()
    index.search(SearchQuery(parsed=parse_query(query_sets[1][0])))
    first = time.perf_counter() - opened
    report = {
        "build_docs_per_s_first_reindex": round(len(texts) / cold),
        "build_docs_per_s": round(len(texts) / warm),
        "size_mb": round(folder_size(index.live_folder()) / 1e6, 1),
        "first_query_ms": round(first * 1000),
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
    parser.add_argument("--corpus", default="", help="JSON-lines corpus file, made if missing")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="rembug-search-bench-"))
    stop = None
    try:
        started = time.perf_counter()
        texts = load_corpus(args.docs, Path(args.corpus) if args.corpus else None)
        print(f"corpus {args.docs:,} docs in {time.perf_counter() - started:.0f}s", file=sys.stderr)
        query_sets = {n: queries(texts, n, args.queries, seed=n) for n in (1, 2, 3)}
        report: dict = {
            "docs": args.docs,
            "date": datetime.now(UTC).isoformat(timespec="seconds"),
            "distinct_words": len({w for title, body in texts for w in words(title + " " + body)}),
        }
        report["whoosh"] = bench_whoosh(texts, query_sets, work)
        print("whoosh", report["whoosh"], file=sys.stderr, flush=True)
        analysed_at = time.perf_counter()
        docs = [document(i, title, body) for i, (title, body) in enumerate(texts)]
        report["analysis_warm_docs_per_s"] = round(args.docs / (time.perf_counter() - analysed_at))
        report["distinct_terms"] = len({t for d in docs for t in (*d.title_terms, *d.body_terms)})
        report["sqlite_fts5"] = bench_fts5(docs, query_sets, work)
        print("fts5", report["sqlite_fts5"], file=sys.stderr, flush=True)
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

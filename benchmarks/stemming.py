"""Stemming report: agreement with the Sastrawi stemmer's functional test pairs and on
public-service word families, for Rembug's analyzer, PySastrawi with its own bundled
dictionary and Snowball's Indonesian stemmer (PyStemmer, the algorithm of PostgreSQL's
`indonesian` configuration); and stemming speed on the words of a public-domain government
text (Inpres 3/2003) and the demo policy.

    .venv/bin/python benchmarks/stemming.py [--text FILE ...]

PySastrawi's bundled dictionary (CC-BY-NC-SA 3.0) is loaded here, for comparison only; Rembug
itself never loads it. The report is printed and saved under benchmarks/results/.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import Stemmer as snowball  # noqa: E402
from Sastrawi.Stemmer.StemmerFactory import StemmerFactory  # noqa: E402

from search.analysis import analyzer_version, clear_caches, stem, words  # noqa: E402
from tests.search.test_stemming import (  # noqa: E402
    FAMILIES,
    PUBLIC_SERVICE_FAMILIES,
    sastrawi_pairs,
)

RESULTS = Path(__file__).resolve().parent / "results"
TEXTS = [
    Path("/work/shared/data/inpres-3-2003-egovernment.md"),
    ROOT / "forum" / "seeds" / "demo-policy.md",
]


def bundled_sastrawi() -> Callable[[str], str]:
    stemmer = StemmerFactory().create_stemmer()
    cache: dict[str, str] = {}

    def stem_word(word: str) -> str:
        if word not in cache:
            cache[word] = stemmer.stem(word)
        return cache[word]

    return stem_word


def agreement(stem_word: Callable[[str], str]) -> tuple[int, list[str]]:
    misses = []
    for text, expected in sastrawi_pairs():
        got = " ".join(stem_word(word) for word in words(text))
        if got != expected:
            misses.append(f"{text}→{got} (want {expected})")
    return len(sastrawi_pairs()) - len(misses), misses


def families(stem_word: Callable[[str], str], table: str) -> tuple[int, int, list[str]]:
    lines = [line.split() for line in table.splitlines()]
    split = [" ".join(f) for f in lines if len({stem_word(word) for word in f}) > 1]
    return len(lines) - len(split), len(lines), split


def speed(make: Callable[[], Callable[[str], str]], vocabulary: list[str]) -> int:
    stem_word = make()
    started = time.perf_counter()
    for word in vocabulary:
        stem_word(word)
    return round(len(vocabulary) / (time.perf_counter() - started))


def ours_uncached() -> Callable[[str], str]:
    clear_caches()
    return stem


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--text", action="append", type=Path, default=None)
    args = parser.parse_args()
    texts = [path for path in (args.text or TEXTS) if path.exists()]
    vocabulary = sorted({w for path in texts for w in words(path.read_text(encoding="utf-8"))})
    vocabulary = [w for w in vocabulary if len(w) >= 4 and not w.isdigit()]
    snowball_stem = snowball.Stemmer("indonesian").stemWord
    stemmers: dict[str, Callable[[], Callable[[str], str]]] = {
        "Rembug": ours_uncached,
        "PySastrawi + bundled dictionary": bundled_sastrawi,
        "Snowball indonesian": lambda: snowball_stem,
    }
    lines = [
        f"# Stemming report {datetime.now(UTC):%Y-%m-%d %H:%M} UTC (analyzer {analyzer_version()})",
        "",
        f"Sastrawi functional pairs: {len(sastrawi_pairs())}; families: "
        f"{len(PUBLIC_SERVICE_FAMILIES.splitlines())} public-service (root + forms) and "
        f"{len(FAMILIES.splitlines())} of tests/search/test_stemming.py; speed on "
        f"{len(vocabulary):,} distinct words of {', '.join(p.name for p in texts)}, uncached.",
        "",
        "| stemmer | Sastrawi pairs | public-service families | test families | words/s |",
        "|---|---|---|---|---|",
    ]
    details = []
    for name, make in stemmers.items():
        rate = speed(make, vocabulary)
        stem_word = make()
        agreed, misses = agreement(stem_word)
        service, service_total, service_split = families(stem_word, PUBLIC_SERVICE_FAMILIES)
        test, test_total, test_split = families(stem_word, FAMILIES)
        lines.append(
            f"| {name} | {agreed}/{len(sastrawi_pairs())} | {service}/{service_total} | "
            f"{test}/{test_total} | {rate:,} |"
        )
        details += [
            "",
            f"## {name}",
            f"pairs missed: {'; '.join(misses) or 'none'}",
            f"public-service families split: {'; '.join(service_split) or 'none'}",
            f"test families split: {'; '.join(test_split) or 'none'}",
        ]
    report = "\n".join(lines + details) + "\n"
    print(report)
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"stemming_{datetime.now(UTC):%Y%m%dT%H%M%S}.md"
    out.write_text(report, encoding="utf-8")
    print(f"saved {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

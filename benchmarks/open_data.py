"""Open-data benchmark: latency of the /api/v1 lists, a deep page, a filtered list, the full
CSV export and the Atom feeds over N public aspirations made through the real actions.

    .venv/bin/python benchmarks/open_data.py [--aspirations 5000] [--repeat 30]

In process (Starlette TestClient, one thread): it measures our handler and SQL, not the HTTP
server. Prints a table and saves it to benchmarks/results/open_data.txt.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

from starlette.testclient import TestClient

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from forum import actions  # noqa: E402
from forum.app import build_services, create_app  # noqa: E402
from forum.db import migrate  # noqa: E402
from forum.models import Agency, Role, Visibility  # noqa: E402
from forum.queries import list_categories, list_regions  # noqa: E402
from forum.seeds import upsert_reference_data  # noqa: E402
from forum.settings import Settings  # noqa: E402


def seed(services, count: int) -> None:  # type: ignore[no-untyped-def]
    with services.db.write() as db:
        upsert_reference_data(db)
        agency = Agency(slug="dinas-bench", name="Dinas Bench")
        db.add(agency)
        db.flush()
        moderator = actions.create_account(
            db, name="Mod", email="mod@bench.id", password=None, role=Role.moderator
        )
        citizen = actions.create_account(
            db, name="Warga Bench", email="warga@bench.id", password=None
        )
        categories = list_categories(db)
        regions = [r for r in list_regions(db) if r.kind != "province"]
        agency_id = agency.id
    made = 0
    while made < count:
        with services.db.write() as db:
            author, mod = db.merge(citizen), db.merge(moderator)
            for _ in range(min(500, count - made)):
                aspiration = actions.submit_aspiration(
                    db,
                    author,
                    title=f"Aspirasi nomor {made} tentang layanan publik",
                    body="Mohon perbaikan layanan di wilayah kami. " * 5,
                    category_id=categories[made % len(categories)].id,
                    region_id=regions[made % len(regions)].id,
                    agency_id=agency_id,
                    visibility=Visibility.anonymous if made % 3 == 0 else Visibility.public,
                )
                actions.publish_aspiration(db, mod, aspiration)
                made += 1


def timed(client: TestClient, path: str, repeat: int) -> tuple[float, float, int]:
    samples = []
    size = 0
    for _ in range(repeat):
        start = time.perf_counter()
        response = client.get(path)
        samples.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (path, response.status_code)
        size = len(response.content)
    samples.sort()
    p95 = samples[min(len(samples) - 1, int(len(samples) * 0.95))]
    return statistics.median(samples), p95, size


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--aspirations", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/bench.sqlite3"
        migrate(url)
        settings = Settings.from_env(
            {
                "REMBUG_DATA_DIR": folder,
                "REMBUG_DATABASE_URL": url,
                "REMBUG_SECRET_KEY": "benchmark-secret-key-0123456789-abcdefghijkl",
                "REMBUG_RUN_WORKER": "false",
                "REMBUG_LOG_LEVEL": "WARNING",  # not a log line per request
                "REMBUG_PASSWORD_HASH_TIME_COST": "1",
                "REMBUG_PASSWORD_HASH_MEMORY_KIB": "1024",
            }
        )
        services = build_services(settings)
        start = time.perf_counter()
        seed(services, args.aspirations)
        seeded = time.perf_counter() - start
        region = list_regions_code(services)
        paths = [
            "/api/v1/aspirations?per_page=100",
            f"/api/v1/aspirations?per_page=100&page={max(1, args.aspirations // 100)}",
            f"/api/v1/aspirations?per_page=100&region={region}",
            "/api/v1/aspirations?format=csv",
            "/api/v1/accountability",
            "/feeds/konsultasi.atom",
            "/feeds/tanggapan.atom",
        ]
        lines = [
            f"open-data benchmark: {args.aspirations} public aspirations (SQLite), "
            f"{args.repeat} requests each, in process; Python {platform.python_version()}, "
            f"{platform.machine()}; seeding took {seeded:.0f} s",
            "",
            f"{'request':<58} {'median ms':>10} {'p95 ms':>8} {'bytes':>10}",
        ]
        with TestClient(create_app(settings, services=services)) as client:
            for path in paths:
                median, p95, size = timed(client, path, args.repeat)
                lines.append(f"{path:<58} {median:>10.1f} {p95:>8.1f} {size:>10}")
        services.db.engine.dispose()
    report = "\n".join(lines)
    print(report)
    out = ROOT / "benchmarks" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "open_data.txt").write_text(report + "\n", encoding="utf-8")


def list_regions_code(services) -> str:  # type: ignore[no-untyped-def]
    with services.db.read() as db:
        province = next(r for r in list_regions(db) if r.kind == "province")
        return province.code


if __name__ == "__main__":
    main()

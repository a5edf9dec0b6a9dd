"""Gammu intake benchmark (issue 13): how many received SMS per second Rembug takes from Gammu
SMSD's store. A Gammu database made from Gammu's own schema (SQLite, as gammu-smsd's DBI
driver uses it) gets ``--messages`` inbox rows inserted directly, as gammu-smsd writes them
(one in ten a concatenated SMS of two parts, i.e. two rows); then the poller of
``rembug sms gammu`` runs round after round until none is left unprocessed.

Reports messages taken in per second (from the first round to the last), inbox rows per
second, and lost = messages not in Rembug's spool afterwards, or inbox rows left unprocessed
(must be 0); a second pass over the same rows (a replay) must store nothing.

    .venv/bin/python benchmarks/gammu_intake.py [--messages 5000]
        [--database-url postgresql+psycopg://…]   (Rembug's database; default: a fresh SQLite)

Prints progress and a report, and saves the report as JSON under benchmarks/results/.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sqlite3
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bots.sms.gammu import GammuStore, Poller  # noqa: E402
from bots.sms.gateway import SmsEvent  # noqa: E402
from forum.app import build_services  # noqa: E402
from forum.db import migrate  # noqa: E402
from forum.settings import Settings  # noqa: E402
from forum.spool import spool  # noqa: E402

SCHEMA = Path("/usr/share/doc/gammu-smsd/examples/sqlite.sql")
SECRET_KEY = "gammu-bench-secret-key-0123456789-0123456789"  # noqa: S105 - throwaway
TEXT = "ASPIRASI Saluran air di RT {n:05d} tersumbat dan meluap setiap hujan, mohon ditangani."
SECOND = " Sudah tiga minggu warga menunggu; anak-anak tidak bisa lewat ke sekolah."


def hex_of(text: str) -> str:
    return text.encode("utf-16-be").hex().upper()


def fill_inbox(path: Path, messages: int) -> tuple[int, dict[str, str]]:
    """``messages`` received SMS as gammu-smsd stores them; returns the number of rows and the
    expected text of each sender's message."""
    conn = sqlite3.connect(path)
    conn.executescript(SCHEMA.read_text())
    rows = []
    expected = {}
    for n in range(messages):
        number = f"+62812{n:08d}"
        first = TEXT.format(n=n)
        if n % 10 == 0:  # a concatenated SMS: two rows, the joined text in the first
            udh = f"050003{n % 256:02X}02"
            rows.append((hex_of(first), number, udh + "01", first + SECOND))
            rows.append((hex_of(SECOND), number, udh + "02", ""))
            expected[number] = first + SECOND
        else:
            rows.append((hex_of(first), number, "", first))
            expected[number] = first
    conn.executemany(
        "INSERT INTO inbox (Text, SenderNumber, Coding, UDH, TextDecoded, RecipientID) "
        "VALUES (?, ?, 'Default_No_Compression', ?, ?, 'modem1')",
        rows,
    )
    conn.commit()
    conn.close()
    return len(rows), expected


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=5000, help="received SMS in the inbox")
    parser.add_argument("--database-url", default="", help="Rembug's database (PostgreSQL)")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="rembug-gammu-"))
    db_url = args.database_url or f"sqlite:///{tmp / 'rembug.sqlite3'}"
    gammu_db = tmp / "smsd.db"
    print(f"gammu intake: Rembug on {db_url.split(':', 1)[0]}, data in {tmp}", flush=True)
    rows, expected = fill_inbox(gammu_db, args.messages)
    print(f"inbox: {args.messages} messages in {rows} rows", flush=True)
    migrate(db_url)
    services = build_services(
        Settings.from_env(
            {
                "REMBUG_DATA_DIR": str(tmp),
                "REMBUG_DATABASE_URL": db_url,
                "REMBUG_SECRET_KEY": SECRET_KEY,
                "REMBUG_LOG_LEVEL": "WARNING",
                "REMBUG_RUN_WORKER": "false",
                "REMBUG_GAMMU_DATABASE_URL": f"sqlite:///{gammu_db}",
            }
        )
    )
    store = GammuStore(f"sqlite:///{gammu_db}")
    try:
        poller = Poller(store)
        rounds = 0
        start = time.perf_counter()
        while True:
            poller.round(services)
            rounds += 1
            if rounds % 5 == 0:
                elapsed = time.perf_counter() - start
                print(
                    f"  {elapsed:5.1f} s: {poller.taken} messages taken in "
                    f"({poller.taken / elapsed:.0f}/s)",
                    flush=True,
                )
            if not poller.behind:
                break
        elapsed = time.perf_counter() - start
        replay = Poller(GammuStore(f"sqlite:///{gammu_db}"))
        conn = sqlite3.connect(gammu_db)
        conn.execute("UPDATE inbox SET Processed = 'false'")  # every row read again
        conn.commit()
        replay.round(services)
        while replay.behind:
            replay.round(services)
        replay.store.close()
        left = conn.execute("SELECT count(*) FROM inbox WHERE Processed = 'false'").fetchone()[0]
        conn.close()
        stored = [SmsEvent.loads(row.raw) for row in spool(services).pending(args.messages * 2)]
        found = {event.number: event.text for event in stored if event.kind == "message"}
        lost = sum(1 for number, text in expected.items() if found.get(number) != text)
    finally:
        store.close()
        services.close()
    report: dict[str, Any] = {
        "benchmark": "gammu_intake",
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.platform()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}",
        "layout": f"Gammu store SQLite (schema {SCHEMA.name}); Rembug on "
        f"{db_url.split(':', 1)[0]}; one poller (rembug sms gammu)",
        "messages": args.messages,
        "inbox_rows": rows,
        "rounds": rounds,
        "seconds": round(elapsed, 2),
        "messages_per_second": round(poller.taken / elapsed, 1),
        "rows_per_second": round(rows / elapsed, 1),
        "taken_in": poller.taken,
        "spooled_messages": len(found),
        "rows_left_unprocessed": left,
        "replay_stored": replay.taken,
        "lost": lost + left,
    }
    print(json.dumps(report, indent=2, ensure_ascii=False))
    out = ROOT / "benchmarks" / "results"
    out.mkdir(parents=True, exist_ok=True)
    kind = "postgres" if db_url.startswith("postgresql") else "sqlite"
    name = f"gammu_intake-{kind}-{datetime.now(UTC):%Y%m%d-%H%M%S}.json"
    (out / name).write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", "utf-8")
    print(f"saved benchmarks/results/{name}")
    return 0 if report["lost"] == 0 and replay.taken == 0 else 1


if __name__ == "__main__":
    sys.exit(main())

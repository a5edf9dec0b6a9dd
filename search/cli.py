"""Search commands: ``python -m search.cli reindex`` (to become ``rembug reindex``)."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import Any


def cmd_reindex(args: argparse.Namespace) -> int:
    from forum.app import build_services
    from forum.db import DatabaseNotMigrated
    from forum.settings import Settings, SettingsError
    from search.rebuild import reindex

    try:
        services = build_services(Settings.from_env())
    except (DatabaseNotMigrated, SettingsError) as exc:
        sys.exit(str(exc))
    try:
        # Analysis runs here while Whoosh writes in worker processes (at most 2: the gain
        # flattens beyond that and the web server keeps its share of the machine).
        count = reindex(services, procs=min(2, os.cpu_count() or 1))
    finally:
        services.db.engine.dispose()
    print(f"Indeks pencarian dibangun ulang / search index rebuilt: {count} dokumen")
    return 0


def add_commands(subparsers: Any) -> None:
    """Hook for the forum CLI: ``search.cli.add_commands(subparsers)`` adds ``reindex``."""
    reindex = subparsers.add_parser(
        "reindex", help="rebuild the search index from the database (search stays online)"
    )
    reindex.set_defaults(func=cmd_reindex)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m search.cli")
    subparsers = parser.add_subparsers(dest="command", required=True)
    add_commands(subparsers)
    args = parser.parse_args(argv)
    result: int = args.func(args)
    return result


if __name__ == "__main__":
    raise SystemExit(main())

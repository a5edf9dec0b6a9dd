"""Search commands: ``rembug reindex``, added to ``rembug`` by the search plugin; the forum CLI
hands each command the services it builds (``args.services()``)."""

from __future__ import annotations

import argparse
import os
from typing import Any


def cmd_reindex(args: argparse.Namespace) -> int:
    from search.rebuild import reindex

    services = args.services()
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

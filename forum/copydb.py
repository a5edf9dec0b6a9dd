"""``rembug copy-db``: move a deployment to another database (typically SQLite → PostgreSQL):
migrate the target, copy every table in dependency order, reset the id sequences, and verify
that every table has the same number of rows."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Connection, Engine, Table, func, insert, select, text
from sqlmodel import SQLModel

from forum.db import make_engine, migrate

BATCH = 1000


class CopyError(RuntimeError):
    pass


def copy_database(
    source_url: str, target_url: str, say: Callable[[str], None] = print
) -> dict[str, int]:
    """Copy everything; returns the row count per table. The target must be empty."""
    import forum.app  # noqa: F401 - every package's tables on SQLModel.metadata

    migrate(target_url)
    source, target = make_engine(source_url, pool_size=1), make_engine(target_url, pool_size=1)
    tables = list(SQLModel.metadata.sorted_tables)
    try:
        with target.connect() as conn:
            filled = [
                t.name for t in tables if conn.execute(select(func.count()).select_from(t)).scalar()
            ]
        # Reference data that `migrate` loads is replaced by the source's rows.
        reference = {"region", "category", "moderation_term"}
        if set(filled) - reference:
            raise CopyError(f"the target database is not empty: {', '.join(sorted(filled))}")
        counts: dict[str, int] = {}
        with source.connect() as src, target.begin() as dst:
            for table in reversed(tables):
                if table.name in reference:
                    dst.execute(table.delete())
            for table in tables:
                order = [c for c in table.primary_key.columns] or list(table.columns)[:1]
                total = src.execute(select(func.count()).select_from(table)).scalar() or 0
                copied = 0
                rows = src.execute(select(table).order_by(*order)).mappings()
                while batch := rows.fetchmany(BATCH):
                    dst.execute(insert(table), [dict(row) for row in batch])
                    copied += len(batch)
                    say(f"  {table.name}: {copied}/{total}")
                counts[table.name] = copied
            if target.dialect.name == "postgresql":
                _reset_sequences(dst, tables)
        _verify(target, tables, counts)
        return counts
    finally:
        source.dispose()
        target.dispose()


def _reset_sequences(conn: Connection, tables: list[Table]) -> None:
    for table in tables:
        id_column = table.columns.get("id")
        if id_column is None or not id_column.primary_key:
            continue
        highest = conn.execute(select(func.max(id_column))).scalar() or 0
        conn.execute(
            text("SELECT setval(pg_get_serial_sequence(:table, 'id'), :next, false)"),
            {"table": table.name, "next": highest + 1},
        )


def _verify(target: Engine, tables: list[Table], counts: dict[str, int]) -> None:
    with target.connect() as conn:
        for table in tables:
            found = conn.execute(select(func.count()).select_from(table)).scalar() or 0
            if found != counts[table.name]:
                raise CopyError(
                    f"{table.name}: {found} rows in the target, {counts[table.name]} copied"
                )

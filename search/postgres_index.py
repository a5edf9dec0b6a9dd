"""Search with PostgreSQL full-text search (REMBUG_SEARCH_BACKEND=postgres): the documents
live in the ``search_document`` table with a generated tsvector column and a GIN index."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, time, timedelta
from typing import Any

from sqlalchemy import Engine, delete, text

from search.analysis import analyzer_version
from search.index import FACETS, Hit, IndexDocument, SearchQuery, SearchResults
from search.models import SearchDocument

TABLE = SearchDocument.__table__  # type: ignore[attr-defined]
# A word placed before the body and deleted again: it leaves a one-position gap after the
# title, so a quoted phrase cannot run from the title into the body (as in the other engines).
GAP = "zzrembuggap"
BATCH = 2000
ANALYZER_NOTE = "rembug search analyzer "

ORDERS = {
    "newest": "published_at DESC, key",
    "supported": "support_count DESC, published_at DESC, key",
    "unanswered": "answered, published_at DESC, key",
    "overdue": "answered, routed_at ASC NULLS LAST, published_at DESC, key",
    "relevance": "ts_rank_cd(tsv, q.q) DESC, published_at DESC, key",
}


def _row(doc: IndexDocument) -> dict[str, Any]:
    return {
        "key": doc.key,
        "kind": doc.kind,
        "title_terms": " ".join(doc.title_terms),
        "body_terms": " ".join(doc.body_terms),
        "published_at": doc.published_at,
        "agency": doc.agency,
        "category": doc.category,
        "region": doc.region,
        "status": doc.status,
        "consultation": doc.consultation,
        "support_count": doc.support_count,
        "routed_at": doc.routed_at,
        "answered": doc.answered,
        "confidential": doc.confidential,
    }


def tsquery(query: SearchQuery) -> str:
    """to_tsquery text; terms are [0-9a-z] only (search.analysis), quoted all the same."""
    parts = [f"'{term}'" for term in query.parsed.terms]
    parts += ["(" + " <-> ".join(f"'{t}'" for t in phrase) + ")" for phrase in query.parsed.phrases]
    return " & ".join(parts)


class PostgresIndex:
    name = "postgres"

    def __init__(self, engine: Engine) -> None:
        if engine.dialect.name != "postgresql":
            raise ValueError("REMBUG_SEARCH_BACKEND=postgres needs a PostgreSQL database")
        self.engine = engine
        self._marked = False

    def _insert(self, conn: Any, rows: list[dict[str, Any]], *, replace: bool) -> None:
        """Insert rows computing ``tsv`` in the database: terms are analysed already, so the
        'simple' configuration only splits and keeps positions (for phrases)."""
        columns = list(rows[0])
        values = ", ".join(f":{name}" for name in columns)
        conflict = ""
        if replace:
            updates = ", ".join(f"{name} = EXCLUDED.{name}" for name in [*columns[1:], "tsv"])
            conflict = f" ON CONFLICT (key) DO UPDATE SET {updates}"
        conn.execute(
            text(
                f"INSERT INTO search_document ({', '.join(columns)}, tsv) VALUES ({values}, "  # noqa: S608
                "setweight(to_tsvector('simple', :title_terms), 'A') || "
                f"ts_delete(to_tsvector('simple', '{GAP} ' || :body_terms), '{GAP}')){conflict}"
            ),
            rows,
        )

    def upsert(self, documents: Sequence[IndexDocument]) -> None:
        if documents:
            with self.engine.begin() as conn:
                if not self._marked:  # once a process: an empty, unmarked table is new
                    self._mark_if_new(conn)
                self._insert(conn, [_row(doc) for doc in documents], replace=True)

    def _mark_if_new(self, conn: Any) -> None:
        empty = conn.execute(text("SELECT NOT EXISTS (SELECT 1 FROM search_document)")).scalar()
        if empty and self._note(conn) is None:
            self._set_note(conn)
        self._marked = True

    def _set_note(self, conn: Any) -> None:
        # The analyzer version lives in the table's comment (no extra table needed); the
        # version is hex digits, safe in the statement.
        conn.execute(
            text(f"COMMENT ON TABLE search_document IS '{ANALYZER_NOTE}{analyzer_version()}'")
        )

    def _note(self, conn: Any) -> str | None:
        note = conn.execute(
            text("SELECT obj_description('search_document'::regclass, 'pg_class')")
        ).scalar_one()
        if isinstance(note, str) and note.startswith(ANALYZER_NOTE):
            return note.removeprefix(ANALYZER_NOTE)
        return None

    def delete(self, keys: Sequence[str]) -> None:
        if keys:
            with self.engine.begin() as conn:
                conn.execute(delete(TABLE).where(TABLE.c.key.in_(list(keys))))

    def rebuild(self, documents: Iterable[IndexDocument]) -> int:
        """One transaction: searches see the old rows until it commits (MVCC)."""
        count = 0
        with self.engine.begin() as conn:
            conn.execute(delete(TABLE))
            batch: list[dict[str, Any]] = []
            for doc in documents:
                batch.append(_row(doc))
                if len(batch) >= BATCH:
                    self._insert(conn, batch, replace=False)
                    count += len(batch)
                    batch = []
            if batch:
                self._insert(conn, batch, replace=False)
                count += len(batch)
            self._set_note(conn)
        with self.engine.connect() as conn:
            conn.execute(text("ANALYZE search_document"))
        return count

    def analyzer(self) -> str | None:
        with self.engine.connect() as conn:
            return self._note(conn)

    def count(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(text("SELECT count(*) FROM search_document")).scalar_one())

    def doc_frequencies(self, terms: Sequence[str]) -> dict[str, int]:
        counts: dict[str, int] = {}
        with self.engine.connect() as conn:
            for term in terms:
                counts[term] = int(
                    conn.execute(
                        text(
                            "SELECT count(*) FROM search_document "
                            "WHERE tsv @@ to_tsquery('simple', :q)"
                        ),
                        {"q": f"'{term}'"},
                    ).scalar_one()
                )
        return counts

    def _where(self, query: SearchQuery, has_text: bool) -> tuple[list[str], dict[str, Any]]:
        where: list[str] = []
        params: dict[str, Any] = {}
        if has_text:
            where.append("tsv @@ q.q")
        for name, value in query.filter_values().items():
            where.append(f"{name} = :f_{name}")  # names come from SearchQuery, not the user
            params[f"f_{name}"] = value
        if query.date_from is not None:
            where.append("published_at >= :date_from")
            params["date_from"] = datetime.combine(query.date_from, time.min, tzinfo=UTC)
        if query.date_to is not None:
            where.append("published_at < :date_to")
            params["date_to"] = datetime.combine(
                query.date_to + timedelta(days=1), time.min, tzinfo=UTC
            )
        if query.confidential == "none":
            where.append("NOT confidential")
        elif query.confidential != "all":
            where.append("(NOT confidential OR agency = :scope_agency)")
            params["scope_agency"] = query.confidential
        if query.exclude_key is not None:
            where.append("key <> :exclude_key")
            params["exclude_key"] = query.exclude_key
        return where, params

    def _run(self, query: SearchQuery, tsquery_text: str) -> SearchResults:
        has_text = bool(tsquery_text)
        where, params = self._where(query, has_text)
        params.update(q=tsquery_text, limit=query.limit, offset=query.offset)
        source = "search_document, (SELECT to_tsquery('simple', :q) AS q) AS q"
        condition = " AND ".join(where) or "TRUE"
        sort = query.sort
        if sort == "relevance" and not has_text:
            sort = "newest"
        rank = "ts_rank_cd(tsv, q.q)" if has_text else "0"
        with self.engine.connect() as conn:
            rows = conn.execute(
                text(
                    f"SELECT key, {rank} AS score FROM {source} WHERE {condition} "  # noqa: S608
                    f"ORDER BY {ORDERS[sort]} LIMIT :limit OFFSET :offset"
                ),
                params,
            ).all()
            total, facets = self._facets(conn, source, condition, params, query.facets)
        return SearchResults([Hit(key, float(score)) for key, score in rows], total, facets)

    def _facets(
        self, conn: Any, source: str, condition: str, params: dict[str, Any], wanted: bool
    ) -> tuple[int, dict[str, dict[str, int]]]:
        if not wanted:
            count_sql = f"SELECT count(*) FROM {source} WHERE {condition}"  # noqa: S608
            return int(conn.execute(text(count_sql), params).scalar_one()), {}
        columns = ", ".join(FACETS)
        sets = ", ".join(f"({name})" for name in FACETS)
        rows = conn.execute(
            text(
                f"SELECT {columns}, GROUPING({columns}) AS g, count(*) "  # noqa: S608
                f"FROM {source} WHERE {condition} GROUP BY GROUPING SETS ({sets}, ())"
            ),
            params,
        ).all()
        total = 0
        facets: dict[str, dict[str, int]] = {name: {} for name in FACETS}
        width = len(FACETS)
        for row in rows:
            grouping, count = int(row[width]), int(row[width + 1])
            if grouping == (1 << width) - 1:
                total = count
                continue
            for position, name in enumerate(FACETS):
                # GROUPING's bit for a column is 0 when the row groups by that column.
                if not grouping & (1 << (width - 1 - position)) and row[position] not in (None, ""):
                    facets[name][str(row[position])] = count
        return total, facets

    def search(self, query: SearchQuery) -> SearchResults:
        return self._run(query, tsquery(query))

    def similar(self, terms: Sequence[str], query: SearchQuery) -> SearchResults:
        unique = list(dict.fromkeys(terms))
        if not unique:
            return SearchResults([], 0, {})
        ranked = SearchQuery(**{**query.__dict__, "sort": "relevance"})
        return self._run(ranked, " | ".join(f"'{t}'" for t in unique))

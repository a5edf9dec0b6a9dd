"""The embedded search engine: a Whoosh index on local disk (the only module importing Whoosh).

The index lives in ``<REMBUG_DATA_DIR>/search/<folder>``; the file ``CURRENT`` names the live
folder, so a rebuild writes a new folder and swaps the name atomically (search stays online).
"""

from __future__ import annotations

import os
import shutil
import threading
import uuid
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index
from whoosh import query as wq
from whoosh import sorting
from whoosh.analysis import SpaceSeparatedTokenizer
from whoosh.fields import ID, NUMERIC, TEXT, Schema

from search.index import FACETS, Hit, IndexDocument, SearchQuery, SearchResults

NEVER = 2**62  # "not routed" sorts after every real routed time
WRITE_LOCK_TIMEOUT = 60.0
BATCH = 5000


def _schema() -> Schema:
    # Terms arrive analysed (search.analysis), so Whoosh only splits on spaces: no analyser to
    # pickle into the index and the same words as the other engines.
    text_analyzer: Any = SpaceSeparatedTokenizer()
    return Schema(
        key=ID(stored=True, unique=True),
        title=TEXT(analyzer=text_analyzer, phrase=True, field_boost=2.0),
        body=TEXT(analyzer=text_analyzer, phrase=True),
        kind=ID(sortable=True),
        agency=ID(sortable=True),
        category=ID(sortable=True),
        region=ID(sortable=True),
        status=ID(sortable=True),
        consultation=ID(sortable=True),
        confidential=ID(),
        answered=NUMERIC(int, bits=8, sortable=True),
        published=NUMERIC(int, bits=64, sortable=True, signed=False),
        routed=NUMERIC(int, bits=64, sortable=True, signed=False),
        support=NUMERIC(int, bits=32, sortable=True, signed=False),
    )


def _seconds(moment: datetime) -> int:
    return int(moment.timestamp())


def _fields(doc: IndexDocument) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "key": doc.key,
        "title": " ".join(doc.title_terms),
        "body": " ".join(doc.body_terms),
        "kind": doc.kind,
        "status": doc.status,
        "confidential": "1" if doc.confidential else "0",
        "answered": int(doc.answered),
        "published": _seconds(doc.published_at),
        "routed": _seconds(doc.routed_at) if doc.routed_at else NEVER,
        "support": max(doc.support_count, 0),
    }
    for name in ("agency", "category", "region", "consultation"):
        value = getattr(doc, name)
        if value is not None:
            fields[name] = str(value)
    return fields


def _day_start(day: date) -> int:
    return _seconds(datetime.combine(day, time.min, tzinfo=UTC))


class WhooshIndex:
    name = "whoosh"

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._pointer = folder / "CURRENT"
        self._local = threading.local()
        self._ix_lock = threading.Lock()
        self._ix: Any = None
        self._ix_stamp: tuple[int, int] | None = None
        self._ensure()

    # --- where the live index is -------------------------------------------------------------

    def _ensure(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        if not self._pointer.exists():
            self._swap_to(self._create_folder())

    def _create_folder(self) -> str:
        name = f"index-{datetime.now(UTC):%Y%m%d%H%M%S}-{uuid.uuid4().hex[:8]}"
        (self.folder / name).mkdir()
        whoosh_index.create_in(str(self.folder / name), _schema())
        return name

    def _swap_to(self, name: str) -> None:
        temporary = self.folder / f"CURRENT.{uuid.uuid4().hex}"
        temporary.write_text(name + "\n", encoding="utf-8")
        os.replace(temporary, self._pointer)  # atomic: readers see the old or the new name

    def live_folder(self) -> Path:
        return self.folder / self._pointer.read_text(encoding="utf-8").strip()

    def _index(self) -> Any:
        """The live index, reopened when a rebuild swapped ``CURRENT`` (one stat per call)."""
        info = self._pointer.stat()
        stamp = (info.st_mtime_ns, info.st_ino)
        with self._ix_lock:
            if self._ix is None or stamp != self._ix_stamp:
                self._ix = whoosh_index.open_dir(str(self.live_folder()))
                self._ix_stamp = stamp
            return self._ix

    def _searcher(self) -> Any:
        """A per-thread searcher, refreshed when the index changed (cheap when it did not)."""
        ix = self._index()
        cached = getattr(self._local, "searcher", None)
        if cached is not None and getattr(self._local, "ix", None) is ix and cached.up_to_date():
            fresh = cached
        else:
            # Not Searcher.refresh(): reusing segment readers missed deletions in whoosh3 3.54.
            if cached is not None:
                cached.close()
            fresh = ix.searcher()
        self._local.searcher, self._local.ix = fresh, ix
        return fresh

    # --- writing (the outbox worker and the reindex command only) ---------------------------

    def upsert(self, documents: Sequence[IndexDocument]) -> None:
        if not documents:
            return
        writer = self._index().writer(timeout=WRITE_LOCK_TIMEOUT)
        try:
            for doc in documents:
                writer.update_document(**_fields(doc))
        except BaseException:
            writer.cancel()
            raise
        writer.commit()

    def delete(self, keys: Sequence[str]) -> None:
        if not keys:
            return
        writer = self._index().writer(timeout=WRITE_LOCK_TIMEOUT)
        try:
            for key in keys:
                writer.delete_by_term("key", key)
        except BaseException:
            writer.cancel()
            raise
        writer.commit()

    def rebuild(self, documents: Iterable[IndexDocument]) -> int:
        """Write every document into a new folder with one writer, then swap ``CURRENT``."""
        name = self._create_folder()
        ix = whoosh_index.open_dir(str(self.folder / name))
        writer = ix.writer(limitmb=256, procs=1, multisegment=False)
        count = 0
        try:
            for doc in documents:
                writer.add_document(**_fields(doc))
                count += 1
        except BaseException:
            writer.cancel()
            ix.close()
            shutil.rmtree(self.folder / name, ignore_errors=True)
            raise
        writer.commit()
        ix.close()
        previous = self._pointer.read_text(encoding="utf-8").strip()
        self._swap_to(name)
        self._remove_old_folders(keep={name, previous})
        return count

    def _remove_old_folders(self, keep: set[str]) -> None:
        # The folder replaced just now may still be open in another process: it goes next time.
        for path in self.folder.glob("index-*"):
            if path.name not in keep and path.is_dir():
                shutil.rmtree(path, ignore_errors=True)

    # --- reading -----------------------------------------------------------------------------

    def count(self) -> int:
        return int(self._searcher().doc_count())

    def doc_frequencies(self, terms: Sequence[str]) -> dict[str, int]:
        searcher = self._searcher()
        return {
            term: max(searcher.doc_frequency("body", term), searcher.doc_frequency("title", term))
            for term in terms
        }

    def _filter(self, query: SearchQuery) -> tuple[Any, Any]:
        """(filter, mask) queries: the filters restrict, the mask hides confidential items."""
        parts: list[Any] = [
            wq.Term(name, str(value)) for name, value in query.filter_values().items()
        ]
        if query.date_from is not None or query.date_to is not None:
            start = _day_start(query.date_from) if query.date_from else None
            end = _day_start(query.date_to + timedelta(days=1)) - 1 if query.date_to else None
            parts.append(wq.NumericRange("published", start, end))
        mask_parts: list[Any] = []
        if query.confidential == "none":
            mask_parts.append(wq.Term("confidential", "1"))
        elif query.confidential != "all":
            mask_parts.append(
                wq.And(
                    [
                        wq.Term("confidential", "1"),
                        wq.Not(wq.Term("agency", str(query.confidential))),
                    ]
                )
            )
        if query.exclude_key is not None:
            mask_parts.append(wq.Term("key", query.exclude_key))
        filter_query = wq.And(parts) if parts else None
        mask = wq.Or(mask_parts) if mask_parts else None
        return filter_query, mask

    def _sortedby(self, query: SearchQuery) -> Any:
        newest = sorting.FieldFacet("published", reverse=True)
        if query.sort == "newest" or (query.sort == "relevance" and query.parsed.is_empty):
            return newest
        if query.sort == "supported":
            return sorting.MultiFacet([sorting.FieldFacet("support", reverse=True), newest])
        if query.sort == "unanswered":
            return sorting.MultiFacet([sorting.FieldFacet("answered"), newest])
        if query.sort == "overdue":
            return sorting.MultiFacet(
                [sorting.FieldFacet("answered"), sorting.FieldFacet("routed"), newest]
            )
        return None  # relevance (BM25F)

    def _run(self, text_query: Any, query: SearchQuery) -> SearchResults:
        searcher = self._searcher()
        filter_query, mask = self._filter(query)
        groupedby = None
        if query.facets:
            groupedby = {name: sorting.FieldFacet(name) for name in FACETS}
        results = searcher.search(
            text_query,
            limit=query.offset + query.limit,
            filter=filter_query,
            mask=mask,
            sortedby=self._sortedby(query),
            groupedby=groupedby,
            maptype=sorting.Count if groupedby else None,
            terms=False,
        )
        hits = [
            Hit(hit["key"], hit.score if isinstance(hit.score, (int, float)) else 0.0)
            for hit in results[query.offset : query.offset + query.limit]
        ]
        facets: dict[str, dict[str, int]] = {}
        if groupedby:
            for name in FACETS:
                facets[name] = {
                    _text(value): int(count)
                    for value, count in results.groups(name).items()
                    if value not in (None, "", b"")
                }
        return SearchResults(hits, len(results), facets)

    def search(self, query: SearchQuery) -> SearchResults:
        parsed = query.parsed
        clauses: list[Any] = [
            wq.Or([wq.Term("title", term), wq.Term("body", term)]) for term in parsed.terms
        ]
        clauses += [
            wq.Or([wq.Phrase("title", list(phrase)), wq.Phrase("body", list(phrase))])
            for phrase in parsed.phrases
        ]
        text_query = wq.And(clauses) if clauses else wq.Every()
        return self._run(text_query, query)

    def similar(self, terms: Sequence[str], query: SearchQuery) -> SearchResults:
        unique = list(dict.fromkeys(terms))
        if not unique:
            return SearchResults([], 0, {})
        text_query = wq.Or([wq.Term(field, t) for t in unique for field in ("title", "body")])
        return self._run(text_query, query)

    def close(self) -> None:
        cached = getattr(self._local, "searcher", None)
        if cached is not None:
            cached.close()
            self._local.searcher = None
        with self._ix_lock:
            if self._ix is not None:
                self._ix.close()
                self._ix = None


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)

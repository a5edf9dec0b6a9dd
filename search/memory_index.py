"""In-memory search index for tests and tiny deployments: the reference behaviour of the
contract (BM25-like ranking over the same analysed terms)."""

from __future__ import annotations

import math
import threading
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

from search.analysis import analyzer_version
from search.index import FACETS, Hit, IndexDocument, SearchQuery, SearchResults, matches_filters

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
TITLE_BOOST = 2.0


def contains_phrase(terms: Sequence[str], phrase: Sequence[str]) -> bool:
    width = len(phrase)
    return any(tuple(terms[i : i + width]) == tuple(phrase) for i in range(len(terms) - width + 1))


def sort_key(query: SearchQuery, doc: IndexDocument, score: float) -> tuple[float, ...]:
    """Ascending sort key implementing every SearchQuery.sort the same way in each engine."""
    published = (doc.published_at - _EPOCH).total_seconds()
    if query.sort == "newest" or (query.sort == "relevance" and query.parsed.is_empty):
        return (-published,)
    if query.sort == "supported":
        return (-doc.support_count, -published)
    if query.sort == "unanswered":
        return (float(doc.answered), -published)
    if query.sort == "overdue":
        routed = (doc.routed_at - _EPOCH).total_seconds() if doc.routed_at else math.inf
        return (float(doc.answered), routed, -published)
    return (-score, -published)


class MemoryIndex:
    name = "memory"

    def __init__(self) -> None:
        self._docs: dict[str, IndexDocument] = {}
        self._analyzer: str | None = analyzer_version()  # empty: as good as any analyzer
        self._lock = threading.Lock()

    def upsert(self, documents: Sequence[IndexDocument]) -> None:
        with self._lock:
            for doc in documents:
                self._docs[doc.key] = doc

    def delete(self, keys: Sequence[str]) -> None:
        with self._lock:
            for key in keys:
                self._docs.pop(key, None)

    def rebuild(self, documents: Iterable[IndexDocument]) -> int:
        fresh = {doc.key: doc for doc in documents}
        with self._lock:
            self._docs = fresh
            self._analyzer = analyzer_version()
        return len(fresh)

    def analyzer(self) -> str | None:
        return self._analyzer

    def count(self) -> int:
        return len(self._docs)

    def doc_frequencies(self, terms: Sequence[str]) -> dict[str, int]:
        docs = list(self._docs.values())
        return {
            term: sum(1 for d in docs if term in d.title_terms or term in d.body_terms)
            for term in terms
        }

    def _score(self, doc: IndexDocument, terms: Sequence[str], idf: dict[str, float]) -> float:
        title, body = Counter(doc.title_terms), Counter(doc.body_terms)
        length = max(len(doc.body_terms), 1)
        score = 0.0
        for term in terms:
            tf = TITLE_BOOST * title[term] + body[term]
            if tf:
                score += idf[term] * tf * 2.2 / (tf + 1.2 * (0.25 + 0.75 * length / 60))
        return score

    def _run(self, query: SearchQuery, terms: Sequence[str], any_term: bool) -> SearchResults:
        docs = list(self._docs.values())
        total_docs = max(len(docs), 1)
        frequencies = self.doc_frequencies(terms)
        idf = {t: math.log(1 + (total_docs - n + 0.5) / (n + 0.5)) for t, n in frequencies.items()}
        matched: list[tuple[IndexDocument, float]] = []
        for doc in docs:
            if not matches_filters(doc, query):
                continue
            words = set(doc.title_terms) | set(doc.body_terms)
            present = [t in words for t in terms]
            if terms and not (any(present) if any_term else all(present)):
                continue
            if not any_term and not all(
                contains_phrase(doc.title_terms, p) or contains_phrase(doc.body_terms, p)
                for p in query.parsed.phrases
            ):
                continue
            matched.append((doc, self._score(doc, terms, idf)))
        matched.sort(key=lambda pair: sort_key(query, pair[0], pair[1]))
        facets: dict[str, dict[str, int]] = {}
        if query.facets:
            for name in FACETS:
                counts = Counter(
                    str(getattr(doc, name)) for doc, _ in matched if getattr(doc, name) is not None
                )
                facets[name] = dict(counts)
        page = matched[query.offset : query.offset + query.limit]
        return SearchResults([Hit(doc.key, score) for doc, score in page], len(matched), facets)

    def search(self, query: SearchQuery) -> SearchResults:
        return self._run(query, query.parsed.all_terms, any_term=False)

    def similar(self, terms: Sequence[str], query: SearchQuery) -> SearchResults:
        return self._run(query, list(dict.fromkeys(terms)), any_term=True)

"""The search index interface: what is stored (IndexDocument), what is asked (SearchQuery)
and what comes back (SearchResults); Whoosh, PostgreSQL and in-memory implement it."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal, Protocol

from search.analysis import ParsedQuery

KINDS = ("aspiration", "comment", "response", "section")
# Fields with counts per value on the results page (kind plus the filters that take ids).
FACETS = ("kind", "agency", "category", "region", "status", "consultation")
SORTS = ("relevance", "newest", "supported", "unanswered", "overdue")
Sort = Literal["relevance", "newest", "supported", "unanswered", "overdue"]


@dataclass(frozen=True)
class IndexDocument:
    """One searchable item, flattened; ``key`` is "<kind>:<id>" (e.g. "aspiration:12").

    ``title_terms``/``body_terms`` are the analysed terms (search.analysis.analyze), so every
    engine indexes exactly the same words.
    """

    key: str
    kind: str
    title_terms: tuple[str, ...]
    body_terms: tuple[str, ...]
    published_at: datetime
    agency: int | None = None
    category: int | None = None
    region: int | None = None
    status: str = ""
    consultation: int | None = None
    support_count: int = 0
    routed_at: datetime | None = None
    answered: bool = False
    confidential: bool = False  # only for the agency's officials and moderators


@dataclass(frozen=True)
class SearchQuery:
    parsed: ParsedQuery = field(default_factory=ParsedQuery)
    kind: str | None = None
    agency: int | None = None
    category: int | None = None
    region: int | None = None
    status: str | None = None
    consultation: int | None = None
    date_from: date | None = None
    date_to: date | None = None  # inclusive
    sort: Sort = "relevance"
    offset: int = 0
    limit: int = 20
    # Confidential documents included: none (public search), those of one agency, or all.
    confidential: Literal["none", "all"] | int = "none"
    facets: bool = True
    exclude_key: str | None = None  # "more like this" leaves out the item itself

    def filter_values(self) -> dict[str, object]:
        values = {
            "kind": self.kind,
            "agency": self.agency,
            "category": self.category,
            "region": self.region,
            "status": self.status,
            "consultation": self.consultation,
        }
        return {name: value for name, value in values.items() if value is not None}


@dataclass(frozen=True)
class Hit:
    key: str
    score: float


@dataclass
class SearchResults:
    hits: list[Hit]
    total: int
    # facet name -> {value as text: count}, over every match of the query and filters.
    facets: dict[str, dict[str, int]] = field(default_factory=dict)


class SearchIndex(Protocol):
    """Written only by the outbox worker and the reindex command; read by web requests."""

    name: str

    def upsert(self, documents: Sequence[IndexDocument]) -> None:
        """Add or replace documents by key (idempotent)."""

    def delete(self, keys: Sequence[str]) -> None:
        """Remove documents by key; unknown keys are ignored."""

    def search(self, query: SearchQuery) -> SearchResults: ...

    def similar(self, terms: Sequence[str], query: SearchQuery) -> SearchResults:
        """Documents sharing the most of ``terms`` (any of them may match), best first."""

    def doc_frequencies(self, terms: Sequence[str]) -> dict[str, int]:
        """How many documents contain each term (for "did you mean")."""

    def rebuild(self, documents: Iterable[IndexDocument]) -> int:
        """Replace the whole index with ``documents`` while searches keep being answered;
        returns how many were indexed."""

    def count(self) -> int: ...

    def analyzer(self) -> str | None:
        """The analyzer version (search.analysis.analyzer_version) of the last rebuild, or
        None if unknown: an index built by another analyzer is rebuilt (search.rebuild)."""


def confidential_allowed(doc: IndexDocument, scope: Literal["none", "all"] | int) -> bool:
    if not doc.confidential or scope == "all":
        return True
    return scope != "none" and doc.agency == scope


def matches_filters(doc: IndexDocument, query: SearchQuery) -> bool:
    """The filters of ``query`` (not the text), as every engine must apply them."""
    if query.exclude_key is not None and doc.key == query.exclude_key:
        return False
    if not confidential_allowed(doc, query.confidential):
        return False
    for name, value in query.filter_values().items():
        if getattr(doc, name) != value:
            return False
    day = doc.published_at.date()
    if query.date_from is not None and day < query.date_from:
        return False
    return not (query.date_to is not None and day > query.date_to)

"""Search as the pages, the API and the forum's extension points use it: choose the index,
parse and bound the parameters, run the query, re-check hits against the database, build
snippets, facets and "did you mean", and find similar aspirations."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from math import ceil, log
from pathlib import Path
from typing import Any, Literal

from markupsafe import Markup
from sqlmodel import Session

from forum import queries, ratelimit
from forum.errors import N_
from forum.models import (
    Account,
    Agency,
    Aspiration,
    AspirationStatus,
    Category,
    Consultation,
    ConsultationStatus,
    Region,
)
from forum.plugins import setting_value
from forum.settings import Setting
from forum.validation import MAX_ID
from search.analysis import STOPWORDS, analyze, parse_query, root_words, stem, terms_of_word
from search.documents import doc_key, visible_sources
from search.highlight import snippet
from search.index import FACETS, KINDS, SORTS, SearchIndex, SearchQuery

INDEX_KEY = "search.index"
BACKEND = Setting(
    "REMBUG_SEARCH_BACKEND",
    "whoosh",
    "Search engine: whoosh (files under REMBUG_DATA_DIR/search), postgres (needs a "
    "PostgreSQL database) or memory (tests; lost on restart).",
)
MAX_PAGE = 500
MAX_PER_PAGE = 50
PER_PAGE = 20
STATUSES = tuple(dict.fromkeys([*AspirationStatus, *ConsultationStatus]))
SIMILAR_TERMS = 12
SIMILAR_MIN_OVERLAP = 0.2


class SearchSetupError(RuntimeError):
    """The configured backend cannot run here; the message names the setting."""


def build_index(settings: Any, engine: Any) -> SearchIndex:
    backend = setting_value(settings, BACKEND).lower()
    if backend == "memory":
        from search.memory_index import MemoryIndex

        return MemoryIndex()
    if backend == "postgres":
        if engine.dialect.name != "postgresql":
            raise SearchSetupError("REMBUG_SEARCH_BACKEND=postgres needs a PostgreSQL database")
        from search.postgres_index import PostgresIndex

        return PostgresIndex(engine)
    if backend == "whoosh":
        from search.whoosh_index import WhooshIndex

        return WhooshIndex(Path(settings.data_dir) / "search")
    raise SearchSetupError("REMBUG_SEARCH_BACKEND must be whoosh, postgres or memory")


def get_index(services: Any) -> SearchIndex:
    index: SearchIndex = services.extensions[INDEX_KEY]
    return index


ALLOWANCE = "search.allowance"  # services.extensions key: this process's ratelimit.Allowance


def limit_searches(services: Any, client_ip: str) -> None:
    """Per IP address, shared by the pages and the API. A third of the limit per process is
    counted in memory, so ordinary searching writes nothing (on SQLite a write per search
    would queue behind every submission); only heavy searchers are recorded."""
    limit = services.settings.rate_search_per_minute
    allowance = services.extensions.setdefault(
        ALLOWANCE, ratelimit.Allowance(limit // 3, timedelta(minutes=1))
    )
    ratelimit.hit_beyond_allowance(services.db, allowance, f"search-ip:{client_ip}", limit=limit)


# --- parameters (one list for the page, the API and the OpenAPI document) --------------------


@dataclass(frozen=True)
class Param:
    name: str
    kind: Literal["string", "integer", "date"]
    description: str
    enum: tuple[str, ...] = ()
    minimum: int = 1
    maximum: int = MAX_ID
    max_length: int = 500


PARAMS: tuple[Param, ...] = (
    Param("q", "string", 'Words to find; "quoted words" must appear together.'),
    Param("kind", "string", "Only this kind of item.", enum=KINDS),
    Param("agency", "integer", "Only items of this agency (id)."),
    Param("category", "integer", "Only aspirations in this category (id)."),
    Param("region", "integer", "Only aspirations from this region (id)."),
    Param("status", "string", "Only items with this status.", enum=STATUSES),
    Param("consultation", "integer", "Only comments, responses and sections of this consultation."),
    Param("from", "date", "Published on or after this day (YYYY-MM-DD, UTC)."),
    Param("to", "date", "Published on or before this day (YYYY-MM-DD, UTC)."),
    Param("sort", "string", "Order of results.", enum=SORTS),
    Param("page", "integer", "Page of results.", maximum=MAX_PAGE),
    Param("per_page", "integer", "Results per page.", maximum=MAX_PER_PAGE),
)


class ParamError(ValueError):
    def __init__(self, name: str, message: str) -> None:
        super().__init__(message)
        self.name = name
        self.message = message


@dataclass(frozen=True)
class SearchForm:
    q: str = ""
    kind: str | None = None
    agency: int | None = None
    category: int | None = None
    region: int | None = None
    status: str | None = None
    consultation: int | None = None
    date_from: date | None = None
    date_to: date | None = None
    sort: str = "relevance"
    page: int = 1
    per_page: int = PER_PAGE

    def filters(self) -> dict[str, str]:
        """The active filters as query-string values (for links that keep them)."""
        values: dict[str, Any] = {
            "kind": self.kind,
            "agency": self.agency,
            "category": self.category,
            "region": self.region,
            "status": self.status,
            "consultation": self.consultation,
            "from": self.date_from,
            "to": self.date_to,
        }
        return {k: str(v) for k, v in values.items() if v is not None}


def parse_params(values: Mapping[str, str], *, page_name: str = "page") -> SearchForm:
    """Validate query parameters against PARAMS; raises ParamError with a clear message."""
    parsed: dict[str, Any] = {}
    for param in PARAMS:
        raw = values.get(page_name if param.name == "page" else param.name, "").strip()
        if not raw:
            continue
        if param.kind == "integer":
            if (
                not raw.isdigit()
                or len(raw) > 10
                or not (param.minimum <= int(raw) <= param.maximum)
            ):
                raise ParamError(
                    param.name,
                    f"{param.name} must be a whole number from {param.minimum} to {param.maximum}",
                )
            parsed[param.name] = int(raw)
        elif param.kind == "date":
            try:
                day = date.fromisoformat(raw[:10])
            except ValueError:
                raise ParamError(param.name, f"{param.name} must be a date YYYY-MM-DD") from None
            # The index stores times as unsigned seconds since 1970 (a 500 before it, found by
            # schemathesis); the same years as forum.validation.parse_local_datetime.
            if not 2000 <= day.year <= 2100:
                raise ParamError(param.name, f"{param.name} must be a year from 2000 to 2100")
            parsed[param.name] = day
        else:
            if len(raw) > param.max_length:
                raise ParamError(param.name, f"{param.name} is longer than {param.max_length}")
            if param.enum and raw not in param.enum:
                raise ParamError(param.name, f"{param.name} must be one of {', '.join(param.enum)}")
            parsed[param.name] = raw
    parsed["date_from"] = parsed.pop("from", None)
    parsed["date_to"] = parsed.pop("to", None)
    return SearchForm(**parsed)


# --- running a search ---------------------------------------------------------------------------


def confidential_scope(viewer: Account | None) -> Literal["none", "all"] | int:
    """Confidential aspirations are searchable by moderators and by their agency only."""
    if queries.is_moderator(viewer):
        return "all"
    if viewer is not None and viewer.is_active and viewer.role == "official" and viewer.agency_id:
        return viewer.agency_id
    return "none"


@dataclass
class ResultItem:
    key: str
    kind: str
    title: str
    url: str
    snippet: Markup
    published_at: Any
    agency: str
    support_count: int
    ticket: str | None
    status: str
    score: float


@dataclass
class FacetValue:
    value: str
    label: str
    count: int
    selected: bool


@dataclass
class SearchPage:
    form: SearchForm
    items: list[ResultItem]
    total: int
    facets: dict[str, list[FacetValue]] = field(default_factory=dict)
    suggestion: str | None = None

    @property
    def pages(self) -> int:
        return max(1, min(MAX_PAGE, ceil(self.total / self.form.per_page)))


def run_search(
    index: SearchIndex, db: Session, viewer: Account | None, form: SearchForm
) -> SearchPage:
    parsed = parse_query(form.q)
    query = SearchQuery(
        parsed=parsed,
        kind=form.kind,
        agency=form.agency,
        category=form.category,
        region=form.region,
        status=form.status,
        consultation=form.consultation,
        date_from=form.date_from,
        date_to=form.date_to,
        sort=form.sort,  # type: ignore[arg-type]
        offset=(form.page - 1) * form.per_page,
        limit=form.per_page,
        confidential=confidential_scope(viewer),
    )
    results = index.search(query)
    sources = visible_sources(db, viewer, [hit.key for hit in results.hits])
    terms = set(parsed.all_terms)
    agencies = queries.lookup_names(
        db, [s.agency_id for s in sources.values() if s.agency_id], Agency
    )
    items = []
    for hit in results.hits:
        source = sources.get(hit.key)
        if source is None:  # stale index entry: never shown, the worker will catch up
            continue
        agency = agencies.get(source.agency_id) if source.agency_id else None
        items.append(
            ResultItem(
                key=hit.key,
                kind=source.kind,
                title=source.title,
                url=source.url,
                snippet=snippet(source.body, terms),
                published_at=source.published_at,
                agency=agency.name if agency else "",
                support_count=source.support_count,
                ticket=source.aspiration.ticket if source.aspiration else None,
                status=source.aspiration.status if source.aspiration else "",
                score=hit.score,
            )
        )
    page = SearchPage(form, items, results.total, label_facets(db, form, results.facets))
    if parsed.words and results.total == 0:
        page.suggestion = did_you_mean(index, parsed.words)
    return page


def label_facets(
    db: Session, form: SearchForm, counts: dict[str, dict[str, int]]
) -> dict[str, list[FacetValue]]:
    models: dict[str, Any] = {
        "agency": Agency,
        "category": Category,
        "region": Region,
        "consultation": Consultation,
    }
    labelled: dict[str, list[FacetValue]] = {}
    for name in FACETS:
        values = counts.get(name, {})
        selected = getattr(form, name)
        rows: dict[int, Any] = {}
        if name in models:
            ids = [int(v) for v in values if v.isdigit()]
            rows = queries.lookup_names(db, ids, models[name])
        facet = []
        for value, count in sorted(values.items(), key=lambda kv: (-kv[1], kv[0])):
            label = value
            if name in models:
                row = rows.get(int(value)) if value.isdigit() else None
                if row is None:
                    continue
                label = getattr(row, "name", None) or getattr(row, "title", None) or value
                if name == "category":
                    label = row.name_id
            facet.append(FacetValue(value, label, count, str(selected) == value))
        labelled[name] = facet[:30]
    return labelled


@lru_cache(maxsize=64)
def _roots_starting(letter: str) -> tuple[str, ...]:
    return tuple(word for word in root_words() if word.startswith(letter))


def did_you_mean(index: SearchIndex, raw_words: tuple[str, ...]) -> str | None:
    """Replace each word found nowhere in the index by the closest root word that is."""
    content = [w for w in raw_words if w not in STOPWORDS and terms_of_word(w)]
    if not content:
        return None
    frequencies = index.doc_frequencies([stem(w) for w in content])
    changed = False
    suggestion = []
    for word in raw_words:
        if word in content and frequencies.get(stem(word), 0) == 0 and len(word) > 3:
            close = difflib.get_close_matches(word, _roots_starting(word[0]), n=5, cutoff=0.75)
            usable = index.doc_frequencies([stem(c) for c in close]) if close else {}
            better = next((c for c in close if usable.get(stem(c), 0) > 0), None)
            if better is not None:
                suggestion.append(better)
                changed = True
                continue
        suggestion.append(word)
    return " ".join(suggestion) if changed else None


# --- similar aspirations (the forum's extension points) ---------------------------------------


def _key_terms(index: SearchIndex, text: str) -> list[str]:
    """The terms that best characterise ``text``: frequent in it, rare in the index."""
    terms = analyze(text)
    if not terms:
        return []
    counts: dict[str, int] = {}
    for term in terms:
        counts[term] = counts.get(term, 0) + 1
    candidates = sorted(counts, key=lambda t: -counts[t])[:40]
    frequencies = index.doc_frequencies(candidates)
    total = max(index.count(), 1)
    weight = {t: counts[t] * log(1 + total / (1 + frequencies.get(t, 0))) for t in candidates}
    return sorted(candidates, key=lambda t: -weight[t])[:SIMILAR_TERMS]


def find_similar_aspirations(
    index: SearchIndex,
    db: Session,
    viewer: Account | None,
    text: str,
    limit: int,
    exclude: Aspiration | None = None,
    scope: Literal["none", "all"] | int | None = None,
) -> list[Aspiration]:
    """Aspirations sharing the most distinctive words with ``text``, confirmed by a
    word-overlap score (raw engine scores do not compare across queries)."""
    terms = _key_terms(index, text)
    if not terms:
        return []
    query = SearchQuery(
        kind="aspiration",
        limit=limit * 3,
        facets=False,
        confidential=confidential_scope(viewer) if scope is None else scope,
        exclude_key=doc_key("aspiration", exclude.id) if exclude and exclude.id else None,
    )
    results = index.similar(terms, query)
    sources = visible_sources(db, viewer, [hit.key for hit in results.hits])
    wanted = set(terms)
    scored: list[tuple[float, int, Aspiration]] = []
    for position, hit in enumerate(results.hits):
        source = sources.get(hit.key)
        if source is None or source.aspiration is None:
            continue
        words = set(analyze(source.title + " " + source.body))
        overlap = len(wanted & words) / len(wanted)
        if overlap >= SIMILAR_MIN_OVERLAP:
            scored.append((-overlap, position, source.aspiration))
    scored.sort(key=lambda item: (item[0], item[1]))
    return [aspiration for _, _, aspiration in scored[:limit]]


def make_extensions(services: Any) -> dict[str, Any]:
    """The callables the forum core looks up in services.extensions."""

    def similar_aspirations(
        db: Session, viewer: Account | None, title: str, body: str, limit: int
    ) -> list[Aspiration]:
        # Citizens are offered public aspirations only, whatever their role.
        return find_similar_aspirations(
            get_index(services), db, viewer, f"{title}\n{body}", limit, scope="none"
        )

    def more_like_this(
        db: Session, viewer: Account | None, aspiration: Aspiration, limit: int
    ) -> list[Aspiration]:
        return find_similar_aspirations(
            get_index(services),
            db,
            viewer,
            f"{aspiration.title}\n{aspiration.body}",
            limit,
            exclude=aspiration,
        )

    return {"similar_aspirations": similar_aspirations, "more_like_this": more_like_this}


KIND_LABELS = {
    "aspiration": N_("Aspiration"),
    "comment": N_("Comment"),
    "response": N_("Official response"),
    "section": N_("Consultation section"),
}
SORT_LABELS = {
    "relevance": N_("Most relevant"),
    "newest": N_("Newest"),
    "supported": N_("Most supported"),
    "unanswered": N_("Unanswered first"),
    "overdue": N_("Overdue first"),
}
FACET_LABELS = {
    "kind": N_("Kind"),
    "agency": N_("Agency"),
    "category": N_("Category"),
    "region": N_("Region"),
    "status": N_("Status"),
    "consultation": N_("Consultation"),
}
STATUS_LABELS = {
    "published": N_("Published"),
    "routed": N_("Routed to the agency"),
    "in_progress": N_("In progress"),
    "responded": N_("Answered"),
    "closed": N_("Closed"),
    "scheduled": N_("Opens soon"),
    "open": N_("Open for comments"),
    "concluded": N_("Concluded"),
}

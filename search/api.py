"""GET /api/v1/search as one of the forum's open-data endpoints (forum.api.Endpoint): it is
run, validated, documented and answered by the same pieces as the others, so it follows their
contract (the {"error", "detail", "parameter"} errors, 400 for a repeated parameter, the CORS
header, absolute URLs on REMBUG_BASE_URL) and, like them, never sees the session: confidential
aspirations stay on the staff's search pages, behind their permission checks."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session

from forum.api import Args, Endpoint
from forum.api import Param as ApiParam
from search.service import (
    PARAMS,
    PER_PAGE,
    Param,
    SearchForm,
    get_index,
    limit_searches,
    run_search,
)


def _api_param(param: Param) -> ApiParam:
    """The open-data spec of one search parameter (PARAMS is the one list of them)."""
    if param.kind == "integer":
        default = {"page": 1, "per_page": PER_PAGE}.get(param.name)
        return ApiParam(
            param.name,
            param.description,
            "integer",
            minimum=param.minimum,
            maximum=param.maximum,
            default=default,
        )
    if param.kind == "date":
        return ApiParam(param.name, param.description, "date")
    return ApiParam(
        param.name,
        param.description,
        max_length=param.max_length,
        enum=param.enum,
        default="relevance" if param.name == "sort" else None,
    )


def _utc(value: datetime) -> str:
    if value.tzinfo is None:  # SQLite hands back naive UTC
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat()


API_PARAMS: tuple[ApiParam, ...] = tuple(_api_param(p) for p in PARAMS)


def search(db: Session, args: Args) -> dict[str, Any]:
    limit_searches(args.services, args.client_ip)
    values = args.values
    form = SearchForm(
        q=values["q"] or "",
        kind=values["kind"],
        agency=values["agency"],
        category=values["category"],
        region=values["region"],
        status=values["status"],
        consultation=values["consultation"],
        date_from=values["from"],
        date_to=values["to"],
        sort=values["sort"],
        page=values["page"],
        per_page=values["per_page"],
    )
    # No viewer: what anyone may see, whoever asks.
    page = run_search(get_index(args.services), db, None, form)
    return {
        "query": form.q,
        "total": page.total,
        "page": form.page,
        "pages": page.pages,
        "results": [
            {
                "kind": item.kind,
                "title": item.title,
                "url": args.url(item.url),
                "snippet": str(item.snippet),
                "published_at": _utc(item.published_at),
                "agency": item.agency,
                "support_count": item.support_count,
                "ticket": item.ticket,
                "status": item.status,
            }
            for item in page.items
        ],
        "facets": {
            name: [{"value": v.value, "label": v.label, "count": v.count} for v in counted]
            for name, counted in page.facets.items()
        },
        "suggestion": page.suggestion,
    }


SEARCH = Endpoint(
    "/api/v1/search",
    "search",
    "Full-text search over published aspirations, comments, official responses and "
    "consultation sections (Indonesian-aware). Confidential aspirations never appear, "
    "whoever asks.",
    "SearchResponse",
    search,
    API_PARAMS,
    throttled=True,
)

"""Search pages (/cari and /search) and the JSON API (/api/v1/search); its OpenAPI description
is merged into the forum's /api/v1/openapi.json (search/openapi.py)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from forum import ratelimit
from forum.errors import Throttled
from forum.services import Services
from forum.web.kit import Ctx, view
from search.service import (
    FACET_LABELS,
    KIND_LABELS,
    SORT_LABELS,
    STATUS_LABELS,
    ParamError,
    SearchForm,
    get_index,
    parse_params,
    run_search,
)

ALLOWANCE = "search.allowance"  # services.extensions key: this process's ratelimit.Allowance


def limit_searches(ctx: Ctx) -> None:
    """Per IP address, shared by the pages and the API. A third of the limit per process is
    counted in memory, so ordinary searching writes nothing (on SQLite a write per search
    would queue behind every submission); only heavy searchers are recorded."""
    limit = ctx.settings.rate_search_per_minute
    allowance = ctx.services.extensions.setdefault(
        ALLOWANCE, ratelimit.Allowance(limit // 3, timedelta(minutes=1))
    )
    ratelimit.hit_beyond_allowance(
        ctx.services.db, allowance, f"search-ip:{ctx.client_ip()}", limit=limit
    )


def _link(form: SearchForm, **changes: Any) -> str:
    values: dict[str, Any] = {"q": form.q, **form.filters(), "sort": form.sort}
    values.update(changes)
    clean = {k: v for k, v in values.items() if v not in (None, "") and k != "halaman"}
    if clean.get("sort") == "relevance":
        clean.pop("sort")
    return "/cari?" + urlencode(clean) if clean else "/cari"


@view()
def search_page(ctx: Ctx) -> Response:
    limit_searches(ctx)
    params = {key: ctx.query(key) for key in ctx.request.query_params}
    error = None
    try:
        form = parse_params(params, page_name="halaman")
    except ParamError as exc:
        form, error = SearchForm(q=ctx.query("q")), exc.message
    page = None
    searched = bool(form.q.strip() or form.filters())
    if error is None and searched:
        page = run_search(get_index(ctx.services), ctx.db, ctx.user, form)
    return ctx.render(
        "search.html",
        status_code=400 if error else 200,
        form=form,
        page=page,
        error=error,
        kind_labels=KIND_LABELS,
        sort_labels=SORT_LABELS,
        facet_labels=FACET_LABELS,
        status_labels=STATUS_LABELS,
        link=lambda **changes: _link(form, **changes),
    )


@view()
def search_api(ctx: Ctx) -> Response:
    try:
        limit_searches(ctx)
    except Throttled as exc:
        return JSONResponse(
            {"error": ctx._(exc.message, **exc.params)},
            status_code=429,
            headers={"Retry-After": str(exc.retry_after)},
        )
    try:
        form = parse_params({key: ctx.query(key) for key in ctx.request.query_params})
    except ParamError as exc:
        return JSONResponse({"error": exc.message, "parameter": exc.name}, status_code=400)
    page = run_search(get_index(ctx.services), ctx.db, ctx.user, form)
    return JSONResponse(
        {
            "query": form.q,
            "total": page.total,
            "page": form.page,
            "pages": page.pages,
            "results": [
                {
                    "kind": item.kind,
                    "title": item.title,
                    "url": item.url,
                    "snippet": str(item.snippet),
                    "published_at": item.published_at.isoformat(),
                    "agency": item.agency,
                    "support_count": item.support_count,
                    "ticket": item.ticket,
                    "status": item.status,
                }
                for item in page.items
            ],
            "facets": {
                name: [{"value": v.value, "label": v.label, "count": v.count} for v in values]
                for name, values in page.facets.items()
            },
            "suggestion": page.suggestion,
        }
    )


def routes(services: Services) -> list[BaseRoute]:
    return [
        Route("/cari", search_page),
        Route("/search", search_page),
        Route("/api/v1/search", search_api),
    ]

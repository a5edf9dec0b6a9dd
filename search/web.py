"""Search pages (/cari and /search) and the route of the JSON API (/api/v1/search, see
search/api.py); its OpenAPI description is merged into the forum's /api/v1/openapi.json
(search/openapi.py)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from forum.api import endpoint_handler
from forum.services import Services
from forum.web.kit import Ctx, view
from search.api import SEARCH
from search.service import (
    FACET_LABELS,
    KIND_LABELS,
    SORT_LABELS,
    STATUS_LABELS,
    ParamError,
    SearchForm,
    get_index,
    limit_searches,
    parse_params,
    run_search,
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
    limit_searches(ctx.services, ctx.client_ip())
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


def routes(services: Services) -> list[BaseRoute]:
    return [
        Route("/cari", search_page),
        Route("/search", search_page),
        # The API runs in the forum's open-data runner: no session, the same answer for all.
        Route(SEARCH.path, endpoint_handler(SEARCH)),
    ]

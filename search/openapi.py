"""The OpenAPI 3 description of the search API, built by the forum (forum.api.operation) from
the same endpoint spec the handler is run with (search.api.SEARCH), so the two cannot drift
apart; the forum serves it inside its one /api/v1/openapi.json (registered in
search/plugin.py)."""

from __future__ import annotations

from typing import Any

from forum.api import operation
from search.api import SEARCH
from search.index import FACETS

RESULT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["kind", "title", "url", "snippet", "published_at", "agency", "support_count"],
    "properties": {
        "kind": {"type": "string"},
        "title": {"type": "string"},
        "url": {
            "type": "string",
            "description": "Absolute address of the item's page (on REMBUG_BASE_URL).",
        },
        "snippet": {"type": "string", "description": "HTML: escaped text, matches in <mark>."},
        "published_at": {"type": "string", "format": "date-time"},
        "agency": {"type": "string"},
        "support_count": {"type": "integer"},
        "ticket": {"type": ["string", "null"]},
        "status": {"type": "string"},
    },
}

RESPONSE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["query", "total", "page", "pages", "results", "facets", "suggestion"],
    "properties": {
        "query": {"type": "string"},
        "total": {"type": "integer"},
        "page": {"type": "integer"},
        "pages": {"type": "integer"},
        "results": {"type": "array", "items": {"$ref": "#/components/schemas/SearchResult"}},
        "facets": {
            "type": "object",
            "description": "Counts per value of each filter over all matches.",
            "properties": {
                name: {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["value", "label", "count"],
                        "properties": {
                            "value": {"type": "string"},
                            "label": {"type": "string"},
                            "count": {"type": "integer"},
                        },
                    },
                }
                for name in FACETS
            },
        },
        "suggestion": {"type": ["string", "null"], "description": "Did you mean…"},
    },
}


def openapi_paths() -> dict[str, Any]:
    """The /api/v1/search path item, made by the forum from the endpoint's spec."""
    return {SEARCH.path: {"get": operation(SEARCH)}}


def openapi_schemas() -> dict[str, Any]:
    """Its answer's schemas (errors use the forum's ApiError, as every endpoint does)."""
    return {"SearchResult": RESULT_SCHEMA, "SearchResponse": RESPONSE_SCHEMA}


def openapi_fragment() -> dict[str, Any]:
    """What the forum's one /api/v1 document merges in (forum.extensions.OPENAPI_PATHS)."""
    return {"paths": openapi_paths(), "components": {"schemas": openapi_schemas()}}

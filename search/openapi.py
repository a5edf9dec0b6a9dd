"""The OpenAPI 3 description of the search API, built from the same parameter list the
handler validates with (search.service.PARAMS), so the two cannot drift apart; the forum
serves it inside its one /api/v1/openapi.json (registered in search/plugin.py)."""

from __future__ import annotations

from typing import Any

from search.index import FACETS
from search.service import PARAMS, Param

OPENAPI_VERSION = "3.1.0"


def _schema(param: Param) -> dict[str, Any]:
    if param.kind == "integer":
        return {"type": "integer", "minimum": param.minimum, "maximum": param.maximum}
    if param.kind == "date":
        return {"type": "string", "format": "date"}
    schema: dict[str, Any] = {"type": "string", "maxLength": param.max_length}
    if param.enum:
        schema["enum"] = list(param.enum)
    return schema


RESULT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["kind", "title", "url", "snippet", "published_at", "agency", "support_count"],
    "properties": {
        "kind": {"type": "string"},
        "title": {"type": "string"},
        "url": {"type": "string", "description": "Path of the item's page on this site."},
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

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["error", "parameter"],
    "properties": {"error": {"type": "string"}, "parameter": {"type": "string"}},
}
THROTTLED_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["error"],
    "properties": {"error": {"type": "string"}},
}


def openapi_paths() -> dict[str, Any]:
    """The /api/v1/search path item (merge it into a larger document as needed)."""
    return {
        "/api/v1/search": {
            "get": {
                "operationId": "search",
                "summary": "Full-text search over published aspirations, comments, official "
                "responses and consultation sections (Indonesian-aware).",
                "parameters": [
                    {
                        "name": p.name,
                        "in": "query",
                        "required": False,
                        "description": p.description,
                        "schema": _schema(p),
                    }
                    for p in PARAMS
                ],
                "responses": {
                    "200": {
                        "description": "One page of results.",
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/SearchResponse"}
                            }
                        },
                    },
                    "400": {
                        "description": "A parameter is invalid or out of bounds.",
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}
                        },
                    },
                    "429": {
                        "description": "Too many searches from this address; the Retry-After "
                        "header says how many seconds to wait.",
                        "headers": {"Retry-After": {"schema": {"type": "integer", "minimum": 1}}},
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/Throttled"}
                            }
                        },
                    },
                },
            }
        }
    }


def openapi_schemas() -> dict[str, Any]:
    return {
        "SearchResult": RESULT_SCHEMA,
        "SearchResponse": RESPONSE_SCHEMA,
        "Error": ERROR_SCHEMA,
        "Throttled": THROTTLED_SCHEMA,
    }


def openapi_fragment() -> dict[str, Any]:
    """What the forum's one /api/v1 document merges in (forum.extensions.OPENAPI_PATHS)."""
    return {"paths": openapi_paths(), "components": {"schemas": openapi_schemas()}}


def openapi_document(base_url: str = "/") -> dict[str, Any]:
    return {
        "openapi": OPENAPI_VERSION,
        "info": {"title": "Rembug API", "version": "1"},
        "servers": [{"url": base_url}],
        "paths": openapi_paths(),
        "components": {"schemas": openapi_schemas()},
    }

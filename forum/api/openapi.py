"""The OpenAPI 3 document of /api/v1, generated from the endpoint and parameter specs, and
the routes."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from forum.api.endpoints import ENDPOINTS, Endpoint
from forum.api.params import OPENAPI_VERSION, PREFIX
from forum.api.run import JSON_HEADERS, endpoint_handler
from forum.api.schemas import SCHEMAS, csv_columns, schema_ref
from forum.exports import XLSX_MEDIA_TYPE
from forum.extensions import OPENAPI_PATHS
from forum.services import Services


def operation(endpoint: Endpoint) -> dict[str, Any]:
    """The OpenAPI operation of one endpoint (plugins describe theirs with it too)."""
    body = schema_ref(f"{endpoint.schema}Page" if endpoint.listing else endpoint.schema)
    ok: dict[str, Any] = {"application/json": {"schema": body}}
    if endpoint.csv_schema is not None:
        columns = ", ".join("_".join(c) for c in csv_columns(endpoint.csv_schema))
        ok["text/csv"] = {
            "schema": {
                "type": "string",
                "description": f"With format=csv: a header row ({columns}), then one row per "
                "item. Cells starting with = + - @ are prefixed with an apostrophe.",
            }
        }
        ok[XLSX_MEDIA_TYPE] = {
            "schema": {
                "type": "string",
                "format": "binary",
                "description": "With format=xlsx: an Excel workbook of one sheet with the CSV's "
                "header row and rows; texts are text cells, never formulas.",
            }
        }
    error = {"application/json": {"schema": schema_ref("ApiError")}}
    responses: dict[str, Any] = {
        "200": {"description": "OK", "content": ok},
        "400": {"description": "A parameter is invalid or out of bounds.", "content": error},
    }
    if endpoint.not_found:
        responses["404"] = {"description": "No such public item.", "content": error}
    if endpoint.throttled:
        responses["429"] = {
            "description": "Too many requests from this address; the Retry-After header says "
            "how many seconds to wait.",
            "headers": {"Retry-After": {"schema": {"type": "integer", "minimum": 1}}},
            "content": error,
        }
    return {
        "operationId": endpoint.operation_id,
        "summary": endpoint.summary,
        "parameters": [p.document() for p in endpoint.params],
        "responses": responses,
    }


def openapi_document(services: Services) -> dict[str, Any]:
    """One document for everything under /api/v1: the forum's endpoints and every fragment
    a plugin registered under extensions.OPENAPI_PATHS."""
    paths: dict[str, Any] = {e.path: {"get": operation(e)} for e in ENDPOINTS}
    paths[f"{PREFIX}/openapi.json"] = {
        "get": {
            "operationId": "getOpenApiDocument",
            "summary": "This document.",
            "responses": {
                "200": {
                    "description": "The OpenAPI 3 document of /api/v1.",
                    "content": {"application/json": {"schema": {"type": "object"}}},
                }
            },
        }
    }
    schemas: dict[str, Any] = dict(SCHEMAS)
    for fragment_of in services.extensions.get(OPENAPI_PATHS, []):
        fragment = fragment_of()
        for path, item in fragment.get("paths", {}).items():
            if path in paths:
                raise ValueError(f"OpenAPI path {path} is declared twice")
            paths[path] = item
        for name, schema in fragment.get("components", {}).get("schemas", {}).items():
            if name in schemas and schemas[name] != schema:
                raise ValueError(f"OpenAPI schema {name} is declared twice, differently")
            schemas[name] = schema
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": "Rembug open data API",
            "version": "1",
            "description": "Read-only public data: consultations, comments, aspirations, "
            "official responses, agencies and accountability figures. No personal data.",
        },
        # The paths start with "/": server URL + path is the address (no double slash).
        "servers": [{"url": services.settings.base_url}],
        "paths": dict(sorted(paths.items())),
        "components": {"schemas": schemas},
    }


async def openapi_json(request: Request) -> Response:
    services: Services = request.app.state.services
    return JSONResponse(openapi_document(services), headers=JSON_HEADERS)


routes: list[BaseRoute] = [
    *(Route(e.path, endpoint_handler(e)) for e in ENDPOINTS),
    Route(f"{PREFIX}/openapi.json", openapi_json),
]

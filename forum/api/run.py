"""Running an API request: parsing its parameters, the JSON, CSV or Excel answer, errors and
CORS."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import UTC, datetime
from math import ceil
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from forum.api.endpoints import Args, Endpoint, Listing
from forum.api.params import (
    BAD_REQUEST,
    CSV_MAX_ROWS,
    METHOD_NOT_ALLOWED,
    NO_ASPIRATION,
    NO_CONSULTATION,
    NO_SUCH_PATH,
    REPEATED,
    SERVER_ERROR,
    TICKET,
    ApiError,
    bad_param,
    parse_param,
)
from forum.api.schemas import csv_columns
from forum.errors import Throttled
from forum.exports import CSV_MEDIA_TYPE, XLSX_MEDIA_TYPE, SafeWriter, attachment, xlsx_bytes
from forum.i18n import gettext
from forum.services import Services

JSON_HEADERS = {"access-control-allow-origin": "*"}
EXPORT_FORMATS = ("csv", "xlsx")


def _error_response(services: Services, exc: ApiError) -> JSONResponse:
    message = gettext(services.settings.default_locale, exc.message, **exc.params)
    return JSONResponse(
        {"error": exc.code, "detail": message, "parameter": exc.parameter},
        status_code=exc.status,
        headers=JSON_HEADERS,
    )


def http_error(request: Request, status: int, allow: str) -> Response:
    """An error the router or the server raised under /api/v1 (no such path, a method the
    path does not answer, a server error), in the API's format, with its CORS header; a 405
    names the methods in ``Allow``."""
    services: Services = request.app.state.services
    if status == 405:
        exc = ApiError(405, "method_not_allowed", METHOD_NOT_ALLOWED, allowed=allow)
    elif status == 404:
        exc = ApiError(404, "not_found", NO_SUCH_PATH)
    elif status >= 500:
        exc = ApiError(500, "server_error", SERVER_ERROR)
    else:
        exc = ApiError(status, "invalid_request", BAD_REQUEST)
    response = _error_response(services, exc)
    if status == 405:
        response.headers["allow"] = allow
    return response


def _parse(endpoint: Endpoint, request: Request) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for param in endpoint.params:
        if param.location == "path":
            raw = str(request.path_params.get(param.name, ""))
            try:
                values[param.name] = parse_param(param, raw)
            except ApiError:
                # A malformed id or ticket names nothing: the same answer as a missing one.
                message = NO_ASPIRATION if param is TICKET else NO_CONSULTATION
                raise ApiError(404, "not_found", message) from None
            continue
        given = request.query_params.getlist(param.name)
        if len(given) > 1:
            raise bad_param(param, REPEATED)
        values[param.name] = parse_param(param, given[0] if given else None)
    return values


def _export_response(
    endpoint: Endpoint, rows: list[dict[str, Any]], truncated: bool, fmt: str
) -> Response:
    """The rows as CSV or as an Excel workbook (``fmt``), the documented columns in order,
    through the one export writer of the staff downloads."""
    schema = endpoint.csv_schema
    assert schema is not None
    columns = csv_columns(schema)
    table: list[list[Any]] = [["_".join(c) for c in columns]]
    for row in rows:
        cells = []
        for column in columns:
            value: Any = row
            for key in column:
                value = value.get(key) if isinstance(value, dict) else None
            cells.append(value)
        table.append(cells)
    name = "rembug-" + endpoint.operation_id.removeprefix("list").removeprefix("get").lower()
    headers = {**JSON_HEADERS, "x-truncated": "true" if truncated else "false"}
    if fmt == "xlsx":
        # Created at today's midnight (UTC): the same data gives the same bytes all day, for
        # caches and for anyone comparing two downloads.
        today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        return Response(
            xlsx_bytes(table, name, created=today.replace(tzinfo=None)),
            media_type=XLSX_MEDIA_TYPE,
            headers={**headers, **attachment(f"{name}.xlsx")},
        )
    out = io.StringIO()
    writer = SafeWriter(out)
    for cells in table:
        writer.writerow(cells)
    return Response(
        out.getvalue(),
        media_type=CSV_MEDIA_TYPE,
        headers={**headers, **attachment(f"{name}.csv")},
    )


def _run(endpoint: Endpoint, request: Request, services: Services) -> Response:
    try:
        client_ip = request.client.host if request.client else "unknown"
        # No session, no account: the handler cannot answer differently for a logged-in one.
        args = Args(_parse(endpoint, request), services, client_ip)
        fmt = args.values.get("format", "json")
        export = fmt in EXPORT_FORMATS
        with services.db.read() as db:
            result = endpoint.handler(db, args)
            if isinstance(result, Listing):
                if export:
                    rows = result.fetch(0, CSV_MAX_ROWS + 1)
                    return _export_response(
                        endpoint, rows[:CSV_MAX_ROWS], len(rows) > CSV_MAX_ROWS, fmt
                    )
                total = result.count()
                page, per_page = args["page"], args["per_page"]
                body = {
                    "page": page,
                    "per_page": per_page,
                    "total": total,
                    "pages": max(1, ceil(total / per_page)),
                    "items": result.fetch((page - 1) * per_page, per_page),
                }
            else:
                if export and endpoint.csv_key is not None:
                    return _export_response(endpoint, result[endpoint.csv_key], False, fmt)
                body = result
    except ApiError as exc:
        return _error_response(services, exc)
    except Throttled as exc:
        response = _error_response(services, ApiError(429, "throttled", exc.message, **exc.params))
        response.headers["retry-after"] = str(exc.retry_after)
        return response
    return JSONResponse(body, headers=JSON_HEADERS)


def endpoint_handler(endpoint: Endpoint) -> Callable[[Request], Any]:
    async def handle(request: Request) -> Response:
        services: Services = request.app.state.services
        return await run_in_threadpool(_run, endpoint, request, services)

    handle.__name__ = endpoint.operation_id
    return handle

"""Query and path parameters of /api/v1: their specs (the same objects the OpenAPI document
is made from), parsing and the API's error."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from forum.errors import N_
from forum.models import (
    PUBLIC_ASPIRATION_STATUSES,
)
from forum.queries import PUBLIC_CONSULTATION_STATUSES
from forum.validation import MAX_ID

OPENAPI_VERSION = "3.1.0"


PREFIX = "/api/v1"


MAX_PAGE = 100_000  # bounds the OFFSET a client can ask for


CSV_MAX_ROWS = 20_000  # one CSV export holds at most this many rows (header X-Truncated)


@dataclass(frozen=True)
class Param:
    """One query or path parameter: how it is validated and how it is documented."""

    name: str
    description: str
    kind: str = "string"  # string | integer | date
    location: str = "query"  # query | path
    minimum: int = 1
    maximum: int = MAX_ID
    max_length: int = 80
    enum: tuple[str, ...] = ()
    pattern: str | None = None
    default: int | str | None = None

    def schema(self) -> dict[str, Any]:
        if self.kind == "integer":
            schema: dict[str, Any] = {
                "type": "integer",
                "minimum": self.minimum,
                "maximum": self.maximum,
            }
        elif self.kind == "date":
            schema = {"type": "string", "format": "date", "pattern": DATE_PATTERN}
        else:
            schema = {"type": "string", "maxLength": self.max_length}
            if self.enum:
                schema = {"type": "string", "enum": list(self.enum)}
            schema["pattern"] = self.pattern or TEXT_PATTERN
        if self.default is not None:
            schema["default"] = self.default
        return schema

    def document(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "in": self.location,
            "required": self.location == "path",
            "description": self.description,
            "schema": self.schema(),
        }


# Dates between 2000 and 2199, written YYYY-MM-DD (also checked as a real calendar date).
DATE_PATTERN = "^2[01][0-9]{2}-[01][0-9]-[0-3][0-9]$"


_DATE_RE = re.compile(DATE_PATTERN)


# No control characters in a text parameter (PostgreSQL refuses NUL; found by schemathesis).
TEXT_PATTERN = "^[^\\u0000-\\u001f\\u007f]*$"


_CONTROL_RE = re.compile("[\x00-\x1f\x7f]")


class ApiError(Exception):
    """A client error answered as JSON: an English code and a translated message."""

    def __init__(
        self, status: int, code: str, message: str, parameter: str | None = None, **params: Any
    ) -> None:
        super().__init__(code)
        self.status, self.code, self.message = status, code, message
        self.parameter, self.params = parameter, params


def bad_param(param: Param, message: str, **params: Any) -> ApiError:
    return ApiError(400, "invalid_parameter", message, param.name, name=param.name, **params)


def parse_param(param: Param, raw: str | None) -> Any:
    """The parameter's value from its raw text (None: absent), or ApiError 400. An empty
    value is what the document says of it: a number, a date or one of a list it is not (400),
    a free text it is, meaning no filter (the default)."""
    if raw is None:
        return param.default
    if raw == "" and not (param.kind in ("integer", "date") or param.enum):
        return param.default
    if param.kind == "integer":
        if not (raw.isascii() and raw.isdigit() and len(raw) <= 10):
            raise bad_param(param, INTEGER_RANGE, minimum=param.minimum, maximum=param.maximum)
        number = int(raw)
        if not param.minimum <= number <= param.maximum:
            raise bad_param(param, INTEGER_RANGE, minimum=param.minimum, maximum=param.maximum)
        return number
    if param.kind == "date":
        try:
            if not _DATE_RE.fullmatch(raw):
                raise ValueError(raw)
            return date.fromisoformat(raw)
        except ValueError:
            raise bad_param(param, BAD_DATE) from None
    if param.enum:
        if raw not in param.enum:
            raise bad_param(param, NOT_ONE_OF, values=", ".join(param.enum))
        return raw
    if len(raw) > param.max_length:
        raise bad_param(param, TOO_LONG, maximum=param.max_length)
    if _CONTROL_RE.search(raw):
        raise bad_param(param, CONTROL_CHARACTERS)
    return raw


INTEGER_RANGE = N_(
    "The parameter “%(name)s” must be a whole number from %(minimum)s to %(maximum)s."
)


BAD_DATE = N_("The parameter “%(name)s” must be a date written YYYY-MM-DD.")


NOT_ONE_OF = N_("The parameter “%(name)s” must be one of: %(values)s.")


TOO_LONG = N_("The parameter “%(name)s” may have at most %(maximum)s characters.")


CONTROL_CHARACTERS = N_("The parameter “%(name)s” contains characters that are not allowed.")


REPEATED = N_("The parameter “%(name)s” may be given only once.")


NO_CONSULTATION = N_("This consultation does not exist.")


NO_ASPIRATION = N_("No aspiration with this ticket number is visible to you.")


NO_SUCH_PATH = N_("The API has no such address; its document is /api/v1/openapi.json.")


METHOD_NOT_ALLOWED = N_("This address of the API answers only these methods: %(allowed)s.")


SERVER_ERROR = N_("Our mistake: the answer could not be made. Please try again in a moment.")


BAD_REQUEST = N_("The request is invalid.")


PAGE = Param("page", "Page number, from 1.", "integer", maximum=MAX_PAGE, default=1)


PER_PAGE = Param("per_page", "Items per page.", "integer", maximum=100, default=20)


FORMAT = Param(
    "format",
    "`json` (default), `csv` for every matching row (at most 20,000) as CSV with a header "
    "row (UTF-8 with a byte-order mark), or `xlsx` for the same rows and columns as an Excel "
    "workbook; `page` and `per_page` do not apply to CSV and Excel.",
    enum=("json", "csv", "xlsx"),
    default="json",
)


LIST_PARAMS = (PAGE, PER_PAGE, FORMAT)


ID = Param("id", "The consultation's number.", "integer", location="path")


TICKET = Param(
    "ticket",
    "The aspiration's ticket number, e.g. ASP-2026-000123.",
    location="path",
    max_length=20,
    pattern="^ASP-[0-9]{4}-[0-9]{6}$",
)


AGENCY = Param("agency", "Only this agency (its slug, see /api/v1/agencies).")


CATEGORY = Param("category", "Only this category (its slug).")


REGION = Param(
    "region",
    "Only this region by its Kemendagri code (e.g. 32 or 32.73); a province includes its "
    "regencies and cities.",
    max_length=13,
)


ASPIRATION_STATUS = Param(
    "status", "Only aspirations with this status.", enum=tuple(PUBLIC_ASPIRATION_STATUSES)
)


CONSULTATION_STATUS = Param(
    "status", "Only consultations with this status.", enum=tuple(PUBLIC_CONSULTATION_STATUSES)
)


SINCE = Param(
    "since",
    "First day of the period (routed on or after; default: 90 days before `until`, or "
    "today). A `since` after `until` is an empty period: every count is 0.",
    "date",
)


UNTIL = Param(
    "until", "Last day of the period, included (default: today, or `since` when later).", "date"
)

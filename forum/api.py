"""The public, read-only open-data API under /api/v1 (JSON, or CSV with ?format=csv) and its
OpenAPI 3 document, generated from the same endpoint and parameter specs the handlers use."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from math import ceil
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, or_
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from forum import reports
from forum.errors import N_
from forum.extensions import OPENAPI_PATHS
from forum.i18n import gettext
from forum.models import (
    PUBLIC_ASPIRATION_STATUSES,
    Account,
    Agency,
    Aspiration,
    Category,
    Comment,
    Consultation,
    ContentStatus,
    OfficialResponse,
    Region,
    Section,
    Visibility,
    utcnow,
)
from forum.queries import PUBLIC_CONSULTATION_STATUSES
from forum.services import Services
from forum.validation import MAX_ID, TICKET_RE

OPENAPI_VERSION = "3.1.0"
PREFIX = "/api/v1"
MAX_PAGE = 100_000  # bounds the OFFSET a client can ask for
CSV_MAX_ROWS = 20_000  # one CSV export holds at most this many rows (header X-Truncated)
MAX_PERIOD_DAYS = 3660

# --- parameters -----------------------------------------------------------------------------


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


def _bad(param: Param, message: str, **params: Any) -> ApiError:
    return ApiError(400, "invalid_parameter", message, param.name, name=param.name, **params)


def parse_param(param: Param, raw: str | None) -> Any:
    """The parameter's value from its raw text (None: absent), or ApiError 400."""
    if raw is None or raw == "":
        return param.default
    if param.kind == "integer":
        if not (raw.isascii() and raw.isdigit() and len(raw) <= 10):
            raise _bad(param, INTEGER_RANGE, minimum=param.minimum, maximum=param.maximum)
        number = int(raw)
        if not param.minimum <= number <= param.maximum:
            raise _bad(param, INTEGER_RANGE, minimum=param.minimum, maximum=param.maximum)
        return number
    if param.kind == "date":
        try:
            if not _DATE_RE.fullmatch(raw):
                raise ValueError(raw)
            return date.fromisoformat(raw)
        except ValueError:
            raise _bad(param, BAD_DATE) from None
    if param.enum:
        if raw not in param.enum:
            raise _bad(param, NOT_ONE_OF, values=", ".join(param.enum))
        return raw
    if len(raw) > param.max_length:
        raise _bad(param, TOO_LONG, maximum=param.max_length)
    if _CONTROL_RE.search(raw):
        raise _bad(param, CONTROL_CHARACTERS)
    return raw


INTEGER_RANGE = N_(
    "The parameter “%(name)s” must be a whole number from %(minimum)s to %(maximum)s."
)
BAD_DATE = N_("The parameter “%(name)s” must be a date written YYYY-MM-DD.")
NOT_ONE_OF = N_("The parameter “%(name)s” must be one of: %(values)s.")
TOO_LONG = N_("The parameter “%(name)s” may have at most %(maximum)s characters.")
CONTROL_CHARACTERS = N_("The parameter “%(name)s” contains characters that are not allowed.")
REPEATED = N_("The parameter “%(name)s” may be given only once.")
BAD_PERIOD = N_("The period is invalid: “since” must not be after “until”, at most %(days)s days.")
NO_CONSULTATION = N_("This consultation does not exist.")
NO_ASPIRATION = N_("No aspiration with this ticket number is visible to you.")

PAGE = Param("page", "Page number, from 1.", "integer", maximum=MAX_PAGE, default=1)
PER_PAGE = Param("per_page", "Items per page.", "integer", maximum=100, default=20)
FORMAT = Param(
    "format",
    "`json` (default), or `csv` for every matching row (at most 20,000) as CSV with a header "
    "row; `page` and `per_page` do not apply to CSV.",
    enum=("json", "csv"),
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
    "since", "First day of the period (routed on or after; default: 90 days ago).", "date"
)
UNTIL = Param("until", "Last day of the period, included (default: today).", "date")


# --- JSON schemas of the bodies -------------------------------------------------------------


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {**schema, "type": [schema["type"], "null"]}


def _object(properties: dict[str, Any], description: str = "") -> dict[str, Any]:
    schema = {
        "type": "object",
        "required": list(properties),
        "properties": properties,
        "additionalProperties": False,
    }
    if description:
        schema["description"] = description
    return schema


TIME = {"type": "string", "format": "date-time"}
TEXT = {"type": "string"}
INT = {"type": "integer", "minimum": 0}
URL = {"type": "string", "description": "Absolute address of the public page."}
AGENCY_REF = _object({"slug": TEXT, "name": TEXT})

SCHEMAS: dict[str, dict[str, Any]] = {
    "Agency": _object(
        {
            "slug": TEXT,
            "name": TEXT,
            "short_name": TEXT,
            "description": TEXT,
            "is_active": {"type": "boolean"},
        }
    ),
    "Consultation": _object(
        {
            "id": INT,
            "title": TEXT,
            "summary": TEXT,
            "status": {"type": "string", "enum": list(PUBLIC_CONSULTATION_STATUSES)},
            "agency": AGENCY_REF,
            "opens_at": TIME,
            "closes_at": TIME,
            "published_at": _nullable(TIME),
            "closed_at": _nullable(TIME),
            "comment_count": INT,
            "url": URL,
        }
    ),
    "Section": _object(
        {
            "position": INT,
            "heading": TEXT,
            "level": INT,
            "text": {"type": "string", "description": "Markdown."},
            "comment_count": INT,
        }
    ),
    "Comment": _object(
        {
            "id": INT,
            "parent_id": _nullable(INT),
            "section": _nullable(
                {**INT, "description": "Section position; null: the whole draft."}
            ),
            "author": {"type": "string", "description": "The author's display name."},
            "text": TEXT,
            "published_at": _nullable(TIME),
            "support_count": INT,
            "url": URL,
        },
        "A published comment or reply (replies carry their parent's id).",
    ),
    "Aspiration": _object(
        {
            "ticket": TEXT,
            "title": TEXT,
            "text": TEXT,
            "status": {"type": "string", "enum": list(PUBLIC_ASPIRATION_STATUSES)},
            "anonymous": {"type": "boolean"},
            "author": _nullable(
                {"type": "string", "description": "Display name; null when anonymous."}
            ),
            "category": _object({"slug": TEXT, "name": TEXT}),
            "region": _object({"code": TEXT, "name": TEXT}),
            "agency": {"oneOf": [AGENCY_REF, {"type": "null"}]},
            "support_count": INT,
            "published_at": _nullable(TIME),
            "routed_at": _nullable(TIME),
            "due_at": _nullable(TIME),
            "first_response_at": _nullable(TIME),
            "closed_at": _nullable(TIME),
            "url": URL,
        }
    ),
    "Response": _object(
        {
            "id": INT,
            "agency": AGENCY_REF,
            "text": TEXT,
            "created_at": TIME,
            "updated_at": _nullable(TIME),
            "target": {"type": "string", "enum": ["aspiration", "comment"]},
            "ticket": _nullable(TEXT),
            "consultation_id": _nullable(INT),
            "comment_id": _nullable(INT),
            "url": URL,
        },
        "An official response to a public aspiration or a published comment.",
    ),
    "AccountabilityRow": _object(
        {
            "agency": AGENCY_REF,
            "received": INT,
            "answered": INT,
            "on_time": INT,
            "late": INT,
            "overdue": INT,
            "waiting": INT,
            "median_hours": {"type": ["number", "null"]},
        }
    ),
    "ApiError": _object(
        {
            "error": {
                "type": "string",
                "description": "Machine-readable code: invalid_parameter or not_found.",
            },
            "detail": {
                "type": "string",
                "description": "Human-readable message, in the deployment's default language.",
            },
            "parameter": _nullable(TEXT),
        }
    ),
}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _page_of(item: str) -> dict[str, Any]:
    return _object(
        {
            "page": {"type": "integer", "minimum": 1},
            "per_page": {"type": "integer", "minimum": 1},
            "total": INT,
            "pages": {"type": "integer", "minimum": 1},
            "items": {"type": "array", "items": _ref(item)},
        }
    )


SCHEMAS.update(
    {
        "ConsultationDetail": _object(
            {
                **SCHEMAS["Consultation"]["properties"],
                "sections": {"type": "array", "items": _ref("Section")},
            }
        ),
        "AspirationDetail": _object(
            {
                **SCHEMAS["Aspiration"]["properties"],
                "responses": {"type": "array", "items": _ref("Response")},
            }
        ),
        "Accountability": _object(
            {
                "since": {"type": "string", "format": "date"},
                "until": {"type": "string", "format": "date"},
                "agencies": {"type": "array", "items": _ref("AccountabilityRow")},
            }
        ),
        **{
            f"{name}Page": _page_of(name)
            for name in ("Agency", "Consultation", "Comment", "Aspiration", "Response")
        },
    }
)


def csv_columns(schema_name: str) -> list[tuple[str, ...]]:
    """CSV columns of one item: its properties, nested objects flattened (agency_slug…)."""
    columns: list[tuple[str, ...]] = []
    for name, prop in SCHEMAS[schema_name]["properties"].items():
        nested = prop if prop.get("type") == "object" else None
        if "oneOf" in prop:
            nested = next((p for p in prop["oneOf"] if p.get("type") == "object"), None)
        if nested is not None:
            columns.extend((name, sub) for sub in nested["properties"])
        elif prop.get("type") != "array":
            columns.append((name,))
    return columns


# --- endpoints ------------------------------------------------------------------------------


@dataclass
class Args:
    values: dict[str, Any]
    services: Services

    def __getitem__(self, name: str) -> Any:
        return self.values[name]

    def url(self, path: str) -> str:
        return self.services.settings.base_url + path


@dataclass
class Listing:
    """A list endpoint's answer: how many rows match, and the rows of a window."""

    count: Callable[[], int]
    fetch: Callable[[int, int], list[dict[str, Any]]]  # (offset, limit) -> items


@dataclass(frozen=True)
class Endpoint:
    path: str
    operation_id: str
    summary: str
    schema: str  # the 200 body's component (a list's item component for lists)
    handler: Callable[[Session, Args], Any]
    params: tuple[Param, ...] = ()
    listing: bool = False  # paginated, CSV available
    csv_key: str | None = None  # a single body whose list under this key exports as CSV
    not_found: bool = False
    tags: tuple[str, ...] = field(default_factory=tuple)

    @property
    def csv_schema(self) -> str | None:
        if self.listing:
            return self.schema
        if self.csv_key is not None:
            return str(SCHEMAS[self.schema]["properties"][self.csv_key]["items"]["$ref"]).rsplit(
                "/", 1
            )[1]
        return None


def _time(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:  # SQLite hands back naive UTC
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat()


def _agency_ref(agency: Agency | None) -> dict[str, str] | None:
    return None if agency is None else {"slug": agency.slug, "name": agency.name}


def _by_id(db: Session, model: Any, ids: Sequence[int | None]) -> dict[int, Any]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return {row.id: row for row in db.exec(select(model).where(col(model.id).in_(wanted)))}


def _count(db: Session, query: Any) -> int:
    return int(db.exec(select(func.count()).select_from(query.subquery())).one())


# consultations


def _consultation_json(c: Consultation, agency: Agency, args: Args) -> dict[str, Any]:
    return {
        "id": c.id,
        "title": c.title,
        "summary": c.summary,
        "status": c.status,
        "agency": _agency_ref(agency),
        "opens_at": _time(c.opens_at),
        "closes_at": _time(c.closes_at),
        "published_at": _time(c.published_at),
        "closed_at": _time(c.closed_at),
        "comment_count": c.comment_count,
        "url": args.url(f"/konsultasi/{c.id}"),
    }


def list_consultations(db: Session, args: Args) -> Listing:
    query = select(Consultation).where(col(Consultation.status).in_(PUBLIC_CONSULTATION_STATUSES))
    if args["status"]:
        query = query.where(Consultation.status == args["status"])

    def fetch(offset: int, limit: int) -> list[dict[str, Any]]:
        rows = list(
            db.exec(query.order_by(col(Consultation.id).desc()).offset(offset).limit(limit))
        )
        agencies = _by_id(db, Agency, [c.agency_id for c in rows])
        return [_consultation_json(c, agencies[c.agency_id], args) for c in rows]

    return Listing(lambda: _count(db, query), fetch)


def _public_consultation(db: Session, consultation_id: int) -> Consultation:
    consultation = db.get(Consultation, consultation_id)
    if consultation is None or consultation.status not in PUBLIC_CONSULTATION_STATUSES:
        raise ApiError(404, "not_found", NO_CONSULTATION)
    return consultation


def get_consultation(db: Session, args: Args) -> dict[str, Any]:
    consultation = _public_consultation(db, args["id"])
    agency = db.get(Agency, consultation.agency_id)
    assert agency is not None
    sections = db.exec(
        select(Section)
        .where(Section.consultation_id == consultation.id)
        .order_by(col(Section.position))
    )
    return {
        **_consultation_json(consultation, agency, args),
        "sections": [
            {
                "position": s.position,
                "heading": s.heading,
                "level": s.level,
                "text": s.body,
                "comment_count": s.comment_count,
            }
            for s in sections
        ],
    }


def list_comments(db: Session, args: Args) -> Listing:
    consultation = _public_consultation(db, args["id"])
    root = aliased(Comment)
    # A reply is public only while its thread's first comment is (as on the page).
    query = (
        select(Comment)
        .outerjoin(root, col(root.id) == col(Comment.root_id))
        .where(
            Comment.consultation_id == consultation.id,
            Comment.status == ContentStatus.published,
            col(Comment.hidden_at).is_(None),
            or_(
                col(Comment.root_id).is_(None),
                and_(col(root.status) == ContentStatus.published, col(root.hidden_at).is_(None)),
            ),
        )
    )

    def fetch(offset: int, limit: int) -> list[dict[str, Any]]:
        rows = list(db.exec(query.order_by(col(Comment.id)).offset(offset).limit(limit)))
        authors = _by_id(db, Account, [c.author_id for c in rows])
        sections = _by_id(db, Section, [c.section_id for c in rows])
        return [
            {
                "id": c.id,
                "parent_id": c.parent_id,
                "section": sections[c.section_id].position if c.section_id else None,
                "author": authors[c.author_id].name,
                "text": c.body,
                "published_at": _time(c.published_at),
                "support_count": c.support_count,
                "url": args.url(f"/konsultasi/{consultation.id}#komentar-{c.id}"),
            }
            for c in rows
        ]

    return Listing(lambda: _count(db, query), fetch)


# aspirations


def _public_aspirations() -> Any:
    """Aspirations anyone may see: public statuses, never hidden, never confidential."""
    return select(Aspiration).where(
        col(Aspiration.status).in_(PUBLIC_ASPIRATION_STATUSES),
        col(Aspiration.visibility) != Visibility.confidential,
        col(Aspiration.hidden_at).is_(None),
    )


def _aspirations_json(db: Session, rows: list[Aspiration], args: Args) -> list[dict[str, Any]]:
    categories = _by_id(db, Category, [a.category_id for a in rows])
    regions = _by_id(db, Region, [a.region_id for a in rows])
    agencies = _by_id(db, Agency, [a.agency_id for a in rows])
    public = [a.author_id for a in rows if a.visibility == Visibility.public]
    authors = _by_id(db, Account, public)
    items = []
    for a in rows:
        category, region = categories[a.category_id], regions[a.region_id]
        author = authors.get(a.author_id) if a.visibility == Visibility.public else None
        items.append(
            {
                "ticket": a.ticket,
                "title": a.title,
                "text": a.body,
                "status": a.status,
                "anonymous": a.visibility != Visibility.public,
                "author": author.name if author is not None else None,
                "category": {"slug": category.slug, "name": category.name_id},
                "region": {"code": region.code, "name": region.name},
                "agency": _agency_ref(agencies.get(a.agency_id) if a.agency_id else None),
                "support_count": a.support_count,
                "published_at": _time(a.published_at),
                "routed_at": _time(a.routed_at),
                "due_at": _time(a.due_at),
                "first_response_at": _time(a.first_response_at),
                "closed_at": _time(a.closed_at),
                "url": args.url(f"/aspirasi/{a.ticket}"),
            }
        )
    return items


def list_aspirations(db: Session, args: Args) -> Listing:
    query = _public_aspirations()
    if args["status"]:
        query = query.where(Aspiration.status == args["status"])
    if args["agency"]:
        query = query.where(
            col(Aspiration.agency_id).in_(select(Agency.id).where(Agency.slug == args["agency"]))
        )
    if args["category"]:
        query = query.where(
            col(Aspiration.category_id).in_(
                select(Category.id).where(Category.slug == args["category"])
            )
        )
    if args["region"]:
        code = args["region"]
        query = query.where(
            col(Aspiration.region_id).in_(
                select(Region.id).where(
                    or_(
                        Region.code == code,
                        col(Region.code).startswith(code + ".", autoescape=True),
                    )
                )
            )
        )

    def fetch(offset: int, limit: int) -> list[dict[str, Any]]:
        rows = list(db.exec(query.order_by(col(Aspiration.id).desc()).offset(offset).limit(limit)))
        return _aspirations_json(db, rows, args)

    return Listing(lambda: _count(db, query), fetch)


def get_aspiration(db: Session, args: Args) -> dict[str, Any]:
    ticket = args["ticket"]
    aspiration = (
        db.exec(_public_aspirations().where(Aspiration.ticket == ticket)).first()
        if TICKET_RE.fullmatch(ticket)
        else None
    )
    if aspiration is None:
        raise ApiError(404, "not_found", NO_ASPIRATION)
    responses = _responses_json(
        db,
        list(
            db.exec(
                select(OfficialResponse)
                .where(OfficialResponse.aspiration_id == aspiration.id)
                .order_by(col(OfficialResponse.id))
            )
        ),
        args,
    )
    return {**_aspirations_json(db, [aspiration], args)[0], "responses": responses}


# official responses


def _responses_json(db: Session, rows: list[OfficialResponse], args: Args) -> list[dict[str, Any]]:
    agencies = _by_id(db, Agency, [r.agency_id for r in rows])
    aspirations = _by_id(db, Aspiration, [r.aspiration_id for r in rows])
    comments = _by_id(db, Comment, [r.comment_id for r in rows])
    items = []
    for r in rows:
        aspiration = aspirations.get(r.aspiration_id) if r.aspiration_id else None
        comment = comments.get(r.comment_id) if r.comment_id else None
        if aspiration is not None:
            url = args.url(f"/aspirasi/{aspiration.ticket}")
        else:
            assert comment is not None
            url = args.url(f"/konsultasi/{comment.consultation_id}#komentar-{comment.id}")
        items.append(
            {
                "id": r.id,
                "agency": _agency_ref(agencies[r.agency_id]),
                "text": r.body,
                "created_at": _time(r.created_at),
                "updated_at": _time(r.updated_at),
                "target": "aspiration" if aspiration is not None else "comment",
                "ticket": aspiration.ticket if aspiration is not None else None,
                "consultation_id": comment.consultation_id if comment is not None else None,
                "comment_id": comment.id if comment is not None else None,
                "url": url,
            }
        )
    return items


def list_responses(db: Session, args: Args) -> Listing:
    public_aspirations = _public_aspirations().with_only_columns(col(Aspiration.id))
    public_comments = (
        select(Comment.id)
        .join(Consultation, col(Consultation.id) == col(Comment.consultation_id))
        .where(
            Comment.status == ContentStatus.published,
            col(Comment.hidden_at).is_(None),
            col(Consultation.status).in_(PUBLIC_CONSULTATION_STATUSES),
        )
    )
    query = select(OfficialResponse).where(
        or_(
            col(OfficialResponse.aspiration_id).in_(public_aspirations),
            col(OfficialResponse.comment_id).in_(public_comments),
        )
    )
    if args["agency"]:
        query = query.where(
            col(OfficialResponse.agency_id).in_(
                select(Agency.id).where(Agency.slug == args["agency"])
            )
        )

    def fetch(offset: int, limit: int) -> list[dict[str, Any]]:
        rows = list(
            db.exec(query.order_by(col(OfficialResponse.id).desc()).offset(offset).limit(limit))
        )
        return _responses_json(db, rows, args)

    return Listing(lambda: _count(db, query), fetch)


# agencies and accountability


def list_agencies(db: Session, args: Args) -> Listing:
    query = select(Agency)

    def fetch(offset: int, limit: int) -> list[dict[str, Any]]:
        rows = db.exec(query.order_by(col(Agency.name), col(Agency.id)).offset(offset).limit(limit))
        return [
            {
                "slug": a.slug,
                "name": a.name,
                "short_name": a.short_name,
                "description": a.description,
                "is_active": a.is_active,
            }
            for a in rows
        ]

    return Listing(lambda: _count(db, query), fetch)


def get_accountability(db: Session, args: Args) -> dict[str, Any]:
    tz = ZoneInfo(args.services.settings.timezone)
    today = utcnow().astimezone(tz).date()
    since: date = args["since"] or today - timedelta(days=90)
    until: date = args["until"] or today
    if since > until or (until - since).days > MAX_PERIOD_DAYS:
        raise ApiError(400, "invalid_parameter", BAD_PERIOD, "since", days=MAX_PERIOD_DAYS)
    start = datetime(since.year, since.month, since.day, tzinfo=tz)
    end = datetime(until.year, until.month, until.day, tzinfo=tz) + timedelta(days=1)
    figures = reports.accountability(db, since=start, until=end, now=utcnow())
    return {
        "since": since.isoformat(),
        "until": until.isoformat(),
        "agencies": [
            {
                "agency": _agency_ref(f.agency),
                "received": f.received,
                "answered": f.answered,
                "on_time": f.on_time,
                "late": f.late,
                "overdue": f.overdue,
                "waiting": f.waiting,
                "median_hours": None if f.median_hours is None else round(f.median_hours, 2),
            }
            for f in figures
        ],
    }


ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint(
        f"{PREFIX}/consultations",
        "listConsultations",
        "Published consultations, newest first.",
        "Consultation",
        list_consultations,
        (CONSULTATION_STATUS, *LIST_PARAMS),
        listing=True,
    ),
    Endpoint(
        f"{PREFIX}/consultations/{{id}}",
        "getConsultation",
        "One consultation with its sections (text in Markdown).",
        "ConsultationDetail",
        get_consultation,
        (ID,),
        not_found=True,
    ),
    Endpoint(
        f"{PREFIX}/consultations/{{id}}/comments",
        "listConsultationComments",
        "Published comments and replies on a consultation, oldest first (threads flattened: "
        "a reply carries its parent's id).",
        "Comment",
        list_comments,
        (ID, *LIST_PARAMS),
        listing=True,
        not_found=True,
    ),
    Endpoint(
        f"{PREFIX}/aspirations",
        "listAspirations",
        "Public aspirations, newest first. Confidential, pending, rejected and hidden ones "
        "never appear; anonymous ones come without their author.",
        "Aspiration",
        list_aspirations,
        (AGENCY, CATEGORY, REGION, ASPIRATION_STATUS, *LIST_PARAMS),
        listing=True,
    ),
    Endpoint(
        f"{PREFIX}/aspirations/{{ticket}}",
        "getAspiration",
        "One public aspiration with its official responses.",
        "AspirationDetail",
        get_aspiration,
        (TICKET,),
        not_found=True,
    ),
    Endpoint(
        f"{PREFIX}/responses",
        "listResponses",
        "Official responses to public aspirations and published comments, newest first.",
        "Response",
        list_responses,
        (AGENCY, *LIST_PARAMS),
        listing=True,
    ),
    Endpoint(
        f"{PREFIX}/agencies",
        "listAgencies",
        "Agencies, by name.",
        "Agency",
        list_agencies,
        LIST_PARAMS,
        listing=True,
    ),
    Endpoint(
        f"{PREFIX}/accountability",
        "getAccountability",
        "Per agency, for aspirations routed in the period: received, answered on time, late, "
        "overdue now, waiting within the deadline, and the median hours to a first response.",
        "Accountability",
        get_accountability,
        (SINCE, UNTIL, FORMAT),
        csv_key="agencies",
    ),
)


# --- running a request ----------------------------------------------------------------------

JSON_HEADERS = {"access-control-allow-origin": "*"}


def _error_response(services: Services, exc: ApiError) -> JSONResponse:
    message = gettext(services.settings.default_locale, exc.message, **exc.params)
    return JSONResponse(
        {"error": exc.code, "detail": message, "parameter": exc.parameter},
        status_code=exc.status,
        headers=JSON_HEADERS,
    )


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
            raise _bad(param, REPEATED)
        values[param.name] = parse_param(param, given[0] if given else None)
    return values


def _csv_cell(value: Any) -> Any:
    # Spreadsheets run cells starting with these as formulas (CSV injection).
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return "" if value is None else value


def _csv_response(endpoint: Endpoint, rows: list[dict[str, Any]], truncated: bool) -> Response:
    schema = endpoint.csv_schema
    assert schema is not None
    columns = csv_columns(schema)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["_".join(c) for c in columns])
    for row in rows:
        cells = []
        for column in columns:
            value: Any = row
            for key in column:
                value = value.get(key) if isinstance(value, dict) else None
            cells.append(_csv_cell(value))
        writer.writerow(cells)
    name = endpoint.operation_id.removeprefix("list").removeprefix("get").lower()
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={
            **JSON_HEADERS,
            "content-disposition": f'attachment; filename="rembug-{name}.csv"',
            "x-truncated": "true" if truncated else "false",
        },
    )


def _run(endpoint: Endpoint, request: Request, services: Services) -> Response:
    try:
        args = Args(_parse(endpoint, request), services)
        as_csv = args.values.get("format") == "csv"
        with services.db.read() as db:
            result = endpoint.handler(db, args)
            if isinstance(result, Listing):
                if as_csv:
                    rows = result.fetch(0, CSV_MAX_ROWS + 1)
                    return _csv_response(endpoint, rows[:CSV_MAX_ROWS], len(rows) > CSV_MAX_ROWS)
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
                if as_csv and endpoint.csv_key is not None:
                    return _csv_response(endpoint, result[endpoint.csv_key], False)
                body = result
    except ApiError as exc:
        return _error_response(services, exc)
    return JSONResponse(body, headers=JSON_HEADERS)


def _endpoint(endpoint: Endpoint) -> Callable[[Request], Any]:
    async def handle(request: Request) -> Response:
        services: Services = request.app.state.services
        return await run_in_threadpool(_run, endpoint, request, services)

    handle.__name__ = endpoint.operation_id
    return handle


# --- the OpenAPI document -------------------------------------------------------------------


def _operation(endpoint: Endpoint) -> dict[str, Any]:
    body = _ref(f"{endpoint.schema}Page" if endpoint.listing else endpoint.schema)
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
    error = {"application/json": {"schema": _ref("ApiError")}}
    responses: dict[str, Any] = {
        "200": {"description": "OK", "content": ok},
        "400": {"description": "A parameter is invalid or out of bounds.", "content": error},
    }
    if endpoint.not_found:
        responses["404"] = {"description": "No such public item.", "content": error}
    return {
        "operationId": endpoint.operation_id,
        "summary": endpoint.summary,
        "parameters": [p.document() for p in endpoint.params],
        "responses": responses,
    }


def openapi_document(services: Services) -> dict[str, Any]:
    """One document for everything under /api/v1: the forum's endpoints and every fragment
    a plugin registered under extensions.OPENAPI_PATHS."""
    paths: dict[str, Any] = {e.path: {"get": _operation(e)} for e in ENDPOINTS}
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
        "servers": [{"url": services.settings.base_url + "/"}],
        "paths": dict(sorted(paths.items())),
        "components": {"schemas": schemas},
    }


async def openapi_json(request: Request) -> Response:
    services: Services = request.app.state.services
    return JSONResponse(openapi_document(services), headers=JSON_HEADERS)


routes: list[BaseRoute] = [
    *(Route(e.path, _endpoint(e)) for e in ENDPOINTS),
    Route(f"{PREFIX}/openapi.json", openapi_json),
]

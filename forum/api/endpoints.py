"""The endpoints of /api/v1: what each lists or answers, read from the database with the
same visibility rules as the public pages."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, or_
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from forum import reports
from forum.api.params import (
    AGENCY,
    ASPIRATION_STATUS,
    CATEGORY,
    CONSULTATION_STATUS,
    FORMAT,
    ID,
    LIST_PARAMS,
    NO_ASPIRATION,
    NO_CONSULTATION,
    PREFIX,
    REGION,
    SINCE,
    TICKET,
    UNTIL,
    ApiError,
    Param,
)
from forum.api.schemas import SCHEMAS
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
from forum.validation import TICKET_RE


@dataclass
class Args:
    """What an endpoint's handler gets: the parsed parameters, the services and the client's
    address (for rate limits). Never the session or its account: every /api/v1 answer is the
    same for everyone, so the open-data layer cannot show what a session may see."""

    values: dict[str, Any]
    services: Services
    client_ip: str = ""

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
    throttled: bool = False  # may answer 429 (a rate limit, forum.errors.Throttled)
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


def public_aspirations() -> Any:
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
    query = public_aspirations()
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
        db.exec(public_aspirations().where(Aspiration.ticket == ticket)).first()
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
    aspiration_ids = public_aspirations().with_only_columns(col(Aspiration.id))
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
            col(OfficialResponse.aspiration_id).in_(aspiration_ids),
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
    # Any period the document allows is answered (a parameter cannot declare its relation to
    # another): the cost is the rows routed in it, not its length; one upside down is empty.
    until: date = args["until"] or max(today, args["since"] or today)
    since: date = args["since"] or until - timedelta(days=90)
    start = datetime(since.year, since.month, since.day, tzinfo=tz)
    end = max(start, datetime(until.year, until.month, until.day, tzinfo=tz) + timedelta(days=1))
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

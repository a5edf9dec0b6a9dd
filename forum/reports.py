"""Reads for agencies at work: the agency desk, the public accountability figures and a
consultation's "you said, we did" report. Each is a few queries whatever the data size."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from statistics import median
from typing import Any

from sqlalchemy import case, func
from sqlmodel import Session, col, select

from forum.models import (
    Agency,
    Aspiration,
    AspirationStatus,
    Comment,
    Consultation,
    ContentStatus,
    Disposition,
    OfficialResponse,
    Region,
    Section,
)
from forum.queries import Page, clamp_page

AWAITING = (AspirationStatus.routed, AspirationStatus.in_progress)


@dataclass
class DeskFilters:
    status: str = ""
    category_id: int | None = None
    region_id: int | None = None
    channel: str = ""
    consultation_id: int | None = None


def _desk_where(agency_id: int, filters: DeskFilters) -> list[Any]:
    statuses = [filters.status] if filters.status in {s.value for s in AWAITING} else list(AWAITING)
    where: list[Any] = [
        Aspiration.agency_id == agency_id,
        col(Aspiration.status).in_(statuses),
        col(Aspiration.hidden_at).is_(None),
    ]
    if filters.category_id:
        where.append(Aspiration.category_id == filters.category_id)
    if filters.region_id:
        # A province covers its regencies and cities.
        region = select(Region.code).where(Region.id == filters.region_id).scalar_subquery()
        inside = select(Region.id).where(
            (col(Region.id) == filters.region_id) | (col(Region.parent_code) == region)
        )
        where.append(col(Aspiration.region_id).in_(inside))
    if filters.channel:
        where.append(Aspiration.channel == filters.channel)
    return where


def desk_aspirations(
    db: Session, agency_id: int, filters: DeskFilters, *, page: int, per_page: int = 50
) -> Page[Aspiration]:
    """The agency's aspirations awaiting an answer, earliest deadline (so overdue) first."""
    where = _desk_where(agency_id, filters)
    total = int(db.exec(select(func.count()).select_from(Aspiration).where(*where)).one())
    page = clamp_page(page, per_page, total)
    items = list(
        db.exec(
            select(Aspiration)
            .where(*where)
            .order_by(col(Aspiration.due_at), col(Aspiration.id))
            .offset((page - 1) * per_page)
            .limit(per_page)
        )
    )
    return Page(items, page, per_page, total)


def _awaiting_comments_where(agency_id: int, filters: DeskFilters) -> list[Any]:
    answered = select(OfficialResponse.comment_id).where(
        col(OfficialResponse.comment_id).is_not(None)
    )
    disposed = select(Disposition.comment_id)
    where: list[Any] = [
        Consultation.agency_id == agency_id,
        Comment.status == ContentStatus.published,
        col(Comment.hidden_at).is_(None),
        col(Comment.id).not_in(answered),
        col(Comment.id).not_in(disposed),
    ]
    if filters.consultation_id:
        where.append(Comment.consultation_id == filters.consultation_id)
    if filters.channel:
        where.append(Comment.channel == filters.channel)
    return where


def desk_comments(
    db: Session, agency_id: int, filters: DeskFilters, *, page: int, per_page: int = 50
) -> Page[tuple[Comment, Consultation]]:
    """Published comments on the agency's consultations with no answer nor disposition yet."""
    where = _awaiting_comments_where(agency_id, filters)
    base = select(Comment, Consultation).join(
        Consultation, col(Consultation.id) == Comment.consultation_id
    )
    total = int(
        db.exec(
            select(func.count())
            .select_from(Comment)
            .join(Consultation, col(Consultation.id) == Comment.consultation_id)
            .where(*where)
        ).one()
    )
    page = clamp_page(page, per_page, total)
    rows = list(
        db.exec(
            base.where(*where)
            .order_by(col(Comment.id))
            .offset((page - 1) * per_page)
            .limit(per_page)
        ).all()
    )
    return Page(rows, page, per_page, total)


@dataclass
class DeskCounts:
    awaiting: int
    overdue: int
    in_progress: int
    comments: int


def desk_counts(db: Session, agency_id: int, now: datetime) -> DeskCounts:
    """The desk's headline counts, counted by the database (one row back, however many
    aspirations the agency has)."""
    awaiting, overdue, in_progress = db.exec(
        select(
            func.count(),
            func.coalesce(func.sum(case((col(Aspiration.due_at) < now, 1), else_=0)), 0),
            func.coalesce(
                func.sum(
                    case((col(Aspiration.status) == AspirationStatus.in_progress, 1), else_=0)
                ),
                0,
            ),
        ).where(
            Aspiration.agency_id == agency_id,
            col(Aspiration.status).in_(AWAITING),
            col(Aspiration.hidden_at).is_(None),
        )
    ).one()
    comments = int(
        db.exec(
            select(func.count())
            .select_from(Comment)
            .join(Consultation, col(Consultation.id) == Comment.consultation_id)
            .where(*_awaiting_comments_where(agency_id, DeskFilters()))
        ).one()
    )
    return DeskCounts(
        awaiting=int(awaiting),
        overdue=int(overdue),
        in_progress=int(in_progress),
        comments=comments,
    )


# --- accountability -------------------------------------------------------------------------


@dataclass
class AgencyFigures:
    agency: Agency
    received: int = 0
    on_time: int = 0
    late: int = 0
    overdue: int = 0
    waiting: int = 0  # not answered, deadline not passed yet
    median_hours: float | None = None

    @property
    def answered(self) -> int:
        return self.on_time + self.late


def accountability(
    db: Session, *, since: datetime, until: datetime, now: datetime
) -> list[AgencyFigures]:
    """Per agency, for aspirations routed to it in [since, until): answered on time, late,
    overdue now, still within the deadline, and the median time to a first response."""
    agencies = {a.id: AgencyFigures(a) for a in db.exec(select(Agency).order_by(col(Agency.name)))}
    hours: dict[int, list[float]] = {}
    rows = db.exec(
        select(
            Aspiration.agency_id,
            Aspiration.routed_at,
            Aspiration.due_at,
            Aspiration.first_response_at,
        ).where(
            col(Aspiration.agency_id).is_not(None),
            col(Aspiration.routed_at) >= since,
            col(Aspiration.routed_at) < until,
            col(Aspiration.status).not_in([AspirationStatus.withdrawn, AspirationStatus.merged]),
        )
    ).all()
    for agency_id, routed_at, due_at, first_response_at in rows:
        figures = agencies.get(agency_id) if agency_id is not None else None
        if figures is None or agency_id is None or routed_at is None:
            continue
        figures.received += 1
        if first_response_at is not None:
            if due_at is None or first_response_at <= due_at:
                figures.on_time += 1
            else:
                figures.late += 1
            hours.setdefault(agency_id, []).append(
                (first_response_at - routed_at).total_seconds() / 3600
            )
        elif due_at is not None and due_at < now:
            figures.overdue += 1
        else:
            figures.waiting += 1
    for agency_id, values in hours.items():
        agencies[agency_id].median_hours = median(values)
    return [f for f in agencies.values() if f.received or f.agency.is_active]


# --- consultation report --------------------------------------------------------------------


@dataclass
class ReportComment:
    comment: Comment
    disposition: Disposition | None
    responses: list[OfficialResponse]


@dataclass
class ReportSection:
    section: Section | None  # None: comments on the whole draft
    comments: list[ReportComment] = field(default_factory=list)

    @property
    def supports(self) -> int:
        return sum(c.comment.support_count for c in self.comments)


def consultation_report(db: Session, consultation: Consultation) -> list[ReportSection]:
    """Every published top-level comment and reply, per section, with the agency's
    disposition and official responses."""
    sections = list(
        db.exec(
            select(Section)
            .where(Section.consultation_id == consultation.id)
            .order_by(col(Section.position))
        )
    )
    comments = list(
        db.exec(
            select(Comment)
            .where(
                Comment.consultation_id == consultation.id,
                Comment.status == ContentStatus.published,
                col(Comment.hidden_at).is_(None),
            )
            .order_by(col(Comment.id))
        )
    )
    ids = [c.id for c in comments]
    dispositions = (
        {
            d.comment_id: d
            for d in db.exec(select(Disposition).where(col(Disposition.comment_id).in_(ids)))
        }
        if ids
        else {}
    )
    responses: dict[int, list[OfficialResponse]] = {}
    if ids:
        for response in db.exec(
            select(OfficialResponse)
            .where(col(OfficialResponse.comment_id).in_(ids))
            .order_by(col(OfficialResponse.id))
        ):
            responses.setdefault(response.comment_id, []).append(response)  # type: ignore[arg-type]
    by_section: dict[int | None, ReportSection] = {None: ReportSection(None)}
    for section in sections:
        by_section[section.id] = ReportSection(section)
    for comment in comments:
        bucket = by_section.get(comment.section_id, by_section[None])
        bucket.comments.append(
            ReportComment(comment, dispositions.get(comment.id), responses.get(comment.id, []))  # type: ignore[arg-type]
        )
    return [by_section[None], *(by_section[s.id] for s in sections)]

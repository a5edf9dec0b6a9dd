"""Reads for the moderation pages: the queue (a fixed number of queries per page), a case
with its context and the author's history, and the audit trail."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import case as sql_case
from sqlalchemy import func
from sqlmodel import Session, col, select

from forum.models import (
    Account,
    Agency,
    Aspiration,
    Attachment,
    AttachmentStatus,
    Category,
    Comment,
    Consultation,
    Region,
    Section,
)
from forum.queries import Page, clamp_page
from moderation.models import (
    Appeal,
    AuditEntry,
    CaseReason,
    CaseStatus,
    Decision,
    Flag,
    ModerationCase,
    ScreenResult,
)

SORTS = {
    "oldest": (col(ModerationCase.opened_at), col(ModerationCase.id)),
    "newest": (col(ModerationCase.opened_at).desc(), col(ModerationCase.id).desc()),
    "priority": (col(ModerationCase.priority).desc(), col(ModerationCase.opened_at)),
    "channel": (col(ModerationCase.channel), col(ModerationCase.opened_at)),
    "consultation": (col(ModerationCase.consultation_id), col(ModerationCase.opened_at)),
    "agency": (col(ModerationCase.agency_id), col(ModerationCase.opened_at)),
}
VIEWS = ("pending", "escalated", "appeals")


@dataclass
class QueueFilters:
    view: str = "pending"
    sort: str = "oldest"
    channel: str = ""
    consultation_id: int | None = None
    agency_id: int | None = None
    cluster: str = ""


@dataclass
class QueuePage:
    page: Page[ModerationCase]
    comments: dict[int, Comment]
    aspirations: dict[int, Aspiration]
    authors: dict[int, Account]
    consultations: dict[int, Consultation]
    agencies: dict[int, Agency]
    labels: dict[int, list[str]]
    cluster_sizes: dict[str, int]
    attachments: dict[int, int] = field(default_factory=dict)  # case id -> files (not removed)


@dataclass
class QueueCounts:
    pending: int
    overdue: int
    escalated: int
    appeals: int


def _open_where(viewer: Account, filters: QueueFilters) -> list[Any]:
    where: list[Any] = []
    if filters.view == "escalated":
        where.append(ModerationCase.status == CaseStatus.escalated)
    else:
        where.append(ModerationCase.status == CaseStatus.pending)
        if filters.view == "appeals":
            where.append(ModerationCase.reason == CaseReason.appeal)
    # An appeal is never shown to the moderator whose decision it contests.
    where.append(
        (col(ModerationCase.excluded_moderator_id).is_(None))
        | (col(ModerationCase.excluded_moderator_id) != viewer.id)
    )
    if filters.channel:
        where.append(ModerationCase.channel == filters.channel)
    if filters.consultation_id:
        where.append(ModerationCase.consultation_id == filters.consultation_id)
    if filters.agency_id:
        where.append(ModerationCase.agency_id == filters.agency_id)
    if filters.cluster:
        where.append(ModerationCase.fingerprint == filters.cluster)
    return where


def _by_id(db: Session, model: Any, ids: set[int | None]) -> dict[int, Any]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return {row.id: row for row in db.exec(select(model).where(col(model.id).in_(wanted)))}


def list_queue(
    db: Session, viewer: Account, filters: QueueFilters, *, page: int, per_page: int
) -> QueuePage:
    """One page of open cases. Identical texts (one fingerprint: a copy-paste campaign) are one
    entry, shown by their oldest case with the cluster's size, unless one cluster is asked for."""
    where = _open_where(viewer, filters)
    if not filters.cluster:
        oldest_of_each = (
            select(func.min(ModerationCase.id))
            .where(*where, ModerationCase.fingerprint != "")
            .group_by(col(ModerationCase.fingerprint))
        )
        where.append(
            (col(ModerationCase.fingerprint) == "") | col(ModerationCase.id).in_(oldest_of_each)
        )
    total = int(db.exec(select(func.count()).select_from(ModerationCase).where(*where)).one())
    page = clamp_page(page, per_page, total)
    # How many files (not removed) each case's contribution carries, in the same query.
    files = (
        select(func.count())
        .select_from(Attachment)
        .where(
            Attachment.status != AttachmentStatus.removed,
            (col(Attachment.comment_id) == ModerationCase.comment_id)
            | (col(Attachment.aspiration_id) == ModerationCase.aspiration_id),
        )
        .correlate(ModerationCase)
        .scalar_subquery()
    )
    rows = db.exec(
        select(ModerationCase, files)
        .where(*where)
        .order_by(*SORTS.get(filters.sort, SORTS["oldest"]))
        .offset((page - 1) * per_page)
        .limit(per_page)
    ).all()
    cases = [case for case, _ in rows]
    file_counts = {case.id: int(n) for case, n in rows if n and case.id is not None}
    comments = _by_id(db, Comment, {c.comment_id for c in cases})
    aspirations = _by_id(db, Aspiration, {c.aspiration_id for c in cases})
    labels: dict[int, list[str]] = {}
    case_ids = [c.id for c in cases]
    if case_ids:
        for case_id, label in db.exec(
            select(ScreenResult.case_id, ScreenResult.label).where(
                col(ScreenResult.case_id).in_(case_ids)
            )
        ):
            bucket = labels.setdefault(case_id, [])
            if label not in bucket:
                bucket.append(label)
    prints = {c.fingerprint for c in cases if c.fingerprint}
    sizes: dict[str, int] = {}
    if prints:
        sizes = {
            fp: int(n)
            for fp, n in db.exec(
                select(ModerationCase.fingerprint, func.count())
                .where(
                    col(ModerationCase.fingerprint).in_(prints),
                    ModerationCase.status == CaseStatus.pending,
                )
                .group_by(col(ModerationCase.fingerprint))
            )
        }
    return QueuePage(
        attachments=file_counts,
        page=Page(cases, page, per_page, total),
        comments=comments,
        aspirations=aspirations,
        authors=_by_id(db, Account, {c.author_id for c in cases}),
        consultations=_by_id(db, Consultation, {c.consultation_id for c in cases}),
        agencies=_by_id(db, Agency, {c.agency_id for c in cases}),
        labels=labels,
        cluster_sizes=sizes,
    )


def queue_counts(db: Session, now: datetime) -> QueueCounts:
    """Pending, overdue (past the verification deadline), escalated and appealed cases."""
    total, overdue, appeals = db.exec(
        select(
            func.count(),
            func.sum(sql_case((col(ModerationCase.due_at) < now, 1), else_=0)),
            func.sum(sql_case((col(ModerationCase.reason) == CaseReason.appeal, 1), else_=0)),
        )
        .select_from(ModerationCase)
        .where(ModerationCase.status == CaseStatus.pending)
    ).one()
    escalated = db.exec(
        select(func.count())
        .select_from(ModerationCase)
        .where(ModerationCase.status == CaseStatus.escalated)
    ).one()
    return QueueCounts(int(total), int(overdue or 0), int(escalated), int(appeals or 0))


@dataclass
class Highlighted:
    field: str
    text: str
    spans: list[tuple[int, int, str]]


@dataclass
class CaseView:
    case: ModerationCase
    item: Comment | Aspiration
    author: Account
    results: list[ScreenResult]
    decisions: list[tuple[Decision, Account]]
    flags: list[Flag]
    appeal: Appeal | None
    consultation: Consultation | None = None
    section: Section | None = None
    parent: Comment | None = None
    category: Category | None = None
    region: Region | None = None
    agency: Agency | None = None
    history: list[tuple[ModerationCase, str | None]] = field(default_factory=list)
    author_flags: int = 0
    # Every file of the contribution, removed ones too, oldest first; what the screens found
    # in each (by attachment id).
    attachments: list[Attachment] = field(default_factory=list)
    attachment_results: dict[int, list[ScreenResult]] = field(default_factory=dict)

    def highlighted(self) -> list[Highlighted]:
        """Each text field with the screens' spans to mark."""
        texts: list[tuple[str, str]] = (
            [("body", self.item.body)]
            if isinstance(self.item, Comment)
            else [("title", self.item.title), ("body", self.item.body)]
        )
        out = []
        for name, text in texts:
            spans = [
                (start, end, r.label)
                for r in self.results
                if r.field == name
                for start, end in json.loads(r.spans)
            ]
            out.append(Highlighted(name, text, sorted(spans)))
        return out


def get_case(db: Session, case_id: int) -> ModerationCase | None:
    return db.get(ModerationCase, case_id) if 0 < case_id < 2**31 else None


def case_view(db: Session, case: ModerationCase) -> CaseView:
    item: Comment | Aspiration | None = (
        db.get(Comment, case.comment_id)
        if case.comment_id
        else db.get(Aspiration, case.aspiration_id)
    )
    author = db.get(Account, case.author_id)
    assert item is not None and author is not None
    results = list(db.exec(select(ScreenResult).where(ScreenResult.case_id == case.id)))
    decisions = [
        (d, a)
        for d, a in db.exec(
            select(Decision, Account)
            .join(Account, col(Account.id) == Decision.moderator_id)
            .where(Decision.case_id == case.id)
            .order_by(col(Decision.id))
        )
    ]
    flag_target = (
        col(Flag.comment_id) == case.comment_id
        if case.comment_id
        else col(Flag.aspiration_id) == case.aspiration_id
    )
    view = CaseView(
        case=case,
        item=item,
        author=author,
        results=results,
        decisions=decisions,
        flags=list(db.exec(select(Flag).where(flag_target))),
        appeal=db.exec(
            select(Appeal)
            .join(ModerationCase, col(ModerationCase.id) == Appeal.case_id)
            .where(
                ModerationCase.author_id == case.author_id,
                (col(ModerationCase.comment_id) == case.comment_id)
                if case.comment_id
                else (col(ModerationCase.aspiration_id) == case.aspiration_id),
            )
        ).first(),
    )
    view.attachments = list(
        db.exec(
            select(Attachment)
            .where(
                (col(Attachment.comment_id) == item.id)
                if isinstance(item, Comment)
                else (col(Attachment.aspiration_id) == item.id)
            )
            .order_by(col(Attachment.id))
        )
    )
    # What the screens found in each file, whichever case of the contribution recorded it.
    attachment_ids = [a.id for a in view.attachments if a.id is not None]
    if attachment_ids:
        for result in db.exec(
            select(ScreenResult)
            .where(col(ScreenResult.attachment_id).in_(attachment_ids))
            .order_by(col(ScreenResult.id))
        ):
            view.attachment_results.setdefault(result.attachment_id, []).append(result)  # type: ignore[arg-type]
    if isinstance(item, Comment):
        view.consultation = db.get(Consultation, item.consultation_id)
        view.section = db.get(Section, item.section_id) if item.section_id else None
        view.parent = db.get(Comment, item.parent_id) if item.parent_id else None
    else:
        view.category = db.get(Category, item.category_id)
        view.region = db.get(Region, item.region_id)
        view.agency = db.get(Agency, item.agency_id) if item.agency_id else None
    last_action = (
        select(Decision.action)
        .where(Decision.case_id == ModerationCase.id)
        .order_by(col(Decision.id).desc())
        .limit(1)
        .scalar_subquery()
    )
    view.history = [
        (c, action)
        for c, action in db.exec(
            select(ModerationCase, last_action)
            .where(ModerationCase.author_id == case.author_id, ModerationCase.id != case.id)
            .order_by(col(ModerationCase.id).desc())
            .limit(20)
        )
    ]
    view.author_flags = int(
        db.exec(
            select(func.count())
            .select_from(Flag)
            .outerjoin(Comment, col(Comment.id) == Flag.comment_id)
            .outerjoin(Aspiration, col(Aspiration.id) == Flag.aspiration_id)
            .where((Comment.author_id == case.author_id) | (Aspiration.author_id == case.author_id))
        ).one()
    )
    return view


@dataclass
class AuditFilters:
    actor_id: int | None = None
    action: str = ""
    since: datetime | None = None
    until: datetime | None = None


def _audit_where(filters: AuditFilters) -> list[Any]:
    where: list[Any] = []
    if filters.actor_id:
        where.append(AuditEntry.actor_id == filters.actor_id)
    if filters.action:
        where.append(col(AuditEntry.action).startswith(filters.action))
    if filters.since:
        where.append(col(AuditEntry.created_at) >= filters.since)
    if filters.until:
        where.append(col(AuditEntry.created_at) < filters.until)
    return where


def list_audit(
    db: Session, filters: AuditFilters, *, page: int, per_page: int = 100
) -> Page[AuditEntry]:
    where = _audit_where(filters)
    total = int(db.exec(select(func.count()).select_from(AuditEntry).where(*where)).one())
    page = clamp_page(page, per_page, total)
    items = list(
        db.exec(
            select(AuditEntry)
            .where(*where)
            .order_by(col(AuditEntry.id).desc())
            .offset((page - 1) * per_page)
            .limit(per_page)
        )
    )
    return Page(items, page, per_page, total)


def iter_audit(db: Session, filters: AuditFilters, batch: int = 1000) -> Any:
    """All matching audit rows, oldest first, in batches (CSV export)."""
    last = 0
    where = _audit_where(filters)
    while True:
        rows = list(
            db.exec(
                select(AuditEntry)
                .where(*where, col(AuditEntry.id) > last)
                .order_by(col(AuditEntry.id))
                .limit(batch)
            )
        )
        if not rows:
            return
        yield from rows
        last = rows[-1].id  # type: ignore[assignment]


def list_my_rejections(db: Session, account_id: int) -> list[tuple[ModerationCase, Decision, bool]]:
    """The author's rejected contributions with their decision and whether already appealed."""
    rows = db.exec(
        select(ModerationCase, Decision)
        .join(Decision, col(Decision.case_id) == ModerationCase.id)
        .where(
            ModerationCase.author_id == account_id,
            ModerationCase.status == CaseStatus.decided,
            Decision.action == "reject",
        )
        .order_by(col(ModerationCase.id).desc())
        .limit(100)
    ).all()
    appealed = set(db.exec(select(Appeal.case_id).where(Appeal.author_id == account_id)))
    return [(case, decision, case.id in appealed) for case, decision in rows]

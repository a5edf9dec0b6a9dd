"""Moderation tables: cases with their screen results, append-only decisions, flags,
appeals, the audit trail and the administrators' word lists."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, Index, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from forum.models import utcnow


class CaseStatus(StrEnum):
    pending = "pending"
    escalated = "escalated"  # waits for an administrator
    decided = "decided"


class CaseReason(StrEnum):
    new = "new"  # a new contribution (pre-moderated)
    post_moderated = "post-moderated"  # already public; review afterwards
    flagged = "flagged"  # hidden after flags
    appeal = "appeal"  # the author appealed a rejection


class DecisionAction(StrEnum):
    approve = "approve"
    reject = "reject"
    redact = "redact"  # approve with redaction
    duplicate = "duplicate"
    escalate = "escalate"
    restore = "restore"  # flagged content found fine
    uphold = "uphold"  # appeal refused: the rejection stands


class ModerationCase(SQLModel, table=True):
    """One contribution waiting for (or past) a moderator's decision."""

    __tablename__ = "moderation_case"
    __table_args__ = (
        Index("ix_moderation_case_queue", "status", "opened_at"),
        Index("ix_moderation_case_priority", "status", "priority"),
        Index("ix_moderation_case_cluster", "status", "fingerprint"),
        Index("ix_moderation_case_fingerprint", "fingerprint", "opened_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=12)  # comment | aspiration
    comment_id: int | None = Field(default=None, foreign_key="comment.id", index=True)
    aspiration_id: int | None = Field(default=None, foreign_key="aspiration.id", index=True)
    author_id: int = Field(foreign_key="account.id", index=True)
    channel: str = Field(default="web", max_length=12)
    consultation_id: int | None = Field(default=None, foreign_key="consultation.id")
    agency_id: int | None = Field(default=None, foreign_key="agency.id")
    reason: str = Field(default=CaseReason.new, max_length=16)
    status: str = Field(default=CaseStatus.pending, max_length=12)
    priority: int = 0  # screens and flags raise it
    fingerprint: str = Field(default="", max_length=64)  # normalised text hash (campaigns)
    opened_at: datetime = Field(default_factory=utcnow)
    due_at: datetime
    decided_at: datetime | None = None
    # Appeals go to a different moderator than the one who decided.
    excluded_moderator_id: int | None = Field(default=None, foreign_key="account.id")


class ScreenResult(SQLModel, table=True):
    """What an automatic screen found: a label, a score and the matched spans (JSON)."""

    __tablename__ = "moderation_screen_result"
    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="moderation_case.id", index=True)
    screen: str = Field(max_length=30)
    label: str = Field(max_length=60)
    score: int = 0
    field: str = Field(default="body", max_length=12)  # body | title | attachment
    spans: str = Field(default="[]", sa_column=Column(Text, nullable=False, default="[]"))
    # A finding in an attachment's text (OCR): which attachment, and what was found, masked
    # (e.g. 3273********0003): the number itself is never shown again.
    # (no foreign key: see migration moderation_0004)
    attachment_id: int | None = Field(default=None, index=True)
    detail: str = Field(default="", max_length=100)


class Decision(SQLModel, table=True):
    """Append-only: every decision on a case. The original text of a redacted contribution is
    kept here and nowhere else."""

    __tablename__ = "moderation_decision"
    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="moderation_case.id", index=True)
    moderator_id: int = Field(foreign_key="account.id", index=True)
    action: str = Field(max_length=12)
    reason_code: str | None = Field(default=None, max_length=20)
    reason_text: str | None = Field(default=None, max_length=500)
    original_title: str | None = Field(default=None, max_length=200)
    original_text: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    duplicate_of_id: int | None = Field(default=None, foreign_key="aspiration.id")
    created_at: datetime = Field(default_factory=utcnow)


class Flag(SQLModel, table=True):
    """A logged-in user reports published content; weighted by the flagger's trust."""

    __tablename__ = "moderation_flag"
    __table_args__ = (
        UniqueConstraint("account_id", "comment_id"),
        UniqueConstraint("account_id", "aspiration_id"),
    )
    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", index=True)
    comment_id: int | None = Field(default=None, foreign_key="comment.id", index=True)
    aspiration_id: int | None = Field(default=None, foreign_key="aspiration.id", index=True)
    reason: str = Field(max_length=20)
    text: str = Field(default="", max_length=500)
    weight: float = 1.0
    # Set when the flagged item was decided: True if the flag proved right (hidden/rejected).
    upheld: bool | None = None
    created_at: datetime = Field(default_factory=utcnow)


class Appeal(SQLModel, table=True):
    __tablename__ = "moderation_appeal"
    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="moderation_case.id", unique=True)  # once per decision
    author_id: int = Field(foreign_key="account.id", index=True)
    text: str = Field(max_length=1000)
    created_at: datetime = Field(default_factory=utcnow)


class AuditEntry(SQLModel, table=True):
    """Append-only record of every decision, redaction, flag, hide, appeal and role change.
    The application has no code path that updates or deletes these rows."""

    __tablename__ = "moderation_audit"
    __table_args__ = (Index("ix_moderation_audit_at", "created_at"),)
    id: int | None = Field(default=None, primary_key=True)
    actor_id: int | None = Field(default=None, foreign_key="account.id", index=True)
    action: str = Field(max_length=30, index=True)
    object_type: str = Field(max_length=20)
    object_id: int
    reason: str = Field(default="", max_length=500)
    before: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    after: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    created_at: datetime = Field(default_factory=utcnow)


class ScreenTerm(SQLModel, table=True):
    """Administrator-managed word lists: abusive words (id/en) and blocked link domains."""

    __tablename__ = "moderation_term"
    __table_args__ = (UniqueConstraint("kind", "term"),)
    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=16)  # abusive | blocked-domain
    term: str = Field(max_length=100)
    language: str = Field(default="id", max_length=5)
    created_by_id: int | None = Field(default=None, foreign_key="account.id")
    created_at: datetime = Field(default_factory=utcnow)


class BulkState(StrEnum):
    queued = "queued"  # recorded, the worker has not started it
    running = "running"
    done = "done"
    failed = "failed"  # stopped for good; the cases it had not reached are back in the queue


class BulkJob(SQLModel, table=True):
    """A bulk decision too large for one request (moderation.bulk_jobs): who decided what,
    over which cases (``moderation_bulk_item``), and how far the worker has come."""

    __tablename__ = "moderation_bulk_job"
    id: int | None = Field(default=None, primary_key=True)
    moderator_id: int = Field(foreign_key="account.id", index=True)
    action: str = Field(max_length=12)  # approve | reject
    reason_code: str = Field(default="", max_length=20)
    note: str = Field(default="", max_length=300)
    # What the moderator selected: the clusters' fingerprints and the case ids that were no
    # case (JSON lists); the cases themselves are the job's items.
    clusters: str = Field(default="[]", sa_column=Column(Text, nullable=False, default="[]"))
    missing: str = Field(default="[]", sa_column=Column(Text, nullable=False, default="[]"))
    total: int = 0  # items, plus the missing ids
    done: int = 0  # decided
    skipped: int = 0  # left alone with a reason (the missing ids count here from the start)
    state: str = Field(default=BulkState.queued, max_length=10, index=True)
    error: str | None = Field(default=None, max_length=500)  # a msgid, when it failed
    back: str = Field(default="/moderation", max_length=500)  # the queue page it came from
    created_at: datetime = Field(default_factory=utcnow)
    started_at: datetime | None = None
    updated_at: datetime = Field(default_factory=utcnow)
    finished_at: datetime | None = None


class BulkOutcome(StrEnum):
    done = "done"
    skipped = "skipped"
    left = "left"  # the job failed before reaching it


class BulkItem(SQLModel, table=True):
    """One case of a bulk job. Its ``outcome`` is empty until the job reaches it; while it is
    empty the case belongs to the job, and a partial unique index lets no second job take it."""

    __tablename__ = "moderation_bulk_item"
    __table_args__ = (
        Index(
            "ux_moderation_bulk_item_open",
            "case_id",
            unique=True,
            sqlite_where=text("outcome IS NULL"),
            postgresql_where=text("outcome IS NULL"),
        ),
    )
    job_id: int = Field(foreign_key="moderation_bulk_job.id", primary_key=True)
    case_id: int = Field(foreign_key="moderation_case.id", primary_key=True)
    outcome: str | None = Field(default=None, max_length=8)
    # Why it was skipped: [msgid, params] as JSON.
    reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))

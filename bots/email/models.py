"""Tables of the email channel: the addresses people write from (and whether they confirmed
them), and each submission by mail with what became of it: waiting for the sender's
confirmation, entered into the moderation queue, or refused with a short answer."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, Index, Text
from sqlmodel import Field, SQLModel

from forum.models import utcnow


class SubmissionStatus(StrEnum):
    waiting = "waiting"  # for the sender to confirm their address (link or code)
    entered = "entered"  # in the moderation queue as an aspiration or comment
    refused = "refused"  # answered with what was wrong (too short, closed consultation…)
    expired = "expired"  # never confirmed


class EmailAddress(SQLModel, table=True):
    """One mail address and the chat identity (channel ``email``) it acts as; confirmed once
    its owner used a confirmation link or code."""

    __tablename__ = "email_address"
    id: int | None = Field(default=None, primary_key=True)
    address: str = Field(max_length=254, unique=True)
    identity_id: int = Field(foreign_key="chat_identity.id", unique=True)
    confirmed_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)


class EmailSubmission(SQLModel, table=True):
    """A mail that asks for something to be published. ``kind``: aspiration (a new mail),
    followup (a reply about a ticket: a new aspiration linked to it), comment / reply (on a
    consultation or in a comment thread). Attachments are listed for the moderator only."""

    __tablename__ = "email_submission"
    __table_args__ = (
        Index("ix_email_submission_address_status", "address", "status"),
        Index("ix_email_submission_aspiration", "aspiration_id"),
        Index("ix_email_submission_comment", "comment_id"),
    )
    id: int | None = Field(default=None, primary_key=True)
    address: str = Field(max_length=254)
    message_id: str = Field(default="", max_length=300)
    kind: str = Field(max_length=12)
    target: str = Field(default="", max_length=40)  # ticket, consultation or comment id
    subject: str = Field(default="", max_length=300)
    text: str = Field(sa_column=Column(Text, nullable=False))
    fields: str = Field(default="{}", sa_column=Column(Text, nullable=False, default="{}"))
    attachments: str = Field(default="[]", sa_column=Column(Text, nullable=False, default="[]"))
    locale: str = Field(default="id", max_length=5)
    authenticated: str = Field(default="", max_length=8)  # dmarc / dkim / "" (see parse)
    status: str = Field(default=SubmissionStatus.waiting, max_length=10)
    token_hash: str | None = Field(default=None, max_length=64, unique=True)
    code_hash: str | None = Field(default=None, max_length=64, index=True)
    expires_at: datetime | None = None
    aspiration_id: int | None = Field(default=None, foreign_key="aspiration.id")
    comment_id: int | None = Field(default=None, foreign_key="comment.id")
    problem: str = Field(default="", max_length=500)
    created_at: datetime = Field(default_factory=utcnow)
    decided_at: datetime | None = None

"""Database tables of the forum core (SQLModel on SQLAlchemy 2), shared by SQLite and PostgreSQL.

Times are timezone-aware UTC (SQLModel refuses naive ones); pages show them in the
deployment's time zone.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    """Current time, aware, in UTC: the form every table stores."""
    return datetime.now(UTC)


class Role(StrEnum):
    citizen = "citizen"
    official = "official"
    moderator = "moderator"
    admin = "admin"


class Channel(StrEnum):
    web = "web"
    telegram = "telegram"
    whatsapp = "whatsapp"
    sms = "sms"
    email = "email"


class ConsultationStatus(StrEnum):
    draft = "draft"
    scheduled = "scheduled"  # published, opens at opens_at
    open = "open"
    closed = "closed"
    concluded = "concluded"


class ContentStatus(StrEnum):
    """Lifecycle of a comment or an aspiration's publication."""

    pending = "pending"
    published = "published"
    rejected = "rejected"
    withdrawn = "withdrawn"


class AspirationStatus(StrEnum):
    pending = "pending"
    rejected = "rejected"
    published = "published"
    routed = "routed"
    in_progress = "in_progress"
    responded = "responded"
    closed = "closed"
    withdrawn = "withdrawn"
    merged = "merged"  # a duplicate, merged into another aspiration as a "me too" support


PUBLIC_ASPIRATION_STATUSES = (
    AspirationStatus.published,
    AspirationStatus.routed,
    AspirationStatus.in_progress,
    AspirationStatus.responded,
    AspirationStatus.closed,
)


class Visibility(StrEnum):
    public = "public"
    anonymous = "anonymous"  # name hidden from the public, not from moderators
    confidential = "confidential"  # only author, moderators and the agency


class JobStatus(StrEnum):
    pending = "pending"
    running = "running"
    done = "done"
    failed = "failed"


class AttachmentKind(StrEnum):
    image = "image"  # JPEG, PNG, WebP (HEIC/HEIF is stored as JPEG)
    pdf = "pdf"


class AttachmentStatus(StrEnum):
    pending = "pending"  # stored; shown with its contribution once that is public
    held = "held"  # a screen found personal data in it: shown to nobody but its author and
    # the staff, whatever its contribution, until a moderator publishes it (approved)
    approved = "approved"  # published explicitly by a moderator (after it was held)
    removed = "removed"  # taken down (moderation, the author, account deletion)


def new_public_key() -> str:
    """A random, unguessable key naming an attachment in URLs (never its id or hash)."""
    return secrets.token_urlsafe(16)


class Agency(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=80, unique=True, index=True)
    name: str = Field(max_length=200)
    short_name: str = Field(default="", max_length=60)
    description: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    is_active: bool = True
    created_at: datetime = Field(default_factory=utcnow)


class Category(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=80, unique=True, index=True)
    name_id: str = Field(max_length=120)
    name_en: str = Field(max_length=120)
    is_active: bool = True


class Region(SQLModel, table=True):
    """A province, regency or city with its Kemendagri code (e.g. 32 or 32.73)."""

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=13, unique=True, index=True)
    name: str = Field(max_length=120)
    kind: str = Field(max_length=12)  # province | regency | city
    parent_code: str | None = Field(default=None, max_length=13, index=True)


class Account(SQLModel, table=True):
    """Anyone who logs in or takes part from a chat; the role decides what they may do."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=120)
    email: str | None = Field(default=None, max_length=254, unique=True)
    phone: str | None = Field(default=None, max_length=20, unique=True)
    password_hash: str | None = Field(default=None, max_length=200)
    role: str = Field(default=Role.citizen, max_length=16, index=True)
    agency_id: int | None = Field(default=None, foreign_key="agency.id", index=True)
    is_active: bool = True
    locale: str = Field(default="id", max_length=5)
    notify_email: bool = True  # also send notifications by email (when SMTP is configured)
    # When a mail's unsubscribe link (List-Unsubscribe, RFC 8058) turned notify_email off.
    email_unsubscribed_at: datetime | None = None
    # When the person proved the address is theirs (a link or code from a mail to it). Until
    # then no mail but the ones proving it goes there (forum.email.may_mail).
    email_confirmed_at: datetime | None = None
    # A new address asked for on the profile, waiting for its confirmation: the old one stays
    # the account's address until then.
    pending_email: str | None = Field(default=None, max_length=254)
    deleted_at: datetime | None = None  # the person deleted the account; personal data gone
    consent_version: str | None = Field(default=None, max_length=20)
    consent_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)


class WebSession(SQLModel, table=True):
    """A login: the cookie holds a random token, this row only its SHA-256 (revocable)."""

    __tablename__ = "web_session"
    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    account_id: int = Field(foreign_key="account.id", index=True)
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime  # the absolute lifetime (REMBUG_SESSION_DAYS)
    last_seen_at: datetime | None = None  # for the idle timeout (REMBUG_SESSION_IDLE_HOURS)
    revoked_at: datetime | None = None
    ip: str = Field(default="", max_length=64)
    user_agent: str = Field(default="", max_length=300)


class TotpCredential(SQLModel, table=True):
    """An account's authenticator secret (encrypted, see forum/totp.py); enrolled once
    ``confirmed_at`` is set. ``last_step`` is the last 30-second step whose code was accepted:
    no code is accepted twice."""

    __tablename__ = "totp_credential"
    account_id: int = Field(foreign_key="account.id", primary_key=True)
    secret: str = Field(max_length=200)
    created_at: datetime = Field(default_factory=utcnow)
    confirmed_at: datetime | None = None
    last_step: int | None = None


class RecoveryCode(SQLModel, table=True):
    """A single-use two-factor recovery code; only its SHA-256 is kept."""

    __tablename__ = "recovery_code"
    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", index=True)
    code_hash: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow)
    used_at: datetime | None = None


class LoginChallenge(SQLModel, table=True):
    """A password accepted for a two-factor account: the short-lived, single-use state between
    the two login steps (the cookie holds a random token, this row its SHA-256). It is no
    session: nothing but the second step accepts it."""

    __tablename__ = "login_challenge"
    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    account_id: int = Field(foreign_key="account.id", index=True)
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    used_at: datetime | None = None
    next_url: str = Field(default="/", max_length=300)


class TokenPurpose(StrEnum):
    confirm = "confirm"  # confirm an address (a link and a 6-digit code in one mail)
    reset = "reset"  # set a new password (a link)
    login = "login"  # sign in by a 6-digit code (the browser's cookie names the row)


class AccountToken(SQLModel, table=True):
    """A single-use secret sent to a person: a link token and/or a 6-digit code. Only their
    hashes are kept (``token_hash`` SHA-256; ``code_hash`` an HMAC with the server key, since
    six digits are few). ``binding`` is a digest of what the token was issued for (the
    address to confirm, the password hash a reset replaces): a change of either makes it
    invalid. ``account_id`` is empty for the stand-in rows of requests for unknown addresses
    (they behave like any other, so an answer never says whether an account exists)."""

    __tablename__ = "account_token"
    __table_args__ = (Index("ix_account_token_account_purpose", "account_id", "purpose"),)
    id: int | None = Field(default=None, primary_key=True)
    purpose: str = Field(max_length=10)
    account_id: int | None = Field(default=None, foreign_key="account.id")
    token_hash: str = Field(max_length=64, unique=True)
    code_hash: str | None = Field(default=None, max_length=64)
    binding: str = Field(default="", max_length=64)
    channel: str = Field(default="email", max_length=12)
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    used_at: datetime | None = None
    tries: int = 0
    created_ip: str = Field(default="", max_length=64)
    next_url: str = Field(default="/", max_length=300)


class RateEvent(SQLModel, table=True):
    """One counted attempt (e.g. a failed login) for throttles shared by every process."""

    __tablename__ = "rate_event"
    __table_args__ = (Index("ix_rate_event_key_at", "key", "at"),)
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=200)
    at: datetime = Field(default_factory=utcnow)


class Consultation(SQLModel, table=True):
    __table_args__ = (Index("ix_consultation_status_closes", "status", "closes_at"),)
    id: int | None = Field(default=None, primary_key=True)
    agency_id: int = Field(foreign_key="agency.id", index=True)
    title: str = Field(max_length=200)
    summary: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    status: str = Field(default=ConsultationStatus.draft, max_length=12)
    opens_at: datetime
    closes_at: datetime
    published_at: datetime | None = None
    closed_at: datetime | None = None
    # Established citizens' comments are published at once (still screened and reviewed).
    post_moderation: bool = False
    concluded_at: datetime | None = None
    report_summary: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    created_by_id: int = Field(foreign_key="account.id")
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    comment_count: int = 0  # published comments, kept by the actions


class Section(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("consultation_id", "position"),)
    id: int | None = Field(default=None, primary_key=True)
    consultation_id: int = Field(foreign_key="consultation.id", index=True)
    position: int
    heading: str = Field(max_length=300)
    level: int = 2
    body: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    comment_count: int = 0  # published comments, kept by the actions


class Comment(SQLModel, table=True):
    __table_args__ = (
        Index(
            "ix_comment_thread_page", "consultation_id", "section_id", "status", "parent_id", "id"
        ),
        Index("ix_comment_root", "root_id", "status", "id"),
        Index("ix_comment_author", "author_id", "id"),
    )
    id: int | None = Field(default=None, primary_key=True)
    consultation_id: int = Field(foreign_key="consultation.id")
    section_id: int | None = Field(default=None, foreign_key="section.id")
    parent_id: int | None = Field(default=None, foreign_key="comment.id")
    root_id: int | None = Field(default=None, foreign_key="comment.id")
    author_id: int = Field(foreign_key="account.id")
    body: str = Field(sa_column=Column(Text, nullable=False))
    status: str = Field(default=ContentStatus.pending, max_length=12, index=True)
    reject_reason: str | None = Field(default=None, max_length=500)
    channel: str = Field(default=Channel.web, max_length=12)
    created_at: datetime = Field(default_factory=utcnow)
    published_at: datetime | None = None
    support_count: int = 0
    reply_count: int = 0  # published replies in the thread (on the root)
    hidden_at: datetime | None = None  # hidden pending review (flags); not shown while set
    redacted_at: datetime | None = None


class Aspiration(SQLModel, table=True):
    __table_args__ = (
        Index("ix_aspiration_status_id", "status", "id"),
        Index("ix_aspiration_author", "author_id", "id"),
        Index("ix_aspiration_agency_status", "agency_id", "status"),
    )
    id: int | None = Field(default=None, primary_key=True)
    ticket: str = Field(max_length=20, unique=True)
    title: str = Field(max_length=160)
    body: str = Field(sa_column=Column(Text, nullable=False))
    category_id: int = Field(foreign_key="category.id")
    region_id: int = Field(foreign_key="region.id")
    agency_id: int | None = Field(default=None, foreign_key="agency.id")
    visibility: str = Field(default=Visibility.public, max_length=14)
    status: str = Field(default=AspirationStatus.pending, max_length=12)
    reject_reason: str | None = Field(default=None, max_length=500)
    author_id: int = Field(foreign_key="account.id")
    channel: str = Field(default=Channel.web, max_length=12)
    created_at: datetime = Field(default_factory=utcnow)
    published_at: datetime | None = None
    routed_at: datetime | None = None
    updated_at: datetime = Field(default_factory=utcnow)
    support_count: int = 0
    hidden_at: datetime | None = None  # hidden pending review (flags); not shown while set
    redacted_at: datetime | None = None
    duplicate_of_id: int | None = Field(default=None, foreign_key="aspiration.id")
    # Deadlines (working days, see forum/workdays.py) and the answer's timeline.
    due_at: datetime | None = None  # first response due (set at routing, restarts on re-route)
    first_response_at: datetime | None = None
    responded_at: datetime | None = None
    overdue_at: datetime | None = None  # when the scheduler found it overdue
    escalated_at: datetime | None = None  # when administrators were alerted
    auto_close_at: datetime | None = None
    closed_at: datetime | None = None
    close_reason: str | None = Field(default=None, max_length=12)  # confirmed | auto
    reopen_count: int = 0


class TicketCounter(SQLModel, table=True):
    """Last ticket serial per year; incremented atomically in the submitting transaction."""

    __tablename__ = "ticket_counter"
    year: int = Field(primary_key=True)
    last: int = 0


class Support(SQLModel, table=True):
    __table_args__ = (
        UniqueConstraint("account_id", "comment_id"),
        UniqueConstraint("account_id", "aspiration_id"),
    )
    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", index=True)
    comment_id: int | None = Field(default=None, foreign_key="comment.id", index=True)
    aspiration_id: int | None = Field(default=None, foreign_key="aspiration.id", index=True)
    created_at: datetime = Field(default_factory=utcnow)


class Follow(SQLModel, table=True):
    """An account follows an aspiration (its author, and authors of merged duplicates)."""

    __table_args__ = (UniqueConstraint("account_id", "aspiration_id"),)
    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", index=True)
    aspiration_id: int = Field(foreign_key="aspiration.id", index=True)
    created_at: datetime = Field(default_factory=utcnow)


class OfficialResponse(SQLModel, table=True):
    __tablename__ = "official_response"
    __table_args__ = (Index("ix_official_response_created", "created_at"),)
    id: int | None = Field(default=None, primary_key=True)
    agency_id: int = Field(foreign_key="agency.id", index=True)
    author_id: int = Field(foreign_key="account.id")
    aspiration_id: int | None = Field(default=None, foreign_key="aspiration.id", index=True)
    comment_id: int | None = Field(default=None, foreign_key="comment.id", index=True)
    body: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime | None = None  # set when edited (revisions keep the old text)


class RoutingEvent(SQLModel, table=True):
    """Append-only history of where an aspiration was sent and why (disposisi)."""

    __tablename__ = "routing_event"
    id: int | None = Field(default=None, primary_key=True)
    aspiration_id: int = Field(foreign_key="aspiration.id", index=True)
    from_agency_id: int | None = Field(default=None, foreign_key="agency.id")
    to_agency_id: int = Field(foreign_key="agency.id", index=True)
    actor_id: int | None = Field(default=None, foreign_key="account.id")
    reason: str = Field(default="", max_length=500)
    created_at: datetime = Field(default_factory=utcnow)


class ResponseRevision(SQLModel, table=True):
    """An official response's earlier wording, kept when it is edited (shown as history)."""

    __tablename__ = "response_revision"
    id: int | None = Field(default=None, primary_key=True)
    response_id: int = Field(foreign_key="official_response.id", index=True)
    body: str = Field(sa_column=Column(Text, nullable=False))
    edited_by_id: int = Field(foreign_key="account.id")
    created_at: datetime = Field(default_factory=utcnow)


class Disposition(SQLModel, table=True):
    """The agency's answer to one consultation comment: accepted, partly, not (and why)."""

    __table_args__ = (UniqueConstraint("comment_id"),)
    id: int | None = Field(default=None, primary_key=True)
    comment_id: int = Field(foreign_key="comment.id")
    consultation_id: int = Field(foreign_key="consultation.id", index=True)
    agency_id: int = Field(foreign_key="agency.id")
    value: str = Field(max_length=10)  # accepted | partly | rejected
    reason: str = Field(default="", max_length=1000)
    author_id: int = Field(foreign_key="account.id")
    updated_at: datetime = Field(default_factory=utcnow)


class Notification(SQLModel, table=True):
    """An in-app notification; ``key`` makes the same event notify a person only once."""

    __table_args__ = (Index("ix_notification_inbox", "account_id", "read_at", "id"),)
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=200, unique=True)
    account_id: int = Field(foreign_key="account.id")
    message: str = Field(max_length=200)  # a msgid, translated when shown
    params: str = Field(default="{}", sa_column=Column(Text, nullable=False, default="{}"))
    link: str = Field(default="/", max_length=300)
    created_at: datetime = Field(default_factory=utcnow)
    read_at: datetime | None = None


class OutboxJob(SQLModel, table=True):
    """A side effect to run after commit (delivery, indexing); kept until done or failed."""

    __tablename__ = "outbox_job"
    __table_args__ = (Index("ix_outbox_due", "status", "run_after"),)
    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=60)
    payload: str = Field(sa_column=Column(Text, nullable=False))  # JSON
    dedupe_key: str | None = Field(default=None, max_length=200, unique=True)
    status: str = Field(default=JobStatus.pending, max_length=10)
    attempts: int = 0
    max_attempts: int = 8
    run_after: datetime = Field(default_factory=utcnow)
    locked_by: str | None = Field(default=None, max_length=80)
    locked_until: datetime | None = None
    last_error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    created_at: datetime = Field(default_factory=utcnow)
    done_at: datetime | None = None


class ChatInbound(SQLModel, table=True):
    """Something acknowledged once and processed later (a chat platform's update, a web
    submission), recorded in the transaction of its effect: the unique (channel, platform id)
    makes retries no-ops. On PostgreSQL the intake stores here directly (processed_at empty
    until the drain job runs it); on SQLite it waits in the spool file first (forum.spool).
    The table keeps its first name, from when only chat updates came in this way."""

    __tablename__ = "chat_inbound"
    __table_args__ = (
        UniqueConstraint("channel", "platform_id"),
        Index("ix_chat_inbound_chat_pending", "channel", "chat_key", "processed_at", "id"),
        # The drain's "oldest not processed" when chat_inbound is the spool (PostgreSQL).
        Index("ix_chat_inbound_pending", "processed_at", "id"),
    )
    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=12)
    platform_id: str = Field(max_length=100)  # Telegram update_id, WhatsApp wamid
    chat_key: str = Field(default="", max_length=64)  # keeps one chat's updates in order
    raw: str = Field(sa_column=Column(Text, nullable=False))
    received_at: datetime = Field(default_factory=utcnow)
    processed_at: datetime | None = None


class Attachment(SQLModel, table=True):
    """A photo or PDF a citizen attached to an aspiration or a comment (forum/attachments/):
    the file lives in the attachment store under its SHA-256, this row says whose it is and
    where it belongs. ``original_name`` is the citizen's file name as text only, never a path.
    ``ocr_text`` is what OCR read in an image, for the personal-data screens."""

    __table_args__ = (Index("ix_attachment_account", "account_id", "status"),)
    id: int | None = Field(default=None, primary_key=True)
    public_key: str = Field(default_factory=new_public_key, max_length=32, unique=True, index=True)
    account_id: int = Field(foreign_key="account.id")
    # Empty until the contribution it belongs to is stored; then exactly one of them is set.
    aspiration_id: int | None = Field(default=None, foreign_key="aspiration.id", index=True)
    comment_id: int | None = Field(default=None, foreign_key="comment.id", index=True)
    kind: str = Field(max_length=8)  # AttachmentKind
    media_type: str = Field(max_length=40)
    byte_size: int
    sha256: str = Field(max_length=64, index=True)
    original_name: str = Field(default="", max_length=200)
    width: int | None = None
    height: int | None = None
    created_at: datetime = Field(default_factory=utcnow)
    status: str = Field(default=AttachmentStatus.pending, max_length=10)
    removed_reason: str | None = Field(default=None, max_length=500)
    removed_at: datetime | None = None
    ocr_text: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    ocr_done_at: datetime | None = None

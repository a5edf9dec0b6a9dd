"""Tables of the chat channels: who is behind a chat, where their conversation stands, which
platform updates were already taken in, what was sent to them, and one-time link codes."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from forum.models import ChatInbound as ChatInbound  # the intake record, in the core now
from forum.models import utcnow


class DeliveryStatus(StrEnum):
    pending = "pending"
    sent = "sent"
    delivered = "delivered"  # reported by platforms with receipts (WhatsApp)
    read = "read"
    failed = "failed"
    # Not sent, by the channel's cost controls or the person's withdrawn consent (SMS); the
    # reason is in last_error, and staff see it with the others.
    held = "held"


# A receipt only moves a delivery forward (receipts may arrive out of order).
DELIVERY_PROGRESS = {
    DeliveryStatus.pending: 0,
    DeliveryStatus.sent: 1,
    DeliveryStatus.delivered: 2,
    DeliveryStatus.read: 3,
}


class DeliveryKind(StrEnum):
    reply = "reply"  # an answer within a conversation
    notification = "notification"  # published / rejected / official response
    announcement = "announcement"  # a new consultation, to the configured channel
    login_code = "login-code"  # a sign-in code the person asked for (bots/login_codes.py)


class ChatIdentity(SQLModel, table=True):
    """One person on one chat platform, the forum account they act as, and their dialogue
    state (kept here, not in memory, so it survives restarts and several workers)."""

    __tablename__ = "chat_identity"
    __table_args__ = (UniqueConstraint("channel", "platform_user_id"),)
    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=12)
    platform_user_id: str = Field(max_length=64)
    chat_id: str = Field(max_length=64)
    display_name: str = Field(default="", max_length=120)
    # Empty until the person first contributes (chat-only account) or links a web account.
    account_id: int | None = Field(default=None, foreign_key="account.id", index=True)
    locale: str = Field(default="id", max_length=5)
    notify: bool = True
    blocked: bool = False  # the person blocked the bot; sends would fail
    state: str = Field(default="idle", max_length=24)
    data: str = Field(default="{}", sa_column=Column(Text, nullable=False, default="{}"))
    last_inbound_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class ChatDelivery(SQLModel, table=True):
    """One outbound message and its fate; officials see the ones about their agency's items."""

    __tablename__ = "chat_delivery"
    __table_args__ = (
        Index("ix_chat_delivery_agency", "agency_id", "id"),
        Index("ix_chat_delivery_chat", "channel", "chat_id", "id"),
        Index("ix_chat_delivery_platform_message", "channel", "platform_message_id"),
    )
    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=12)
    chat_id: str = Field(max_length=64)
    identity_id: int | None = Field(default=None, foreign_key="chat_identity.id")
    kind: str = Field(default=DeliveryKind.reply, max_length=14)
    text: str = Field(sa_column=Column(Text, nullable=False))
    buttons: str = Field(default="[]", sa_column=Column(Text, nullable=False, default="[]"))
    # What the message is about, for the officials' delivery page.
    agency_id: int | None = Field(default=None, foreign_key="agency.id")
    aspiration_id: int | None = Field(default=None, foreign_key="aspiration.id")
    comment_id: int | None = Field(default=None, foreign_key="comment.id")
    consultation_id: int | None = Field(default=None, foreign_key="consultation.id")
    status: str = Field(default=DeliveryStatus.pending, max_length=10)
    attempts: int = 0
    last_error: str | None = Field(default=None, max_length=500)
    platform_message_id: str | None = Field(default=None, max_length=100)
    # Sent (or to be sent) as the channel's pre-approved template: outside WhatsApp's 24-hour
    # window only templates may start a conversation.
    via_template: bool = False
    # What a notification is about (bots.subscribers: aspiration_published, response, …), so
    # a channel can choose which kinds it carries (REMBUG_SMS_NOTIFY).
    topic: str | None = Field(default=None, max_length=24)
    created_at: datetime = Field(default_factory=utcnow)
    sent_at: datetime | None = None


class ChatLinkCode(SQLModel, table=True):
    """A one-time code shown on the web profile; entering it in a chat links that chat to the
    web account. Only its SHA-256 is stored."""

    __tablename__ = "chat_link_code"
    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", index=True)
    code_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    used_at: datetime | None = None
    used_by_identity_id: int | None = Field(default=None, foreign_key="chat_identity.id")


class ChatPace(SQLModel, table=True):
    """Next send time per chat (and one row per channel for the overall limit), shared by every
    worker process: a send takes a slot with one conditional UPDATE."""

    __tablename__ = "chat_pace"
    key: str = Field(primary_key=True, max_length=80)
    next_at: datetime = Field(default_factory=utcnow)

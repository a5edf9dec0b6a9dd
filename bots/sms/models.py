"""Tables of the SMS channel: what one number's conversation remembers besides the shared
dialogue state (its consent, the numbered choices it may answer, the pages still to come), and
what the service spent on SMS each day."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Text
from sqlmodel import Field, SQLModel

from forum.models import utcnow


class SmsNumber(SQLModel, table=True):
    """One phone number (its chat identity) on the SMS channel."""

    __tablename__ = "sms_number"
    id: int | None = Field(default=None, primary_key=True)
    identity_id: int = Field(foreign_key="chat_identity.id", unique=True)
    # BERHENTI/STOP: no SMS to this number from then on, until MULAI.
    consent_withdrawn_at: datetime | None = None
    # The payloads of the last numbered menu ("Balas 1 …"), in order.
    choices: str = Field(default="[]", sa_column=Column(Text, nullable=False, default="[]"))
    # The pages of the last long reply not sent yet ("Balas LAGI").
    more: str = Field(default="[]", sa_column=Column(Text, nullable=False, default="[]"))
    updated_at: datetime = Field(default_factory=utcnow)


class SmsDay(SQLModel, table=True):
    """SMS sent on one day (in REMBUG_TIMEZONE) over the whole service, for the daily budget."""

    __tablename__ = "sms_day"
    day: str = Field(primary_key=True, max_length=10)  # YYYY-MM-DD
    messages: int = 0
    segments: int = 0
    cost: int = 0

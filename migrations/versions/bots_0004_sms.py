"""bots: the SMS channel (numbers' consent and menus, daily spend) and notification topics

Revision ID: bots_0004
Revises: bots_0003
Create Date: 2026-12-07 02:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "bots_0004"
down_revision: str | None = "bots_0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

String = sqlmodel.sql.sqltypes.AutoString
UTC = sqlmodel.sql.sqltypes.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "sms_number",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("identity_id", sa.Integer(), sa.ForeignKey("chat_identity.id"), nullable=False),
        sa.Column("consent_withdrawn_at", UTC(), nullable=True),
        sa.Column("choices", sa.Text(), nullable=False),
        sa.Column("more", sa.Text(), nullable=False),
        sa.Column("updated_at", UTC(), nullable=False),
        sa.UniqueConstraint("identity_id"),
    )
    op.create_table(
        "sms_day",
        sa.Column("day", String(length=10), primary_key=True),
        sa.Column("messages", sa.Integer(), nullable=False),
        sa.Column("segments", sa.Integer(), nullable=False),
        sa.Column("cost", sa.Integer(), nullable=False),
    )
    with op.batch_alter_table("chat_delivery") as batch:
        batch.add_column(sa.Column("topic", String(length=24), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("chat_delivery") as batch:
        batch.drop_column("topic")
    op.drop_table("sms_day")
    op.drop_table("sms_number")

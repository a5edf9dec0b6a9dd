"""bots: chat identities, inbound updates, deliveries, link codes, pacing

Revision ID: bots_0001
Revises: 0001
Create Date: 2026-11-24 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "bots_0001"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = ("bots",)
depends_on: str | Sequence[str] | None = None

String = sqlmodel.sql.sqltypes.AutoString
UTC = sqlmodel.sql.sqltypes.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "chat_identity",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel", String(length=12), nullable=False),
        sa.Column("platform_user_id", String(length=64), nullable=False),
        sa.Column("chat_id", String(length=64), nullable=False),
        sa.Column("display_name", String(length=120), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("locale", String(length=5), nullable=False),
        sa.Column("notify", sa.Boolean(), nullable=False),
        sa.Column("blocked", sa.Boolean(), nullable=False),
        sa.Column("state", String(length=24), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("last_inbound_at", UTC(), nullable=True),
        sa.Column("created_at", UTC(), nullable=False),
        sa.Column("updated_at", UTC(), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["account.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("channel", "platform_user_id"),
    )
    op.create_index("ix_chat_identity_account_id", "chat_identity", ["account_id"])

    op.create_table(
        "chat_inbound",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel", String(length=12), nullable=False),
        sa.Column("platform_id", String(length=100), nullable=False),
        sa.Column("chat_key", String(length=64), nullable=False),
        sa.Column("raw", sa.Text(), nullable=False),
        sa.Column("received_at", UTC(), nullable=False),
        sa.Column("processed_at", UTC(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("channel", "platform_id"),
    )
    op.create_index(
        "ix_chat_inbound_chat_pending",
        "chat_inbound",
        ["channel", "chat_key", "processed_at", "id"],
    )

    op.create_table(
        "chat_delivery",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel", String(length=12), nullable=False),
        sa.Column("chat_id", String(length=64), nullable=False),
        sa.Column("identity_id", sa.Integer(), nullable=True),
        sa.Column("kind", String(length=14), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("buttons", sa.Text(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=True),
        sa.Column("aspiration_id", sa.Integer(), nullable=True),
        sa.Column("comment_id", sa.Integer(), nullable=True),
        sa.Column("consultation_id", sa.Integer(), nullable=True),
        sa.Column("status", String(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", String(length=500), nullable=True),
        sa.Column("platform_message_id", String(length=100), nullable=True),
        sa.Column("created_at", UTC(), nullable=False),
        sa.Column("sent_at", UTC(), nullable=True),
        sa.ForeignKeyConstraint(["identity_id"], ["chat_identity.id"]),
        sa.ForeignKeyConstraint(["agency_id"], ["agency.id"]),
        sa.ForeignKeyConstraint(["aspiration_id"], ["aspiration.id"]),
        sa.ForeignKeyConstraint(["comment_id"], ["comment.id"]),
        sa.ForeignKeyConstraint(["consultation_id"], ["consultation.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_chat_delivery_agency", "chat_delivery", ["agency_id", "id"])
    op.create_index("ix_chat_delivery_chat", "chat_delivery", ["channel", "chat_id", "id"])

    op.create_table(
        "chat_link_code",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("code_hash", String(length=64), nullable=False),
        sa.Column("created_at", UTC(), nullable=False),
        sa.Column("expires_at", UTC(), nullable=False),
        sa.Column("used_at", UTC(), nullable=True),
        sa.Column("used_by_identity_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["account_id"], ["account.id"]),
        sa.ForeignKeyConstraint(["used_by_identity_id"], ["chat_identity.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code_hash"),
    )
    op.create_index("ix_chat_link_code_account_id", "chat_link_code", ["account_id"])

    op.create_table(
        "chat_pace",
        sa.Column("key", String(length=80), nullable=False),
        sa.Column("next_at", UTC(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )


def downgrade() -> None:
    op.drop_table("chat_pace")
    op.drop_index("ix_chat_link_code_account_id", table_name="chat_link_code")
    op.drop_table("chat_link_code")
    op.drop_index("ix_chat_delivery_chat", table_name="chat_delivery")
    op.drop_index("ix_chat_delivery_agency", table_name="chat_delivery")
    op.drop_table("chat_delivery")
    op.drop_index("ix_chat_inbound_chat_pending", table_name="chat_inbound")
    op.drop_table("chat_inbound")
    op.drop_index("ix_chat_identity_account_id", table_name="chat_identity")
    op.drop_table("chat_identity")

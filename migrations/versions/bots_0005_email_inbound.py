"""bots: email channel (addresses people write from, submissions by mail)

Revision ID: bots_0005
Revises: bots_0004
Create Date: 2026-12-07 02:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "bots_0005"
down_revision: str | None = "bots_0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

String = sqlmodel.sql.sqltypes.AutoString
UTC = sqlmodel.sql.sqltypes.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "email_address",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("address", String(length=254), nullable=False),
        sa.Column("identity_id", sa.Integer(), nullable=False),
        sa.Column("confirmed_at", UTC(), nullable=True),
        sa.Column("created_at", UTC(), nullable=False),
        sa.ForeignKeyConstraint(["identity_id"], ["chat_identity.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("address"),
        sa.UniqueConstraint("identity_id"),
    )
    op.create_table(
        "email_submission",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("address", String(length=254), nullable=False),
        sa.Column("message_id", String(length=300), nullable=False),
        sa.Column("kind", String(length=12), nullable=False),
        sa.Column("target", String(length=40), nullable=False),
        sa.Column("subject", String(length=300), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("fields", sa.Text(), nullable=False),
        sa.Column("attachments", sa.Text(), nullable=False),
        sa.Column("locale", String(length=5), nullable=False),
        sa.Column("authenticated", String(length=8), nullable=False),
        sa.Column("status", String(length=10), nullable=False),
        sa.Column("token_hash", String(length=64), nullable=True),
        sa.Column("code_hash", String(length=64), nullable=True),
        sa.Column("expires_at", UTC(), nullable=True),
        sa.Column("aspiration_id", sa.Integer(), nullable=True),
        sa.Column("comment_id", sa.Integer(), nullable=True),
        sa.Column("problem", String(length=500), nullable=False),
        sa.Column("created_at", UTC(), nullable=False),
        sa.Column("decided_at", UTC(), nullable=True),
        sa.ForeignKeyConstraint(["aspiration_id"], ["aspiration.id"]),
        sa.ForeignKeyConstraint(["comment_id"], ["comment.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_index("ix_email_submission_address_status", "email_submission", ["address", "status"])
    op.create_index("ix_email_submission_aspiration", "email_submission", ["aspiration_id"])
    op.create_index("ix_email_submission_comment", "email_submission", ["comment_id"])
    op.create_index("ix_email_submission_code_hash", "email_submission", ["code_hash"])


def downgrade() -> None:
    op.drop_table("email_submission")
    op.drop_table("email_address")

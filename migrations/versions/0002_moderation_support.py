"""Core columns for moderation: hidden and redacted content, merged duplicates, follows,
per-consultation post-moderation.

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_DATETIME = sqlmodel.sql.sqltypes.UTCDateTime


def upgrade() -> None:
    with op.batch_alter_table("consultation") as batch_op:
        batch_op.add_column(
            sa.Column("post_moderation", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("comment") as batch_op:
        batch_op.add_column(sa.Column("hidden_at", UTC_DATETIME(), nullable=True))
        batch_op.add_column(sa.Column("redacted_at", UTC_DATETIME(), nullable=True))
    with op.batch_alter_table("aspiration") as batch_op:
        batch_op.add_column(sa.Column("hidden_at", UTC_DATETIME(), nullable=True))
        batch_op.add_column(sa.Column("redacted_at", UTC_DATETIME(), nullable=True))
        batch_op.add_column(sa.Column("duplicate_of_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            "fk_aspiration_duplicate_of", "aspiration", ["duplicate_of_id"], ["id"]
        )
    op.create_table(
        "follow",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("aspiration_id", sa.Integer(), nullable=False),
        sa.Column("created_at", UTC_DATETIME(), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["account.id"]),
        sa.ForeignKeyConstraint(["aspiration_id"], ["aspiration.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("account_id", "aspiration_id"),
    )
    op.create_index("ix_follow_account_id", "follow", ["account_id"])
    op.create_index("ix_follow_aspiration_id", "follow", ["aspiration_id"])


def downgrade() -> None:
    op.drop_index("ix_follow_aspiration_id", table_name="follow")
    op.drop_index("ix_follow_account_id", table_name="follow")
    op.drop_table("follow")
    with op.batch_alter_table("aspiration") as batch_op:
        batch_op.drop_constraint("fk_aspiration_duplicate_of", type_="foreignkey")
        batch_op.drop_column("duplicate_of_id")
        batch_op.drop_column("redacted_at")
        batch_op.drop_column("hidden_at")
    with op.batch_alter_table("comment") as batch_op:
        batch_op.drop_column("redacted_at")
        batch_op.drop_column("hidden_at")
    with op.batch_alter_table("consultation") as batch_op:
        batch_op.drop_column("post_moderation")

"""moderation: bulk decisions run as background jobs, with their progress

Revision ID: moderation_0003
Revises: moderation_0002
Create Date: 2026-12-08 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "moderation_0003"
down_revision: str | None = "moderation_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

String = sqlmodel.sql.sqltypes.AutoString
UTC = sqlmodel.sql.sqltypes.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "moderation_bulk_job",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("moderator_id", sa.Integer(), nullable=False),
        sa.Column("action", String(length=12), nullable=False),
        sa.Column("reason_code", String(length=20), nullable=False),
        sa.Column("note", String(length=300), nullable=False),
        sa.Column("clusters", sa.Text(), nullable=False),
        sa.Column("missing", sa.Text(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("skipped", sa.Integer(), nullable=False),
        sa.Column("state", String(length=10), nullable=False),
        sa.Column("error", String(length=500), nullable=True),
        sa.Column("back", String(length=500), nullable=False),
        sa.Column("created_at", UTC(), nullable=False),
        sa.Column("started_at", UTC(), nullable=True),
        sa.Column("updated_at", UTC(), nullable=False),
        sa.Column("finished_at", UTC(), nullable=True),
        sa.ForeignKeyConstraint(["moderator_id"], ["account.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_moderation_bulk_job_moderator_id", "moderation_bulk_job", ["moderator_id"])
    op.create_index("ix_moderation_bulk_job_state", "moderation_bulk_job", ["state"])
    op.create_table(
        "moderation_bulk_item",
        sa.Column("job_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("outcome", String(length=8), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["moderation_case.id"]),
        sa.ForeignKeyConstraint(["job_id"], ["moderation_bulk_job.id"]),
        sa.PrimaryKeyConstraint("job_id", "case_id"),
    )
    # While its outcome is empty a case belongs to its job: no second job can take it.
    op.create_index(
        "ux_moderation_bulk_item_open",
        "moderation_bulk_item",
        ["case_id"],
        unique=True,
        sqlite_where=sa.text("outcome IS NULL"),
        postgresql_where=sa.text("outcome IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("ux_moderation_bulk_item_open", table_name="moderation_bulk_item")
    op.drop_table("moderation_bulk_item")
    op.drop_index("ix_moderation_bulk_job_state", table_name="moderation_bulk_job")
    op.drop_index("ix_moderation_bulk_job_moderator_id", table_name="moderation_bulk_job")
    op.drop_table("moderation_bulk_job")

"""moderation: what the screens found in an attachment's text (OCR): the attachment and the
masked finding on each screen result

Revision ID: moderation_0004
Revises: moderation_0003
Create Date: 2026-12-08 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "moderation_0004"
down_revision: str | None = "moderation_0003"
branch_labels: str | Sequence[str] | None = None
# No foreign key to attachment (migration 0014 of the core's branch): a dependency between
# the branches would take 0014 out of the version table's heads. The id is kept as a plain
# indexed integer; the moderation package reads it only together with its attachment row.
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("moderation_screen_result", schema=None) as batch_op:
        batch_op.add_column(sa.Column("attachment_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column(
                "detail",
                sqlmodel.sql.sqltypes.AutoString(length=100),
                nullable=False,
                server_default="",
            )
        )
        batch_op.create_index(
            batch_op.f("ix_moderation_screen_result_attachment_id"), ["attachment_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("moderation_screen_result", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_moderation_screen_result_attachment_id"))
        batch_op.drop_column("detail")
        batch_op.drop_column("attachment_id")

"""Cases by fingerprint and time: the campaign check on every new contribution.

Revision ID: moderation_0002
Revises: moderation_0001
"""

from collections.abc import Sequence

from alembic import op

revision: str = "moderation_0002"
down_revision: str | None = "moderation_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_moderation_case_fingerprint", "moderation_case", ["fingerprint", "opened_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_moderation_case_fingerprint", table_name="moderation_case")

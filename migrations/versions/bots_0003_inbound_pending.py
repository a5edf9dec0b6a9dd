"""bots: chat_inbound index for the drain job's oldest unprocessed updates

Revision ID: bots_0003
Revises: bots_0002
Create Date: 2026-11-27 09:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "bots_0003"
down_revision: str | None = "bots_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_chat_inbound_pending", "chat_inbound", ["processed_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_chat_inbound_pending", table_name="chat_inbound")

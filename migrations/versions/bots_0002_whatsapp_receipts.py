"""bots: delivery receipts (look-up by platform message id) and template deliveries

Revision ID: bots_0002
Revises: bots_0001
Create Date: 2026-11-26 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "bots_0002"
down_revision: str | None = "bots_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("chat_delivery") as batch:
        batch.add_column(
            sa.Column("via_template", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.create_index(
        "ix_chat_delivery_platform_message",
        "chat_delivery",
        ["channel", "platform_message_id"],
    )


def downgrade() -> None:
    op.drop_index("ix_chat_delivery_platform_message", table_name="chat_delivery")
    with op.batch_alter_table("chat_delivery") as batch:
        batch.drop_column("via_template")

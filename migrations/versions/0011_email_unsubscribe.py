"""Accounts remember when they unsubscribed from notification mail (one-click unsubscribe).

Revision ID: 0011
Revises: 0008
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0011"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "account",
        sa.Column("email_unsubscribed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    )


def downgrade() -> None:
    # Not batch mode: on SQLite that copies the table, and dropping the old ``account`` fails
    # on the foreign keys that point at it. SQLite ≥ 3.35 drops a plain column in place.
    op.drop_column("account", "email_unsubscribed_at")

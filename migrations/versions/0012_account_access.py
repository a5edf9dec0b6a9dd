"""Accounts people can get back into: confirmed addresses, a new address waiting for its
confirmation, and the single-use tokens (only their hashes) of confirmation mails, password
resets and sign-in codes. Accounts that exist before this revision count as confirmed (their
addresses were in use before confirmation existed; docs/security.md says so).

Revision ID: 0012
Revises: 0011
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("account") as batch_op:
        batch_op.add_column(
            sa.Column("email_confirmed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
        )
        batch_op.add_column(
            sa.Column("pending_email", sqlmodel.sql.sqltypes.AutoString(length=254), nullable=True)
        )
    account = sa.table(
        "account",
        sa.column("email", sa.String()),
        sa.column("created_at", sqlmodel.sql.sqltypes.UTCDateTime()),
        sa.column("email_confirmed_at", sqlmodel.sql.sqltypes.UTCDateTime()),
    )
    op.execute(
        account.update()
        .where(account.c.email.is_not(None))
        .values(email_confirmed_at=account.c.created_at)
    )
    op.create_table(
        "account_token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("purpose", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("token_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("code_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("binding", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("channel", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("expires_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("used_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("tries", sa.Integer(), nullable=False),
        sa.Column("created_ip", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("next_url", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["account.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    with op.batch_alter_table("account_token") as batch_op:
        batch_op.create_index(
            "ix_account_token_account_purpose", ["account_id", "purpose"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("account_token") as batch_op:
        batch_op.drop_index("ix_account_token_account_purpose")
    op.drop_table("account_token")
    # Plain ALTER TABLE … DROP COLUMN (SQLite 3.35+): a batch would rebuild the account table,
    # which every other table refers to.
    op.drop_column("account", "pending_email")
    op.drop_column("account", "email_confirmed_at")

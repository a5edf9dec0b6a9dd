"""Close the open moderation cases whose contribution was already decided elsewhere.

Before this revision the demo loader (and any caller of the forum's publish/reject actions)
decided a contribution without its case, and an author's withdrawal left the case open: the
queue then offered cases that could not be decided ("Kontribusi ini sudah dimoderasi"), and a
bulk decision over them failed whole. moderation.subscribers now closes such a case as soon as
its contribution changes; this revision repairs the cases left behind, each with an audit row.

Revision ID: 0013
Revises: 0012
"""

import json
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PUBLIC_ASPIRATION = ("published", "routed", "in_progress", "responded", "closed")
# case reason: (comment statuses, aspiration statuses) in which the case still asks for a
# decision (moderation.actions.CASE_STATES at this revision).
STILL_OPEN = {
    "new": (("pending",), ("pending",)),
    "post-moderated": (("published",), PUBLIC_ASPIRATION),
    "flagged": (("published",), PUBLIC_ASPIRATION),
    "appeal": (("rejected",), ("rejected",)),
}

case = sa.table(
    "moderation_case",
    sa.column("id", sa.Integer),
    sa.column("kind", sa.String),
    sa.column("comment_id", sa.Integer),
    sa.column("aspiration_id", sa.Integer),
    sa.column("reason", sa.String),
    sa.column("status", sa.String),
    sa.column("decided_at", sqlmodel.sql.sqltypes.UTCDateTime()),
)
comment = sa.table("comment", sa.column("id", sa.Integer), sa.column("status", sa.String))
aspiration = sa.table("aspiration", sa.column("id", sa.Integer), sa.column("status", sa.String))
audit = sa.table(
    "moderation_audit",
    sa.column("actor_id", sa.Integer),
    sa.column("action", sa.String),
    sa.column("object_type", sa.String),
    sa.column("object_id", sa.Integer),
    sa.column("reason", sa.String),
    sa.column("before", sa.Text),
    sa.column("after", sa.Text),
    sa.column("created_at", sqlmodel.sql.sqltypes.UTCDateTime()),
)


def upgrade() -> None:
    conn = op.get_bind()
    if not sa.inspect(conn).has_table("moderation_case"):
        return  # a new database (its moderation branch comes after): no case to repair
    rows = conn.execute(
        sa.select(
            case.c.id,
            case.c.kind,
            case.c.reason,
            case.c.comment_id,
            case.c.aspiration_id,
            comment.c.status.label("comment_status"),
            aspiration.c.status.label("aspiration_status"),
        )
        .select_from(
            case.outerjoin(comment, comment.c.id == case.c.comment_id).outerjoin(
                aspiration, aspiration.c.id == case.c.aspiration_id
            )
        )
        .where(case.c.status.in_(("pending", "escalated")))
    ).all()
    now = datetime.now(UTC)
    for row in rows:
        comment_states, aspiration_states = STILL_OPEN.get(row.reason, ((), ()))
        if row.comment_id is not None:
            status, allowed, item_id = row.comment_status, comment_states, row.comment_id
        else:
            status, allowed, item_id = row.aspiration_status, aspiration_states, row.aspiration_id
        if status in allowed or item_id is None:
            continue
        conn.execute(
            sa.update(case).where(case.c.id == row.id).values(status="decided", decided_at=now)
        )
        conn.execute(
            sa.insert(audit).values(
                actor_id=None,
                action="case-closed",
                object_type=row.kind,
                object_id=item_id,
                reason="This contribution has already been decided.",
                before=None,
                after=json.dumps({"case": row.id, "contribution": status, "by": "migration 0013"}),
                created_at=now,
            )
        )


def downgrade() -> None:
    """Nothing to undo: reopening the cases would bring the broken queue back."""

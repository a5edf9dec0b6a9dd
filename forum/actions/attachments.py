"""Attachments of aspirations and comments (docs/attachments.md): the rows of files already in
the store, tied to the contribution they came with."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlmodel import Session

from forum.attachments import StoredFile
from forum.models import Account, Aspiration, Attachment, Comment, utcnow


def attach_files(
    db: Session,
    author: Account,
    files: Sequence[StoredFile],
    *,
    aspiration: Aspiration | None = None,
    comment: Comment | None = None,
    now: datetime | None = None,
) -> list[Attachment]:
    """The rows of ``files`` (stored already, checked when they were received) for the
    author's new aspiration or comment, in the transaction that stores the contribution.
    The limits were checked when the files were received: what was acknowledged is kept."""
    assert (aspiration is None) != (comment is None)
    assert author.id is not None
    rows = []
    for stored in files:
        row = stored.row(author.id)
        row.aspiration_id = aspiration.id if aspiration is not None else None
        row.comment_id = comment.id if comment is not None else None
        row.created_at = now or utcnow()
        db.add(row)
        rows.append(row)
    db.flush()
    return rows

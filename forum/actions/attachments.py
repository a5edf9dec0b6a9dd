"""Attachments of aspirations and comments (docs/attachments.md): the rows of files already in
the store, tied to the contribution they came with."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlmodel import Session

from forum import events as ev
from forum.actions.rules import check_reason, require_role
from forum.attachments import AttachmentStore, StoredFile, delete_unreferenced, extension_of
from forum.errors import N_, Conflict
from forum.models import (
    Account,
    Aspiration,
    Attachment,
    AttachmentStatus,
    Comment,
    Role,
    utcnow,
)


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


def remove_attachment(
    db: Session,
    moderator: Account | None,
    attachment: Attachment,
    *,
    reason: str,
    store: AttachmentStore,
    now: datetime | None = None,
) -> Attachment:
    """A moderator takes one file of a contribution down (the rest of it is decided as
    usual): its row stays, marked removed with the reason its author reads (and is notified
    of); the file itself is deleted unless another row still uses the same content."""
    moderator = require_role(moderator, Role.moderator, Role.admin)
    if attachment.status == AttachmentStatus.removed:
        raise Conflict(N_("This file has already been removed."))
    attachment.status = AttachmentStatus.removed
    attachment.removed_reason = check_reason(reason)
    attachment.removed_at = now or utcnow()
    db.add(attachment)
    db.flush()
    delete_unreferenced(db, store, attachment.sha256, extension_of(attachment.media_type))
    assert attachment.id is not None and moderator.id is not None
    ev.emit(db, ev.AttachmentRemoved(attachment.id, moderator.id, attachment.removed_reason))
    return attachment

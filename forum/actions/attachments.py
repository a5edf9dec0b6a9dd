"""Attachments of aspirations and comments (docs/attachments.md): the rows of files already in
the store, tied to the contribution they came with."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlmodel import Session, select

from forum import events as ev
from forum.actions.rules import check_reason, require_role
from forum.attachments import AttachmentStore, StoredFile, delete_unreferenced, extension_of
from forum.errors import N_, Conflict
from forum.i18n import gettext
from forum.models import (
    Account,
    Aspiration,
    Attachment,
    AttachmentKind,
    AttachmentStatus,
    Comment,
    Role,
    utcnow,
)
from forum.outbox import enqueue

OCR_JOB = "attachments.ocr"  # outbox job: read the text in new photos (forum.submissions)


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
    for row in rows:
        if row.kind == AttachmentKind.image and row.id is not None:
            # Read after the answer, outside this batch's transaction (tesseract takes a second
            # or more a photo), one job a photo (each well within a job's lease); until then
            # the photo is shown to nobody but its author and the staff.
            enqueue(db, OCR_JOB, {"attachment_id": row.id}, dedupe_key=f"{OCR_JOB}:{row.id}")
    return rows


def record_ocr_text(
    db: Session, attachment: Attachment, text: str | None, *, now: datetime | None = None
) -> bool:
    """Keep what OCR read in a photo (``""``: no text in it; ``None``: OCR could not read it,
    so the screens hold the photo for a moderator) and hand it to the screens
    (``AttachmentTextRead``); False when it was read before (a repeated job)."""
    if attachment.ocr_done_at is not None or attachment.status == AttachmentStatus.removed:
        return False
    attachment.ocr_text = text
    attachment.ocr_done_at = now or utcnow()
    db.add(attachment)
    db.flush()
    assert attachment.id is not None
    ev.emit(db, ev.AttachmentTextRead(attachment.id))
    return True


def hold_attachment(db: Session, attachment: Attachment) -> bool:
    """A screen found personal data in the file: nobody but its author and the staff sees it
    until a moderator publishes it (``publish_attachment``) or removes it. Only a file not
    yet decided is held: one a moderator published or removed stays as it is."""
    if attachment.status != AttachmentStatus.pending:
        return False
    attachment.status = AttachmentStatus.held
    db.add(attachment)
    db.flush()
    assert attachment.id is not None
    ev.emit(db, ev.AttachmentHeld(attachment.id))
    return True


def publish_attachment(
    db: Session, moderator: Account | None, attachment: Attachment
) -> Attachment:
    """A moderator publishes a held file explicitly, after looking at it: it is then shown
    with its contribution like any other (approving the contribution never does this)."""
    moderator = require_role(moderator, Role.moderator, Role.admin)
    if attachment.status != AttachmentStatus.held:
        raise Conflict(N_("Only a file held by a screen can be published this way."))
    attachment.status = AttachmentStatus.approved
    db.add(attachment)
    db.flush()
    assert attachment.id is not None and moderator.id is not None
    ev.emit(db, ev.AttachmentPublished(attachment.id, moderator.id))
    return attachment


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


DELETED_WITH_ACCOUNT = N_("The author's account was deleted.")


def remove_account_attachments(
    db: Session, account: Account, *, store: AttachmentStore, now: datetime | None = None
) -> int:
    """The account is being deleted: every file it attached is removed, whichever way its
    texts go (withdrawn, or kept without a name). A photo can show the person, their house or
    their street, and a PDF keeps its author's name in its metadata: a file cannot be kept
    "without a name". The rows stay (removed, with the reason in the account's language, for
    the moderators' record); the files are deleted unless another row uses the same content.
    Returns how many files were removed. Nobody is notified: the account is going."""
    assert account.id is not None
    rows = list(
        db.exec(
            select(Attachment).where(
                Attachment.account_id == account.id,
                Attachment.status != AttachmentStatus.removed,
            )
        )
    )
    reason = gettext(account.locale, DELETED_WITH_ACCOUNT)
    when = now or utcnow()
    for row in rows:
        row.status = AttachmentStatus.removed
        row.removed_reason = reason
        row.removed_at = when
        db.add(row)
    db.flush()
    for sha256, extension in sorted({(r.sha256, extension_of(r.media_type)) for r in rows}):
        delete_unreferenced(db, store, sha256, extension)
    return len(rows)

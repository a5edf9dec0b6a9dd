"""The limits an account's attachments keep to, and removing a file nobody uses any more."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import func
from sqlmodel import Session, col, select

from forum.attachments.errors import QuotaExceeded, TooManyFiles
from forum.attachments.store import AttachmentStore
from forum.models import Attachment, AttachmentStatus

if TYPE_CHECKING:
    from forum.settings import Settings


def used_bytes(db: Session, account_id: int) -> int:
    """Bytes of the account's attachments that are not removed (the stored files' sizes)."""
    total = db.exec(
        select(func.coalesce(func.sum(Attachment.byte_size), 0)).where(
            Attachment.account_id == account_id,
            Attachment.status != AttachmentStatus.removed,
        )
    ).one()
    return int(total)


def check_quota(db: Session, account_id: int, adding_bytes: int, settings: Settings) -> None:
    """Refuse (``QuotaExceeded``) when ``adding_bytes`` more would take the account over
    REMBUG_ATTACHMENT_QUOTA_MB. Call it in the transaction that stores the rows."""
    if used_bytes(db, account_id) + adding_bytes > settings.attachment_quota_bytes:
        raise QuotaExceeded(settings.attachment_quota_mb)


def check_count(count: int, settings: Settings) -> None:
    """Refuse (``TooManyFiles``) more files on one contribution than
    REMBUG_ATTACHMENT_MAX_FILES."""
    if count > settings.attachment_max_files:
        raise TooManyFiles(settings.attachment_max_files)


def delete_unreferenced(db: Session, store: AttachmentStore, sha256: str, extension: str) -> bool:
    """Delete the file (and thumbnails) of ``sha256`` when no attachment row that is not
    removed refers to it any more; True when it was deleted. Call it after the last row was
    marked removed, in the same write transaction (on SQLite that transaction holds the
    write lock, so no new row for the same content appears meanwhile)."""
    still = db.exec(
        select(func.count(col(Attachment.id))).where(
            Attachment.sha256 == sha256, Attachment.status != AttachmentStatus.removed
        )
    ).one()
    if still:
        return False
    store.delete(sha256, extension)
    return True

"""The limits an account's attachments keep to, what a stored file's row is made from
(``StoredFile``, also what the web intake carries), and removing a file nobody uses any more."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from forum.attachments.errors import QuotaExceeded, TooManyFiles
from forum.attachments.prepare import NAME_LENGTH, Prepared
from forum.attachments.store import AttachmentStore, extension_of
from forum.models import Attachment, AttachmentKind, AttachmentStatus

if TYPE_CHECKING:
    from forum.settings import Settings


_SHA256 = re.compile(r"[0-9a-f]{64}")
_MEDIA_TYPES: dict[str, frozenset[str]] = {
    AttachmentKind.image: frozenset({"image/jpeg", "image/png", "image/webp"}),
    AttachmentKind.pdf: frozenset({"application/pdf"}),
}


@dataclass(frozen=True)
class StoredFile:
    """A file already in the store, described by what its row needs: what a web submission
    carries through the intake (forum.submissions) from the request that stored the file to
    the drain job that creates the row. No bytes, no path: the SHA-256 is the address."""

    sha256: str
    kind: str
    media_type: str
    byte_size: int
    name: str
    width: int | None = None
    height: int | None = None

    @classmethod
    def of(cls, prepared: Prepared) -> StoredFile:
        return cls(
            sha256=prepared.sha256,
            kind=prepared.kind,
            media_type=prepared.media_type,
            byte_size=prepared.byte_size,
            name=prepared.original_name,
            width=prepared.width,
            height=prepared.height,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "sha256": self.sha256,
            "kind": self.kind,
            "media_type": self.media_type,
            "byte_size": self.byte_size,
            "name": self.name,
            "width": self.width,
            "height": self.height,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> StoredFile:
        """Read back what ``to_json`` wrote; ValueError for anything that is not a stored
        file's description (the spool is ours, but a row is never made from a bad address)."""
        sha256, kind, media_type = str(data["sha256"]), str(data["kind"]), str(data["media_type"])
        if not _SHA256.fullmatch(sha256) or media_type not in _MEDIA_TYPES.get(kind, frozenset()):
            raise ValueError("not a stored attachment")
        width, height = data.get("width"), data.get("height")
        return cls(
            sha256=sha256,
            kind=kind,
            media_type=media_type,
            byte_size=int(data["byte_size"]),
            name=str(data.get("name", ""))[:NAME_LENGTH],
            width=int(width) if width is not None else None,
            height=int(height) if height is not None else None,
        )

    @property
    def extension(self) -> str:
        return extension_of(self.media_type)

    def row(self, account_id: int) -> Attachment:
        return Attachment(
            account_id=account_id,
            kind=self.kind,
            media_type=self.media_type,
            byte_size=self.byte_size,
            sha256=self.sha256,
            original_name=self.name,
            width=self.width,
            height=self.height,
        )


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

"""``accept_files``: the one path from the files a citizen sent (a web form, a chat, an email)
to files in the store described as ``StoredFile``: how many, each one's type and size from its
content, the account's quota, then the store."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlmodel import Session

from forum.attachments.errors import AttachmentRefused, QuotaExceeded, TooManyFiles
from forum.attachments.prepare import Prepared, clean_name, inspect
from forum.attachments.records import StoredFile, check_count, used_bytes
from forum.attachments.store import AttachmentStore

if TYPE_CHECKING:
    from forum.settings import Settings


@dataclass(frozen=True)
class Refusal:
    """One file not accepted: the citizen's file name (cleaned) and why."""

    name: str
    error: AttachmentRefused


@dataclass
class Accepted:
    """What ``accept_files`` kept (in the store, unless it was only checking) and refused."""

    files: list[StoredFile] = field(default_factory=list)
    refused: list[Refusal] = field(default_factory=list)

    @property
    def first_refusal(self) -> AttachmentRefused | None:
        return self.refused[0].error if self.refused else None


def accept_files(
    db: Session,
    account_id: int,
    files: Sequence[tuple[str, bytes]],
    settings: Settings,
    *,
    store: AttachmentStore | None,
    already: int = 0,
    already_bytes: int = 0,
    whole: bool = True,
) -> Accepted:
    """Check ``files`` (``(name, bytes)``, as sent) for one contribution that carries
    ``already`` files (``already_bytes`` in all, in the store and not in a row yet: a chat's
    files before the aspiration is sent), and put the accepted ones in ``store`` (durable
    once this returns).

    ``whole=True`` (the web form): all or nothing; the first refusal (too many, one refused by
    ``inspect``, the quota) is the only one reported and nothing is stored. ``whole=False``
    (a chat, an email): each file on its own; the ones over REMBUG_ATTACHMENT_MAX_FILES or
    over the quota, or refused by ``inspect``, are reported by name and the others kept.

    ``store=None`` only checks (a form with other errors stores nothing)."""
    result = Accepted()
    if whole:
        try:
            check_count(already + len(files), settings)
        except TooManyFiles as exc:
            result.refused.append(Refusal("", exc))
            return result
    room = max(settings.attachment_max_files - already, 0)
    prepared: list[Prepared] = []
    for index, (name, data) in enumerate(files):
        shown = clean_name(name) or "lampiran"
        try:
            if index >= room:
                raise TooManyFiles(settings.attachment_max_files)
            prepared.append(inspect(data, name, max_bytes=settings.attachment_max_bytes))
        except AttachmentRefused as exc:
            result.refused.append(Refusal(shown, exc))
            if whole:
                return result
    if prepared:
        left = settings.attachment_quota_bytes - used_bytes(db, account_id) - already_bytes
        if whole and sum(p.byte_size for p in prepared) > left:
            result.refused.append(Refusal("", QuotaExceeded(settings.attachment_quota_mb)))
            return result
        kept = []
        for item in prepared:
            if item.byte_size > left:
                shown = item.original_name or "lampiran"
                result.refused.append(Refusal(shown, QuotaExceeded(settings.attachment_quota_mb)))
                continue
            left -= item.byte_size
            kept.append(item)
        prepared = kept
    for item in prepared:
        if store is not None:
            store.put(item)
        result.files.append(StoredFile.of(item))
    return result

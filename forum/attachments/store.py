"""Where attachment files live. ``AttachmentStore`` is what the rest of Rembug uses;
``LocalStore`` keeps them under ``<REMBUG_DATA_DIR>/attachments/``, ``S3Store``
(``forum.attachments.s3``) in an S3-compatible bucket; ``store_for`` picks the installation's.

Files are content-addressed: ``ab/cd/<sha256>.<ext>`` with the thumbnails beside it as
``<sha256>.<side>.webp``. The same content is stored once however often it is sent; each
file is written to a temporary file in its folder, flushed to disk, renamed into place and
its folder flushed too, so a crash leaves either the whole file or none."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, Protocol

from forum.attachments.layout import relative_path
from forum.attachments.prepare import Prepared

if TYPE_CHECKING:
    from forum.settings import Settings


class AttachmentStore(Protocol):
    """The files of attachments, by SHA-256 and extension (``Attachment.sha256`` and the
    extension of its media type)."""

    def put(self, prepared: Prepared) -> None:
        """Store the file and its thumbnails; a no-op when they are already there."""

    def exists(self, sha256: str, extension: str) -> bool: ...

    def open(self, sha256: str, extension: str, *, thumbnail: int | None = None) -> BinaryIO:
        """The stored file (or one of its thumbnails) for reading; FileNotFoundError if none."""

    def read(self, sha256: str, extension: str, *, thumbnail: int | None = None) -> bytes: ...

    def delete(self, sha256: str, extension: str) -> None:
        """Remove the file and its thumbnails (call only when no row references it any more:
        ``forum.attachments.delete_unreferenced``)."""


def store_for(settings: Settings) -> AttachmentStore:
    """The store of this installation, chosen by REMBUG_ATTACHMENT_STORE: the folder under
    ``REMBUG_DATA_DIR``, or the S3-compatible bucket (its client made once per process)."""
    if settings.s3 is not None:
        from forum.attachments.s3 import s3_store  # boto3 is imported only for this store

        return s3_store(settings.s3)
    return LocalStore.for_data_dir(settings.data_dir)


def extension_of(media_type: str) -> str:
    """The stored file's extension for an attachment's media type."""
    return {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}.get(
        media_type, "pdf" if media_type == "application/pdf" else ""
    )


class LocalStore:
    """Attachment files in a folder of this machine (back it up with the database)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    @classmethod
    def for_data_dir(cls, data_dir: Path) -> LocalStore:
        return cls(data_dir / "attachments")

    def path(self, sha256: str, extension: str, *, thumbnail: int | None = None) -> Path:
        """Where a file is; the parts are checked, so no name from outside ever makes a path."""
        return self.root / relative_path(sha256, extension, thumbnail=thumbnail)

    def put(self, prepared: Prepared) -> None:
        main = self.path(prepared.sha256, prepared.extension)
        _make_dirs(main.parent)
        for side, data in sorted(prepared.thumbnails.items()):
            _write_once(self.path(prepared.sha256, prepared.extension, thumbnail=side), data)
        _write_once(main, prepared.data)  # last: the main file there means all of it is

    def exists(self, sha256: str, extension: str) -> bool:
        return self.path(sha256, extension).is_file()

    def open(self, sha256: str, extension: str, *, thumbnail: int | None = None) -> BinaryIO:
        return self.path(sha256, extension, thumbnail=thumbnail).open("rb")

    def read(self, sha256: str, extension: str, *, thumbnail: int | None = None) -> bytes:
        return self.path(sha256, extension, thumbnail=thumbnail).read_bytes()

    def delete(self, sha256: str, extension: str) -> None:
        main = self.path(sha256, extension)
        folder = main.parent
        if not folder.is_dir():
            return
        doomed = [main, *folder.glob(f"{sha256}.*.webp")]
        for path in doomed:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
        _fsync_dir(folder)


def _write_once(path: Path, data: bytes) -> None:
    """Write ``path`` atomically unless a complete copy is there already."""
    try:
        if path.stat().st_size == len(data):
            return
    except FileNotFoundError:
        pass
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".incoming-", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    _fsync_dir(path.parent)


def _make_dirs(folder: Path) -> None:
    """Create ``folder`` and its missing parents, each made durable in its parent."""
    missing = []
    current = folder
    while not current.is_dir():
        missing.append(current)
        current = current.parent
    for path in reversed(missing):
        with contextlib.suppress(FileExistsError):
            path.mkdir(mode=0o750)
        _fsync_dir(path.parent)


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)

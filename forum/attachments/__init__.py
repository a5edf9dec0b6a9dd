"""Photos and PDF documents citizens attach to aspirations and comments (issue 20): the core
library the forms, the chat channels and the moderation view plug into (docs/attachments.md).

- ``inspect(data, filename)`` decides the type from the content alone and makes an accepted
  file safe to store (``Prepared``), or raises an ``AttachmentRefused``;
- ``LocalStore`` (an ``AttachmentStore``) keeps the files, content-addressed;
- ``ocr_text`` reads the text in a photo for the personal-data screens;
- ``check_quota``/``check_count`` enforce the REMBUG_ATTACHMENT_* limits;
- ``accept_files`` is the one path of the web, the chats and email from the files sent to
  files in the store (count, ``inspect``, quota, ``put``, ``StoredFile``).

Pillow and pillow-heif are imported only in ``forum.attachments.images``."""

from forum.attachments.accept import Accepted, Refusal, accept_files
from forum.attachments.errors import (
    ActiveContent,
    AttachmentRefused,
    Damaged,
    QuotaExceeded,
    TooLarge,
    TooManyFiles,
    TooManyPixels,
    UnsupportedType,
)
from forum.attachments.images import MAX_PIXELS, THUMBNAIL_SIDES
from forum.attachments.ocr import ocr_text
from forum.attachments.prepare import Prepared, clean_name, inspect
from forum.attachments.records import (
    StoredFile,
    check_count,
    check_quota,
    delete_unreferenced,
    used_bytes,
)
from forum.attachments.store import AttachmentStore, LocalStore, extension_of, store_for

__all__ = [
    "MAX_PIXELS",
    "THUMBNAIL_SIDES",
    "Accepted",
    "ActiveContent",
    "AttachmentRefused",
    "AttachmentStore",
    "Damaged",
    "LocalStore",
    "Prepared",
    "QuotaExceeded",
    "Refusal",
    "StoredFile",
    "TooLarge",
    "TooManyFiles",
    "TooManyPixels",
    "UnsupportedType",
    "accept_files",
    "check_count",
    "check_quota",
    "clean_name",
    "delete_unreferenced",
    "extension_of",
    "inspect",
    "ocr_text",
    "store_for",
    "used_bytes",
]

"""``inspect``: from the bytes a citizen sent to what may be stored, or a refusal."""

from __future__ import annotations

import hashlib
import logging
import re
import unicodedata
from dataclasses import dataclass, field

from forum.attachments import images
from forum.attachments.errors import Damaged, TooLarge, TooManyPixels
from forum.attachments.sniff import check_active, check_pdf, detect
from forum.models import AttachmentKind

log = logging.getLogger(__name__)

DEFAULT_MAX_BYTES = 10 * 1024 * 1024  # REMBUG_ATTACHMENT_MAX_MB's default
NAME_LENGTH = 200
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


@dataclass(frozen=True)
class Prepared:
    """An accepted attachment, ready for the store: ``data`` is what is stored (the
    re-encoded photo, or the PDF as sent), ``sha256`` its digest and address."""

    kind: AttachmentKind
    media_type: str
    extension: str
    data: bytes
    sha256: str
    original_name: str
    source_format: str  # what was sent: jpeg, png, webp, heif or pdf
    width: int | None = None
    height: int | None = None
    thumbnails: dict[int, bytes] = field(default_factory=dict)  # long side -> WebP

    @property
    def byte_size(self) -> int:
        return len(self.data)


def clean_name(filename: str) -> str:
    """The citizen's file name as text to show: its last path part only (an old browser may
    send C:\\Users\\<name>\\...), no control characters, at most 200 characters."""
    last = re.split(r"[\\/]", filename)[-1]
    text = _CONTROL.sub("", unicodedata.normalize("NFC", last)).strip()
    return text[:NAME_LENGTH]


def inspect(
    data: bytes,
    filename: str,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_pixels: int = images.MAX_PIXELS,
) -> Prepared:
    """Decide what ``data`` is from its content alone and make it safe to store: a photo
    (JPEG, PNG, WebP, HEIC/HEIF) decoded and written again without metadata, with its
    thumbnails; a PDF checked and kept byte for byte. Anything else raises an
    ``AttachmentRefused`` naming the file. Nothing is written anywhere."""
    name = clean_name(filename) or "lampiran"
    if len(data) > max_bytes:
        raise TooLarge(name, max(1, max_bytes // (1024 * 1024)))
    if not data:
        raise Damaged(name)
    fmt = detect(data, name)
    check_active(data, name)
    if fmt == "pdf":
        check_pdf(data, name)
        return Prepared(
            kind=AttachmentKind.pdf,
            media_type="application/pdf",
            extension="pdf",
            data=data,
            sha256=hashlib.sha256(data).hexdigest(),
            original_name=clean_name(filename),
            source_format="pdf",
        )
    try:
        encoded = images.reencode(data, fmt, max_pixels=max_pixels)
    except images.TooBig:
        raise TooManyPixels(name, max_pixels // 1_000_000) from None
    except images.Unreadable:
        raise Damaged(name) from None
    return Prepared(
        kind=AttachmentKind.image,
        media_type=encoded.media_type,
        extension=encoded.extension,
        data=encoded.data,
        sha256=hashlib.sha256(encoded.data).hexdigest(),
        original_name=clean_name(filename),
        source_format=fmt,
        width=encoded.width,
        height=encoded.height,
        thumbnails=encoded.thumbnails,
    )

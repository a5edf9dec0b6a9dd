"""Why an attachment is refused: each an ``Invalid`` (400) with a translatable message that
names the citizen's file, so the form can say which one to take out."""

from __future__ import annotations

from typing import Any

from forum.errors import N_, Invalid


class AttachmentRefused(Invalid):
    """An attachment that is not stored; ``reason`` is a short word for logs and tests."""

    reason = "refused"

    def __init__(self, message: str, *, reason: str | None = None, **params: Any) -> None:
        super().__init__(message, **params)
        if reason is not None:
            self.reason = reason


class UnsupportedType(AttachmentRefused):
    """Not a photo (JPEG, PNG, WebP, HEIC/HEIF) or a PDF, judged by its content alone."""

    def __init__(self, name: str, *, reason: str = "unknown") -> None:
        super().__init__(
            N_(
                "%(name)s cannot be attached: only photos (JPEG, PNG, WebP, HEIC) and PDF "
                "documents are accepted."
            ),
            reason=reason,
            name=name,
        )


class ActiveContent(AttachmentRefused):
    """A photo or PDF that also carries web page code (a polyglot): refused whole."""

    reason = "active-content"

    def __init__(self, name: str, *, reason: str = "active-content") -> None:
        super().__init__(
            N_("%(name)s cannot be attached: it contains web page or script code."),
            reason=reason,
            name=name,
        )


class Damaged(AttachmentRefused):
    """It says it is a photo or PDF but cannot be read as one."""

    reason = "damaged"

    def __init__(self, name: str) -> None:
        super().__init__(
            N_("%(name)s cannot be attached: the file is damaged or incomplete."), name=name
        )


class TooLarge(AttachmentRefused):
    reason = "too-large"

    def __init__(self, name: str, limit_mb: int) -> None:
        super().__init__(
            N_("%(name)s is larger than %(limit)s MB: send a smaller file."),
            name=name,
            limit=limit_mb,
        )


class TooManyPixels(AttachmentRefused):
    """More pixels than we decode (a decompression bomb, or a photo far larger than needed)."""

    reason = "too-many-pixels"

    def __init__(self, name: str, limit_megapixels: int) -> None:
        super().__init__(
            N_("%(name)s has more than %(limit)s megapixels: send a smaller photo."),
            name=name,
            limit=limit_megapixels,
        )


class TooManyFiles(AttachmentRefused):
    reason = "too-many-files"

    def __init__(self, limit: int) -> None:
        super().__init__(N_("At most %(limit)s files can be attached."), limit=limit)


class QuotaExceeded(AttachmentRefused):
    reason = "quota"

    def __init__(self, limit_mb: int) -> None:
        super().__init__(
            N_(
                "Your attachments would take more than %(limit)s MB in all: send fewer or "
                "smaller files."
            ),
            limit=limit_mb,
        )

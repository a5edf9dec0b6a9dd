"""Where an attachment's files are inside a store, the same for every store: a file
``ab/cd/<sha256>.<ext>`` with its thumbnails beside it as ``<sha256>.<side>.webp``, in a folder
(``LocalStore``) or under a key prefix (``S3Store``). Addresses are built only from a checked
SHA-256 and a known extension, never from a name that came from outside."""

from __future__ import annotations

import re

EXTENSIONS = frozenset({"jpg", "png", "webp", "pdf"})
_SHA256 = re.compile(r"[0-9a-f]{64}")


def relative_path(sha256: str, extension: str, *, thumbnail: int | None = None) -> str:
    """``ab/cd/<sha256>.<ext>`` (or a thumbnail's ``ab/cd/<sha256>.<side>.webp``); ValueError
    for anything that is not an attachment's address."""
    if not _SHA256.fullmatch(sha256) or extension not in EXTENSIONS:
        raise ValueError("not an attachment address")
    if thumbnail is None:
        leaf = f"{sha256}.{extension}"
    elif isinstance(thumbnail, int) and 0 < thumbnail <= 10_000:
        leaf = f"{sha256}.{thumbnail}.webp"
    else:
        raise ValueError("not a thumbnail size")
    return f"{sha256[:2]}/{sha256[2:4]}/{leaf}"

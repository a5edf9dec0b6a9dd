"""What a file is, from its bytes only: never its name or the content type a browser sent.

``detect`` names one of the accepted formats or raises ``UnsupportedType`` (with a reason
naming what it looked like: svg, html, elf, pe, script, zip, avif, unknown). ``check_active``
refuses bytes that carry HTML or script markers anywhere (a JPEG/HTML or PDF/HTML
polyglot), and ``check_pdf`` a PDF that is cut off, has data after its end, or carries
JavaScript, launch actions or embedded files."""

from __future__ import annotations

import re
from typing import Literal

from forum.attachments.errors import ActiveContent, Damaged, UnsupportedType

Format = Literal["jpeg", "png", "webp", "heif", "pdf"]

# ISO base media file brands of HEIC/HEIF still images (ISO/IEC 23008-12) as phones write them.
_HEIF_BRANDS = frozenset({b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx"})
_GENERIC_HEIF_BRANDS = frozenset({b"mif1", b"msf1"})
_AVIF_BRANDS = frozenset({b"avif", b"avis"})

# Markers a browser would act on, compared in lower case. "<svg" only before a space, ">" or
# "/": four bytes alone turn up by chance in about one 10 MB photo in fifty.
_ACTIVE = re.compile(
    rb"<script|<html|<!doctype|<iframe|<object|<embed|<body|javascript:|<svg[\s>/]"
    rb"|<meta[\s/]|<link[\s/]|<a\s+href"
)
# PDF features that run something or carry other files. A name may be written with #xx
# escapes (/J#61vaScript), which PDF readers decode: escaped names are decoded and checked too.
_PDF_ACTIVE_NAMES = rb"(?:JavaScript|JS|Launch|EmbeddedFile|RichMedia|XFA)"
_PDF_ACTIVE = re.compile(rb"/" + _PDF_ACTIVE_NAMES + rb"(?![A-Za-z])")
_PDF_ESCAPED_NAME = re.compile(rb"/[^\s/\[\]()<>{}%]*#[0-9A-Fa-f]{2}[^\s/\[\]()<>{}%]*")
_PDF_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")


def detect(data: bytes, name: str) -> Format:
    """The accepted format of ``data``, or ``UnsupportedType`` saying what it looked like."""
    head = data[:64]
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head[4:8] == b"ftyp":
        brands = _ftyp_brands(data)
        if brands & _AVIF_BRANDS:
            raise UnsupportedType(name, reason="avif")
        if brands & (_HEIF_BRANDS | _GENERIC_HEIF_BRANDS):
            return "heif"
        raise UnsupportedType(name, reason="video")  # mp4, mov, 3gp: the same container
    if head.startswith(b"%PDF-"):
        return "pdf"
    raise UnsupportedType(name, reason=_what_else(head))


def _ftyp_brands(data: bytes) -> frozenset[bytes]:
    """The major and compatible brands of the leading ``ftyp`` box."""
    size = int.from_bytes(data[:4], "big")
    if not 16 <= size <= min(len(data), 4096):
        return frozenset()
    body = data[8:size]
    brands = {body[:4]} | {body[i : i + 4] for i in range(8, len(body) - 3, 4)}
    return frozenset(brands)


def _what_else(head: bytes) -> str:
    lowered = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith(b"\x7fELF"):
        return "elf"
    if head.startswith(b"MZ"):
        return "pe"
    if head.startswith(b"#!"):
        return "script"
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06", b"\xd0\xcf\x11\xe0")):
        return "zip"  # also Office documents (OOXML is ZIP; the old formats are OLE)
    if lowered.startswith((b"<svg", b"<?xml")):
        return "svg"
    if lowered.startswith((b"<", b"<!doctype")):
        return "html"
    return "unknown"


def check_active(data: bytes, name: str) -> None:
    """Refuse ``data`` if HTML or script markers occur anywhere in it (case-insensitive)."""
    found = _ACTIVE.search(data.lower())
    if found:
        raise ActiveContent(name, reason="polyglot")


def check_pdf(data: bytes, name: str) -> None:
    """A PDF we store as sent: complete (``%%EOF`` at its end), nothing appended after it,
    and no JavaScript, launch actions, forms with scripts (XFA) or embedded files that can be
    seen without decompressing (a best effort: serve PDFs as downloads, never inline)."""
    tail = data[-1024:]
    end = tail.rfind(b"%%EOF")
    if end < 0:
        raise Damaged(name)
    if tail[end + 5 :].strip(b"\r\n\t \x00"):
        raise ActiveContent(name, reason="pdf-trailing-data")
    if _PDF_ACTIVE.search(data):
        raise ActiveContent(name, reason="pdf-active")
    for escaped in _PDF_ESCAPED_NAME.finditer(data):
        decoded = _PDF_ESCAPE.sub(lambda m: bytes([int(m[1], 16)]), escaped[0])
        if re.fullmatch(rb"/" + _PDF_ACTIVE_NAMES, decoded):
            raise ActiveContent(name, reason="pdf-active")

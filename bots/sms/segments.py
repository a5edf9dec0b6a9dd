"""SMS segment sizing: GSM-7 (160 characters alone, 153 per part when concatenated; the
extension characters count twice) or UCS-2 (70, 67 per part) once one character needs it.
Typographic characters are replaced first so Indonesian text stays in GSM-7."""

from __future__ import annotations

from dataclasses import dataclass

# The GSM 03.38 default alphabet and its extension table (escape + character: 2 septets).
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")

# Characters a phone keyboard or a word processor puts in that GSM-7 lacks.
REPLACEMENTS = {
    "‘": "'",
    "’": "'",
    "‚": "'",
    "“": '"',
    "”": '"',
    "„": '"',
    "–": "-",
    "—": "-",
    "−": "-",
    "…": "...",
    "\u00a0": " ",
    "\u200b": "",
    "·": "-",
    "•": "-",
    "\t": " ",
}

SINGLE = {"gsm7": 160, "ucs2": 70}
PART = {"gsm7": 153, "ucs2": 67}


@dataclass(frozen=True)
class Sizing:
    encoding: str  # "gsm7" or "ucs2"
    units: int  # septets (GSM-7) or UTF-16 code units (UCS-2)
    segments: int


def to_gsm7(text: str) -> str:
    """``text`` with typographic characters replaced by their GSM-7 equivalents."""
    return "".join(REPLACEMENTS.get(ch, ch) for ch in text)


def _units(text: str) -> tuple[str, int]:
    if all(ch in GSM7_BASIC or ch in GSM7_EXTENSION for ch in text):
        return "gsm7", sum(2 if ch in GSM7_EXTENSION else 1 for ch in text)
    return "ucs2", len(text.encode("utf-16-le")) // 2


def size(text: str) -> Sizing:
    """How ``text`` travels: encoding, units and the number of segments."""
    encoding, units = _units(text)
    if units <= SINGLE[encoding]:
        return Sizing(encoding, units, 1 if units else 0)
    part = PART[encoding]
    return Sizing(encoding, units, -(-units // part))


def pages(text: str, max_segments: int, more: str) -> list[str]:
    """``text`` (already through ``to_gsm7``) cut into replies of at most ``max_segments``
    segments each; every page but the last ends with ``more`` (e.g. "Balas LAGI")."""
    if size(text).segments <= max_segments:
        return [text]
    out: list[str] = []
    rest = text
    while rest:
        if size(rest).segments <= max_segments:
            out.append(rest)
            break
        suffix = "\n" + more
        cut = _fit(rest, suffix, max_segments)
        out.append(rest[:cut].rstrip() + suffix)
        rest = rest[cut:].lstrip()
    return out


def _fit(text: str, suffix: str, max_segments: int) -> int:
    """The longest prefix (ending at a space when one is near) that fits with ``suffix``."""
    low, high = 1, len(text)
    while low < high:
        mid = (low + high + 1) // 2
        if size(text[:mid] + suffix).segments <= max_segments:
            low = mid
        else:
            high = mid - 1
    space = text.rfind(" ", 0, low + 1)
    return space if space > low // 2 else low

"""Automatic screens: they flag and prioritise, people decide. Each screen looks at one text
and returns hits (a label, a score and the matched spans); a screen never blocks a
submission, and a crashing screen is logged while the case still opens."""

from __future__ import annotations

import hashlib
import logging
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache

from forum.seeds import region_rows

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Hit:
    screen: str
    label: str
    score: int
    spans: tuple[tuple[int, int], ...] = ()


@dataclass(frozen=True)
class ScreenConfig:
    abusive_words: frozenset[str] = frozenset()
    blocked_domains: frozenset[str] = frozenset()
    max_links: int = 2
    min_length: int = 15
    max_length: int = 3000


@dataclass
class ScreenInput:
    text: str
    config: ScreenConfig
    # How many other recent contributions have the same normalised text (same/other authors).
    same_text_same_author: int = 0
    same_text_other_authors: int = 0
    extra: dict[str, object] = field(default_factory=dict)


# --- personal data ------------------------------------------------------------------------

# 16 digits, optionally split by single spaces, dots or dashes (e.g. 3273 0112 3456 0001).
_SIXTEEN_DIGITS = re.compile(r"(?<![\d.\-])\d(?:[ .\-]?\d){15}(?![\d])")
_PHONE = re.compile(
    r"(?<![\w+])(?<!\d[.,])(?:\+62|62|0)[ .\-]?\(?8\d{1,2}\)?(?:[ .\-]?\d){6,10}(?!\d)"
    r"|(?<![\w+])\+62[ .\-]?\(?[2-7]\d{0,2}\)?(?:[ .\-]?\d){5,8}(?!\d)"
)
_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}")
# Amounts of money are not personal data, though their digits may start like a phone number
# ("Rp 1.085.731.405": "085731405"): Rupiah with or without a space, with dots or commas, and
# amounts in words ("1,5 miliar", "2 juta"). Phone and NIK matches inside one are dropped.
_AMOUNT = re.compile(
    r"(?i:\b(?:rp|idr)\.?)\s?\d(?:[\d.,]*\d)?(?:\s?(?i:ribu|rb|juta|jt|miliar|milyar|m|triliun|t)\b)?"
    r"|\b\d(?:[\d.,]*\d)?\s?(?i:ribu|juta|jt|miliar|milyar|triliun)\b"
)
# Indonesian banks as people write them (case matters: "mandiri" is also a word); any other
# bank with the word "Bank" before its name ("Bank DKI", "Bank Nagari", "bank Jatim").
_BANKS = (
    r"(?:(?i:bank)\s+)?(?:BRI|BNI|BCA|BSI|BTN|BJB|BTPN|Mandiri|CIMB(?: Niaga)?|Danamon|Panin"
    r"|OCBC(?: NISP)?|Maybank|Muamalat|Sinarmas|SeaBank|Bukopin)"
    r"|(?i:bank)\s+[A-Z][A-Za-z]+(?: Syariah)?"
)
# An account number next to "rekening" / "no. rek" / "norek" (with or without the bank's
# name), or right after a bank's name: personal data of an individual under UU PDP.
_ACCOUNT_NUMBER = r"(?P<number>\d(?:[ .\-]?\d){7,17})(?![\d])"
_FILLER = r"(?:[\s:.,]+(?i:saya|kami|di|pada|bank|atas nama|a/n|an\.?|no(?:mor|\.)?))*"
_BANK_ACCOUNT = re.compile(
    r"(?i:\b(?:no(?:mor|\.)?\s?rek(?:ening)?\.?|norek|rekening|rek\.))"
    + _FILLER
    + rf"(?:[\s:.,]+(?:{_BANKS})\b)?"
    + _FILLER
    + r"[\s:.,]*"
    + _ACCOUNT_NUMBER
    + rf"|\b(?:{_BANKS})\b"
    + _FILLER
    + r"[\s:.,]*"
    + _ACCOUNT_NUMBER.replace("number", "number2")
)


@lru_cache(maxsize=1)
def _province_codes() -> frozenset[str]:
    return frozenset(r["code"] for r in region_rows() if r["kind"] == "province")


def looks_like_nik(digits: str) -> bool:
    """The structure of a NIK or family-card (KK) number: province code, regency or city
    (01–40, 71–79), district, a date (day + 40 for women on a NIK), a serial."""
    if len(digits) != 16 or not digits.isdigit():
        return False
    province, regency, district = digits[0:2], int(digits[2:4]), int(digits[4:6])
    day, month, serial = int(digits[6:8]), int(digits[8:10]), int(digits[12:16])
    if province not in _province_codes():
        return False
    if not (1 <= regency <= 40 or 71 <= regency <= 79) or district == 0:
        return False
    if not (1 <= day <= 31 or 41 <= day <= 71):
        return False
    return 1 <= month <= 12 and serial != 0


def _inside(span: tuple[int, int], spans: list[tuple[int, int]]) -> bool:
    return any(start < span[1] and span[0] < end for start, end in spans)


def personal_data(data: ScreenInput) -> list[Hit]:
    hits: list[Hit] = []
    amounts = [m.span() for m in _AMOUNT.finditer(data.text)]
    accounts: list[tuple[int, int]] = []
    for match in _BANK_ACCOUNT.finditer(data.text):
        group = "number" if match.group("number") is not None else "number2"
        span = match.span(group)
        if not _inside(span, amounts):
            accounts.append(span)
            hits.append(Hit("personal-data", "bank-account", 30, (span,)))
    taken = amounts + accounts
    for match in _SIXTEEN_DIGITS.finditer(data.text):
        digits = re.sub(r"\D", "", match.group())
        if looks_like_nik(digits) and not _inside(match.span(), taken):
            hits.append(Hit("personal-data", "nik-kk", 30, (match.span(),)))
    for match in _PHONE.finditer(data.text):
        digits = re.sub(r"\D", "", match.group())
        if 9 <= len(digits) <= 15 and not _inside(match.span(), taken):
            hits.append(Hit("personal-data", "phone", 30, (match.span(),)))
    for match in _EMAIL.finditer(data.text):
        hits.append(Hit("personal-data", "email", 20, (match.span(),)))
    return hits


def masked(found: str) -> str:
    """What a moderator reads of a personal number found in a photo: the first and last four
    digits (an e-mail address: its first letter and its domain), the rest as ``*``."""
    found = " ".join(found.split())[:80]
    if "@" in found:
        local, _, domain = found.partition("@")
        return f"{local[:1]}***@{domain}"
    places = [i for i, c in enumerate(found) if c.isdigit()]
    keep = set(places[:4] + places[-4:]) if len(places) >= 10 else set(places[:2] + places[-2:])
    return "".join("*" if c.isdigit() and i not in keep else c for i, c in enumerate(found))


# --- links, repetition, shape, words ------------------------------------------------------

_URL = re.compile(
    r"\bhttps?://[^\s<>()\"']+|\bwww\.[^\s<>()\"']+"
    r"|\b[a-z0-9][a-z0-9\-]*(?:\.[a-z0-9\-]+)*\.(?:com|net|org|info|biz|xyz|io|me|ly|link|site"
    r"|online|top|co\.id|go\.id|or\.id|web\.id|my\.id|id)\b(?:/[^\s<>()\"']*)?",
    re.IGNORECASE,
)


def _domain(url: str) -> str:
    host = re.sub(r"^https?://", "", url, flags=re.IGNORECASE).split("/")[0].split(":")[0]
    return host.lower().removeprefix("www.")


def links(data: ScreenInput) -> list[Hit]:
    found = list(_URL.finditer(data.text))
    hits: list[Hit] = []
    for match in found:
        domain = _domain(match.group())
        if any(domain == b or domain.endswith("." + b) for b in data.config.blocked_domains):
            hits.append(Hit("links", "blocked-domain", 25, (match.span(),)))
    if len(found) > data.config.max_links:
        hits.append(Hit("links", "many-links", 10, tuple(m.span() for m in found)))
    return hits


def repeated_text(data: ScreenInput) -> list[Hit]:
    hits = []
    if data.same_text_same_author:
        hits.append(Hit("repeated", "same-author", 15))
    if data.same_text_other_authors:
        hits.append(Hit("repeated", "many-authors", 15 + min(data.same_text_other_authors, 20)))
    return hits


def length(data: ScreenInput) -> list[Hit]:
    size = len(data.text.strip())
    if size < data.config.min_length:
        return [Hit("length", "very-short", 5)]
    if size > data.config.max_length:
        return [Hit("length", "very-long", 3)]
    return []


def all_caps(data: ScreenInput) -> list[Hit]:
    letters = [c for c in data.text if c.isalpha()]
    if len(letters) >= 20 and sum(c.isupper() for c in letters) / len(letters) >= 0.7:
        return [Hit("caps", "all-caps", 5)]
    return []


def words(data: ScreenInput) -> list[Hit]:
    if not data.config.abusive_words:
        return []
    pattern = _word_pattern(data.config.abusive_words)
    spans = tuple(m.span() for m in pattern.finditer(data.text))
    return [Hit("words", "abusive", 20, spans)] if spans else []


@lru_cache(maxsize=16)
def _word_pattern(terms: frozenset[str]) -> re.Pattern[str]:
    # A whole word, or with a common Indonesian suffix ("goblok", "gobloknya", "tololmu"), so
    # short terms never match inside innocent words ("asu" must not flag "asuransi").
    alternatives = "|".join(sorted((re.escape(t) for t in terms), key=len, reverse=True))
    suffixes = "nya|mu|ku|lah|kau|in|an|s"
    return re.compile(rf"(?<!\w)(?:{alternatives})(?:{suffixes})?(?!\w)", re.IGNORECASE)


Screen = Callable[[ScreenInput], list[Hit]]
SCREENS: dict[str, Screen] = {
    "personal-data": personal_data,
    "links": links,
    "repeated": repeated_text,
    "length": length,
    "caps": all_caps,
    "words": words,
}


def run_screens(
    data: ScreenInput, screens: Iterable[tuple[str, Screen]] | None = None
) -> list[Hit]:
    """Every screen on one text. A failing screen is logged and reported as a hit of its own,
    so the case still opens and a moderator sees that a screen could not run."""
    hits: list[Hit] = []
    for name, screen in screens if screens is not None else SCREENS.items():
        try:
            hits.extend(screen(data))
        except Exception:
            log.exception("moderation screen %s failed", name)
            hits.append(Hit(name, "screen-error", 1))
    return hits


def fingerprint(text: str) -> str:
    """The same text whatever its case, spacing, punctuation or accents (copy-paste campaigns)."""
    normal = unicodedata.normalize("NFKD", text).lower()
    normal = "".join(c for c in normal if c.isalnum() or c.isspace())
    return hashlib.sha256(" ".join(normal.split()).encode()).hexdigest()

"""Shared input rules used by the web edge and the actions (one definition of each rule)."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

from forum.errors import N_, Msg

EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
PHONE_RE = re.compile(r"^(?:\+?62|0)8\d{7,12}$")
TICKET_RE = re.compile(r"^ASP-(\d{4})-(\d{6})$")
MAX_ID = 2**31 - 1  # every integer path/query parameter is bounded by this

PASSWORD_MIN, PASSWORD_MAX = 8, 128
COMMENT_MIN, COMMENT_MAX = 2, 5000
ASPIRATION_BODY_MIN, ASPIRATION_BODY_MAX = 10, 10000
TITLE_MIN, TITLE_MAX = 5, 150


def normalise_phone(value: str) -> str | None:
    """Indonesian mobile numbers in any common form → +62…; None if it is not one."""
    digits = re.sub(r"[\s().-]", "", value)
    if not PHONE_RE.match(digits):
        return None
    digits = digits.lstrip("+")
    if digits.startswith("0"):
        digits = "62" + digits[1:]
    return "+" + digits


def normalise_email(value: str) -> str | None:
    value = value.strip().lower()
    return value if EMAIL_RE.match(value) and len(value) <= 254 else None


def text_length_error(value: str, minimum: int, maximum: int) -> Msg | None:
    length = len(value.strip())
    if length < minimum:
        return Msg(N_("Too short: write at least %(n)s characters."), {"n": minimum})
    if length > maximum:
        return Msg(N_("Too long: at most %(n)s characters."), {"n": maximum})
    return None


def clean_text(value: str) -> str:
    """Strip, unify newlines and drop NUL/control characters that no one types on purpose."""
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    return "".join(ch for ch in value if ch in "\n\t" or ch >= " ").strip()


def parse_local_datetime(value: str, timezone: str) -> datetime | None:
    """``YYYY-MM-DDTHH:MM`` (an HTML datetime-local value) or ``YYYY-MM-DD``, read as wall
    time in ``timezone``; returns an aware datetime."""
    for fmt in ("%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"):
        try:
            parsed = datetime.strptime(value.strip()[:16], fmt)
        except ValueError:
            continue
        if not 2000 <= parsed.year <= 2100:
            return None
        return parsed.replace(tzinfo=ZoneInfo(timezone))
    return None

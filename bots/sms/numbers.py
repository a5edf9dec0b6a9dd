"""Phone numbers to E.164 (``08…`` → ``+628…``); the one module that imports ``phonenumbers``.
A number is a person's identity on the SMS channel: stored, never shown in public."""

from __future__ import annotations

import phonenumbers

DEFAULT_REGION = "ID"


def to_e164(raw: str, region: str = DEFAULT_REGION) -> str | None:
    """The E.164 form of ``raw``, or None when it is not a valid phone number."""
    text = raw.strip()
    if not text or len(text) > 32:
        return None
    if text.startswith("00"):
        text = "+" + text[2:]
    try:
        parsed = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def masked(e164: str) -> str:
    """For staff screens: the country code and the last three digits (``+62•••••••123``)."""
    if len(e164) < 6:
        return "•••"
    return e164[:3] + "•" * (len(e164) - 6) + e164[-3:]

"""Two-factor authentication maths: TOTP codes (RFC 6238), the secret's encryption at rest,
recovery codes, and the enrolment QR code (segno, the only module that imports it). The
encryption itself is forum.sealing's.

The TOTP computation is the ~20 lines of RFC 4226/6238 written here with the standard
library's ``hmac`` rather than a dependency: it is small, fixed by the RFCs, and the tests
check it against an independent implementation (pyotp) and the RFC's own test vectors.
Parameters are the ones every authenticator app understands: SHA-1, 6 digits, 30 s steps.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import struct
import time
from urllib.parse import quote, urlencode

import segno

from forum import sealing

STEP_SECONDS = 30
DIGITS = 6
SECRET_BYTES = 20  # 160 bits, RFC 4226's recommended length
DRIFT_STEPS = 1  # accept the previous and the next step too (clock drift, typing time)
RECOVERY_CODES = 10
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i to misread


class SecretUnreadable(ValueError):
    """The stored secret does not open with this deployment's sealing keys (a key was
    removed from REMBUG_SEALING_KEYS, or the row was tampered with)."""


def new_secret() -> bytes:
    return secrets.token_bytes(SECRET_BYTES)


def b32(secret: bytes) -> str:
    """The secret as authenticator apps take it typed in: base32 without padding."""
    return base64.b32encode(secret).decode().rstrip("=")


def from_b32(key: str) -> bytes:
    """A setup key as typed (any case, spaces or dashes, padding optional) back to bytes;
    ValueError when it is not base32."""
    key = "".join(key.split()).replace("-", "").upper()
    try:
        return base64.b32decode(key + "=" * (-len(key) % 8))
    except (ValueError, TypeError) as exc:
        raise ValueError("not a base32 key") from exc


def step_at(unix_time: float) -> int:
    return int(unix_time // STEP_SECONDS)


def current_step() -> int:
    return step_at(time.time())


def code_at(secret: bytes, step: int) -> str:
    """HOTP (RFC 4226) of the step counter: HMAC-SHA1, dynamic truncation, 6 digits."""
    digest = hmac.new(secret, struct.pack(">Q", step), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    number = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(number % 10**DIGITS).zfill(DIGITS)


def matching_step(secret: bytes, code: str, *, now_step: int, after: int | None) -> int | None:
    """The step (now ±1) whose code is ``code`` and that is later than ``after`` (the last
    step used: a code is never accepted twice), or None."""
    code = normalise_code(code)
    if len(code) != DIGITS or not code.isdigit():
        return None
    found = None
    for step in range(now_step - DRIFT_STEPS, now_step + DRIFT_STEPS + 1):
        # Compare every candidate (constant work whatever matched).
        if hmac.compare_digest(code_at(secret, step), code) and (after is None or step > after):
            found = step if found is None else found
    return found


def normalise_code(code: str) -> str:
    return "".join(code.split()).replace("-", "").lower()[:40]


def looks_like_totp(code: str) -> bool:
    code = normalise_code(code)
    return len(code) == DIGITS and code.isdigit()


def otpauth_uri(secret: bytes, *, account_name: str, issuer: str) -> str:
    """The Key URI format authenticator apps read from the QR code."""
    label = quote(f"{issuer}:{account_name}", safe="@:")
    params = urlencode(
        {
            "secret": b32(secret),
            "issuer": issuer,
            "algorithm": "SHA1",
            "digits": DIGITS,
            "period": STEP_SECONDS,
        },
        quote_via=quote,
    )
    return f"otpauth://totp/{label}?{params}"


def qr_svg(uri: str, label: str) -> str:
    """An inline SVG QR code (no JavaScript, no image request), dark on white in any theme."""
    svg = segno.make(uri, error="m").svg_inline(
        scale=4, dark="#000", light="#fff", svgclass="qr", lineclass=None
    )
    return svg.replace("<svg ", f'<svg role="img" aria-label="{_attr(label)}" ', 1)


def _attr(text: str) -> str:
    return (
        text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;").replace(">", "&gt;")
    )


# --- the secret at rest -------------------------------------------------------------------
#
# AES-256-GCM through forum.sealing, keyed by REMBUG_SEALING_KEYS (first key seals, every key
# opens), with the account id as associated data so a row cannot be moved to another
# account. ``keys`` below is that setting's value (Settings.sealing_keys). Rows of the former
# HMAC construction ("v1:") are re-sealed by migration 0008. See docs/security.md.


def _context(account_id: int) -> bytes:
    return f"totp|{account_id}".encode()


def seal(secret: bytes, *, account_id: int, secret_key: str) -> str:
    """``secret_key``: the sealing keys (Settings.sealing_keys)."""
    return sealing.ring(secret_key).seal(secret, context=_context(account_id))


def unseal(sealed: str, *, account_id: int, secret_key: str) -> bytes:
    try:
        return sealing.ring(secret_key).open(sealed, context=_context(account_id))
    except sealing.SealingError as exc:
        raise SecretUnreadable(str(exc)) from None


def needs_reseal(sealed: str, *, secret_key: str) -> bool:
    """Not sealed with the first sealing key (rotation in progress)."""
    return not sealing.ring(secret_key).is_current(sealed)


# --- recovery codes -----------------------------------------------------------------------


def new_recovery_codes() -> list[str]:
    """Ten single-use codes of 12 characters (~59 bits each), shown as xxxx-xxxx-xxxx."""
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(12))
        codes.append(f"{raw[:4]}-{raw[4:8]}-{raw[8:]}")
    return codes


def recovery_hash(code: str) -> str:
    """SHA-256 of the normalised code: random codes need no slow hash (like session tokens)."""
    return hashlib.sha256(normalise_code(code).encode()).hexdigest()

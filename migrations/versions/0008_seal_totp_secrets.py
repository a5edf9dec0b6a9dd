"""Two-factor secrets: from the HMAC construction keyed by REMBUG_SECRET_KEY ("v1:") to
AES-256-GCM keyed by REMBUG_SEALING_KEYS ("v2.", forum/sealing.py).

Rows that do not open with REMBUG_SECRET_KEY (the key changed before this migration) stay as
they are: they were unreadable already, and an administrator resets those accounts.

Revision ID: 0008
Revises: 0006
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from forum import totp
from forum.settings import Settings

revision: str = "0008"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_V1 = "v1"
_SECRET_BYTES = 20


def _v1_keys(secret_key: str) -> tuple[bytes, bytes]:
    root = secret_key.encode()
    enc = hmac.new(root, b"rembug totp secret encryption v1", hashlib.sha256).digest()
    mac = hmac.new(root, b"rembug totp secret authentication v1", hashlib.sha256).digest()
    return enc, mac


def _v1_tagged(account_id: int, nonce: bytes, cipher: bytes) -> bytes:
    return f"{_V1}|{account_id}|".encode() + nonce + cipher


def open_v1(sealed: str, account_id: int, secret_key: str) -> bytes | None:
    """The former construction (HMAC-SHA256 stream and tag); None when it does not open."""
    version, _, body = sealed.partition(":")
    if version != _V1:
        return None
    try:
        raw = base64.urlsafe_b64decode(body.encode())
    except ValueError:
        return None
    if len(raw) != 16 + _SECRET_BYTES + 32:
        return None
    nonce, cipher, tag = raw[:16], raw[16:-32], raw[-32:]
    enc, mac = _v1_keys(secret_key)
    expected = hmac.new(mac, _v1_tagged(account_id, nonce, cipher), hashlib.sha256).digest()
    if not hmac.compare_digest(tag, expected):
        return None
    stream = hmac.new(enc, nonce, hashlib.sha256).digest()
    return bytes(a ^ b for a, b in zip(cipher, stream, strict=False))


def seal_v1(secret: bytes, account_id: int, secret_key: str) -> str:
    """The former construction (downgrade only)."""
    enc, mac = _v1_keys(secret_key)
    nonce = secrets.token_bytes(16)
    stream = hmac.new(enc, nonce, hashlib.sha256).digest()
    cipher = bytes(a ^ b for a, b in zip(secret, stream, strict=False))
    tag = hmac.new(mac, _v1_tagged(account_id, nonce, cipher), hashlib.sha256).digest()
    return f"{_V1}:" + base64.urlsafe_b64encode(nonce + cipher + tag).decode()


_table = sa.table(
    "totp_credential", sa.column("account_id", sa.Integer), sa.column("secret", sa.String)
)


def _settings() -> Settings:
    given = op.get_context().config.attributes.get("rembug_settings")  # type: ignore[union-attr]
    return given if isinstance(given, Settings) else Settings.from_env()


def _rows() -> list[tuple[int, str]]:
    query = sa.select(_table.c.account_id, _table.c.secret)
    return [(int(r[0]), str(r[1])) for r in op.get_bind().execute(query)]


def _write(account_id: int, secret: str) -> None:
    op.get_bind().execute(
        _table.update().where(_table.c.account_id == account_id).values(secret=secret)
    )


def upgrade() -> None:
    rows = [(a, s) for a, s in _rows() if s.startswith(f"{_V1}:")]
    if not rows:
        return
    settings = _settings()
    for account_id, sealed in rows:
        secret = open_v1(sealed, account_id, settings.secret_key)
        if secret is not None:
            _write(
                account_id,
                totp.seal(secret, account_id=account_id, secret_key=settings.sealing_keys),
            )


def downgrade() -> None:
    rows = [(a, s) for a, s in _rows() if not s.startswith(f"{_V1}:")]
    if not rows:
        return
    settings = _settings()
    for account_id, sealed in rows:
        try:
            secret = totp.unseal(sealed, account_id=account_id, secret_key=settings.sealing_keys)
        except totp.SecretUnreadable:
            continue
        _write(account_id, seal_v1(secret, account_id, settings.secret_key))

"""Secrets at rest (the two-factor secrets): AES-256-GCM authenticated encryption from the
``cryptography`` package, the only module that imports it, with a key ring for rotation.

The ring is REMBUG_SEALING_KEYS: comma-separated keys, the first seals, every one opens.
Each key (at least 32 characters, e.g. ``secrets.token_urlsafe(32)``) becomes a 256-bit
AES key through HKDF-SHA256; a sealed value names its key by a short id, so opening never
guesses. A sealed value is ``v2.<key id>.<base64url(nonce | ciphertext | tag)>`` with a
random 96-bit nonce; the caller's context (e.g. the account id) is authenticated as
associated data, so a value copied to another row does not open.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

VERSION = "v2"
MIN_KEY_CHARS = 32
_NONCE_BYTES = 12


class SealingError(ValueError):
    """A sealed value does not open: unknown key, tampered or not ours."""


def parse_keys(value: str) -> tuple[str, ...]:
    """The keys of a REMBUG_SEALING_KEYS value; ValueError (with the reason) when unusable."""
    keys = tuple(k.strip() for k in value.split(",") if k.strip())
    if not keys:
        raise ValueError("needs at least one key")
    for number, key in enumerate(keys, start=1):
        if len(key) < MIN_KEY_CHARS:
            raise ValueError(f"key {number} is shorter than {MIN_KEY_CHARS} characters")
    if len(set(keys)) != len(keys):
        raise ValueError("lists a key twice")
    return keys


def development_key(secret_key: str) -> str:
    """The key used when REMBUG_SEALING_KEYS is not set (development only: settings refuse
    it for a public https deployment), derived from REMBUG_SECRET_KEY."""
    digest = hmac.new(secret_key.encode(), b"rembug sealing development key", hashlib.sha256)
    return "dev-" + digest.hexdigest()


@dataclass(frozen=True)
class _Key:
    id: str
    aead: AESGCM


def _derive(key: str) -> _Key:
    material = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"rembug sealing v2"
    ).derive(key.encode())
    key_id = hashlib.sha256(b"rembug key id|" + material).hexdigest()[:8]
    return _Key(key_id, AESGCM(material))


class KeyRing:
    def __init__(self, keys: Sequence[str]) -> None:
        if not keys:
            raise ValueError("a key ring needs at least one key")
        self._keys = [_derive(k) for k in keys]
        self._by_id = {k.id: k for k in reversed(self._keys)}

    def seal(self, plaintext: bytes, *, context: bytes) -> str:
        key = self._keys[0]
        nonce = os.urandom(_NONCE_BYTES)
        body = nonce + key.aead.encrypt(nonce, plaintext, _aad(key.id, context))
        return f"{VERSION}.{key.id}.{base64.urlsafe_b64encode(body).decode()}"

    def open(self, sealed: str, *, context: bytes) -> bytes:
        version, key_id, body = _parts(sealed)
        key = self._by_id.get(key_id)
        if version != VERSION or key is None:
            raise SealingError("sealed with a key not in REMBUG_SEALING_KEYS")
        try:
            raw = base64.urlsafe_b64decode(body.encode())
        except ValueError:
            raise SealingError("not base64") from None
        if len(raw) <= _NONCE_BYTES:
            raise SealingError("too short")
        try:
            return key.aead.decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], _aad(key_id, context))
        except InvalidTag:
            raise SealingError("tampered, or sealed for another record") from None

    def is_current(self, sealed: str) -> bool:
        """Sealed with the first key (re-sealing would change nothing)."""
        version, key_id, _ = _parts(sealed)
        return version == VERSION and key_id == self._keys[0].id


def _parts(sealed: str) -> tuple[str, str, str]:
    version, _, rest = sealed.partition(".")
    key_id, _, body = rest.partition(".")
    return version, key_id, body


def _aad(key_id: str, context: bytes) -> bytes:
    return f"rembug|{VERSION}|{key_id}|".encode() + context


@lru_cache(maxsize=8)
def ring(value: str) -> KeyRing:
    """The key ring of a REMBUG_SEALING_KEYS value (cached: HKDF once per process)."""
    return KeyRing(parse_keys(value))

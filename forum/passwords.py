"""argon2id password hashing (the only module that imports argon2)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
# Verifying against this when an account does not exist keeps the timing the same.
_DUMMY_HASH = _hasher.hash("rembug-timing-equaliser")


def configure(*, time_cost: int, memory_kib: int) -> None:
    """Set the argon2id cost for new hashes (existing ones are upgraded at next login)."""
    global _hasher, _DUMMY_HASH
    if (time_cost, memory_kib) != (_hasher.time_cost, _hasher.memory_cost):
        _hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_kib)
        _DUMMY_HASH = _hasher.hash("rembug-timing-equaliser")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash or _DUMMY_HASH, password) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    return _hasher.check_needs_rehash(stored_hash)

"""Password hashing and single-use secret tokens."""

from __future__ import annotations

import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()


def configure_hasher(params: dict | None) -> None:
    """Argon2 cost parameters; production keeps the library's defaults (tests lower them)."""
    global _hasher, _dummy_hash
    _hasher = PasswordHasher(**params) if params else PasswordHasher()
    _dummy_hash = None


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    if not password_hash:
        return False
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


# Checked against a real hash when the account does not exist, so that a failed login
# takes the same time whether or not the address is known. Made on first need: hashing costs
# argon2's working memory (64 MiB), which a worker that never sees a failed login never pays.
_dummy_hash: str | None = None


def burn_verification_time(password: str) -> None:
    global _dummy_hash
    if _dummy_hash is None:
        _dummy_hash = _hasher.hash(secrets.token_hex(16))
    verify_password(_dummy_hash, password)


def new_token(prefix: str) -> tuple[str, str]:
    """A fresh secret (shown once) and the sha256 stored in its place."""
    token = f"{prefix}_{secrets.token_urlsafe(32)}"
    return token, token_digest(token)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()

"""Staff passwords: Argon2id hashes, a length rule, and a dummy for unknown accounts.

Argon2id (through argon2-cffi, with its RFC 9106 "low memory" defaults: 64 MiB,
3 passes) makes each guess cost an attacker real memory and time. Hashing
takes a noticeable fraction of a second on purpose, so it runs in a worker
thread and never blocks the event loop.

`verify_or_dummy()` always performs exactly one Argon2 verification: against
the account's hash, or, when there is no such account, against a fixed hash
of a random, forgotten password made with the same parameters. A wrong password and an unknown account
therefore take comparable time, and response timing does not reveal which
email addresses have accounts.
"""

from __future__ import annotations

import secrets
import unicodedata

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from starlette.concurrency import run_in_threadpool

MIN_LENGTH = 12
# Long enough for any passphrase; short enough that a megabyte "password" is refused before hashing.
MAX_LENGTH = 1024

_hasher = PasswordHasher()  # Argon2id
# The hash of a random password nobody knows. Made with the current default parameters, so verifying
# against it costs what verifying a real hash costs; rebuilt once if argon2-cffi's defaults ever change.
_DUMMY_HASH = "$argon2id$v=19$m=65536,t=3,p=4$Q6KSTWEGO4DUJx6H3gq36Q$aXZOyKdVjrVus99cwY5vzqNpcmMI+i+DHutySbPq7bE"
_dummy_hash: str | None = None


class PasswordRejected(ValueError):
    """A new password does not meet the rules; the message says which."""


def normalize(password: str) -> str:
    # The same passphrase typed on different keyboards can arrive as different code points (é vs e + ◌́).
    return unicodedata.normalize("NFC", password)


def check_new(password: str) -> str:
    """Validate a new password and return it normalized, or raise `PasswordRejected`."""
    password = normalize(password)
    if len(password) < MIN_LENGTH:
        raise PasswordRejected(f"use at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        raise PasswordRejected(f"use at most {MAX_LENGTH} characters")
    if password.strip() == "":
        raise PasswordRejected("use more than spaces")
    return password


def hash_password(password: str) -> str:
    """Hash a new password (validated by `check_new`). Synchronous: for the CLI and tests."""
    return _hasher.hash(check_new(password))


def _verify(stored_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def _dummy() -> str:
    global _dummy_hash
    if _dummy_hash is None:
        _dummy_hash = _hasher.hash(secrets.token_urlsafe(24)) if needs_rehash(_DUMMY_HASH) else _DUMMY_HASH
    return _dummy_hash


async def verify_or_dummy(stored_hash: str | None, password: str) -> bool:
    """True if `password` matches `stored_hash`; with no hash, spend the same effort and return False."""
    password = normalize(password)
    if len(password) > MAX_LENGTH:
        password = password[:MAX_LENGTH]  # still hash something, so a huge input is not faster to refuse
        stored_hash = None
    if stored_hash is None:
        await run_in_threadpool(_verify, _dummy(), password)
        return False
    return await run_in_threadpool(_verify, stored_hash, password)


async def rehash(password: str) -> str | None:
    """A fresh hash of a password that just verified, when its old hash used weaker parameters."""
    try:
        return await run_in_threadpool(_hasher.hash, normalize(password))
    except Exception:  # a failed upgrade must never fail the sign-in itself
        return None


def needs_rehash(stored_hash: str) -> bool:
    """True when the hash was made with weaker parameters than today's."""
    try:
        return _hasher.check_needs_rehash(stored_hash)
    except InvalidHashError:
        return False

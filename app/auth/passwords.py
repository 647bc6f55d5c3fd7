"""Password hashing (Argon2id, memory-hard) and the password policy."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()  # argon2-cffi's RFC 9106 low-memory profile: 64 MiB, t=3

MIN_LENGTH = 12


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def policy_problems(password: str, email: str = "") -> list[str]:
    """What is wrong with a new password, in words a user can act on (empty when fine)."""
    problems = []
    if len(password) < MIN_LENGTH:
        problems.append(f"Use at least {MIN_LENGTH} characters.")
    name = email.split("@")[0].lower()
    if len(name) >= 4 and name in password.lower():
        problems.append("Do not include your e-mail name in the password.")
    if len(set(password)) < 5:
        problems.append("Use more different characters.")
    return problems

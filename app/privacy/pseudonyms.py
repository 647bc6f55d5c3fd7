"""Customer references as stored: keyed-hashed when a secret is configured, else as given.

With MATCHPOINT_CUSTOMER_REF_KEY set, a reference is stored as "h1:" + HMAC-SHA256(key, ref)
in hex, so the database never holds the raw reference while lookups, which hash the
incoming reference the same way, still find the same customer. A plain hash would not do:
references are short and guessable, so anyone with the database could hash every candidate.

Without a key (the embedded default, where no secret has been handed out yet) references
are stored as given, so a fresh install works and existing data stays findable. Rows stored
before a key was configured are still found by their raw reference and re-keyed when the
customer is next seen. Changing the key later orphans earlier customers: keep it stable.
"""

from __future__ import annotations

import hashlib
import hmac

from flask import current_app, has_app_context
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Customer

PREFIX = "h1:"  # the scheme's version, so a later scheme can live beside this one


class _Configured:
    """Marker default: take the key from the current app's configuration."""

    def __repr__(self) -> str:
        return "CONFIGURED"


CONFIGURED = _Configured()
Key = str | None | _Configured


def pseudonym(ref: str, key: str) -> str:
    """The keyed hash of `ref`: "h1:" and 64 hex digits."""
    digest = hmac.new(key.encode("utf-8"), ref.encode("utf-8"), hashlib.sha256).hexdigest()
    return PREFIX + digest


def configured_key() -> str | None:
    """CUSTOMER_REF_KEY of the current app, or None outside an app or when unset or empty."""
    if not has_app_context():
        return None
    return current_app.config.get("CUSTOMER_REF_KEY") or None


def resolve(key: Key) -> str | None:
    return configured_key() if isinstance(key, _Configured) else (key or None)


def stored_ref(ref: str, key: Key = CONFIGURED) -> str:
    """What the customers table holds for `ref`: its pseudonym with a key, the ref without."""
    secret = resolve(key)
    return pseudonym(ref, secret) if secret else ref


def candidate_refs(ref: str, key: Key = CONFIGURED) -> tuple[str, ...]:
    """Stored values that mean `ref`, best first: the pseudonym, then a row from before the key."""
    secret = resolve(key)
    if not secret:
        return (ref,)
    if is_pseudonym(ref):  # never let a caller address a customer by a stored pseudonym
        return (pseudonym(ref, secret),)
    return (pseudonym(ref, secret), ref)


def is_pseudonym(stored: str) -> bool:
    return stored.startswith(PREFIX)


def find_customer(session: Session, ref: str, key: Key = CONFIGURED) -> Customer | None:
    """The customer `ref` means, by its pseudonym or (from before the key) its raw reference."""
    candidates = candidate_refs(ref, key)
    found = {c.ref: c for c in session.scalars(select(Customer).where(Customer.ref.in_(candidates)))}
    return next((found[c] for c in candidates if c in found), None)

"""Personal data at rest (GB/T 35273): SM4-GCM ciphertext plus an HMAC-SM3 index for exact look-ups.

A field `x` of a model is stored as `x_encrypted` (text) and `x_index` (64 hex). The purpose string binds
the ciphertext (as AAD) and the index to what the value is, so an ID number cannot be passed off as a mobile.
"""

from __future__ import annotations

from afterschool.core import crypto


def seal(value: str, *, purpose: str) -> tuple[str, str | None]:
    """(ciphertext, index) for a value; empty values are stored as ('', None)."""
    value = (value or "").strip()
    if not value:
        return "", None
    return crypto.encrypt_text(value, aad=purpose), crypto.blind_index(value, purpose=purpose)


def unseal(ciphertext: str, *, purpose: str) -> str:
    return crypto.decrypt_text(ciphertext, aad=purpose) if ciphertext else ""


def index_of(value: str, *, purpose: str) -> str:
    return crypto.blind_index(value.strip(), purpose=purpose)

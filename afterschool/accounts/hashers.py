"""Password hashing with PBKDF2-HMAC-SM3 (§6.2.1 of T/CAET 003.1-2023: passwords stored with SM3).

Stored form, like Django's own PBKDF2 hashers: ``pbkdf2_sm3$<iterations>$<salt>$<base64 of 32 bytes>``.
Django's ``pbkdf2_sha256`` hashes created before this hasher existed keep verifying while
``django.contrib.auth.hashers.PBKDF2PasswordHasher`` stays in ``PASSWORD_HASHERS``, and are rewritten
as ``pbkdf2_sm3`` the next time their owner logs in (``check_password``'s setter).
"""

from __future__ import annotations

import base64

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.utils.encoding import force_bytes

DERIVED_KEY_BYTES = 32  # SM3 output size, as Django uses the digest size for PBKDF2-SHA256


class PBKDF2SM3PasswordHasher(PBKDF2PasswordHasher):
    """PBKDF2 with HMAC-SM3 as the PRF (OpenSSL via ``cryptography``).

    ``verify``, ``decode``, ``safe_summary``, ``must_update`` and ``harden_runtime`` are inherited:
    they only call ``encode``, which is the one method that differs. ``digest`` (a hashlib
    constructor in the parent) is never used.
    """

    algorithm = "pbkdf2_sm3"
    # Django 5.2 uses 1,000,000 iterations of HMAC-SHA256. OpenSSL's SM3 has no hardware
    # acceleration (SHA-256 has SHA-NI) and measured about 4x slower per iteration than SHA-256
    # on the development machine, so 1,000,000 SM3 iterations would cost ~0.6 s of CPU per login
    # attempt. 600,000 keeps a login near 0.4 s and equals OWASP's floor for PBKDF2-HMAC-SHA256;
    # SM3's compression function is no cheaper than SHA-256's, so an attacker's cost per guess is
    # comparable to that recommendation.
    # Changing this later is safe: must_update() rehashes old hashes at the next login.
    iterations = 600_000

    def encode(self, password: str, salt: str, iterations: int | None = None) -> str:
        """``pbkdf2_sm3$<iterations>$<salt>$<base64 hash>`` for ``password``."""
        # Same argument checks as Django's BasePasswordHasher._check_encode_args (absent from django-stubs).
        if password is None:
            raise TypeError("password must be provided.")
        if not salt or "$" in salt:
            raise ValueError("salt must be provided and cannot contain $.")
        iterations = iterations or self.iterations
        kdf = PBKDF2HMAC(
            algorithm=hashes.SM3(),
            length=DERIVED_KEY_BYTES,
            salt=force_bytes(salt),
            iterations=iterations,
        )
        derived = kdf.derive(force_bytes(password))
        hash_b64 = base64.b64encode(derived).decode("ascii").strip()
        return f"{self.algorithm}${iterations}${salt}${hash_b64}"


class FastPBKDF2SM3PasswordHasher(PBKDF2SM3PasswordHasher):
    """The same construction with 1,000 iterations. FOR THE TEST SUITE ONLY (config.settings.test):
    it makes creating users cheap. It must never appear in a production PASSWORD_HASHERS."""

    algorithm = "pbkdf2_sm3_fast"
    iterations = 1000

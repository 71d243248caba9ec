"""Tests for the PBKDF2-HMAC-SM3 password hashers.

Expected derived keys come from published vectors (GmSSL tests/pbkdf2test_sm3.h) or from PBKDF2
written out by hand in this file on top of HMAC-SM3 (itself checked against GM/T 0042-2015 vectors
in afterschool/core/tests/test_crypto.py); none comes from the hasher under test.
"""

from __future__ import annotations

import base64
from typing import Any

import pytest
from django.contrib.auth.hashers import (
    PBKDF2PasswordHasher,
    check_password,
    get_hasher,
    identify_hasher,
    make_password,
)

from afterschool.accounts.hashers import FastPBKDF2SM3PasswordHasher, PBKDF2SM3PasswordHasher
from afterschool.core.crypto import hmac_sm3

SM3_FIRST = [
    "afterschool.accounts.hashers.PBKDF2SM3PasswordHasher",
    "afterschool.accounts.hashers.FastPBKDF2SM3PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]


def _manual_pbkdf2_sm3(password: bytes, salt: bytes, iterations: int, length: int) -> bytes:
    """RFC 8018 §5.2 by hand: T_i = U_1 ^ ... ^ U_c, U_1 = PRF(P, S || INT(i)), U_j = PRF(P, U_{j-1})."""
    output = b""
    block = 1
    while len(output) < length:
        u = hmac_sm3(password, salt + block.to_bytes(4, "big"))
        t = int.from_bytes(u, "big")
        for _ in range(iterations - 1):
            u = hmac_sm3(password, u)
            t ^= int.from_bytes(u, "big")
        output += t.to_bytes(32, "big")
        block += 1
    return output[:length]


def _derived(encoded: str) -> bytes:
    return base64.b64decode(encoded.split("$")[3])


# GmSSL tests/pbkdf2test_sm3.h cases 1 and 2 (RFC 7914 §11 inputs, PRF HMAC-SM3, 64-byte output).
# The hasher derives 32 bytes, which in PBKDF2 is exactly the first block T_1 of the longer output.
@pytest.mark.parametrize(
    ("password", "salt", "iterations", "expected_64"),
    [
        (
            "passwd",
            "salt",
            1,
            (
                "30530b86537c85ea33fbe26ee0adea8d8bd91d283b87936f400e83ad2364ef26"
                "32cd8662313657c0e6138ffeda2c4e6805869cbd8030188858d8a675ac762523"
            ),
        ),
        (
            "Password",
            "NaCl",
            80000,
            (
                "6064dd50568a7cd0fab52aea443fd71c6f45044fd0aede5928568be7948a3469"
                "9d2bfce8a435110f551cc0e1814602c03c11ecb7f951fec50602850a5102cb88"
            ),
        ),
    ],
)
def test_pbkdf2_sm3_published_vectors(password: str, salt: str, iterations: int, expected_64: str) -> None:
    encoded = PBKDF2SM3PasswordHasher().encode(password, salt, iterations)
    assert _derived(encoded) == bytes.fromhex(expected_64)[:32]


def test_manual_pbkdf2_reproduces_published_vector() -> None:
    # Checks the hand-written reference itself, including the second block.
    expected = bytes.fromhex(
        "30530b86537c85ea33fbe26ee0adea8d8bd91d283b87936f400e83ad2364ef26"
        "32cd8662313657c0e6138ffeda2c4e6805869cbd8030188858d8a675ac762523"
    )
    assert _manual_pbkdf2_sm3(b"passwd", b"salt", 1, 64) == expected


@pytest.mark.parametrize(
    ("password", "salt", "iterations"),
    [("correct horse battery staple", "abcdefgh12345678", 3), ("密码Pa55!", "盐salt", 17), ("", "x", 2)],
)
def test_pbkdf2_sm3_matches_manual_derivation(password: str, salt: str, iterations: int) -> None:
    encoded = PBKDF2SM3PasswordHasher().encode(password, salt, iterations)
    expected = _manual_pbkdf2_sm3(password.encode("utf-8"), salt.encode("utf-8"), iterations, 32)
    assert _derived(encoded) == expected


def test_encoded_format_and_default_iterations() -> None:
    hasher = PBKDF2SM3PasswordHasher()
    assert hasher.algorithm == "pbkdf2_sm3"
    assert hasher.iterations == 600_000
    encoded = hasher.encode("s3cret-Pass", "fixedsalt0123456")
    algorithm, iterations, salt, hash_b64 = encoded.split("$")
    assert (algorithm, iterations, salt) == ("pbkdf2_sm3", "600000", "fixedsalt0123456")
    assert len(base64.b64decode(hash_b64)) == 32
    assert hasher.verify("s3cret-Pass", encoded)
    assert not hasher.verify("s3cret-Pasz", encoded)


def test_encode_verify_round_trip_fast() -> None:
    hasher = FastPBKDF2SM3PasswordHasher()
    encoded = hasher.encode("Pa55word!", hasher.salt())
    assert encoded.startswith("pbkdf2_sm3_fast$1000$")
    assert hasher.verify("Pa55word!", encoded)
    assert not hasher.verify("pa55word!", encoded)
    assert not hasher.verify("", encoded)
    assert hasher.must_update(encoded) is False


def test_fast_hasher_is_the_same_construction() -> None:
    fast = FastPBKDF2SM3PasswordHasher().encode("pw", "saltsalt", 5)
    full = PBKDF2SM3PasswordHasher().encode("pw", "saltsalt", 5)
    assert fast.split("$")[1:] == full.split("$")[1:]
    assert fast.split("$")[0] == "pbkdf2_sm3_fast"


def test_encode_rejects_bad_arguments() -> None:
    hasher = FastPBKDF2SM3PasswordHasher()
    with pytest.raises(TypeError):
        hasher.encode(None, "salt")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="salt"):
        hasher.encode("pw", "")
    with pytest.raises(ValueError, match="salt"):
        hasher.encode("pw", "sa$lt")


def test_safe_summary_masks_salt_and_hash() -> None:
    hasher = FastPBKDF2SM3PasswordHasher()
    encoded = hasher.encode("pw", "abcdefghijklmnop")
    summary = {str(k): v for k, v in hasher.safe_summary(encoded).items()}
    assert summary["algorithm"] == "pbkdf2_sm3_fast"
    assert summary["iterations"] == 1000
    assert "abcdefghijklmnop" not in str(summary["salt"])
    assert encoded.split("$")[3] not in str(summary["hash"])


def test_must_update_and_harden_runtime(monkeypatch: pytest.MonkeyPatch) -> None:
    hasher = FastPBKDF2SM3PasswordHasher()
    weak = hasher.encode("pw", hasher.salt(), iterations=10)
    assert hasher.must_update(weak) is True
    assert hasher.must_update(hasher.encode("pw", "short")) is True  # salt below 128 bits of entropy

    calls: list[int | None] = []
    original = FastPBKDF2SM3PasswordHasher.encode

    def spy(self: Any, password: str, salt: str, iterations: int | None = None) -> str:
        calls.append(iterations)
        return original(self, password, salt, iterations)

    monkeypatch.setattr(FastPBKDF2SM3PasswordHasher, "encode", spy)
    hasher.harden_runtime("wrong", weak)
    assert calls == [990]


def test_sm3_hasher_is_preferred_and_identified(settings: Any) -> None:
    settings.PASSWORD_HASHERS = SM3_FIRST
    assert get_hasher().algorithm == "pbkdf2_sm3"
    encoded = FastPBKDF2SM3PasswordHasher().encode("pw", "saltsaltsaltsalt")
    assert isinstance(identify_hasher(encoded), FastPBKDF2SM3PasswordHasher)


def test_make_password_and_check_password(settings: Any) -> None:
    settings.PASSWORD_HASHERS = SM3_FIRST
    encoded = make_password("Login#2024")
    assert encoded.startswith("pbkdf2_sm3$600000$")
    assert check_password("Login#2024", encoded)
    assert not check_password("Login#2025", encoded)


def test_legacy_pbkdf2_sha256_hash_verifies_and_upgrades(settings: Any) -> None:
    settings.PASSWORD_HASHERS = SM3_FIRST
    legacy = PBKDF2PasswordHasher().encode("Old-Pass-1", "legacysalt123456", iterations=1000)
    assert legacy.startswith("pbkdf2_sha256$1000$")

    upgraded: list[str] = []

    def setter(raw_password: str) -> None:
        upgraded.append(make_password(raw_password))

    assert not check_password("wrong", legacy, setter)
    assert upgraded == []  # never rehash on a wrong password

    assert check_password("Old-Pass-1", legacy, setter)
    assert len(upgraded) == 1
    assert upgraded[0].startswith("pbkdf2_sm3$600000$")
    assert check_password("Old-Pass-1", upgraded[0])


def test_fast_hash_upgrades_to_full_sm3(settings: Any) -> None:
    settings.PASSWORD_HASHERS = SM3_FIRST
    fast = FastPBKDF2SM3PasswordHasher().encode("pw-123456", FastPBKDF2SM3PasswordHasher().salt())
    upgraded: list[str] = []
    assert check_password("pw-123456", fast, lambda raw: upgraded.append(make_password(raw)))
    assert len(upgraded) == 1
    assert identify_hasher(upgraded[0]).algorithm == "pbkdf2_sm3"


def test_legacy_hash_rejected_once_sha256_hasher_is_removed(settings: Any) -> None:
    legacy = PBKDF2PasswordHasher().encode("Old-Pass-1", "legacysalt123456", iterations=1000)
    settings.PASSWORD_HASHERS = ["afterschool.accounts.hashers.FastPBKDF2SM3PasswordHasher"]
    assert not check_password("Old-Pass-1", legacy)

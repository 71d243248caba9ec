"""Chinese national cryptography (SM2 / SM3 / SM4) — the project's one crypto module.

§6.2.1 of T/CAET 003.1-2023 asks for the commercial-cryptography algorithms: SM3 for hashing and
MACs, SM4 for encrypting personal data at rest, SM2 for signatures. Everything else in the project
calls the functions here and never touches a cipher directly.

* SM3 / HMAC-SM3 / SM4 come from ``cryptography`` (OpenSSL).
* SM2 comes from ``gmssl`` (pure Python). Only its curve arithmetic and its raw ``sign`` primitive
  are used; Z_A, the message digest e, key and signature validation, randomness and the
  verification equation are done here, because gmssl's ``sign_with_sm3`` hard-codes the user ID,
  draws k from ``random`` (not a CSPRNG), its constructor runs ``lstrip("04")`` on a public key
  starting with ``04`` (eating leading digits of a bare x coordinate) and its ``verify`` mishandles
  the s·G == t·P_A case. Its arithmetic is not constant-time: fine for signing audit records
  on the server, not for an environment where an attacker can time many signatures.

Ciphertext tokens are text, ``sm4gcm:<key_id>:<urlsafe base64(nonce || ciphertext || tag)>``, so a
token names the key that made it: after ``AFTERSCHOOL_SM4_ACTIVE_KEY`` moves to a new key, old
tokens still decrypt as long as their key stays in ``AFTERSCHOOL_SM4_KEYS``.
"""

from __future__ import annotations

import base64
import binascii
import re
import secrets
from typing import Any, Final

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from gmssl import sm2  # type: ignore[import-untyped]

__all__ = [
    "CryptoError",
    "blind_index",
    "decrypt_text",
    "encrypt_text",
    "hmac_sm3",
    "sm2_generate_keypair",
    "sm2_public_key_from_private",
    "sm2_sign",
    "sm2_verify",
    "sm3_digest",
    "sm3_hexdigest",
    "sm4_ecb_encrypt_block",
    "sm4_gcm_decrypt",
    "sm4_gcm_decrypt_raw",
    "sm4_gcm_encrypt",
    "sm4_gcm_encrypt_raw",
]


class CryptoError(Exception):
    """A ciphertext could not be opened: unknown key id, malformed token or failed authentication."""


# --------------------------------------------------------------------------- SM3


def sm3_digest(data: bytes) -> bytes:
    """SM3 hash (GB/T 32905-2016) of ``data``: 32 bytes."""
    h = hashes.Hash(hashes.SM3())
    h.update(data)
    return h.finalize()


def sm3_hexdigest(data: bytes) -> str:
    """SM3 hash of ``data`` as 64 lower-case hex characters."""
    return sm3_digest(data).hex()


def hmac_sm3(key: bytes, data: bytes) -> bytes:
    """HMAC-SM3 (GM/T 0042-2015) of ``data`` under ``key``: 32 bytes."""
    h = hmac.HMAC(key, hashes.SM3())
    h.update(data)
    return h.finalize()


def blind_index(value: str, *, purpose: str = "") -> str:
    """Deterministic keyed index of ``value`` for equality lookups on encrypted columns.

    The value is normalized (surrounding whitespace stripped, upper-cased) so that e.g. an ID card
    number ending in ``x`` or ``X`` gives the same index. ``purpose`` (a field name such as
    ``"guardian.mobile"``) separates the index spaces of different fields. The result is the hex
    HMAC-SM3 of ``purpose || 0x00 || value`` under ``settings.AFTERSCHOOL_INDEX_KEY``.
    """
    if "\x00" in purpose:
        raise ValueError("purpose must not contain NUL")
    normalized = value.strip().upper()
    message = purpose.encode("utf-8") + b"\x00" + normalized.encode("utf-8")
    return hmac_sm3(_index_key(), message).hex()


def _index_key() -> bytes:
    try:
        key = bytes.fromhex(settings.AFTERSCHOOL_INDEX_KEY)
    except (AttributeError, TypeError, ValueError) as exc:
        raise ImproperlyConfigured("AFTERSCHOOL_INDEX_KEY must be a hex string") from exc
    if len(key) < 16:
        raise ImproperlyConfigured("AFTERSCHOOL_INDEX_KEY must be at least 16 bytes")
    return key


# --------------------------------------------------------------------------- SM4

SM4_KEY_BYTES: Final = 16
SM4_BLOCK_BYTES: Final = 16
GCM_NONCE_BYTES: Final = 12
GCM_TAG_BYTES: Final = 16
CIPHERTEXT_PREFIX: Final = "sm4gcm"
_BASE64URL = re.compile(r"[A-Za-z0-9_-]+={0,2}")


def sm4_ecb_encrypt_block(key: bytes, block: bytes) -> bytes:
    """Encrypt one 16-byte block with SM4 (GB/T 32907-2016). For known-answer tests only."""
    if len(block) != SM4_BLOCK_BYTES:
        raise ValueError("SM4 block must be 16 bytes")
    # One block of CBC with an all-zero IV is exactly E_K(block); it avoids exposing ECB mode.
    encryptor = Cipher(algorithms.SM4(key), modes.CBC(bytes(SM4_BLOCK_BYTES))).encryptor()
    return encryptor.update(block) + encryptor.finalize()


def sm4_gcm_encrypt_raw(key: bytes, nonce: bytes, plaintext: bytes, aad: bytes) -> bytes:
    """SM4-GCM (RFC 8998) encryption: returns ciphertext || 16-byte tag."""
    encryptor = Cipher(algorithms.SM4(key), modes.GCM(nonce)).encryptor()
    encryptor.authenticate_additional_data(aad)
    ciphertext = encryptor.update(plaintext) + encryptor.finalize()
    return ciphertext + encryptor.tag


def sm4_gcm_decrypt_raw(key: bytes, nonce: bytes, ciphertext_and_tag: bytes, aad: bytes) -> bytes:
    """SM4-GCM decryption of ciphertext || tag. Raises CryptoError if authentication fails."""
    if len(ciphertext_and_tag) < GCM_TAG_BYTES:
        raise CryptoError("ciphertext is shorter than the GCM tag")
    ciphertext, tag = ciphertext_and_tag[:-GCM_TAG_BYTES], ciphertext_and_tag[-GCM_TAG_BYTES:]
    decryptor = Cipher(algorithms.SM4(key), modes.GCM(nonce, tag)).decryptor()
    decryptor.authenticate_additional_data(aad)
    try:
        return decryptor.update(ciphertext) + decryptor.finalize()
    except InvalidTag:
        raise CryptoError("SM4-GCM authentication failed") from None


def _sm4_key(key_id: str) -> bytes:
    """The SM4 key called ``key_id`` in settings. Unknown id -> CryptoError; malformed key -> config error."""
    keys: dict[str, str] = settings.AFTERSCHOOL_SM4_KEYS
    hex_key = keys.get(key_id)
    if hex_key is None:
        raise CryptoError(f"unknown SM4 key id {key_id!r}")
    try:
        key = bytes.fromhex(hex_key)
    except (TypeError, ValueError) as exc:
        raise ImproperlyConfigured(f"AFTERSCHOOL_SM4_KEYS[{key_id!r}] is not hex") from exc
    if len(key) != SM4_KEY_BYTES:
        raise ImproperlyConfigured(f"AFTERSCHOOL_SM4_KEYS[{key_id!r}] must be 16 bytes (32 hex digits)")
    return key


def sm4_gcm_encrypt(plaintext: bytes, *, aad: bytes = b"", key_id: str | None = None) -> str:
    """Encrypt ``plaintext`` under the active (or named) SM4 key with a fresh random nonce.

    Returns ``"sm4gcm:<key_id>:<urlsafe base64 of nonce || ciphertext || tag>"``. ``aad`` (e.g. the
    table and row the value belongs to) is authenticated but not stored: the same ``aad`` must be
    given to decrypt.
    """
    if key_id is None:
        key_id = settings.AFTERSCHOOL_SM4_ACTIVE_KEY
    if not key_id or ":" in key_id:
        raise ImproperlyConfigured(f"SM4 key id {key_id!r} must be non-empty and contain no ':'")
    key = _sm4_key(key_id)
    nonce = secrets.token_bytes(GCM_NONCE_BYTES)
    sealed = sm4_gcm_encrypt_raw(key, nonce, plaintext, aad)
    body = base64.urlsafe_b64encode(nonce + sealed).decode("ascii")
    return f"{CIPHERTEXT_PREFIX}:{key_id}:{body}"


def sm4_gcm_decrypt(token: str, *, aad: bytes = b"") -> bytes:
    """Open a token made by :func:`sm4_gcm_encrypt`, using the key id recorded in the token."""
    if not isinstance(token, str):
        raise CryptoError("ciphertext token must be a string")
    parts = token.split(":")
    if len(parts) != 3 or parts[0] != CIPHERTEXT_PREFIX or not parts[1]:
        raise CryptoError("malformed ciphertext token")
    _, key_id, body = parts
    if not _BASE64URL.fullmatch(body):
        raise CryptoError("malformed ciphertext token")
    try:
        raw = base64.urlsafe_b64decode(body)
    except (binascii.Error, ValueError):
        raise CryptoError("malformed ciphertext token") from None
    if len(raw) < GCM_NONCE_BYTES + GCM_TAG_BYTES:
        raise CryptoError("ciphertext token is too short")
    key = _sm4_key(key_id)
    return sm4_gcm_decrypt_raw(key, raw[:GCM_NONCE_BYTES], raw[GCM_NONCE_BYTES:], aad)


def encrypt_text(value: str, aad: str = "") -> str:
    """UTF-8 convenience wrapper around :func:`sm4_gcm_encrypt`."""
    return sm4_gcm_encrypt(value.encode("utf-8"), aad=aad.encode("utf-8"))


def decrypt_text(token: str, aad: str = "") -> str:
    """UTF-8 convenience wrapper around :func:`sm4_gcm_decrypt`."""
    plaintext = sm4_gcm_decrypt(token, aad=aad.encode("utf-8"))
    try:
        return plaintext.decode("utf-8")
    except UnicodeDecodeError:
        raise CryptoError("decrypted value is not UTF-8 text") from None


# --------------------------------------------------------------------------- SM2

_CURVE: Final[dict[str, str]] = sm2.default_ecc_table  # the recommended curve, GB/T 32918.5-2017
_P: Final = int(_CURVE["p"], 16)
_A: Final = int(_CURVE["a"], 16)
_B: Final = int(_CURVE["b"], 16)
_N: Final = int(_CURVE["n"], 16)
_G: Final = _CURVE["g"].lower()  # xG || yG, 128 hex digits
_GX: Final = int(_G[:64], 16)
_GY: Final = int(_G[64:], 16)
_HEX = re.compile(r"[0-9A-Fa-f]+")
DEFAULT_SM2_UID: Final = b"1234567812345678"


def _crypt_sm2(private_hex: str = "", public_hex: str = "") -> Any:
    """A gmssl CryptSM2. The public key is set after construction: gmssl's constructor runs
    ``public_key.lstrip("04")``, which eats leading 0/4 digits of a bare x coordinate."""
    crypt = sm2.CryptSM2(private_key=private_hex, public_key="")
    crypt.public_key = public_hex
    return crypt


def _fixed_hex(value: str, digits: int, what: str) -> int:
    if not isinstance(value, str) or len(value) != digits or not _HEX.fullmatch(value):
        raise ValueError(f"{what} must be {digits} hex digits")
    return int(value, 16)


def _private_scalar(private_key_hex: str) -> int:
    d = _fixed_hex(private_key_hex, 64, "SM2 private key")
    # d = n - 1 is excluded by GB/T 32918.1: signing needs (1 + d)^-1 mod n.
    if not 1 <= d <= _N - 2:
        raise ValueError("SM2 private key is out of range")
    return d


def _public_point(public_key_hex: str) -> tuple[int, int]:
    """Parse x || y (optionally with the 04 prefix) and check the point lies on the curve."""
    if isinstance(public_key_hex, str) and len(public_key_hex) == 130 and public_key_hex[:2] == "04":
        public_key_hex = public_key_hex[2:]
    _fixed_hex(public_key_hex, 128, "SM2 public key")
    x, y = int(public_key_hex[:64], 16), int(public_key_hex[64:], 16)
    if not (0 <= x < _P and 0 <= y < _P) or (y * y - (x * x * x + _A * x + _B)) % _P != 0:
        raise ValueError("SM2 public key is not a point on the curve")
    return x, y


def sm2_public_key_from_private(private_key_hex: str) -> str:
    """Public key d·G of a private key, as 128 lower-case hex digits x || y (no 04 prefix)."""
    d = _private_scalar(private_key_hex)
    point: str = _crypt_sm2()._kg(d, _G)
    return point.lower()


def sm2_generate_keypair() -> tuple[str, str]:
    """A fresh SM2 key pair: (private key as 64 hex digits, public key as 128 hex digits)."""
    d = secrets.randbelow(_N - 2) + 1  # 1 <= d <= n - 2
    private_hex = f"{d:064x}"
    return private_hex, sm2_public_key_from_private(private_hex)


def _z_a(public_xy: tuple[int, int], uid: bytes) -> bytes:
    """Z_A = SM3(ENTL_A || ID_A || a || b || xG || yG || xA || yA), GB/T 32918.2-2016 §5.5."""
    entl = len(uid) * 8
    if entl > 0xFFFF:
        raise ValueError("SM2 user ID is longer than 8191 bytes")
    parts = [entl.to_bytes(2, "big"), uid]
    parts += [v.to_bytes(32, "big") for v in (_A, _B, _GX, _GY, *public_xy)]
    return sm3_digest(b"".join(parts))


def _message_digest(public_xy: tuple[int, int], data: bytes, uid: bytes) -> bytes:
    """e = SM3(Z_A || M), as the 32 bytes gmssl's raw sign/verify primitives expect."""
    return sm3_digest(_z_a(public_xy, uid) + data)


def sm2_sign(
    private_key_hex: str,
    data: bytes,
    *,
    uid: bytes = DEFAULT_SM2_UID,
    k_hex: str | None = None,
) -> str:
    """SM2 signature (GB/T 32918.2-2016) of ``data`` with SM3 and Z_A for ``uid``.

    Returns r || s as 128 lower-case hex digits. ``k_hex`` fixes the per-signature random number
    and exists only for known-answer tests; normally k is drawn from ``secrets``.
    """
    d = _private_scalar(private_key_hex)
    private_hex = f"{d:064x}"
    public_hex = sm2_public_key_from_private(private_hex)
    public_xy = (int(public_hex[:64], 16), int(public_hex[64:], 16))
    e = _message_digest(public_xy, data, uid)
    crypt = _crypt_sm2(private_hex, public_hex)
    if k_hex is not None:
        k = _fixed_hex(k_hex, 64, "SM2 k")
        if not 1 <= k <= _N - 1:
            raise ValueError("SM2 k is out of range")
        signature: str | None = crypt.sign(e, f"{k:064x}")
        if signature is None:
            raise ValueError("this k gives r = 0, r + k = n or s = 0; choose another")
        return signature.lower()
    while True:
        k = secrets.randbelow(_N - 1) + 1  # 1 <= k <= n - 1
        signature = crypt.sign(e, f"{k:064x}")
        if signature is not None:  # gmssl returns None for the rare k the standard says to retry
            return signature.lower()


def sm2_verify(
    public_key_hex: str,
    data: bytes,
    signature_hex: str,
    *,
    uid: bytes = DEFAULT_SM2_UID,
) -> bool:
    """Check an SM2 signature r || s (128 hex digits) over ``data`` for ``uid``.

    Returns False, never raises, for anything that is not a valid signature: wrong message, wrong
    key, wrong ID, malformed hex, off-curve key, r or s out of range.
    """
    if not isinstance(data, bytes) or not isinstance(uid, bytes):
        return False
    try:
        public_xy = _public_point(public_key_hex)
        rs = _fixed_hex(signature_hex, 128, "SM2 signature")
        r, s = rs >> 256, rs & ((1 << 256) - 1)
        if not (1 <= r <= _N - 1 and 1 <= s <= _N - 1):
            return False
        t = (r + s) % _N
        if t == 0:
            return False
        e = int.from_bytes(_message_digest(public_xy, data, uid), "big")
        crypt = _crypt_sm2(public_hex=f"{public_xy[0]:064x}{public_xy[1]:064x}")
        # (x1, y1) = s·G + t·P_A. gmssl's own verify() mishandles s·G == t·P_A (it forgets to
        # convert the doubled point back to affine), so the sum is formed here.
        p1: str = crypt._kg(s, _G)
        p2: str = crypt._kg(t, crypt.public_key)
        if p1 == p2:
            total = crypt._convert_jacb_to_nor(crypt._double_point(p1 + "1"))
        else:
            total = crypt._convert_jacb_to_nor(crypt._add_point(p1 + "1", p2))
        if total is None:  # point at infinity
            return False
        x1 = int(total[:64], 16)
        return secrets.compare_digest(f"{(e + x1) % _N:064x}", f"{r:064x}")
    except (ValueError, TypeError, IndexError, AttributeError, ArithmeticError):
        return False

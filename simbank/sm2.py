"""Django-free SM2 signatures (GB/T 32918.2-2016, SM3 digest with Z_A for the default user ID).

The same algorithm as ``afterschool.core.crypto.sm2_sign``/``sm2_verify`` (tests check both ends agree), kept here
so the simulated bank runs without Django settings. gmssl supplies the curve arithmetic and the raw sign primitive.
"""

from __future__ import annotations

import re
import secrets
from typing import Any, Final

from cryptography.hazmat.primitives import hashes
from gmssl import sm2 as _gm  # type: ignore[import-untyped]

_CURVE: Final[dict[str, str]] = _gm.default_ecc_table
_P: Final = int(_CURVE["p"], 16)
_A: Final = int(_CURVE["a"], 16)
_B: Final = int(_CURVE["b"], 16)
_N: Final = int(_CURVE["n"], 16)
_G: Final = _CURVE["g"].lower()
_GX: Final = int(_G[:64], 16)
_GY: Final = int(_G[64:], 16)
_HEX = re.compile(r"[0-9A-Fa-f]+")
UID: Final = b"1234567812345678"


def sm3(data: bytes) -> bytes:
    h = hashes.Hash(hashes.SM3())
    h.update(data)
    return h.finalize()


def _crypt(private_hex: str = "", public_hex: str = "") -> Any:
    crypt = _gm.CryptSM2(private_key=private_hex, public_key="")
    crypt.public_key = public_hex
    return crypt


def _hex_int(value: str, digits: int) -> int:
    if not isinstance(value, str) or len(value) != digits or not _HEX.fullmatch(value):
        raise ValueError(f"expected {digits} hex digits")
    return int(value, 16)


def public_key(private_hex: str) -> str:
    d = _hex_int(private_hex, 64)
    if not 1 <= d <= _N - 2:
        raise ValueError("SM2 private key is out of range")
    point: str = _crypt()._kg(d, _G)
    return point.lower()


def generate_keypair() -> tuple[str, str]:
    private_hex = f"{secrets.randbelow(_N - 2) + 1:064x}"
    return private_hex, public_key(private_hex)


def _point(public_hex: str) -> tuple[int, int]:
    if isinstance(public_hex, str) and len(public_hex) == 130 and public_hex.startswith("04"):
        public_hex = public_hex[2:]
    _hex_int(public_hex, 128)
    x, y = int(public_hex[:64], 16), int(public_hex[64:], 16)
    if not (0 <= x < _P and 0 <= y < _P) or (y * y - (x * x * x + _A * x + _B)) % _P != 0:
        raise ValueError("not a point on the curve")
    return x, y


def _digest(xy: tuple[int, int], data: bytes) -> bytes:
    z = sm3(
        b"".join([(len(UID) * 8).to_bytes(2, "big"), UID, *(v.to_bytes(32, "big") for v in (_A, _B, _GX, _GY, *xy))])
    )
    return sm3(z + data)


def sign(private_hex: str, data: bytes) -> str:
    """r || s, 128 lower-case hex digits."""
    pub = public_key(private_hex)
    e = _digest((int(pub[:64], 16), int(pub[64:], 16)), data)
    crypt = _crypt(private_hex.lower(), pub)
    while True:
        signature = crypt.sign(e, f"{secrets.randbelow(_N - 1) + 1:064x}")
        if signature is not None:
            return str(signature).lower()


def verify(public_hex: str, data: bytes, signature_hex: str) -> bool:
    """True only for a valid signature; never raises."""
    try:
        xy = _point(public_hex)
        rs = _hex_int(signature_hex, 128)
        r, s = rs >> 256, rs & ((1 << 256) - 1)
        if not (1 <= r <= _N - 1 and 1 <= s <= _N - 1):
            return False
        t = (r + s) % _N
        if t == 0:
            return False
        e = int.from_bytes(_digest(xy, data), "big")
        crypt = _crypt(public_hex=f"{xy[0]:064x}{xy[1]:064x}")
        p1: str = crypt._kg(s, _G)
        p2: str = crypt._kg(t, crypt.public_key)
        if p1 == p2:
            total = crypt._convert_jacb_to_nor(crypt._double_point(p1 + "1"))
        else:
            total = crypt._convert_jacb_to_nor(crypt._add_point(p1 + "1", p2))
        if total is None:
            return False
        return secrets.compare_digest(f"{(e + int(total[:64], 16)) % _N:064x}", f"{r:064x}")
    except (ValueError, TypeError, IndexError, AttributeError, ArithmeticError):
        return False

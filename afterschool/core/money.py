"""Money is integer fen (分). It becomes ¥ only when displayed."""

from __future__ import annotations


def format_fen(amount_fen: int) -> str:
    """12345 -> '¥123.45'; negative amounts keep their sign in front."""
    if not isinstance(amount_fen, int):
        raise TypeError("金额必须是整数分")
    sign = "-" if amount_fen < 0 else ""
    yuan, fen = divmod(abs(amount_fen), 100)
    return f"{sign}¥{yuan:,}.{fen:02d}"

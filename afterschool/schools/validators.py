"""Checks of personal identifiers used by single entry and by the Excel imports."""

from __future__ import annotations

import datetime as dt
import re

from django.core.exceptions import ValidationError

MOBILE_RE = re.compile(r"1[3-9][0-9]{9}")
_ID_RE = re.compile(r"[0-9]{17}[0-9X]")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def normalize_mobile(value: str) -> str:
    return (value or "").strip().replace(" ", "").replace("-", "")


def validate_mobile(value: str) -> None:
    if not MOBILE_RE.fullmatch(normalize_mobile(value)):
        raise ValidationError("手机号格式不正确（应为 11 位大陆手机号）", code="mobile_format")


def id_number_check_char(first17: str) -> str:
    return _ID_CHECK[sum(int(c) * w for c, w in zip(first17, _ID_WEIGHTS, strict=True)) % 11]


def validate_id_number(value: str) -> None:
    """18-digit resident ID (GB 11643): format, a real birth date, and the ISO 7064 MOD 11-2 check character."""
    value = (value or "").strip().upper()
    if not _ID_RE.fullmatch(value):
        raise ValidationError("身份证号格式不正确（应为 18 位，最后一位可为 X）", code="id_format")
    try:
        dt.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        raise ValidationError("身份证号中的出生日期不存在", code="id_birth_date") from None
    if id_number_check_char(value[:17]) != value[17]:
        raise ValidationError("身份证号校验位不正确", code="id_check")


def birth_date_from_id(value: str) -> dt.date:
    value = value.strip()
    return dt.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))

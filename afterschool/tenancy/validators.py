"""Identifier checks: GB/T 2260 region codes, MoE 学校标识码, GB 32100 统一社会信用代码."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError

# 学校(机构)标识码 = 2-digit school category + 2-digit province + 6-digit sequence (教育部《学校(机构)代码管理办法》).
SCHOOL_CATEGORY_CODES = {
    "11": "幼儿园",
    "21": "普通小学",
    "22": "成人小学",
    "31": "普通初中",
    "32": "职业初中",
    "33": "成人初中",
    "34": "普通高中/完全中学",
    "35": "成人高中",
    "36": "中等职业学校",
    "37": "工读学校",
    "41": "普通高等学校",
    "42": "成人高等学校",
    "51": "特殊教育学校",
    "91": "培养研究生的科研机构",
    "92": "民办的其他高等教育机构",
    "93": "中等职业培训机构",
}

# Province-level codes of GB/T 2260 (first two digits).
PROVINCE_CODES = {
    "11",
    "12",
    "13",
    "14",
    "15",
    "21",
    "22",
    "23",
    "31",
    "32",
    "33",
    "34",
    "35",
    "36",
    "37",
    "41",
    "42",
    "43",
    "44",
    "45",
    "46",
    "50",
    "51",
    "52",
    "53",
    "54",
    "61",
    "62",
    "63",
    "64",
    "65",
    "71",
    "81",
    "82",
}

# [0-9], not \d: full-width and other Unicode digits are not code digits.
_REGION_RE = re.compile(r"[0-9]{6}")
_SCHOOL_RE = re.compile(r"[0-9]{10}")

CREDIT_CODE_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_CREDIT_RE = re.compile(r"[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}")


def region_level_of(code: str) -> str:
    """'110000' is a province, '110100' a city, '110108' a district."""
    from .choices import RegionLevel

    if code.endswith("0000"):
        return RegionLevel.PROVINCE
    if code.endswith("00"):
        return RegionLevel.CITY
    return RegionLevel.DISTRICT


def validate_region_code(code: str) -> None:
    if not isinstance(code, str) or not _REGION_RE.fullmatch(code):
        raise ValidationError("行政区划代码必须是 6 位数字（GB/T 2260）", code="region_code_format")
    if code[:2] not in PROVINCE_CODES:
        raise ValidationError(
            "行政区划代码的省级代码 %(p)s 不存在", code="region_code_province", params={"p": code[:2]}
        )


def validate_school_code(code: str) -> None:
    if not isinstance(code, str) or not _SCHOOL_RE.fullmatch(code):
        raise ValidationError("学校标识码必须是 10 位数字", code="school_code_format")
    if code[:2] not in SCHOOL_CATEGORY_CODES:
        raise ValidationError(
            "学校标识码前两位 %(c)s 不是已知的学校类别码", code="school_code_category", params={"c": code[:2]}
        )
    if code[2:4] not in PROVINCE_CODES:
        raise ValidationError(
            "学校标识码第 3–4 位 %(p)s 不是有效的省级行政区划代码", code="school_code_province", params={"p": code[2:4]}
        )


def credit_code_check_char(first17: str) -> str:
    total = sum(CREDIT_CODE_CHARSET.index(ch) * w for ch, w in zip(first17, _CREDIT_WEIGHTS, strict=True))
    return CREDIT_CODE_CHARSET[(31 - total % 31) % 31]


def validate_credit_code(code: str) -> None:
    if not isinstance(code, str) or len(code) != 18:
        raise ValidationError("统一社会信用代码必须是 18 位", code="credit_code_length")
    if not _CREDIT_RE.fullmatch(code):
        raise ValidationError("统一社会信用代码含有不允许的字符（不使用 I、O、Z、S、V）", code="credit_code_format")
    if credit_code_check_char(code[:17]) != code[17]:
        raise ValidationError("统一社会信用代码校验位不正确", code="credit_code_check")

"""Identifier checks: GB/T 2260 region codes, MoE 学校标识码 and GB 32100 统一社会信用代码.

The expected sets and the GB 32100 check character are written out here independently of the
production code, so a wrong table or a wrong algorithm in `validators.py` makes these tests fail.
"""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from afterschool.tenancy.choices import RegionLevel
from afterschool.tenancy.validators import (
    region_level_of,
    validate_credit_code,
    validate_region_code,
    validate_school_code,
)

# GB/T 2260 province-level codes (省、自治区、直辖市、特别行政区, incl. 台湾 71, 香港 81, 澳门 82).
KNOWN_PROVINCES = {
    *(f"{n}" for n in range(11, 16)),
    *(f"{n}" for n in range(21, 24)),
    *(f"{n}" for n in range(31, 38)),
    *(f"{n}" for n in range(41, 47)),
    *(f"{n}" for n in range(50, 55)),
    *(f"{n}" for n in range(61, 66)),
    "71",
    "81",
    "82",
}
# 学校(机构)类别码 accepted by the platform.
KNOWN_SCHOOL_CATEGORIES = {"11", "21", "22", *(f"{n}" for n in range(31, 38)), "41", "42", "51", "91", "92", "93"}

# GB 32100-2015: 31-character alphabet (no I, O, Z, S, V) and the weights 3^(i) mod 31.
GB32100_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
GB32100_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def gb32100_check_char(first17: str) -> str:
    """Computed by hand here, not with the production helper."""
    total = 0
    for position, char in enumerate(first17):
        total += GB32100_ALPHABET.index(char) * GB32100_WEIGHTS[position]
    return GB32100_ALPHABET[(31 - total % 31) % 31]


def _error_code(func, value) -> str:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError) as exc_info:
        func(value)
    return exc_info.value.code  # type: ignore[return-value]


# --- region codes -------------------------------------------------------------------------------


def test_weights_are_powers_of_three_modulo_31() -> None:
    # Sanity check of the test's own table (GB 32100: W_i = 3^(i-1) mod 31).
    assert tuple(pow(3, i, 31) for i in range(17)) == GB32100_WEIGHTS
    assert len(GB32100_ALPHABET) == 31 and not set("IOZSV") & set(GB32100_ALPHABET)


@pytest.mark.parametrize("code", ["110000", "110100", "110108", "110105", "440305", "650102", "710000", "820000"])
def test_valid_region_code_is_accepted(code: str) -> None:
    validate_region_code(code)


@pytest.mark.parametrize("code", ["11010", "1101080", "", "11010a", "abcdef", "11 108", " 110108", "110-08"])
def test_region_code_that_is_not_six_digits_is_rejected(code: str) -> None:
    assert _error_code(validate_region_code, code) == "region_code_format"


def test_region_code_given_as_integer_is_rejected() -> None:
    assert _error_code(validate_region_code, 110108) == "region_code_format"


@pytest.mark.parametrize("prefix", [f"{n:02d}" for n in range(100)])
def test_region_code_is_accepted_only_with_known_province_prefix(prefix: str) -> None:
    code = f"{prefix}0108"
    if prefix in KNOWN_PROVINCES:
        validate_region_code(code)
    else:
        assert _error_code(validate_region_code, code) == "region_code_province"


def test_region_code_error_message_is_chinese_and_names_the_province_digits() -> None:
    with pytest.raises(ValidationError) as exc_info:
        validate_region_code("990108")
    assert "99" in exc_info.value.messages[0]
    assert "省级代码" in exc_info.value.messages[0]


@pytest.mark.parametrize(
    ("code", "level"),
    [
        ("110000", RegionLevel.PROVINCE),
        ("110100", RegionLevel.CITY),
        ("110108", RegionLevel.DISTRICT),
        ("440000", RegionLevel.PROVINCE),
        ("440300", RegionLevel.CITY),
        ("440305", RegionLevel.DISTRICT),
        ("130110", RegionLevel.DISTRICT),
        ("131000", RegionLevel.CITY),
    ],
)
def test_region_level_is_derived_from_the_code(code: str, level: str) -> None:
    assert region_level_of(code) == level


@pytest.mark.parametrize(
    "code",
    [
        pytest.param("11٠١٠٨", id="arabic-indic-digits"),
        pytest.param("11０１０８", id="full-width-digits"),
        pytest.param("110108\n", id="trailing-newline"),
    ],
)
def test_region_code_with_non_ascii_digits_is_rejected(code: str) -> None:
    with pytest.raises(ValidationError):
        validate_region_code(code)


# --- school codes -------------------------------------------------------------------------------


@pytest.mark.parametrize("code", ["2111080001", "1111000001", "3444000123", "5181999999", "9371000001", "4265123456"])
def test_valid_school_code_is_accepted(code: str) -> None:
    validate_school_code(code)


@pytest.mark.parametrize(
    "code",
    ["211108000", "21110800011", "21110800A1", "ABCDEFGHIJ", "", "2111 80001", "21-1080001", " 211108000"],
)
def test_school_code_that_is_not_ten_digits_is_rejected(code: str) -> None:
    assert _error_code(validate_school_code, code) == "school_code_format"


def test_school_code_given_as_integer_is_rejected() -> None:
    assert _error_code(validate_school_code, 2111080001) == "school_code_format"


@pytest.mark.parametrize("category", [f"{n:02d}" for n in range(100)])
def test_school_code_is_accepted_only_with_known_category(category: str) -> None:
    code = f"{category}11080001"
    if category in KNOWN_SCHOOL_CATEGORIES:
        validate_school_code(code)
    else:
        assert _error_code(validate_school_code, code) == "school_code_category"


@pytest.mark.parametrize("province", [f"{n:02d}" for n in range(100)])
def test_school_code_is_accepted_only_with_known_province_digits(province: str) -> None:
    code = f"21{province}080001"
    if province in KNOWN_PROVINCES:
        validate_school_code(code)
    else:
        assert _error_code(validate_school_code, code) == "school_code_province"


def test_school_code_with_category_99_is_rejected_with_chinese_message() -> None:
    with pytest.raises(ValidationError) as exc_info:
        validate_school_code("9911080001")
    assert exc_info.value.code == "school_code_category"
    assert "99" in exc_info.value.messages[0] and "学校类别码" in exc_info.value.messages[0]


def test_school_code_with_province_99_is_rejected_with_chinese_message() -> None:
    with pytest.raises(ValidationError) as exc_info:
        validate_school_code("2199080001")
    assert exc_info.value.code == "school_code_province"
    assert "99" in exc_info.value.messages[0] and "省级行政区划代码" in exc_info.value.messages[0]


@pytest.mark.parametrize(
    "code",
    [
        pytest.param("2111٠٠٠٠٠١", id="arabic-indic-digits"),
        pytest.param(
            "2111０８０００１",
            id="full-width-digits",
        ),
        pytest.param("2111080001\n", id="trailing-newline"),
    ],
)
def test_school_code_with_non_ascii_digits_is_rejected(code: str) -> None:
    with pytest.raises(ValidationError):
        validate_school_code(code)


# --- credit codes -------------------------------------------------------------------------------

PUBLISHED_CREDIT_CODES = ["91350100M000100Y43", "91110000600037341L"]


@pytest.mark.parametrize("code", PUBLISHED_CREDIT_CODES)
def test_published_credit_code_has_the_hand_computed_check_character(code: str) -> None:
    assert gb32100_check_char(code[:17]) == code[17]


@pytest.mark.parametrize("code", PUBLISHED_CREDIT_CODES)
def test_published_credit_code_is_accepted(code: str) -> None:
    validate_credit_code(code)


@pytest.mark.parametrize(
    "first17", ["91110108MA0000001", "12100000400000624", "52110000500000000", "Y1110108000000000", "931101087000ABCDE"]
)
def test_credit_code_with_hand_computed_check_character_is_accepted(first17: str) -> None:
    validate_credit_code(first17 + gb32100_check_char(first17))


@pytest.mark.parametrize("code", PUBLISHED_CREDIT_CODES)
def test_credit_code_with_any_wrong_check_character_is_rejected(code: str) -> None:
    wrong = [c for c in GB32100_ALPHABET if c != code[17]]
    assert len(wrong) == 30
    for char in wrong:
        assert _error_code(validate_credit_code, code[:17] + char) == "credit_code_check", char


def test_credit_code_with_one_wrong_character_in_the_body_is_rejected() -> None:
    # Changing a body character without recomputing the check character must be caught.
    assert _error_code(validate_credit_code, "91350100M000100Y53") == "credit_code_check"
    assert _error_code(validate_credit_code, "91110000600037342L") == "credit_code_check"


@pytest.mark.parametrize("letter", list("IOZSV"))
def test_credit_code_with_letter_outside_the_charset_is_rejected(letter: str) -> None:
    code = "91350100M000100Y43"
    tampered = code[:8] + letter + code[9:]
    assert _error_code(validate_credit_code, tampered) == "credit_code_format"


@pytest.mark.parametrize("letter", list("IOZSV"))
def test_credit_code_with_letter_outside_the_charset_as_check_character_is_rejected(letter: str) -> None:
    assert _error_code(validate_credit_code, "91350100M000100Y4" + letter) == "credit_code_format"


def test_credit_code_with_letters_in_the_region_digits_is_rejected() -> None:
    first17 = "9135A100M000100Y4"  # positions 3–8 are a GB/T 2260 code: digits only
    assert _error_code(validate_credit_code, first17 + gb32100_check_char(first17)) == "credit_code_format"


@pytest.mark.parametrize("code", ["91350100M000100Y4", "91350100M000100Y431", "", "9"])
def test_credit_code_of_wrong_length_is_rejected(code: str) -> None:
    assert _error_code(validate_credit_code, code) == "credit_code_length"


def test_lower_case_credit_code_is_rejected_by_the_validator_itself() -> None:
    # The validator is strict; the form and the service upper-case the input before it is validated.
    assert _error_code(validate_credit_code, "91350100m000100y43") == "credit_code_format"
    validate_credit_code("91350100m000100y43".upper())


def test_credit_code_error_messages_are_chinese() -> None:
    for code in ("123", "91350100M000100YI3", "91350100M000100Y44"):
        with pytest.raises(ValidationError) as exc_info:
            validate_credit_code(code)
        assert "统一社会信用代码" in exc_info.value.messages[0]


def test_credit_code_with_full_width_digits_is_rejected_with_validation_error() -> None:
    with pytest.raises(ValidationError):
        validate_credit_code("91１１０１０８MA0000001X")

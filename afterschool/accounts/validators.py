"""Password rules (GB/T 22239 level 3): ≥ 8 characters, 3 of 4 character classes, not the username."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError


def character_classes(password: str) -> int:
    classes = [
        any(c.islower() and c.isascii() for c in password),
        any(c.isupper() and c.isascii() for c in password),
        any(c.isdigit() for c in password),
        any(not c.isalnum() for c in password),
    ]
    return sum(classes)


class CharacterClassesValidator:
    def __init__(self, min_classes: int = 3) -> None:
        self.min_classes = min_classes

    def validate(self, password: str, user: Any = None) -> None:
        if character_classes(password) < self.min_classes:
            raise ValidationError(
                "密码须包含大写字母、小写字母、数字、特殊字符中的至少 %(n)d 类",
                code="password_classes",
                params={"n": self.min_classes},
            )

    def get_help_text(self) -> str:
        return f"密码须包含大写字母、小写字母、数字、特殊字符中的至少 {self.min_classes} 类。"


class NotUsernameValidator:
    def validate(self, password: str, user: Any = None) -> None:
        if user is None:
            return
        candidates = {getattr(user, "username", "") or ""}
        mobile = getattr(user, "mobile", "") if getattr(user, "mobile_encrypted", "") else ""
        candidates.add(mobile)
        lowered = password.lower()
        for value in candidates:
            if value and (lowered == value.lower() or lowered == value.lower()[::-1]):
                raise ValidationError("密码不能与用户名或手机号相同", code="password_is_username")

    def get_help_text(self) -> str:
        return "密码不能与用户名相同。"


class MinimumLengthValidator:
    def __init__(self, min_length: int = 8) -> None:
        self.min_length = min_length

    def validate(self, password: str, user: Any = None) -> None:
        if len(password) < self.min_length:
            raise ValidationError(
                "密码太短，至少需要 %(n)d 个字符", code="password_too_short", params={"n": self.min_length}
            )

    def get_help_text(self) -> str:
        return f"密码至少需要 {self.min_length} 个字符。"


class CommonPasswordValidator:
    """Django's list of 20,000 common passwords, with a Chinese message."""

    def __init__(self) -> None:
        from django.contrib.auth.password_validation import CommonPasswordValidator as DjangoCommon

        self._inner = DjangoCommon()

    def validate(self, password: str, user: Any = None) -> None:
        if password.lower().strip() in self._inner.passwords:
            raise ValidationError("密码过于常见，请换一个", code="password_too_common")

    def get_help_text(self) -> str:
        return "不能使用常见密码。"

"""The one application error type. Services raise it; the API and pages translate it."""

from __future__ import annotations

from typing import Any


class AppError(Exception):
    """A refusal the user can act on: a stable code, a Chinese message, optional detail.

    `status` is the HTTP status the API answers with (always 4xx).
    """

    status: int = 400

    def __init__(self, code: str, message: str, *, detail: Any = None, status: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.detail = detail
        if status is not None:
            self.status = status

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "detail": self.detail}


class NotFound(AppError):
    """Missing and forbidden objects look the same to the caller."""

    status = 404

    def __init__(self, message: str = "对象不存在", *, code: str = "not_found", detail: Any = None) -> None:
        super().__init__(code, message, detail=detail)


class PermissionDenied(AppError):
    status = 403

    def __init__(
        self, message: str = "没有权限执行此操作", *, code: str = "permission_denied", detail: Any = None
    ) -> None:
        super().__init__(code, message, detail=detail)


class ValidationFailed(AppError):
    """Field errors: detail is {field: [messages]}."""

    status = 422

    def __init__(self, detail: dict[str, list[str]], message: str = "提交的数据有误", *, code: str = "invalid") -> None:
        super().__init__(code, message, detail=detail)


class Conflict(AppError):
    status = 409

    def __init__(self, code: str, message: str, *, detail: Any = None) -> None:
        super().__init__(code, message, detail=detail)

"""API conventions shared by every router: authentication, the error shape, paging.

- Auth: the browser's session (with CSRF) or `Authorization: Bearer <token>`; both resolve the Actor.
- Errors: always {"code", "message", "detail"} with a 4xx (500 only for a real bug, same shape).
  That includes a method the path does not support (405) and a body that is not JSON (400).
- Input text is `Text`: any string but NUL, which PostgreSQL cannot store (refused with a 422 at the boundary).
- Lists: ?page=1&page_size=20 (≤ 200) → {"items", "count", "page", "page_size", "num_pages"}; filters are
  plain query parameters named after fields, `q` is a free-text search.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Annotated, Any, ClassVar, Generic, TypeVar

from django.core.exceptions import ObjectDoesNotExist
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from ninja import Field, NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.renderers import JSONRenderer
from ninja.responses import NinjaJSONEncoder
from ninja.security import HttpBearer, SessionAuth
from pydantic import AfterValidator, PlainSerializer, StringConstraints, ValidationInfo, WithJsonSchema, field_validator

from afterschool.core.errors import AppError
from afterschool.core.pagination import MAX_PAGE_SIZE, paginate

logger = logging.getLogger("afterschool.api")

T = TypeVar("T")


# Every string an API client sends. PostgreSQL refuses a NUL character in text and jsonb (a DataError, i.e. a 500
# deep in a service or in the audit row); JSON and Python allow it, so the input schemas refuse it up front.
Text = Annotated[str, StringConstraints(pattern=r"^[^\x00]*$")]


def _wall_clock(value: dt.time) -> dt.time:
    if value.tzinfo is not None:
        raise ValueError("时间不带时区：按学校当地时间填写，如 15:40")
    return value


# A time of day at the school (lesson times are wall-clock times, DESIGN.md): "15:40" in and out; an offset is
# refused with a 422. Documented as a pattern, since JSON Schema's "time" format demands an offset.
WallTime = Annotated[
    dt.time,
    AfterValidator(_wall_clock),
    PlainSerializer(lambda value: value.strftime("%H:%M"), return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "pattern": r"^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?$", "examples": ["15:40"]}),
]


class WallTimeEncoder(NinjaJSONEncoder):
    """Times of day go out as the school's "15:40" (ninja dumps schemas in python mode, so WallTime's JSON
    serializer does not run there); a time with seconds keeps them."""

    def default(self, o: Any) -> Any:
        if isinstance(o, dt.time) and o.tzinfo is None:
            return o.strftime("%H:%M:%S" if o.second or o.microsecond else "%H:%M")
        return super().default(o)


class ApiRenderer(JSONRenderer):
    encoder_class = WallTimeEncoder


class ErrorOut(Schema):
    code: str
    message: str
    detail: Any = None


# The error responses every endpoint declares (the shape is ErrorOut): one definition for the whole API.
ERRORS: dict[int, Any] = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


class PatchSchema(Schema):
    """A partial update: a field may be left out, but one that is sent may be null only if listed in `nullable`."""

    nullable: ClassVar[frozenset[str]] = frozenset()

    @field_validator("*", mode="before")
    @classmethod
    def _refuse_null(cls, value: Any, info: ValidationInfo) -> Any:
        # Runs only for fields that were sent; a left-out field keeps its None default.
        if value is None and info.field_name not in cls.nullable:
            raise ValueError("不能为 null（不修改此字段时请不要传它）")
        return value


class PageParams(Schema):
    page: int = Field(1, ge=1, le=1_000_000, description="页码，从 1 开始")
    page_size: int = Field(20, ge=1, le=MAX_PAGE_SIZE, description="每页条数，最多 200")


class Paged(Schema, Generic[T]):
    items: list[T]
    count: int
    page: int
    page_size: int
    num_pages: int


def paged(queryset: QuerySet[Any], params: PageParams) -> dict[str, Any]:
    result = paginate(queryset, page=params.page, page_size=params.page_size)
    return {
        "items": result.items,
        "count": result.count,
        "page": result.page,
        "page_size": result.page_size,
        "num_pages": result.num_pages,
    }


class BearerTokenAuth(HttpBearer):
    """API clients: a token bound to one role of one user."""

    openapi_scheme = "bearer"

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        from afterschool.accounts.middleware import client_ip
        from afterschool.accounts.services import token_authenticate
        from afterschool.tenancy.actor import Actor

        api_token = token_authenticate(token)
        if api_token is None:
            return None
        request.actor = Actor(  # type: ignore[attr-defined]
            user=api_token.user,
            membership=api_token.membership,
            client_ip=client_ip(request),
            via="token",
            permissions=frozenset(api_token.membership.permissions or []),
        )
        return api_token.user


class SessionActorAuth(SessionAuth):
    """The browser: the logged-in session with its active role (CSRF checked on writes).

    CSRF guards a session that would authenticate the request; without a logged-in session there is nothing to
    guard, and the caller (an API client with no or a bad token) gets the 401, not a CSRF 403.
    """

    def __call__(self, request: HttpRequest) -> Any:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        return super().__call__(request)

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = super().authenticate(request, key)
        if user is None:
            return None
        actor = getattr(request, "actor", None)
        if actor is None or actor.membership is None:
            return None
        return user


def error_response(
    api: NinjaAPI, request: HttpRequest, *, status: int, code: str, message: str, detail: Any = None
) -> HttpResponse:
    return api.create_response(request, {"code": code, "message": message, "detail": detail}, status=status)


def install_error_handlers(api: NinjaAPI) -> None:
    @api.exception_handler(AppError)
    def _app_error(request: HttpRequest, exc: AppError) -> HttpResponse:
        if exc.status == 403:
            _record_denial(request, exc.message)
        return error_response(api, request, status=exc.status, code=exc.code, message=exc.message, detail=exc.detail)

    @api.exception_handler(NinjaValidationError)
    def _validation(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
        detail = [
            {
                "loc": [str(part) for part in err.get("loc", [])],
                "msg": str(err.get("msg", "")),
                "type": str(err.get("type", "")),
            }
            for err in exc.errors
        ]
        return error_response(api, request, status=422, code="invalid", message="请求数据不合法", detail=detail)

    @api.exception_handler(AuthenticationError)
    def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        return error_response(
            api, request, status=401, code="unauthenticated", message="未登录或令牌无效、已过期、已吊销"
        )

    @api.exception_handler(DjangoPermissionDenied)
    def _forbidden(request: HttpRequest, exc: DjangoPermissionDenied) -> HttpResponse:
        _record_denial(request, str(exc))
        return error_response(api, request, status=403, code="permission_denied", message="没有权限执行此操作")

    @api.exception_handler(Http404)
    def _not_found(request: HttpRequest, exc: Exception) -> HttpResponse:
        return error_response(api, request, status=404, code="not_found", message="对象不存在")

    @api.exception_handler(ObjectDoesNotExist)
    def _does_not_exist(request: HttpRequest, exc: Exception) -> HttpResponse:
        return error_response(api, request, status=404, code="not_found", message="对象不存在")

    @api.exception_handler(HttpError)
    def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        text = str(exc.message)
        if exc.status_code == 403 and "CSRF" in text:
            code, message = "csrf_failed", "CSRF 校验失败：浏览器会话的写请求须带 X-CSRFToken 头，请刷新页面后重试"
        elif exc.status_code == 400:
            code, message = "bad_request", "请求体不是合法的 JSON"
        else:
            code, message = "http_error", text
        return error_response(api, request, status=exc.status_code, code=code, message=message)

    @api.exception_handler(Exception)
    def _server_error(request: HttpRequest, exc: Exception) -> HttpResponse:
        logger.exception("unhandled API error", exc_info=exc)
        return error_response(api, request, status=500, code="server_error", message="服务器内部错误，请稍后重试")


def _record_denial(request: HttpRequest, reason: str) -> None:
    actor = getattr(request, "actor", None)
    if actor is not None and getattr(actor, "user", None) is not None:
        from afterschool.accounts.services import record_denial

        record_denial(actor=actor, reason=reason, path=request.path)


def actor_of(request: HttpRequest) -> Any:
    return request.actor  # type: ignore[attr-defined]

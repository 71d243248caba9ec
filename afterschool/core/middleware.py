"""Cross-cutting request handling that belongs to no domain."""

from __future__ import annotations

import json
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse

API_PREFIX = "/api/"

_FALLBACK = {
    404: ("not_found", "接口不存在"),
    405: ("method_not_allowed", "不支持该请求方法"),
}


class ApiErrorShapeMiddleware:
    """Every error under /api/ has the shape {"code", "message", "detail"}.

    The API's own handlers already answer so; this covers what reaches no handler: an unknown path (Django's
    404 page) and a method the path does not support (ninja's plain-text 405).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not request.path.startswith(API_PREFIX) or response.status_code < 400:
            return response
        if response.get("Content-Type", "").startswith("application/json") and _has_shape(response):
            return response
        code, message = _FALLBACK.get(response.status_code, ("http_error", "请求无法处理"))
        detail = None
        if response.status_code == 405 and response.has_header("Allow"):
            detail = {"allowed": [m.strip() for m in response["Allow"].split(",") if m.strip()]}
        shaped = JsonResponse({"code": code, "message": message, "detail": detail}, status=response.status_code)
        if response.has_header("Allow"):
            shaped["Allow"] = response["Allow"]
        return shaped


def _has_shape(response: HttpResponse) -> bool:
    try:
        body = json.loads(response.content)
    except (ValueError, TypeError):
        return False
    return isinstance(body, dict) and {"code", "message", "detail"} <= set(body)

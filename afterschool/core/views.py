"""Home page per role and the error pages. Helpers shared by every app's views."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.auth.decorators import login_required
from django.forms import BaseForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from afterschool.core.errors import AppError
from afterschool.core.pagination import paginate

HOME_TEMPLATES = {
    "system_admin": "core/home/system_admin.html",
    "bureau_admin": "core/home/bureau_admin.html",
    "school_admin": "core/home/school_admin.html",
    "teacher": "core/home/teacher.html",
    "org_admin": "core/home/org_admin.html",
    "org_teacher": "core/home/org_teacher.html",
    "org_staff": "core/home/org_teacher.html",
    "parent": "core/home/parent.html",
    "student": "core/home/student.html",
}


@login_required
def home(request: HttpRequest) -> HttpResponse:
    from afterschool.tenancy import selectors as tenancy_selectors

    actor = request.actor  # type: ignore[attr-defined]
    template = HOME_TEMPLATES.get(actor.role or "", "core/home/no_role.html")
    context: dict[str, Any] = {"summary": tenancy_selectors.tenancy_summary(actor=actor)}
    if actor.role in ("teacher", "org_teacher"):
        from afterschool.attendance.selectors.home import teacher_today

        context["today"] = teacher_today(actor)
        context["perms_patrol"] = actor.has_permission("patrol")
    elif actor.role in ("parent", "student"):
        from afterschool.attendance.selectors.home import family_today

        context["children_today"] = family_today(actor)
    return render(request, template, context)


def page_error(exc: AppError) -> Exception:
    """A service's refusal as the page's error to raise: PermissionDenied → the 403 page, anything else (NotFound)
    → the 404 page, so a forbidden object looks exactly like a missing one."""
    from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
    from django.http import Http404

    from afterschool.core.errors import PermissionDenied

    if isinstance(exc, PermissionDenied):
        return DjangoPermissionDenied(exc.message)
    return Http404()


def call_page(fn: Callable[..., Any], **kwargs: Any) -> Any:
    """Run a selector or service for a page; NotFound and PermissionDenied become the 404 and 403 pages."""
    from afterschool.core.errors import NotFound, PermissionDenied

    try:
        return fn(**kwargs)
    except (NotFound, PermissionDenied) as exc:
        raise page_error(exc) from None


def call_form(form: BaseForm, fn: Callable[..., Any], **kwargs: Any) -> Any:
    """Run a service behind a form: NotFound and PermissionDenied become the 404 and 403 pages, any other refusal
    is shown on the form (see form_error_from) and None is returned."""
    from afterschool.core.errors import NotFound, PermissionDenied

    try:
        return fn(**kwargs)
    except (NotFound, PermissionDenied) as exc:
        raise page_error(exc) from None
    except AppError as exc:
        form_error_from(form, exc)
        return None


def form_error_from(form: BaseForm, exc: AppError) -> None:
    """Show a service refusal on the form: field errors where the detail names fields, else a form error."""
    detail = exc.detail if isinstance(exc.detail, dict) else {}
    placed = False
    for field, messages in detail.items():
        if field in form.fields:
            for message in messages if isinstance(messages, list) else [messages]:
                form.add_error(field, str(message))
            placed = True
    if not placed:
        form.add_error(None, exc.message)


def list_context(request: HttpRequest, queryset: Any) -> dict[str, Any]:
    page = paginate(queryset, page=request.GET.get("page", 1), page_size=request.GET.get("page_size", 20))
    query = request.GET.copy()
    query.pop("page", None)
    return {"page": page, "query_string": query.urlencode()}


def healthz(request: HttpRequest) -> HttpResponse:
    """For the load balancer: 200 when the database and cache answer, 503 otherwise. No data, no login."""
    from django.http import JsonResponse

    from afterschool.core.selectors import health_status

    status = health_status()
    return JsonResponse(status, status=200 if status["status"] == "ok" else 503)


def error_400(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "errors/400.html", status=400)


def error_403(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    actor = getattr(request, "actor", None)
    if actor is not None and getattr(actor, "user", None) is not None:
        from afterschool.accounts.services import record_denial

        record_denial(actor=actor, reason=str(exception or "forbidden"), path=request.path)
    return render(request, "errors/403.html", status=403)


def error_404(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "errors/404.html", status=404)


def error_500(request: HttpRequest) -> HttpResponse:
    return render(request, "errors/500.html", status=500)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return render(request, "errors/403_csrf.html", status=403)

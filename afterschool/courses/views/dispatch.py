"""Pages: teacher dispatch (外派, §5.5.2) — list with filters and export, create, change, cancel (confirmed)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path

from afterschool.core.choices import CourseCategory
from afterschool.core.errors import AppError, NotFound, PermissionDenied
from afterschool.core.export import xlsx_response
from afterschool.core.views import form_error_from, list_context, page_error

from ..choices import DispatchStatus
from ..forms.dispatch import DispatchCancelForm, DispatchEditForm, DispatchForm
from ..models import Dispatch
from ..selectors import dispatch as selectors
from ..services import dispatch as services


def _actor(request: HttpRequest) -> Any:
    actor = request.actor  # type: ignore[attr-defined]
    if not actor.is_system_admin and not actor.has_role(*selectors.PAGE_READERS):
        raise DjangoPermissionDenied("当前角色不能查看教师外派")
    return actor


def _get(actor: Any, pk: int, *, manage: bool = False) -> Dispatch:
    try:
        return selectors.dispatch_get(actor=actor, dispatch_id=pk, manage=manage)
    except NotFound:
        raise Http404 from None


def _require_manager(actor: Any) -> None:
    if not services.may_manage_dispatch(actor):
        raise DjangoPermissionDenied("没有外派管理的权限")


def _labels(codes: list[str]) -> str:
    labels = dict(CourseCategory.choices)
    return "、".join(str(labels.get(c, c)) for c in codes)


@login_required
def dispatch_list(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    specs = [
        ("school", "学校", selectors.school_filter_choices(actor=actor)),
        ("teacher", "教师", selectors.teacher_filter_choices(actor=actor)),
        ("status", "状态", list(DispatchStatus.choices)),
    ]
    values: dict[str, Any] = {"q": request.GET.get("q", "").strip()[:64], "date": request.GET.get("date", "")[:10]}
    filter_rows = []
    for name, label, choices in specs:
        value = request.GET.get(name, "")
        values[name] = value if value in {str(c[0]) for c in choices} else ""
        filter_rows.append({"name": name, "label": label, "choices": choices, "value": values[name]})
    if request.GET.get("export") == "xlsx":
        return xlsx_response(filename="教师外派.xlsx", content=services.dispatch_export(actor=actor, filters=values))
    context = list_context(request, selectors.dispatch_list(actor=actor, filters=values))
    context["rows"] = [(d, _labels(d.course_categories)) for d in context["page"].items]
    context.update(
        {
            "filters": filter_rows,
            "q": values["q"],
            "date": values["date"],
            "can_create": services.may_manage_dispatch(actor),
        }
    )
    template = "courses/dispatch/_table.html" if request.htmx else "courses/dispatch/list.html"  # type: ignore[attr-defined]
    return render(request, template, context)


@login_required
def dispatch_detail(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    dispatch = _get(actor, pk)
    context = {
        "obj": dispatch,
        "categories": _labels(dispatch.course_categories),
        "can_manage": services.may_manage_dispatch(actor) and dispatch.status == DispatchStatus.ACTIVE,
    }
    return render(request, "courses/dispatch/detail.html", context)


@login_required
def dispatch_create(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    _require_manager(actor)
    form = DispatchForm(request.POST or None, actor=actor)
    if request.method == "POST" and form.is_valid():
        try:
            dispatch = services.dispatch_create(actor=actor, data=dict(form.cleaned_data))
        except (PermissionDenied, NotFound) as exc:
            raise page_error(exc) from None
        except AppError as exc:
            form_error_from(form, exc)
        else:
            messages.success(request, f"已外派：{dispatch}。")
            return redirect("courses:dispatch_detail", pk=dispatch.pk)
    return render(request, "courses/dispatch/form.html", {"form": form, "obj": None})


@login_required
def dispatch_edit(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    _require_manager(actor)
    dispatch = _get(actor, pk, manage=True)
    initial = {"ends_on": dispatch.ends_on, "course_categories": dispatch.course_categories}
    form = DispatchEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.dispatch_update(actor=actor, dispatch=dispatch, data=dict(form.cleaned_data))
        except (PermissionDenied, NotFound) as exc:
            raise page_error(exc) from None
        except AppError as exc:
            form_error_from(form, exc)
        else:
            messages.success(request, "外派已修改。")
            return redirect("courses:dispatch_detail", pk=dispatch.pk)
    return render(request, "courses/dispatch/form.html", {"form": form, "obj": dispatch})


@login_required
def dispatch_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    _require_manager(actor)
    dispatch = _get(actor, pk, manage=True)
    form = DispatchCancelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.dispatch_cancel(actor=actor, dispatch=dispatch, reason=form.cleaned_data["reason"])
        except (PermissionDenied, NotFound) as exc:
            raise page_error(exc) from None
        except AppError as exc:
            form_error_from(form, exc)
        else:
            messages.success(request, "外派已取消。")
            return redirect("courses:dispatch_detail", pk=dispatch.pk)
    return render(request, "courses/dispatch/cancel.html", {"form": form, "obj": dispatch})


urlpatterns: list[URLPattern] = [
    path("dispatches/", dispatch_list, name="dispatch_list"),
    path("dispatches/new/", dispatch_create, name="dispatch_create"),
    path("dispatches/<int:pk>/", dispatch_detail, name="dispatch_detail"),
    path("dispatches/<int:pk>/edit/", dispatch_edit, name="dispatch_edit"),
    path("dispatches/<int:pk>/cancel/", dispatch_cancel, name="dispatch_cancel"),
]

"""Pages: the bureau's overview of its schools and a read-only page per school (§5.1.1)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path, reverse

from afterschool.accounts.choices import AuditEventType
from afterschool.accounts.services import record_write
from afterschool.core.crud import _resolve
from afterschool.core.errors import NotFound, PermissionDenied
from afterschool.core.export import build_xlsx, xlsx_response
from afterschool.core.views import list_context
from afterschool.tenancy.choices import SchoolNature, SchoolType
from afterschool.tenancy.views import school_crud

from ..selectors import overview as selectors

COLUMNS: list[tuple[str, str]] = [
    ("学校名称", "name"),
    ("学校标识码", "code"),
    ("所属区县", "region.name"),
    ("办学类型", "school_type"),
    ("办学性质", "nature"),
    ("教职工", "staff_count"),
    ("班级", "class_count"),
    ("学生", "student_count"),
]
FILTERS = [("school_type", "办学类型", SchoolType.choices), ("nature", "办学性质", SchoolNature.choices)]


def _actor(request: HttpRequest) -> Any:
    actor = request.actor  # type: ignore[attr-defined]
    if not selectors.overview_allowed(actor):
        raise DjangoPermissionDenied("只有教育局管理者可以查看学校概况")
    return actor


def _as_text(value: Any) -> Any:
    return str(value) if isinstance(value, int) else value


@login_required
def overview_view(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    values = {"q": request.GET.get("q", "")}
    filters = []
    for name, label, choices in FILTERS:
        value = request.GET.get(name, "")
        values[name] = value if value in {c[0] for c in choices} else ""  # an unknown value is ignored
        filters.append({"name": name, "label": label, "choices": choices, "value": values[name]})
    try:
        queryset = selectors.school_overview_list(actor=actor, filters=values)
    except PermissionDenied as exc:
        raise DjangoPermissionDenied(exc.message) from None
    if request.GET.get("export") == "xlsx":
        rows = ([_resolve(school, accessor) for _, accessor in COLUMNS] for school in queryset)
        content = build_xlsx(headers=[label for label, _ in COLUMNS], rows=rows, sheet_title="学校概况")
        record_write(actor=actor, event=AuditEventType.EXPORT, obj=None, detail={"what": "school_overview", **values})
        return xlsx_response(filename="学校概况.xlsx", content=content)
    context = list_context(request, queryset)
    context["rows"] = [
        {
            # A count of 0 must show as 0, not as the table's "—" for a missing value.
            "cells": [(label, _as_text(_resolve(school, accessor))) for label, accessor in COLUMNS],
            "url": reverse("schools:overview_school", args=[school.pk]),
        }
        for school in context["page"].items
    ]
    context.update({"headers": [label for label, _ in COLUMNS], "filters": filters, "q": values["q"]})
    template = "core/crud/_table.html" if request.htmx else "schools/overview/list.html"  # type: ignore[attr-defined]
    return render(request, template, context)


@login_required
def overview_school_view(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    try:
        info = selectors.school_overview_get(actor=actor, school_id=pk)
    except NotFound:
        raise Http404 from None
    except PermissionDenied as exc:
        raise DjangoPermissionDenied(exc.message) from None
    fields = [(label, _resolve(info.school, accessor)) for label, accessor in school_crud.detail_fields]
    return render(request, "schools/overview/school.html", {"info": info, "fields": fields})


urlpatterns: list[URLPattern] = [
    path("overview/", overview_view, name="overview"),
    path("overview/<int:pk>/", overview_school_view, name="overview_school"),
]

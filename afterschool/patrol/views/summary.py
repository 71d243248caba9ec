"""Pages: the bureau's patrol summary (巡课汇总) per school of its region, and one school's summary per section with
its patrol records (read-only). Both export to xlsx (audited)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path

from afterschool.core.errors import NotFound
from afterschool.core.export import xlsx_response
from afterschool.core.views import list_context
from afterschool.tenancy.actor import Actor

from ..forms.summary import SummaryFilterForm
from ..selectors import patrols as patrol_selectors
from ..selectors import summary as selectors
from ..services import summary as services


def _bureau(request: HttpRequest) -> Actor:
    actor: Actor = request.actor  # type: ignore[attr-defined]
    if not selectors.may_read_summary(actor):
        raise DjangoPermissionDenied("只有教育局可以查看巡课汇总")
    return actor


def _filters(request: HttpRequest) -> tuple[SummaryFilterForm, dict[str, Any]]:
    form = SummaryFilterForm(request.GET or None)
    filters = dict(form.cleaned_data) if form.is_valid() else {}
    date_from, date_to = selectors.date_range(filters)
    return form, {**filters, "date_from": date_from, "date_to": date_to}


@login_required
def summary(request: HttpRequest) -> HttpResponse:
    actor = _bureau(request)
    form, filters = _filters(request)
    if request.GET.get("export") == "xlsx":
        content = services.summary_export(actor=actor, filters=filters)
        return xlsx_response(filename=f"巡课汇总-{filters['date_from']}至{filters['date_to']}.xlsx", content=content)
    rows = selectors.school_summary(actor=actor, filters=filters)
    context = {"form": form, "rows": rows, "date_from": filters["date_from"], "date_to": filters["date_to"]}
    return render(request, "patrol/summary/schools.html", context)


@login_required
def summary_school(request: HttpRequest, school_id: int) -> HttpResponse:
    """One school: per section, then its patrols in the range (each opens its detail)."""
    actor = _bureau(request)
    form, filters = _filters(request)
    try:
        school = selectors.summary_school(actor=actor, school_id=school_id)
    except NotFound:
        raise Http404() from None
    if request.GET.get("export") == "xlsx":
        content = services.summary_export(actor=actor, filters=filters, school_id=school.pk)
        return xlsx_response(filename=f"巡课汇总-{school.name}.xlsx", content=content)
    rows = selectors.section_summary(actor=actor, school_id=school.pk, filters=filters)
    patrol_filters = {"school": school.pk, "date_from": filters["date_from"], "date_to": filters["date_to"]}
    context: dict[str, Any] = list_context(request, patrol_selectors.patrol_list(actor=actor, filters=patrol_filters))
    teachers = patrol_selectors.lesson_teachers_of(context["page"].items)
    context.update(
        {
            "form": form, "school": school, "rows": rows, "date_from": filters["date_from"],
            "date_to": filters["date_to"],
            "patrols": [{"patrol": p, "teachers": teachers.get(p.lesson_id, [])} for p in context["page"].items],
        }
    )  # fmt: skip
    return render(request, "patrol/summary/school.html", context)


urlpatterns: list[URLPattern] = [
    path("summary/", summary, name="summary"),
    path("summary/schools/<int:school_id>/", summary_school, name="summary_school"),
]

"""Pages: slots (课后服务时段) — the Crud pages plus "generate a standard week"."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path

from afterschool.accounts.choices import AuditEventType, Role
from afterschool.accounts.services import record_write
from afterschool.core.choices import Weekday
from afterschool.core.crud import Crud, Filter, _resolve
from afterschool.core.errors import AppError, PermissionDenied
from afterschool.core.export import build_xlsx, xlsx_response
from afterschool.core.views import form_error_from, list_context

from ..forms.slots import StandardWeekForm, TimeSlotForm
from ..selectors import slots as selectors
from ..services import slots as services


class SlotCrud(Crud):
    """The standard Crud with its own list template (it carries the "generate a standard week" button)."""

    def list_view(self, request: HttpRequest) -> HttpResponse:
        if request.htmx:  # type: ignore[attr-defined]
            return super().list_view(request)
        actor = self._actor(request)
        weekday = request.GET.get("weekday", "")
        values = {
            "q": request.GET.get("q", ""),
            "weekday": weekday if weekday in {str(d) for d in Weekday.values} else "",
        }
        queryset = self.list_selector(actor=actor, filters=values)
        if request.GET.get("export") == "xlsx":
            rows = ([_resolve(obj, acc) for _, acc in self.columns] for obj in queryset.iterator())
            content = build_xlsx(headers=[label for label, _ in self.columns], rows=rows, sheet_title=self.verbose_name)
            record_write(actor=actor, event=AuditEventType.EXPORT, obj=None, detail={"what": self.name, **values})
            return xlsx_response(filename=f"{self.verbose_name}.xlsx", content=content)
        context = self._base_context(request)
        context.update(list_context(request, queryset))
        context["rows"] = [
            {
                "obj": obj,
                "cells": [(label, _resolve(obj, acc)) for label, acc in self.columns],
                "url": self.url("detail", obj.pk),
            }
            for obj in context["page"].items
        ]
        filters = [{"name": "weekday", "label": "星期", "choices": [(str(v), label) for v, label in Weekday.choices],
                    "value": values["weekday"]}]  # fmt: skip
        context.update({"headers": [label for label, _ in self.columns], "filters": filters, "q": values["q"]})
        return render(request, "scheduling/slots/list.html", context)


slot_crud = SlotCrud(
    namespace="scheduling",
    name="slot",
    verbose_name="课后服务时段",
    list_selector=selectors.time_slot_list,
    get_selector=selectors.time_slot_get,
    id_kwarg="slot_id",
    form_class=TimeSlotForm,
    columns=[
        ("时段", lambda s: str(s)),
        ("名称", "name"),
        ("星期", "weekday"),
        ("开始", lambda s: f"{s.starts_at:%H:%M}"),
        ("结束", lambda s: f"{s.ends_at:%H:%M}"),
        ("学校", "school.name"),
    ],
    detail_fields=[
        ("学校", "school"),
        ("星期", "weekday"),
        ("开始时间", lambda s: f"{s.starts_at:%H:%M}"),
        ("结束时间", lambda s: f"{s.ends_at:%H:%M}"),
        ("名称", "name"),
    ],
    create_service=services.time_slot_create,
    update_service=services.time_slot_update,
    delete_service=services.time_slot_delete,
    filters=[Filter("weekday", "星期", [(str(v), label) for v, label in Weekday.choices])],
    read_roles=(Role.SYSTEM_ADMIN, Role.BUREAU_ADMIN, Role.SCHOOL_ADMIN),
    write_roles=(Role.SYSTEM_ADMIN, Role.SCHOOL_ADMIN),
    search_placeholder="时段名称",
)


@login_required
def slot_generate_week(request: HttpRequest) -> HttpResponse:
    actor = slot_crud._actor(request, write=True)
    form = StandardWeekForm(request.POST or None, actor=actor)
    if request.method == "POST" and form.is_valid():
        data = {"school": form.cleaned_data.get("school")}
        try:
            created = services.time_slots_generate_week(
                actor=actor, data=data, weekdays=tuple(form.cleaned_data["weekdays"]), times=form.cleaned_data["times"]
            )
        except PermissionDenied as exc:
            raise DjangoPermissionDenied(exc.message) from None
        except AppError as exc:
            form_error_from(form, exc)
        else:
            messages.success(request, f"已生成 {len(created)} 个时段（已有的相同时段保留不变）。")
            return redirect("scheduling:slot_list")
    return render(request, "scheduling/slots/generate.html", {"form": form})


urlpatterns: list[URLPattern] = [
    path("slots/standard-week/", slot_generate_week, name="slot_generate_week"),
    *slot_crud.urls("slots"),
]

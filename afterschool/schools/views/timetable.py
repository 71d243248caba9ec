"""Pages: the regular weekly timetable of a class (rows = periods, columns = weekdays), its cells' forms, export.

School admins edit; the school's teachers and the bureau read it.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_POST

from afterschool.accounts.choices import AuditEventType, Role
from afterschool.accounts.services import record_write
from afterschool.core.errors import AppError, NotFound, PermissionDenied
from afterschool.core.export import build_xlsx, xlsx_response
from afterschool.core.views import form_error_from

from ..forms_structure import TimetableEntryForm
from ..models import SchoolClass
from ..selectors import timetable as selectors
from ..selectors.timetable import TIMETABLE_READERS
from ..services import timetable as services

WRITERS = (Role.SYSTEM_ADMIN, Role.SCHOOL_ADMIN)


def _actor(request: HttpRequest, *, write: bool = False) -> Any:
    actor = request.actor  # type: ignore[attr-defined]
    roles = WRITERS if write else TIMETABLE_READERS
    if not actor.is_system_admin and not actor.has_role(*roles):
        raise DjangoPermissionDenied("当前角色不能维护课表" if write else "当前角色不能查看课表")
    return actor


def _class(actor: Any, class_id: Any) -> SchoolClass:
    try:
        return selectors.timetable_class_get(actor=actor, school_class_id=class_id)
    except NotFound:
        raise Http404 from None


def _grid_url(school_class: SchoolClass) -> str:
    return f"{reverse('schools:timetable')}?class={school_class.pk}"


@login_required
def timetable_view(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    classes = list(selectors.timetable_classes(actor=actor))
    chosen = request.GET.get("class", "")
    if chosen:
        school_class: SchoolClass | None = _class(actor, chosen)
    else:
        school_class = classes[0] if classes else None
    if school_class is not None and request.GET.get("export") == "xlsx":
        return _export(actor, school_class)
    grid = selectors.timetable_grid(actor=actor, school_class=school_class) if school_class is not None else None
    several_schools = len({c.school_id for c in classes}) > 1
    context = {
        "classes": [(c.pk, f"{c.school.name} · {c}" if several_schools else str(c)) for c in classes],
        "school_class": school_class,
        "grid": grid,
        "can_write": actor.is_system_admin or actor.has_role(*WRITERS),
    }
    return render(request, "schools/timetable/grid.html", context)


def _export(actor: Any, school_class: SchoolClass) -> HttpResponse:
    entries = selectors.timetable_entry_list(actor=actor, filters={"school_class": school_class.pk})
    rows = (
        [
            e.get_weekday_display(),
            e.period,
            f"{e.starts_at:%H:%M}",
            f"{e.ends_at:%H:%M}",
            e.subject,
            e.teacher.name if e.teacher else "",
        ]
        for e in entries
    )
    content = build_xlsx(
        headers=["星期", "节次", "开始时间", "结束时间", "学科", "任课教师"], rows=rows, sheet_title=str(school_class)
    )
    record_write(actor=actor, event=AuditEventType.EXPORT, obj=school_class, detail={"what": "timetable"})
    return xlsx_response(filename=f"{school_class}课表.xlsx", content=content)


def _form_page(request: HttpRequest, *, actor: Any, school_class: SchoolClass, entry: Any = None) -> HttpResponse:
    initial = {}
    if entry is None:
        for name in ("weekday", "period"):
            if request.GET.get(name, "").isdigit():
                initial[name] = int(request.GET[name])
    form = TimetableEntryForm(
        request.POST or None, instance=entry, initial=initial, actor=actor, school_class=school_class
    )
    if request.method == "POST" and form.is_valid():
        try:
            if entry is None:
                services.timetable_entry_create(actor=actor, school_class=school_class, data=dict(form.cleaned_data))
            else:
                data = {name: form.cleaned_data[name] for name in form.changed_data}
                services.timetable_entry_update(actor=actor, entry=entry, data=data)
        except PermissionDenied as exc:
            raise DjangoPermissionDenied(exc.message) from None
        except NotFound:
            raise Http404 from None
        except AppError as exc:
            form_error_from(form, exc)
        else:
            messages.success(request, "课表已保存。")
            return redirect(_grid_url(school_class))
    context = {"form": form, "entry": entry, "school_class": school_class, "back": _grid_url(school_class)}
    return render(request, "schools/timetable/form.html", context)


@login_required
def entry_create_view(request: HttpRequest) -> HttpResponse:
    actor = _actor(request, write=True)
    school_class = _class(actor, request.GET.get("class", ""))
    return _form_page(request, actor=actor, school_class=school_class)


def _entry(actor: Any, pk: int) -> Any:
    try:
        return selectors.timetable_entry_get(actor=actor, entry_id=pk)
    except NotFound:
        raise Http404 from None


@login_required
def entry_edit_view(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request, write=True)
    entry = _entry(actor, pk)
    return _form_page(request, actor=actor, school_class=entry.school_class, entry=entry)


@login_required
@require_POST
def entry_delete_view(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request, write=True)
    entry = _entry(actor, pk)
    try:
        services.timetable_entry_delete(actor=actor, entry=entry)
    except PermissionDenied as exc:
        raise DjangoPermissionDenied(exc.message) from None
    except AppError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"已删除{entry.get_weekday_display()}第 {entry.period} 节（{entry.subject}）。")
    return redirect(_grid_url(entry.school_class))


urlpatterns = [
    path("timetable/", timetable_view, name="timetable"),
    path("timetable/entries/new/", entry_create_view, name="timetable_entry_create"),
    path("timetable/entries/<int:pk>/edit/", entry_edit_view, name="timetable_entry_edit"),
    path("timetable/entries/<int:pk>/delete/", entry_delete_view, name="timetable_entry_delete"),
]

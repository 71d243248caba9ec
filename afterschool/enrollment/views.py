"""Pages of enrollments: a section's students, with add (one, a class, all classes of a 原班 section) and remove."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from afterschool.accounts.choices import AuditEventType
from afterschool.accounts.services import record_write
from afterschool.core.errors import AppError, NotFound, PermissionDenied
from afterschool.core.export import build_xlsx, xlsx_response
from afterschool.core.views import form_error_from, list_context
from afterschool.scheduling.models import Section
from afterschool.tenancy.actor import Actor

from . import selectors, services
from .choices import EnrollmentStatus
from .forms import BatchEnrolForm, EnrolForm, ReasonForm


def to_django(exc: AppError) -> Exception:
    if isinstance(exc, PermissionDenied):
        return DjangoPermissionDenied(exc.message)
    return Http404()


def load_section(request: HttpRequest, section_id: int, *, write: bool = False) -> tuple[Actor, Section]:
    actor: Actor = request.actor  # type: ignore[attr-defined]
    try:
        section = selectors.section_get(actor=actor, section_id=section_id)
        if write:
            services.require_writer(actor)
    except (NotFound, PermissionDenied) as exc:
        raise to_django(exc) from None
    return actor, section


@login_required
def section_students(request: HttpRequest, section_id: int) -> HttpResponse:
    actor, section = load_section(request, section_id)
    if not actor.is_system_admin and not actor.has_role(*selectors.ADMIN_READERS):
        raise DjangoPermissionDenied("没有权限查看课班学生名单")
    status = request.GET.get("status", "")
    filters = {"q": request.GET.get("q", ""), "status": status if status in EnrollmentStatus.values else ""}
    queryset = selectors.section_enrollments(section=section, filters=filters)
    if request.GET.get("export") == "xlsx":
        rows = [
            (e.student.student_number, e.student.name, str(e.student.school_class), e.get_status_display(),
             e.get_source_display(), e.student.id_number_masked, e.end_reason)
            for e in queryset
        ]  # fmt: skip
        detail = {"what": "enrollments", "rows": len(rows)}
        record_write(actor=actor, event=AuditEventType.EXPORT, obj=section, detail=detail)
        content = build_xlsx(headers=["学籍号", "姓名", "班级", "状态", "来源", "身份证号", "结束原因"], rows=rows)
        return xlsx_response(filename=f"{section.name}学生名单.xlsx", content=content)
    writable = actor.is_system_admin or actor.has_role(*services.WRITERS)
    context: dict[str, Any] = {
        "section": section,
        "q": filters["q"],
        "status": filters["status"],
        "status_choices": EnrollmentStatus.choices,
        "active_count": services.active_count(section),
        "can_write": writable and section.status in services.PLACEABLE,
        "enrol_form": EnrolForm(section=section),
        "batch_form": BatchEnrolForm(section=section),
    }
    context.update(list_context(request, queryset))
    htmx = getattr(request, "htmx", False)
    template = "enrollment/_students_table.html" if htmx else "enrollment/section_students.html"
    return render(request, template, context)


@login_required
@require_POST
def section_enrol(request: HttpRequest, section_id: int) -> HttpResponse:
    actor, section = load_section(request, section_id, write=True)
    form = EnrolForm(request.POST, section=section)
    if form.is_valid():
        try:
            enrollment = services.enrollment_create(actor=actor, section=section, student=form.cleaned_data["student"])
        except AppError as exc:
            form_error_from(form, exc)
        else:
            messages.success(request, f"{enrollment.student.name}已加入课班。")
            return redirect("enrollment:section_students", section_id=section.pk)
    for error in [*form.non_field_errors(), *form.errors.get("student", [])]:
        messages.error(request, f"{error}")
    return redirect("enrollment:section_students", section_id=section.pk)


@login_required
@require_POST
def section_enrol_batch(request: HttpRequest, section_id: int) -> HttpResponse:
    actor, section = load_section(request, section_id, write=True)
    form = BatchEnrolForm(request.POST, section=section)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, f"{error}")
        return redirect("enrollment:section_students", section_id=section.pk)
    try:
        result = services.enrollment_batch_create(
            actor=actor, section=section, school_class=form.cleaned_data.get("school_class"),
            all_classes=bool(form.cleaned_data.get("all_classes")),
        )  # fmt: skip
    except AppError as exc:
        messages.error(request, exc.message)
        return redirect("enrollment:section_students", section_id=section.pk)
    return render(request, "enrollment/batch_result.html", {"section": section, "result": result})


@login_required
def enrollment_remove(request: HttpRequest, enrollment_id: int) -> HttpResponse:
    actor: Actor = request.actor  # type: ignore[attr-defined]
    try:
        services.require_writer(actor)
        enrollment = selectors.enrollment_get(actor=actor, enrollment_id=enrollment_id)
    except (NotFound, PermissionDenied) as exc:
        raise to_django(exc) from None
    form = ReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.enrollment_remove(actor=actor, enrollment=enrollment, reason=form.cleaned_data["reason"])
        except AppError as exc:
            form_error_from(form, exc)
        else:
            messages.success(request, f"{enrollment.student.name}已移出课班。")
            return redirect("enrollment:section_students", section_id=enrollment.section_id)
    status = 422 if request.method == "POST" else 200
    return render(request, "enrollment/remove_confirm.html", {"enrollment": enrollment, "form": form}, status=status)

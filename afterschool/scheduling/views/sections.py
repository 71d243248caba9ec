"""Pages: sections (课班) — list (search, filters, paging, export), create/edit with the weekly-slot editor, detail
(slots, teachers, capacity warning, lessons with their operations, history), status, lesson generation, delete."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.views.decorators.http import require_POST

from afterschool.core.errors import AppError, NotFound, PermissionDenied
from afterschool.core.export import xlsx_response
from afterschool.core.views import form_error_from, list_context
from afterschool.tenancy.models import School

from ..choices import SectionMode, SectionStatus
from ..forms.sections import SectionForm, SectionStatusForm, SlotFormSet, section_initial, slot_initial
from ..models import Section
from ..selectors import sections as selectors
from ..services import lessons as lesson_services
from ..services import sections as services


def _actor(request: HttpRequest) -> Any:
    return request.actor  # type: ignore[attr-defined]


def _get(actor: Any, pk: int) -> Section:
    try:
        return selectors.section_get(actor=actor, section_id=pk)
    except NotFound:
        raise Http404 from None


def _writer_school(actor: Any, section: Section | None = None) -> School:
    if not lesson_services.may_write_sections(actor):
        raise DjangoPermissionDenied("只有学校管理员可以维护课班")
    if section is not None:
        if not actor.is_system_admin and section.school_id != actor.school_id:
            raise Http404
        return section.school
    if actor.school_id is None:
        raise DjangoPermissionDenied("请以学校管理员身份新建课班")
    return School.objects.get(pk=actor.school_id)


def _raise_page(exc: AppError) -> None:
    if isinstance(exc, PermissionDenied):
        raise DjangoPermissionDenied(exc.message)
    if isinstance(exc, NotFound):
        raise Http404


def _show_conflicts(form: Any, exc: AppError) -> None:
    detail = exc.detail if isinstance(exc.detail, dict) else {}
    if isinstance(detail.get("conflicts"), list):
        form.add_error(None, "时间冲突，未保存：")
        for message in detail["conflicts"][:20]:
            form.add_error(None, message)
        return
    form_error_from(form, exc)
    for field, field_messages in detail.items():  # rules on no single form field (slots, status …)
        if field not in form.fields and isinstance(field_messages, list):
            for message in field_messages:
                form.add_error(None, str(message))


@login_required
def section_list(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    qs = selectors.section_list(actor=actor, filters={})
    choice_specs: list[tuple[str, str, list[tuple[str, str]]]] = [
        ("term", "学期", sorted({(str(s.term_id), str(s.term)) for s in qs}, reverse=True)),
        ("status", "状态", [(str(v), str(lbl)) for v, lbl in SectionStatus.choices]),
        ("mode", "上课形式", [(str(v), str(lbl)) for v, lbl in SectionMode.choices]),
        ("course", "课程", sorted({(str(s.course_id), s.course.name) for s in qs}, key=lambda c: c[1])),
        (
            "grade",
            "年级",
            sorted(
                {(str(g.pk), f"{g.name}") for s in qs.prefetch_related("grades") for g in s.grades.all()},
                key=lambda c: c[1],
            ),
        ),
        (
            "teacher",
            "教师",
            sorted(
                {
                    (str(t.pk), t.display_name or t.username)
                    for s in qs.prefetch_related("teachers")
                    for t in s.teachers.all()
                },
                key=lambda c: c[1],
            ),
        ),
    ]
    values: dict[str, Any] = {"q": request.GET.get("q", "").strip()[:64]}
    filter_rows = []
    for name, label, choices in choice_specs:
        value = request.GET.get(name, "")
        values[name] = value if value in {c[0] for c in choices} else ""
        filter_rows.append({"name": name, "label": label, "choices": choices, "value": values[name]})
    if request.GET.get("export") == "xlsx":
        return xlsx_response(filename="课班.xlsx", content=services.section_export(actor=actor, filters=values))
    queryset = selectors.section_list(actor=actor, filters=values).prefetch_related("teachers", "slots")
    context = list_context(request, queryset)
    context.update(
        {
            "filters": filter_rows,
            "q": values["q"],
            "can_create": lesson_services.may_write_sections(actor) and actor.school_id,
        }
    )
    template = "scheduling/sections/_table.html" if getattr(request, "htmx", False) else "scheduling/sections/list.html"
    return render(request, template, context)


def _slots_from(formset: Any) -> list[dict[str, Any]]:
    return [slot for slot in (f.slot() for f in formset.forms) if slot is not None]


def _service_data(form: SectionForm, formset: Any) -> dict[str, Any]:
    data = dict(form.cleaned_data)
    data["fee_fen"] = services.fen_from_yuan(data.pop("fee_yuan") or Decimal(0), field="fee_fen")
    data["materials_fee_fen"] = services.fen_from_yuan(
        data.pop("materials_fee_yuan") or Decimal(0), field="materials_fee_fen"
    )
    data["grades"] = list(data["grades"])
    data["classes"] = list(data["classes"])
    data["teachers"] = list(data["teachers"])
    data["slots"] = _slots_from(formset)
    return data


def _edit_page(request: HttpRequest, section: Section | None) -> HttpResponse:
    actor = _actor(request)
    school = _writer_school(actor, section)
    if section is not None and section.status not in services.EDITABLE_STATUSES:
        messages.error(request, f"课班{section.get_status_display()}，不能修改；调课、停课、代课请在课次上操作。")
        return redirect("scheduling:section_detail", pk=section.pk)
    initial = section_initial(section) if section is not None else None
    form = SectionForm(request.POST or None, school=school, initial=initial)
    formset = SlotFormSet(
        request.POST or None,
        prefix="slots",
        initial=slot_initial(section) if section is not None else None,
        form_kwargs={"school": school},
    )
    if section is not None:  # course and term are fixed once the section exists
        form.fields["course"].disabled = True
        form.fields["term"].disabled = True
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        try:
            data = _service_data(form, formset)
            if section is None:
                saved = services.section_create(actor=actor, data=data)
            else:
                data.pop("course", None)
                data.pop("term", None)
                saved = services.section_update(actor=actor, section=section, data=data)
        except AppError as exc:
            _raise_page(exc)
            _show_conflicts(form, exc)
        else:
            messages.success(request, "课班已保存。")
            for warning in services.section_warnings(saved):
                messages.warning(request, warning)
            return redirect("scheduling:section_detail", pk=saved.pk)
    return render(request, "scheduling/sections/form.html", {"form": form, "formset": formset, "obj": section})


@login_required
def section_create(request: HttpRequest) -> HttpResponse:
    return _edit_page(request, None)


@login_required
def section_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _edit_page(request, _get(_actor(request), pk))


def _panel_context(actor: Any, section: Section) -> dict[str, Any]:
    """The section operations' panel (split / move students / cancel …), written by the operations area."""
    from ..selectors import operations as operations_selectors

    panel = getattr(operations_selectors, "section_panel_context", None)
    return dict(panel(actor=actor, section=section)) if panel is not None else {}


@login_required
def section_detail(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    section = _get(actor, pk)
    can_write = lesson_services.may_write_sections(actor) and (
        actor.is_system_admin or section.school_id == actor.school_id
    )
    lessons = list(
        section.lessons.select_related("venue", "chapter", "makeup_for")
        .prefetch_related("teachers")
        .order_by("date", "starts_at", "pk")
    )
    context: dict[str, Any] = {
        "obj": section,
        "slots": list(section.slots.all()),
        "teacher_links": list(section.teacher_links.select_related("user")),
        "grades": list(section.grades.all()),
        "classes": list(section.classes.select_related("grade")),
        "warnings": services.section_warnings(section),
        "lessons": [(lesson, not lesson_services.is_past(lesson.date, lesson.starts_at)) for lesson in lessons],
        "events": list(selectors.section_events(actor=actor, section=section)[:100]),
        "can_write": can_write,
        "editable": can_write and section.status in services.EDITABLE_STATUSES,
        "lesson_ops": can_write and section.status not in (SectionStatus.CANCELLED, SectionStatus.FINISHED),
        "status_form": SectionStatusForm(),
        "fee_yuan": Decimal(section.fee_fen) / 100,
        "materials_fee_yuan": Decimal(section.materials_fee_fen) / 100,
    }
    context.update(_panel_context(actor, section))
    return render(request, "scheduling/sections/detail.html", context)


@login_required
@require_POST
def section_status(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    section = _get(actor, pk)
    _writer_school(actor, section)
    form = SectionStatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, "请选择新状态。")
        return redirect("scheduling:section_detail", pk=pk)
    try:
        services.section_set_status(actor=actor, section=section, status=form.cleaned_data["status"])
    except AppError as exc:
        _raise_page(exc)
        detail = exc.detail if isinstance(exc.detail, dict) else {}
        messages.error(request, "；".join(str(m) for ms in detail.values() for m in ms) or exc.message)
    else:
        messages.success(request, "课班状态已更新。")
    return redirect("scheduling:section_detail", pk=pk)


@login_required
@require_POST
def lessons_generate(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    section = _get(actor, pk)
    _writer_school(actor, section)
    try:
        created = lesson_services.lessons_generate(actor=actor, section=section)
    except AppError as exc:
        _raise_page(exc)
        detail = exc.detail if isinstance(exc.detail, dict) else {}
        if isinstance(detail.get("conflicts"), list):
            messages.error(request, exc.message)
        else:
            messages.error(request, "；".join(str(m) for ms in detail.values() for m in ms) or exc.message)
    else:
        messages.success(request, f"已生成 {len(created)} 个课次。")
    return redirect("scheduling:section_detail", pk=pk)


@login_required
def section_delete(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    section = _get(actor, pk)
    _writer_school(actor, section)
    error = ""
    if request.method == "POST":
        try:
            services.section_delete(actor=actor, section=section)
        except AppError as exc:
            _raise_page(exc)
            error = exc.message
        else:
            messages.success(request, f"课班“{section.name}”已删除。")
            return redirect("scheduling:section_list")
    return render(request, "scheduling/sections/confirm_delete.html", {"obj": section, "error": error})


urlpatterns: list[URLPattern] = [
    path("sections/", section_list, name="section_list"),
    path("sections/new/", section_create, name="section_create"),
    path("sections/<int:pk>/", section_detail, name="section_detail"),
    path("sections/<int:pk>/edit/", section_edit, name="section_edit"),
    path("sections/<int:pk>/delete/", section_delete, name="section_delete"),
    path("sections/<int:pk>/status/", section_status, name="section_status"),
    path("sections/<int:pk>/generate-lessons/", lessons_generate, name="lessons_generate"),
]

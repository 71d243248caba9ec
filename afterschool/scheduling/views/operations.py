"""Pages: operations — split, move students, cancel a section (school admins)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path

from afterschool.core.errors import AppError
from afterschool.core.views import form_error_from
from afterschool.enrollment.views import load_section

from ..forms.operations import CancelForm, MoveForm, SplitForm
from ..selectors import operations as selectors
from ..services import operations as services


def _errors_of(exc: AppError) -> list[str]:
    detail = exc.detail if isinstance(exc.detail, dict) else {}
    return [str(m) for items in detail.values() for m in (items if isinstance(items, list) else [items])]


@login_required
def section_split(request: HttpRequest, section_id: int) -> HttpResponse:
    actor, section = load_section(request, section_id, write=True)
    form = SplitForm(request.POST or None, section=section)
    reasons: list[str] = []
    if request.method == "POST" and form.is_valid():
        try:
            parts = services.section_split(
                actor=actor, section=section, parts=form.cleaned_data["parts"],
                strategy=form.cleaned_data["strategy"], chosen=form.cleaned_data["chosen_ids"],
            )  # fmt: skip
        except AppError as exc:
            form.add_error(None, exc.message)
            reasons = _errors_of(exc)
        else:
            names = "、".join(p.name for p in parts)
            messages.success(request, f"已分班：{names}。新课班为草稿，请安排场地、教师和上课时间。")
            return redirect("scheduling:section_detail", pk=section.pk)
    context = {
        "section": section, "form": form, "reasons": reasons,
        "students": selectors.active_enrollments(section=section),
    }  # fmt: skip
    return render(request, "scheduling/operations/split.html", context, status=422 if form.errors else 200)


@login_required
def section_move(request: HttpRequest, section_id: int) -> HttpResponse:
    actor, section = load_section(request, section_id, write=True)
    form = MoveForm(request.POST or None, section=section)
    reasons: list[str] = []
    if request.method == "POST" and form.is_valid():
        target = form.cleaned_data["target"]
        try:
            moved = services.students_move(
                actor=actor, source=section, target=target,
                students=[e.student for e in form.cleaned_data["students"]], reason=form.cleaned_data["reason"],
            )  # fmt: skip
        except AppError as exc:
            form.add_error(None, exc.message)
            reasons = _errors_of(exc)
        else:
            messages.success(request, f"已将 {len(moved)} 名学生调至“{target.name}”。")
            return redirect("scheduling:section_detail", pk=section.pk)
    context = {"section": section, "form": form, "reasons": reasons}
    return render(request, "scheduling/operations/move.html", context, status=422 if form.errors else 200)


@login_required
def section_cancel(request: HttpRequest, section_id: int) -> HttpResponse:
    actor, section = load_section(request, section_id, write=True)
    form = CancelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.section_cancel(actor=actor, section=section, reason=form.cleaned_data["reason"])
        except AppError as exc:
            form_error_from(form, exc)
        else:
            messages.success(request, f"课班“{section.name}”已取消。")
            return redirect("scheduling:section_detail", pk=section.pk)
    context = {"section": section, "form": form, "active_count": selectors.active_enrollments(section=section).count()}
    return render(request, "scheduling/operations/cancel.html", context, status=422 if form.errors else 200)


urlpatterns: list[URLPattern] = [
    path("sections/<int:section_id>/split/", section_split, name="section_split"),
    path("sections/<int:section_id>/move/", section_move, name="section_move"),
    path("sections/<int:section_id>/cancel/", section_cancel, name="section_cancel"),
]

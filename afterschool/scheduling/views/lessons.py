"""Pages: one lesson's operations — move (调课), cancel with optional make-up (停课/补课), substitute (代课)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path

from afterschool.core.errors import AppError, NotFound, PermissionDenied
from afterschool.core.views import form_error_from

from ..forms.lessons import LessonCancelForm, LessonMoveForm, LessonSubstituteForm
from ..models import Lesson
from ..selectors import lessons as selectors
from ..services import lessons as services


def _lesson_for_write(request: HttpRequest, pk: int) -> tuple[Any, Lesson]:
    actor = request.actor  # type: ignore[attr-defined]
    try:
        lesson = selectors.lesson_get(actor=actor, lesson_id=pk)
    except NotFound:
        raise Http404 from None
    if not services.may_write_sections(actor):
        raise DjangoPermissionDenied("只有学校管理员可以调整课次")
    if not actor.is_system_admin and lesson.section.school_id != actor.school_id:
        raise Http404
    return actor, lesson


def _refusal(form: Any, exc: AppError) -> None:
    if isinstance(exc, PermissionDenied):
        raise DjangoPermissionDenied(exc.message)
    if isinstance(exc, NotFound):
        raise Http404
    detail = exc.detail if isinstance(exc.detail, dict) else {}
    if isinstance(detail.get("conflicts"), list):
        form.add_error(None, "时间冲突，未保存：")
        for message in detail["conflicts"][:20]:
            form.add_error(None, message)
        return
    form_error_from(form, exc)
    for message in detail.get("__all__", []) if isinstance(detail.get("__all__"), list) else []:
        form.add_error(None, message)


def _page(request: HttpRequest, template: str, lesson: Lesson, form: Any, title: str) -> HttpResponse:
    return render(request, template, {"lesson": lesson, "obj": lesson.section, "form": form, "title": title})


@login_required
def lesson_move(request: HttpRequest, pk: int) -> HttpResponse:
    actor, lesson = _lesson_for_write(request, pk)
    initial = {"date": lesson.date, "starts_at": lesson.starts_at, "ends_at": lesson.ends_at, "venue": lesson.venue_id}
    form = LessonMoveForm(request.POST or None, school=lesson.section.school, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.lesson_move(actor=actor, lesson=lesson, **form.cleaned_data)
        except AppError as exc:
            _refusal(form, exc)
        else:
            messages.success(request, "已调课，并已通知相关教师和家长。")
            return redirect("scheduling:section_detail", pk=lesson.section_id)
    return _page(request, "scheduling/lessons/form.html", lesson, form, "调课")


@login_required
def lesson_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    actor, lesson = _lesson_for_write(request, pk)
    form = LessonCancelForm(request.POST or None, school=lesson.section.school)
    if request.method == "POST" and form.is_valid():
        try:
            services.lesson_cancel(
                actor=actor, lesson=lesson, reason=form.cleaned_data["reason"], makeup=form.makeup_data()
            )
        except AppError as exc:
            _refusal(form, exc)
        else:
            messages.success(request, "已停课，并已通知相关教师和家长。")
            return redirect("scheduling:section_detail", pk=lesson.section_id)
    return _page(request, "scheduling/lessons/form.html", lesson, form, "停课 / 补课")


@login_required
def lesson_substitute(request: HttpRequest, pk: int) -> HttpResponse:
    actor, lesson = _lesson_for_write(request, pk)
    form = LessonSubstituteForm(request.POST or None, lesson=lesson)
    if request.method == "POST" and form.is_valid():
        try:
            services.lesson_substitute(actor=actor, lesson=lesson, **form.cleaned_data)
        except AppError as exc:
            _refusal(form, exc)
        else:
            messages.success(request, "已安排代课，并已通知相关教师和家长。")
            return redirect("scheduling:section_detail", pk=lesson.section_id)
    return _page(request, "scheduling/lessons/form.html", lesson, form, "代课")


urlpatterns: list[URLPattern] = [
    path("lessons/<int:pk>/move/", lesson_move, name="lesson_move"),
    path("lessons/<int:pk>/cancel/", lesson_cancel, name="lesson_cancel"),
    path("lessons/<int:pk>/substitute/", lesson_substitute, name="lesson_substitute"),
]

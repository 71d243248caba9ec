"""Pages of student attendance: a teacher's day (今日课程), a lesson's roll (点名: one tap per student, htmx), and the
parent's view of a child's lessons and attendance (孩子考勤, refreshed every minute)."""

from __future__ import annotations

import datetime as dt
import importlib
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.views.decorators.http import require_GET, require_POST

from afterschool.core import timeutil
from afterschool.core.errors import AppError, NotFound, PermissionDenied
from afterschool.core.views import call_page, page_error
from afterschool.scheduling.models import Lesson
from afterschool.tenancy.actor import Actor

from ..forms.roll import CheckoutForm, DayForm, MarkForm
from ..selectors import roll as selectors
from ..selectors.common import TEACHING_ROLES, may_manage_school
from ..services import roll as services


def _actor(request: HttpRequest) -> Actor:
    return request.actor  # type: ignore[attr-defined]


def _lesson(actor: Actor, lesson_id: int) -> Lesson:
    return call_page(selectors.roll_lesson, actor=actor, lesson_id=lesson_id)  # type: ignore[no-any-return]


def _int_or_none(value: Any) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 0 < number < 2**62 else None


def _form_error(form: Form) -> str:
    for errors in form.errors.values():
        return str(errors[0])
    return "提交的数据有误"


def _refusal(exc: AppError) -> str:
    """The service's message, with the field messages that name what was wrong."""
    if isinstance(exc.detail, dict):
        found = [str(m) for messages_ in exc.detail.values() if isinstance(messages_, list) for m in messages_]
        if found:
            return "；".join(found)
    return exc.message


def checkin_panel_for(actor: Actor, lesson: Lesson) -> Any:
    """The teacher check-in panel (built by the check-in area), or None while that area is not there."""
    try:
        module = importlib.import_module("afterschool.attendance.selectors.checkin")
    except ImportError:
        return None
    build = getattr(module, "checkin_panel", None)
    return build(actor=actor, lesson=lesson) if build is not None else None


# --- a teacher's day ------------------------------------------------------------------------------------------


@login_required
@require_GET
def today_view(request: HttpRequest) -> HttpResponse:
    """Teachers: today's lessons as big cards, then the next 7 days. School admins: their school's lessons of a
    day (date picker, today by default)."""
    actor = _actor(request)
    if not selectors.may_see_days(actor):
        raise DjangoPermissionDenied("当前角色没有点名的课次")
    today = timeutil.local_now().date()
    teaching = actor.role in TEACHING_ROLES
    form = DayForm(request.GET or None)
    day = today
    if not teaching and form.is_bound and form.is_valid() and form.cleaned_data.get("date"):
        day = form.cleaned_data["date"]
    cards = selectors.lesson_cards(actor=actor, lessons=selectors.day_lessons(actor=actor, day=day))
    upcoming: list[tuple[dt.date, str, list[selectors.LessonCard]]] = []
    if teaching:
        for card in selectors.lesson_cards(actor=actor, lessons=selectors.upcoming_lessons(actor=actor, after=today)):
            if not upcoming or upcoming[-1][0] != card.lesson.date:
                upcoming.append((card.lesson.date, card.weekday, []))
            upcoming[-1][2].append(card)
    context = {
        "title": "今日课程" if day == today else f"{day.month}月{day.day}日课程",
        "day": day,
        "weekday": selectors.WEEKDAYS[day.weekday()],
        "is_today": day == today,
        "teaching": teaching,
        "is_admin": may_manage_school(actor),
        "form": form,
        "cards": cards,
        "upcoming": upcoming,
        "prev_day": day - dt.timedelta(days=1),
        "next_day": day + dt.timedelta(days=1),
    }
    return render(request, "attendance/roll/today.html", context)


# --- a lesson's roll --------------------------------------------------------------------------------------------


def _roll_context(actor: Actor, lesson: Lesson) -> dict[str, Any]:
    rows = selectors.roll_rows(lesson)
    return {
        "lesson": lesson,
        "rows": rows,
        "counts": selectors.roll_counts(rows),
        "window": selectors.roll_window(lesson),
        "status_buttons": selectors.STATUS_BUTTONS,
    }


@login_required
@require_GET
def lesson_view(request: HttpRequest, lesson_id: int) -> HttpResponse:
    actor = _actor(request)
    lesson = _lesson(actor, lesson_id)
    context = _roll_context(actor, lesson)
    context.update(
        {
            "chapter": selectors.chapter_label(lesson),
            "teachers": selectors.teacher_names(lesson),
            "venue": selectors.venue_name(lesson),
            "weekday": selectors.WEEKDAYS[lesson.date.weekday()],
            "checkin_panel": checkin_panel_for(actor, lesson),
        }
    )
    return render(request, "attendance/roll/lesson.html", context)


def _row_response(request: HttpRequest, actor: Actor, lesson: Lesson, student_id: int | None, error: str) -> Any:
    """htmx: the student's row again (with the refusal, if any) and the counts out of band; the roster when the
    student is not on the roll."""
    context = _roll_context(actor, lesson)
    row = next((r for r in context["rows"] if r.student.pk == student_id), None)
    if row is None:
        context["error"] = error or "该学生不在本课次的点名名单中"
        response = render(request, "attendance/roll/_roster.html", context)
        response["HX-Retarget"] = "#roster"
        response["HX-Reswap"] = "outerHTML"
        return response
    context.update({"row": row, "error": error, "oob": True})
    return render(request, "attendance/roll/_row_response.html", context)


def _done(request: HttpRequest, lesson: Lesson, error: str, success: str) -> HttpResponse:
    if error:
        messages.error(request, error)
    elif success:
        messages.success(request, success)
    return redirect("attendance:lesson", lesson_id=lesson.pk)


def _call(call: Any) -> str:
    """Run the service; the refusal as text ('' when it went through). Missing answers as 404."""
    try:
        call()
    except (NotFound, PermissionDenied) as exc:
        raise page_error(exc) from None
    except AppError as exc:
        return _refusal(exc)
    return ""


@login_required
@require_POST
def lesson_mark(request: HttpRequest, lesson_id: int) -> HttpResponse:
    """One tap: one student's status."""
    actor = _actor(request)
    lesson = _lesson(actor, lesson_id)
    form = MarkForm(request.POST)
    student_id: int | None = None
    if form.is_valid():
        student_id = form.cleaned_data["student"]
        mark = {"student_id": student_id, "status": form.cleaned_data["status"], "note": form.cleaned_data["note"]}
        error = _call(lambda: services.attendance_mark(actor=actor, lesson=lesson, marks=[mark]))
    else:
        error = _form_error(form)
        student_id = _int_or_none(request.POST.get("student"))
    if request.htmx:  # type: ignore[attr-defined]
        return _row_response(request, actor, lesson, student_id, error)
    return _done(request, lesson, error, "已保存")


@login_required
@require_POST
def lesson_mark_all(request: HttpRequest, lesson_id: int) -> HttpResponse:
    """未点名的全部出勤."""
    actor = _actor(request)
    lesson = _lesson(actor, lesson_id)
    error = _call(lambda: services.attendance_mark_unmarked(actor=actor, lesson=lesson))
    if request.htmx:  # type: ignore[attr-defined]
        context = _roll_context(actor, lesson)
        context["error"] = error
        return render(request, "attendance/roll/_roster.html", context)
    return _done(request, lesson, error, "未点名的学生已全部记为出勤")


@login_required
@require_POST
def lesson_checkout(request: HttpRequest, lesson_id: int) -> HttpResponse:
    """全部签退 (no student), or one student's 签退."""
    actor = _actor(request)
    lesson = _lesson(actor, lesson_id)
    form = CheckoutForm(request.POST)
    student_id: int | None = None
    if form.is_valid():
        student_id = form.cleaned_data.get("student")
        ids = [student_id] if student_id else None
        error = _call(lambda: services.attendance_check_out(actor=actor, lesson=lesson, student_ids=ids))
    else:
        error = _form_error(form)
    if request.htmx:  # type: ignore[attr-defined]
        if student_id:
            return _row_response(request, actor, lesson, student_id, error)
        context = _roll_context(actor, lesson)
        context["error"] = error
        return render(request, "attendance/roll/_roster.html", context)
    return _done(request, lesson, error, "已签退")


# --- the parent's view ------------------------------------------------------------------------------------------


@login_required
@require_GET
def child_view(request: HttpRequest, student_id: int | None = None) -> HttpResponse:
    """A parent's child (or a student itself): every lesson of each enrolled course with its attendance."""
    actor = _actor(request)
    if not selectors.may_see_children(actor):
        raise DjangoPermissionDenied("只有家长和学生可以查看孩子考勤")
    children = selectors.children(actor=actor)
    child = None
    if student_id is not None:
        child = call_page(selectors.child_get, actor=actor, student_id=student_id)
    elif children:
        child = children[0]
    courses = selectors.child_courses(student=child) if child is not None else []
    context = {
        "title": f"{child.name} 的考勤" if child is not None else "孩子考勤",
        "children": children,
        "child": child,
        "courses": courses,
        "now": timeutil.local_now(),
    }
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "attendance/roll/_child_courses.html", context)
    return render(request, "attendance/roll/child.html", context)


urlpatterns: list[URLPattern] = [
    path("today/", today_view, name="today"),
    path("lessons/<int:lesson_id>/", lesson_view, name="lesson"),
    path("lessons/<int:lesson_id>/mark/", lesson_mark, name="lesson_mark"),
    path("lessons/<int:lesson_id>/mark-all/", lesson_mark_all, name="lesson_mark_all"),
    path("lessons/<int:lesson_id>/checkout/", lesson_checkout, name="lesson_checkout"),
    path("children/", child_view, name="child"),
    path("children/<int:student_id>/", child_view, name="child"),
]

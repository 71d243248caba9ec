"""Pages of teachers' check-in: the 签到/签退 posts behind the panel (htmx re-renders the panel; a plain post
redirects back), a standalone page with the lesson and its panel, 我的签到, and the school's 教师签到记录."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from afterschool.accounts.choices import AuditEventType
from afterschool.accounts.services import record_write
from afterschool.core import timeutil
from afterschool.core.errors import AppError, NotFound, PermissionDenied
from afterschool.core.export import build_xlsx, xlsx_response
from afterschool.core.views import list_context
from afterschool.scheduling.models import Lesson
from afterschool.tenancy.actor import Actor

from ..forms.checkin import CheckinFilterForm, MyCheckinFilterForm, PositionForm
from ..models import TeacherCheckin
from ..selectors import checkin as selectors
from ..services import checkin as services

EXPORT_LIMIT = 50000


def _actor(request: HttpRequest) -> Actor:
    return request.actor  # type: ignore[attr-defined]


def _lesson(actor: Actor, lesson_id: int, *, page: bool = False) -> Lesson:
    try:
        if page:
            return selectors.checkin_page_lesson(actor, lesson_id)
        return selectors.checkin_lesson(actor, lesson_id)
    except NotFound:
        raise Http404() from None


def _safe_next(request: HttpRequest, value: str, lesson: Lesson) -> str:
    if value and url_has_allowed_host_and_scheme(value, allowed_hosts={request.get_host()}, require_https=False):
        return value
    return reverse("attendance:checkin_page", args=[lesson.pk])


def _post(request: HttpRequest, lesson_id: int, *, out: bool) -> HttpResponse:
    actor = _actor(request)
    lesson = _lesson(actor, lesson_id)
    form = PositionForm(request.POST)
    form.is_valid()  # text fields: always valid; an over-long value is left out and refused by the service
    data = form.cleaned_data
    service = services.teacher_check_out if out else services.teacher_check_in
    error = success = ""
    try:
        row = service(actor, lesson, data.get("latitude"), data.get("longitude"), data.get("accuracy"))
    except AppError as exc:
        if isinstance(exc, NotFound | PermissionDenied):
            raise Http404() from None
        error = exc.message
    else:
        success = services.outcome_message(row, out=out)
    next_url = _safe_next(request, data.get("next") or "", lesson)
    if request.htmx:  # type: ignore[attr-defined]
        panel = selectors.checkin_panel(actor, lesson)
        panel.update(error=error, success=success, next=next_url)
        return render(request, "attendance/checkin/_panel.html", {"panel": panel, "swap": True})
    if error:
        messages.error(request, error)
    else:
        messages.success(request, success)
    return redirect(next_url)


@login_required
@require_POST
def checkin(request: HttpRequest, lesson_id: int) -> HttpResponse:
    return _post(request, lesson_id, out=False)


@login_required
@require_POST
def checkout(request: HttpRequest, lesson_id: int) -> HttpResponse:
    return _post(request, lesson_id, out=True)


@login_required
def checkin_page(request: HttpRequest, lesson_id: int) -> HttpResponse:
    """The lesson's header and its check-in panel (the roll page includes the same panel)."""
    actor = _actor(request)
    lesson = _lesson(actor, lesson_id, page=True)
    context = {"lesson": lesson, "checkin_panel": selectors.checkin_panel(actor, lesson)}
    return render(request, "attendance/checkin/page.html", context)


@login_required
def my_checkins(request: HttpRequest) -> HttpResponse:
    """我的签到: the teacher's lessons (newest first) with its check-in and check-out, a link to check in today."""
    actor = _actor(request)
    if not selectors.is_teaching_role(actor):
        raise DjangoPermissionDenied("只有教师可以查看自己的签到")
    today = timeutil.local_now().date()
    data = request.GET.copy()
    if not request.GET:
        data["date_from"] = (today - dt.timedelta(days=30)).isoformat()
        data["date_to"] = (today + dt.timedelta(days=7)).isoformat()
    form = MyCheckinFilterForm(data, sections=selectors.list_sections(actor, None))
    filters = form.cleaned_data if form.is_valid() else {}
    context: dict[str, Any] = {"form": form}
    context.update(list_context(request, selectors.my_lessons(actor, filters)))
    lessons = list(context["page"].items)
    rows = selectors.own_checkins_by_lesson(actor, lessons)
    now = timeutil.local_now()
    context["rows"] = [
        {"lesson": lesson, "row": rows.get(lesson.pk), "over": selectors.lesson_over(lesson, now),
         "today": lesson.date == today}
        for lesson in lessons
    ]  # fmt: skip
    return render(request, "attendance/checkin/mine.html", context)


EXPORT_HEADERS = [
    "学校", "课班", "课程", "日期", "上课时间", "教师", "签到时间", "签到距离（米）", "签到定位误差（米）",
    "签到精度差", "签退时间", "签退距离（米）", "签退定位误差（米）", "签退精度差",
]  # fmt: skip


def _when(moment: dt.datetime | None) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else ""


def _lesson_cells(lesson: Lesson, teacher: Any) -> list[Any]:
    section = lesson.section
    return [
        section.school.name, section.name, section.course.name, lesson.date.isoformat(),
        f"{lesson.starts_at:%H:%M}–{lesson.ends_at:%H:%M}", str(teacher),
    ]  # fmt: skip


def _export_row(row: TeacherCheckin) -> list[Any]:
    return [
        *_lesson_cells(row.lesson, row.teacher), _when(row.checked_in_at), row.in_distance_m, row.in_accuracy_m,
        "是" if row.in_flagged else "", _when(row.checked_out_at), row.out_distance_m, row.out_accuracy_m,
        "是" if row.out_flagged else "",
    ]  # fmt: skip


def _missing_row(pair: Any) -> list[Any]:
    return [*_lesson_cells(pair.lesson, pair.user), "未签到", "", "", "", "", "", "", ""]


def _int(value: Any) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 0 < number < 2**62 else None


@login_required
def checkins(request: HttpRequest) -> HttpResponse:
    """教师签到记录: the school's (the bureau's region's) check-ins, or the lessons that ended without one."""
    actor = _actor(request)
    if not selectors.may_read_checkins(actor):
        raise DjangoPermissionDenied("没有权限查看教师签到记录")
    schools = selectors.list_schools(actor)
    school_id = actor.school_id if actor.school_id is not None else _int(request.GET.get("school"))
    form = CheckinFilterForm(
        request.GET or None, schools=schools if actor.school_id is None else [],
        teachers=selectors.list_teachers(actor, school_id), sections=selectors.list_sections(actor, school_id),
    )  # fmt: skip
    filters = dict(form.cleaned_data) if form.is_valid() else {}
    missing = bool(filters.get("missing"))
    queryset: Any = selectors.missing_checkins(actor, filters) if missing else selectors.checkin_list(actor, filters)
    if request.GET.get("export") == "xlsx":
        items = list(queryset[:EXPORT_LIMIT])
        rows = [_missing_row(p) for p in items] if missing else [_export_row(r) for r in items]
        record_write(
            actor=actor, event=AuditEventType.EXPORT, obj=actor.user,
            detail={"what": "teacher_checkins", "rows": len(rows),
                    "filters": {k: str(v) for k, v in filters.items() if v}},
        )  # fmt: skip
        name = "教师未签到课次.xlsx" if missing else "教师签到记录.xlsx"
        return xlsx_response(filename=name, content=build_xlsx(headers=EXPORT_HEADERS, rows=rows))
    context: dict[str, Any] = {
        "form": form, "missing": missing, "show_school": actor.school_id is None,
        "show_teacher": school_id is not None,
    }  # fmt: skip
    context.update(list_context(request, queryset))
    return render(request, "attendance/checkin/list.html", context)


urlpatterns: list[URLPattern] = [
    path("lessons/<int:lesson_id>/checkin/", checkin, name="checkin"),
    path("lessons/<int:lesson_id>/teacher-checkout/", checkout, name="checkout"),
    path("lessons/<int:lesson_id>/checkin-page/", checkin_page, name="checkin_page"),
    path("checkins/", checkins, name="checkins"),
    path("checkins/mine/", my_checkins, name="my_checkins"),
]

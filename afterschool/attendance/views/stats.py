"""Pages of the attendance statistics (考勤统计, §5.2.4.2): students grouped by student, section, class, grade,
school or date; teachers' check-ins; and per lesson the roll counts, check-ins and patrols. Each exports to xlsx
(audited). School admins and bureau admins (with a school filter); not teachers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path
from django.utils import timezone

from afterschool.attendance.forms.stats import StatsFilterForm, StudentStatsFilterForm
from afterschool.attendance.selectors import stats as selectors
from afterschool.attendance.services.stats import stats_export_record
from afterschool.core.errors import AppError
from afterschool.core.export import build_xlsx, xlsx_response
from afterschool.core.views import list_context
from afterschool.tenancy.actor import Actor

EXPORT_LIMIT = 50000


def _actor(request: HttpRequest) -> Actor:
    actor: Actor = request.actor  # type: ignore[attr-defined]
    if not selectors.may_read(actor):
        raise DjangoPermissionDenied("只有学校管理员和教育局可以查看考勤统计")
    return actor


def pct(value: Decimal | None) -> str:
    return "—" if value is None else f"{value}%"


def _hm(value: dt.datetime | None) -> str:
    return timezone.localtime(value).strftime("%H:%M") if value else ""


def _filters(actor: Actor, form: Form) -> dict[str, Any]:
    """The valid filters of the form (an invalid one is shown and left out), with the date range filled in."""
    form.is_valid()
    data = {k: v for k, v in getattr(form, "cleaned_data", {}).items() if v not in (None, "")}
    if not selectors.sees_schools(actor):
        data.pop("school", None)
    try:
        return selectors.with_range(actor=actor, filters=data)
    except AppError:
        data.pop("date_from", None)
        data.pop("date_to", None)
        return selectors.with_range(actor=actor, filters=data)


def _context(request: HttpRequest, actor: Actor, form: Form, filters: dict[str, Any], rows: Any) -> dict[str, Any]:
    context: dict[str, Any] = {
        "form": form, "filters": filters, "sees_schools": selectors.sees_schools(actor),
        **selectors.filter_choices(actor=actor, filters=filters),
    }  # fmt: skip
    context.update(list_context(request, rows))
    return context


def _export(
    actor: Actor, what: str, title: str, headers: list[str], rows: Iterable[list[Any]], filters: dict[str, Any]
) -> HttpResponse:
    rows = list(rows)
    stats_export_record(actor=actor, what=what, rows=len(rows), filters=filters)
    return xlsx_response(filename=f"{title}.xlsx", content=build_xlsx(headers=headers, rows=rows, sheet_title=title))


def _wants_export(request: HttpRequest) -> bool:
    return request.GET.get("export") == "xlsx"


# --- students -----------------------------------------------------------------------------------------------

DETAIL_HEADER = {"student": "班级", "section": "课程"}
COUNT_HEADERS = [
    "课次",
    "应到",
    "已点名",
    "出勤",
    "迟到",
    "早退",
    "缺勤",
    "请假",
    "未点名",
    "出勤率",
    "缺勤率",
    "请假率",
]


def _student_cells(row: selectors.StudentStatsRow) -> list[Any]:
    return [
        row.lessons, row.expected, row.marked, row.present, row.late, row.left_early, row.absent, row.leave,
        row.unmarked, pct(row.attendance_rate), pct(row.absence_rate), pct(row.leave_rate),
    ]  # fmt: skip


@login_required
def student_stats(request: HttpRequest) -> HttpResponse:
    """考勤统计: the students' attendance in the range, grouped as chosen, with rates."""
    actor = _actor(request)
    form = StudentStatsFilterForm(request.GET or None)
    filters = _filters(actor, form)
    default = "school" if selectors.sees_schools(actor) else "student"
    group_by = filters.pop("group_by", None) or default
    rows = selectors.student_stats(actor=actor, filters=filters, group_by=group_by)
    label = selectors.GROUPS[group_by]
    detail = DETAIL_HEADER.get(group_by)
    with_school = selectors.sees_schools(actor) and group_by != "school"
    if _wants_export(request):
        headers = [label] + ([detail] if detail else []) + (["学校"] if with_school else []) + COUNT_HEADERS
        cells = (
            [r.label] + ([r.detail] if detail else []) + ([r.school_name] if with_school else []) + _student_cells(r)
            for r in rows[:EXPORT_LIMIT]
        )
        filters["group_by"] = group_by
        return _export(actor, "attendance_students", f"学生考勤统计-按{label}", headers, cells, filters)
    context = _context(request, actor, form, filters, rows)
    query = request.GET.copy()
    query.pop("page", None)
    links = []
    for code, name in selectors.GROUPS.items():
        if code == "school" and not selectors.sees_schools(actor):
            continue
        query["group_by"] = code
        links.append({"code": code, "label": name, "query": query.urlencode()})
    context.update({
        "group_by": group_by, "group_label": label, "detail_header": detail, "with_school": with_school,
        "group_links": links, "count_headers": COUNT_HEADERS,
        "rows": [
            {"row": r, "cells": zip(COUNT_HEADERS, _student_cells(r), strict=True)} for r in context["page"].items
        ],
    })  # fmt: skip
    return render(request, "attendance/stats/students.html", context)


# --- teachers -----------------------------------------------------------------------------------------------

TEACHER_HEADERS = ["授课课次", "已签到", "准时", "迟到", "未签到", "已签退", "定位异常", "请假", "签到率", "准时率"]


def _teacher_cells(row: selectors.TeacherStatsRow) -> list[Any]:
    return [
        row.taught, row.checked_in, row.on_time, row.late, row.missing, row.checked_out, row.flagged, row.leave,
        pct(row.checkin_rate), pct(row.on_time_rate),
    ]  # fmt: skip


@login_required
def teacher_stats(request: HttpRequest) -> HttpResponse:
    """教师考勤: per teacher (school staff and dispatched organization teachers) its check-ins in the range."""
    actor = _actor(request)
    form = StatsFilterForm(request.GET or None)
    filters = _filters(actor, form)
    rows = selectors.teacher_stats(actor=actor, filters=filters)
    with_school = selectors.sees_schools(actor)
    if _wants_export(request):
        headers = ["教师", "所属机构"] + (["学校"] if with_school else []) + TEACHER_HEADERS
        cells = (
            [r.teacher_name, r.organization or "本校"] + ([r.school_name] if with_school else []) + _teacher_cells(r)
            for r in rows[:EXPORT_LIMIT]
        )
        return _export(actor, "attendance_teachers", "教师考勤统计", headers, cells, filters)
    context = _context(request, actor, form, filters, rows)
    context.update({
        "with_school": with_school, "headers": TEACHER_HEADERS,
        "rows": [
            {"row": r, "cells": zip(TEACHER_HEADERS, _teacher_cells(r), strict=True)} for r in context["page"].items
        ],
    })  # fmt: skip
    return render(request, "attendance/stats/teachers.html", context)


# --- lessons ------------------------------------------------------------------------------------------------

LESSON_HEADERS = [
    "日期", "时间", "学校", "课班", "教师", "签到时间", "签退时间", "签到距离（米）", "签到定位精度（米）", "定位异常",
    "应到", "出勤", "迟到", "早退", "缺勤", "请假", "未点名", "巡课次数", "巡课平均得分率",
]  # fmt: skip


def patrol_text(lesson: Any) -> str:
    if not lesson.patrol_count:
        return "未巡课"
    return f"{lesson.patrol_count} 次 · 平均 {Decimal(lesson.patrol_score).quantize(Decimal('0.1'))}%"


def _lesson_row(lesson: Any) -> dict[str, Any]:
    return {
        "lesson": lesson, "checks": selectors.lesson_teacher_checks(lesson),
        "expected": lesson.marked + lesson.unmarked, "patrol": patrol_text(lesson),
    }  # fmt: skip


def _lesson_cells(row: dict[str, Any]) -> list[Any]:
    lesson, checks = row["lesson"], row["checks"]

    def joined(values: Iterable[Any]) -> str:
        return "；".join("" if v is None else str(v) for v in values)

    flagged = ["是" if c.in_flagged or c.out_flagged else "否" for c in checks]
    return [
        lesson.date.isoformat(), f"{lesson.starts_at:%H:%M}–{lesson.ends_at:%H:%M}", lesson.section.school.name,
        lesson.section.name, joined(c.name for c in checks),
        joined(_hm(c.checked_in_at) or "未签到" for c in checks), joined(_hm(c.checked_out_at) for c in checks),
        joined(c.in_distance_m for c in checks), joined(c.in_accuracy_m for c in checks), joined(flagged),
        row["expected"], lesson.present, lesson.late, lesson.left_early, lesson.absent, lesson.leave,
        lesson.unmarked, lesson.patrol_count,
        "" if lesson.patrol_score is None else float(Decimal(lesson.patrol_score).quantize(Decimal("0.1"))),
    ]  # fmt: skip


@login_required
def lesson_stats(request: HttpRequest) -> HttpResponse:
    """课次考勤明细: every lesson held in the range with its teachers' check-ins, roll counts and patrols."""
    actor = _actor(request)
    form = StatsFilterForm(request.GET or None)
    filters = _filters(actor, form)
    lessons = selectors.lesson_stats(actor=actor, filters=filters)
    if _wants_export(request):
        cells = (_lesson_cells(_lesson_row(lesson)) for lesson in lessons[:EXPORT_LIMIT])
        return _export(actor, "attendance_lessons", "课次考勤明细", LESSON_HEADERS, cells, filters)
    context = _context(request, actor, form, filters, lessons)
    context["rows"] = [_lesson_row(lesson) for lesson in context["page"].items]
    return render(request, "attendance/stats/lessons.html", context)


urlpatterns: list[URLPattern] = [
    path("stats/", student_stats, name="stats"),
    path("stats/teachers/", teacher_stats, name="teacher_stats"),
    path("stats/lessons/", lesson_stats, name="lesson_stats"),
]

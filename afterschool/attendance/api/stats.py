"""/api/v1/attendance/stats/ — attendance statistics: students (grouped), teachers, lessons (with check-ins and
patrols). School admins (their school), bureau admins (their region), the platform."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, cast

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Query, Router

from afterschool.attendance.schemas.stats import (
    LessonStatsPage,
    StatsFilters,
    StudentStatsFilters,
    StudentStatsPage,
    TeacherStatsPage,
)
from afterschool.attendance.selectors import stats as selectors
from afterschool.core.api import ERRORS, PageParams, actor_of
from afterschool.core.pagination import paginate
from afterschool.scheduling.models import Lesson

router = Router(tags=["考勤与请假"])


def _page(
    items: Sequence[Any] | QuerySet[Any], paging: PageParams, out: Callable[[Any], dict[str, Any]]
) -> dict[str, Any]:
    result = paginate(cast(QuerySet[Any], items), page=paging.page, page_size=paging.page_size)
    return {
        "items": [out(x) for x in result.items], "count": result.count, "page": result.page,
        "page_size": result.page_size, "num_pages": result.num_pages,
    }  # fmt: skip


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def student_out(row: selectors.StudentStatsRow) -> dict[str, Any]:
    return {
        "group_by": row.group_by, "key": row.key, "label": row.label, "detail": row.detail,
        "school_name": row.school_name, "lessons": row.lessons, "expected": row.expected, "marked": row.marked,
        "present": row.present, "late": row.late, "left_early": row.left_early, "absent": row.absent,
        "leave": row.leave, "unmarked": row.unmarked, "attendance_rate": _float(row.attendance_rate),
        "absence_rate": _float(row.absence_rate), "leave_rate": _float(row.leave_rate),
    }  # fmt: skip


def teacher_out(row: selectors.TeacherStatsRow) -> dict[str, Any]:
    return {
        "teacher_id": row.teacher_id, "teacher_name": row.teacher_name, "organization": row.organization,
        "school_id": row.school_id, "school_name": row.school_name, "taught": row.taught,
        "checked_in": row.checked_in, "on_time": row.on_time, "late": row.late, "missing": row.missing,
        "checked_out": row.checked_out, "flagged": row.flagged, "leave": row.leave,
        "checkin_rate": _float(row.checkin_rate), "on_time_rate": _float(row.on_time_rate),
    }  # fmt: skip


def lesson_out(lesson: Any) -> dict[str, Any]:
    return {
        "lesson_id": lesson.pk, "date": lesson.date, "starts_at": lesson.starts_at, "ends_at": lesson.ends_at,
        "section_id": lesson.section_id, "section_name": lesson.section.name,
        "course_name": lesson.section.course.name, "school_name": lesson.section.school.name,
        "teachers": [vars(check) for check in selectors.lesson_teacher_checks(lesson)],
        "expected": lesson.marked + lesson.unmarked, "present": lesson.present, "late": lesson.late,
        "left_early": lesson.left_early, "absent": lesson.absent, "leave": lesson.leave,
        "unmarked": lesson.unmarked, "patrols": lesson.patrol_count, "patrol_score": _float(lesson.patrol_score),
    }  # fmt: skip


def _ranged(request: HttpRequest, filters: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    actor = actor_of(request)
    selectors.require_reader(actor)
    return actor, selectors.with_range(actor=actor, filters=filters)


@router.get("/stats/students", response={200: StudentStatsPage, **ERRORS}, summary="学生考勤统计")
def stats_students(request: HttpRequest, filters: Query[StudentStatsFilters], paging: Query[PageParams]) -> Any:
    data = filters.dict()
    group_by = data.pop("group_by")
    actor, data = _ranged(request, data)
    rows = selectors.student_stats(actor=actor, filters=data, group_by=group_by)
    return {**_page(rows, paging, student_out), "date_from": data["date_from"], "date_to": data["date_to"]}


@router.get("/stats/teachers", response={200: TeacherStatsPage, **ERRORS}, summary="教师考勤统计")
def stats_teachers(request: HttpRequest, filters: Query[StatsFilters], paging: Query[PageParams]) -> Any:
    actor, data = _ranged(request, filters.dict())
    rows = selectors.teacher_stats(actor=actor, filters=data)
    return {**_page(rows, paging, teacher_out), "date_from": data["date_from"], "date_to": data["date_to"]}


@router.get("/stats/lessons", response={200: LessonStatsPage, **ERRORS}, summary="课次考勤明细（签到与巡课）")
def stats_lessons(request: HttpRequest, filters: Query[StatsFilters], paging: Query[PageParams]) -> Any:
    actor, data = _ranged(request, filters.dict())
    lessons: QuerySet[Lesson] = selectors.lesson_stats(actor=actor, filters=data)
    return {**_page(lessons, paging, lesson_out), "date_from": data["date_from"], "date_to": data["date_to"]}

"""/api/v1/attendance/ — roll: a lesson's roll, marks (bulk) and check-out, a teacher's lessons of the day, and a
child's lessons with their attendance (parents, students)."""

from __future__ import annotations

from typing import Any, cast

from django.http import HttpRequest
from ninja import Query, Router

from afterschool.core import timeutil
from afterschool.core.api import ERRORS, Paged, PageParams, actor_of, paged
from afterschool.core.errors import ValidationFailed
from afterschool.scheduling.models import Lesson

from ..schemas.roll import (
    CheckoutIn,
    ChildLessonOut,
    ChildLessonQuery,
    MarkResultOut,
    MarksIn,
    RollOut,
    TodayLessonOut,
    TodayQuery,
)
from ..selectors import roll as selectors
from ..selectors.common import aware
from ..services import roll as services

router = Router(tags=["考勤与请假"])


def _head(lesson: Lesson) -> dict[str, Any]:
    return {
        "id": lesson.pk,
        "number": lesson.number,
        "date": lesson.date,
        "weekday": selectors.WEEKDAYS[lesson.date.weekday()],
        "starts_at": lesson.starts_at,
        "ends_at": lesson.ends_at,
        "status": lesson.status,
        "course": lesson.section.course.name,
        "section_id": lesson.section_id,
        "section": lesson.section.name,
        "chapter": selectors.chapter_label(lesson),
        "venue": selectors.venue_name(lesson),
        "teachers": [str(user) for user in lesson.teachers.all()],
    }


def _roll(lesson: Lesson) -> dict[str, Any]:
    rows = selectors.roll_rows(lesson)
    counts = selectors.roll_counts(rows)
    window = selectors.roll_window(lesson)
    return {
        "lesson": _head(lesson),
        "phase": window.phase,
        "opens_at": aware(window.opens),
        "ends_at": aware(window.end),
        "correction_deadline": aware(window.deadline),
        "counts": {
            "total": counts.total,
            "marked": counts.marked,
            "attended": counts.attended,
            "checked_out": counts.checked_out,
            "by_status": counts.by_status,
        },
        "students": [
            {
                "student_id": row.student.pk,
                "name": row.student.name,
                "class_name": row.class_name,
                "status": row.status or None,
                "status_label": row.status_label,
                "checked_in_at": row.attendance.checked_in_at if row.attendance else None,
                "checked_out_at": row.attendance.checked_out_at if row.attendance else None,
                "note": row.attendance.note if row.attendance else "",
                "leave_id": row.attendance.leave_id if row.attendance else None,
                "corrected": bool(row.attendance and row.attendance.corrected),
            }
            for row in rows
        ],
    }


@router.get("/lessons/{lesson_id}/roll", response={200: RollOut, **ERRORS}, summary="课次点名名单（学生与考勤状态）")
def roll_get(request: HttpRequest, lesson_id: int) -> Any:
    return _roll(selectors.roll_lesson(actor=actor_of(request), lesson_id=lesson_id))


@router.post("/lessons/{lesson_id}/marks", response={200: MarkResultOut, **ERRORS}, summary="点名（可批量）")
def roll_mark(request: HttpRequest, lesson_id: int, payload: MarksIn) -> Any:
    actor = actor_of(request)
    lesson = selectors.roll_lesson(actor=actor, lesson_id=lesson_id)
    marks = [{"student_id": m.student_id, "status": m.status.value, "note": m.note} for m in payload.marks]
    result = services.attendance_mark(actor=actor, lesson=lesson, marks=marks)
    return {"changed": len(result.changes), "correction": result.correction, "roll": _roll(lesson)}


@router.post("/lessons/{lesson_id}/checkout", response={200: MarkResultOut, **ERRORS}, summary="学生签退")
def roll_checkout(request: HttpRequest, lesson_id: int, payload: CheckoutIn) -> Any:
    actor = actor_of(request)
    lesson = selectors.roll_lesson(actor=actor, lesson_id=lesson_id)
    result = services.attendance_check_out(actor=actor, lesson=lesson, student_ids=payload.student_ids)
    return {"changed": len(result.changes), "correction": result.correction, "roll": _roll(lesson)}


@router.get("/today", response={200: list[TodayLessonOut], **ERRORS}, summary="我今天的课（学校管理员：本校某天的课）")
def today(request: HttpRequest, query: Query[TodayQuery]) -> Any:
    actor = actor_of(request)
    day = query.date or timeutil.local_now().date()
    cards = selectors.lesson_cards(actor=actor, lessons=selectors.day_lessons(actor=actor, day=day))
    return [
        {
            "lesson": _head(card.lesson),
            "state": card.state,
            "total": card.total,
            "marked": card.marked,
            "progress": card.progress,
            "classes": card.classes,
            "checkin": card.checkin,
        }
        for card in cards
    ]


@router.get(
    "/children/{student_id}/lessons",
    response={200: Paged[ChildLessonOut], **ERRORS},
    summary="孩子的课次与考勤（家长、学生本人）",
)
def child_lessons(
    request: HttpRequest, student_id: int, query: Query[ChildLessonQuery], paging: Query[PageParams]
) -> Any:
    actor = actor_of(request)
    student = selectors.child_get(actor=actor, student_id=student_id)
    if query.start and query.end and query.end < query.start:
        raise ValidationFailed({"end": ["结束日期不能早于开始日期"]})
    items = selectors.child_lessons(student=student, section_id=query.section, start=query.start, end=query.end)
    page = paged(cast(Any, items), paging)
    page["items"] = [
        {
            "lesson": _head(item.lesson),
            "status": item.status,
            "status_label": item.status_label,
            "checked_in_at": item.attendance.checked_in_at if item.attendance else None,
            "checked_out_at": item.attendance.checked_out_at if item.attendance else None,
        }
        for item in page["items"]
    ]
    return page

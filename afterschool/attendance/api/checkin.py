"""/api/v1/attendance/ — teachers' check-in and check-out, and the check-in list."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router

from afterschool.core.api import ERRORS, Paged, PageParams, actor_of
from afterschool.core.pagination import paginate

from ..models import TeacherCheckin
from ..schemas.checkin import CheckinFilters, CheckinOut, CheckinResultOut, PositionIn
from ..selectors import checkin as selectors
from ..services import checkin as services

router = Router(tags=["考勤与请假"])

EMPTY = {
    "id": None, "checked_in": False, "checked_in_at": None, "in_latitude": None, "in_longitude": None,
    "in_accuracy_m": None, "in_distance_m": None, "in_flagged": False, "checked_out_at": None, "out_latitude": None,
    "out_longitude": None, "out_accuracy_m": None, "out_distance_m": None, "out_flagged": False,
}  # fmt: skip


def _lesson_part(lesson: Any, teacher: Any) -> dict[str, Any]:
    section = lesson.section
    return {
        "lesson_id": lesson.pk, "lesson_date": lesson.date, "starts_at": f"{lesson.starts_at:%H:%M}",
        "ends_at": f"{lesson.ends_at:%H:%M}", "section_id": section.pk, "section_name": section.name,
        "school_id": section.school_id, "school_name": section.school.name, "teacher_id": teacher.pk,
        "teacher_name": str(teacher),
    }  # fmt: skip


def checkin_out(row: TeacherCheckin) -> dict[str, Any]:
    return {
        **_lesson_part(row.lesson, row.teacher), "id": row.pk, "checked_in": True,
        "checked_in_at": row.checked_in_at, "in_latitude": row.in_latitude, "in_longitude": row.in_longitude,
        "in_accuracy_m": row.in_accuracy_m, "in_distance_m": row.in_distance_m, "in_flagged": row.in_flagged,
        "checked_out_at": row.checked_out_at, "out_latitude": row.out_latitude, "out_longitude": row.out_longitude,
        "out_accuracy_m": row.out_accuracy_m, "out_distance_m": row.out_distance_m, "out_flagged": row.out_flagged,
    }  # fmt: skip


def missing_out(pair: Any) -> dict[str, Any]:
    return {**_lesson_part(pair.lesson, pair.user), **EMPTY}


def _result(row: TeacherCheckin, *, out: bool) -> dict[str, Any]:
    row = TeacherCheckin.objects.select_related("lesson", "lesson__section", "lesson__section__school", "teacher").get(
        pk=row.pk
    )
    flagged = row.out_flagged if out else row.in_flagged
    return {**checkin_out(row), "message": services.outcome_message(row, out=out), "flagged": flagged}


@router.post("/lessons/{lesson_id}/checkin", response={200: CheckinResultOut, **ERRORS}, summary="教师签到（手机定位）")
def checkin(request: HttpRequest, lesson_id: int, payload: PositionIn) -> Any:
    actor = actor_of(request)
    lesson = selectors.checkin_lesson(actor, lesson_id)
    row = services.teacher_check_in(actor, lesson, payload.latitude, payload.longitude, payload.accuracy_m)
    return _result(row, out=False)


@router.post(
    "/lessons/{lesson_id}/teacher-checkout", response={200: CheckinResultOut, **ERRORS}, summary="教师签退（手机定位）"
)
def checkout(request: HttpRequest, lesson_id: int, payload: PositionIn) -> Any:
    actor = actor_of(request)
    lesson = selectors.checkin_lesson(actor, lesson_id)
    row = services.teacher_check_out(actor, lesson, payload.latitude, payload.longitude, payload.accuracy_m)
    return _result(row, out=True)


@router.get("/checkins", response={200: Paged[CheckinOut], **ERRORS}, summary="教师签到记录（或未签到课次）")
def checkin_list(request: HttpRequest, filters: Query[CheckinFilters], paging: Query[PageParams]) -> Any:
    actor = actor_of(request)
    data = filters.dict()
    if data.get("missing"):
        result = paginate(selectors.missing_checkins(actor, data), page=paging.page, page_size=paging.page_size)
        items = [missing_out(p) for p in result.items]
    else:
        result = paginate(selectors.checkin_list(actor, data), page=paging.page, page_size=paging.page_size)
        items = [checkin_out(r) for r in result.items]
    return {
        "items": items, "count": result.count, "page": result.page, "page_size": result.page_size,
        "num_pages": result.num_pages,
    }  # fmt: skip

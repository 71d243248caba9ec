"""/api/v1/attendance/ — leave: students' leave requests (家长/学生申请，任课教师或学校审批) and teachers' leaves
(教师申请，学校安排代课或停课)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Status

from afterschool.accounts.choices import Role
from afterschool.core.api import ERRORS, Paged, PageParams, actor_of
from afterschool.core.pagination import paginate
from afterschool.scheduling.models import Lesson
from afterschool.tenancy.actor import Actor

from ..choices import LeaveStatus
from ..models import LeaveRequest, TeacherLeave
from ..schemas.leave import (
    LeaveCreateIn,
    LeaveDecisionIn,
    LeaveFilters,
    LeaveOut,
    LeaveRejectIn,
    TeacherLeaveApproveIn,
    TeacherLeaveCreateIn,
    TeacherLeaveFilters,
    TeacherLeaveOut,
)
from ..selectors import leave as selectors
from ..services import leave as services

router = Router(tags=["考勤与请假"])


def _lesson(lesson: Lesson) -> dict[str, Any]:
    return {
        "id": lesson.pk, "date": lesson.date, "starts_at": lesson.starts_at, "ends_at": lesson.ends_at,
        "label": selectors.lesson_label(lesson), "chapter": selectors.chapter_label(lesson), "status": lesson.status,
    }  # fmt: skip


def leave_out(leave: LeaveRequest, actor: Actor) -> dict[str, Any]:
    pending = leave.status == LeaveStatus.PENDING
    lessons = sorted(leave.lessons.all(), key=lambda x: (x.date, x.starts_at, x.pk))
    return {
        "id": leave.pk, "student_id": leave.student_id, "student_name": leave.student.name,
        "school_id": leave.section.school_id, "section_id": leave.section_id, "section_name": leave.section.name,
        "course_name": leave.section.course.name, "lessons": [_lesson(x) for x in lessons], "reason": leave.reason,
        "status": leave.status, "status_label": leave.get_status_display(),
        "requested_by": str(leave.requested_by or ""), "requested_at": leave.created_at,
        "decided_by": str(leave.decided_by or ""), "decided_at": leave.decided_at,
        "decision_note": leave.decision_note,
        "can_decide": pending and selectors.may_decide_leave(actor, leave),
        "can_withdraw": pending and actor.has_role(Role.PARENT, Role.STUDENT),
    }  # fmt: skip


def teacher_leave_out(leave: TeacherLeave, actor: Actor) -> dict[str, Any]:
    pending = leave.status == LeaveStatus.PENDING
    section = leave.lesson.section
    return {
        "id": leave.pk, "teacher_id": leave.teacher_id, "teacher_name": str(leave.teacher),
        "school_id": section.school_id, "section_id": section.pk, "section_name": section.name,
        "course_name": section.course.name, "lesson": _lesson(leave.lesson), "reason": leave.reason,
        "status": leave.status, "status_label": leave.get_status_display(), "resolution": leave.resolution,
        "resolution_label": leave.get_resolution_display() if leave.resolution else "",
        "substitute_id": leave.substitute_id, "substitute_name": str(leave.substitute or ""),
        "requested_at": leave.created_at, "decided_by": str(leave.decided_by or ""), "decided_at": leave.decided_at,
        "decision_note": leave.decision_note,
        "can_decide": pending and selectors.may_decide_teacher_leave(actor, leave),
        "can_withdraw": pending and leave.teacher_id == actor.user_id,
    }  # fmt: skip


def _page(queryset: Any, paging: PageParams, out: Any, actor: Actor) -> dict[str, Any]:
    result = paginate(queryset, page=paging.page, page_size=paging.page_size)
    return {
        "items": [out(x, actor) for x in result.items], "count": result.count, "page": result.page,
        "page_size": result.page_size, "num_pages": result.num_pages,
    }  # fmt: skip


# --- students' leave requests ----------------------------------------------------------------------------------


@router.post("/leave-requests", response={201: list[LeaveOut], **ERRORS}, summary="家长/学生申请请假（每个课班一份）")
def leave_create(request: HttpRequest, payload: LeaveCreateIn) -> Any:
    actor = actor_of(request)
    student = selectors.child_get(actor=actor, student_id=payload.student_id)
    lessons = selectors.leave_lessons(student=student, lesson_ids=payload.lesson_ids)
    created = services.leave_request(actor=actor, student=student, lessons=lessons, reason=payload.reason)
    return Status(201, [leave_out(selectors.leave_get(actor=actor, leave_id=x.pk), actor) for x in created])


@router.get("/leave-requests", response={200: Paged[LeaveOut], **ERRORS}, summary="学生请假列表")
def leave_list(request: HttpRequest, filters: Query[LeaveFilters], paging: Query[PageParams]) -> Any:
    actor = actor_of(request)
    return _page(selectors.leave_list(actor=actor, filters=filters.dict()), paging, leave_out, actor)


@router.get("/leave-requests/{leave_id}", response={200: LeaveOut, **ERRORS}, summary="学生请假详情")
def leave_detail(request: HttpRequest, leave_id: int) -> Any:
    actor = actor_of(request)
    return leave_out(selectors.leave_get(actor=actor, leave_id=leave_id), actor)


@router.post("/leave-requests/{leave_id}/approve", response={200: LeaveOut, **ERRORS}, summary="批准学生请假")
def leave_approve(request: HttpRequest, leave_id: int, payload: LeaveDecisionIn | None = None) -> Any:
    actor = actor_of(request)
    leave = selectors.leave_get(actor=actor, leave_id=leave_id)
    services.leave_decide(actor=actor, leave=leave, approve=True, note=payload.note if payload is not None else "")
    return leave_out(selectors.leave_get(actor=actor, leave_id=leave_id), actor)


@router.post("/leave-requests/{leave_id}/reject", response={200: LeaveOut, **ERRORS}, summary="驳回学生请假")
def leave_reject(request: HttpRequest, leave_id: int, payload: LeaveRejectIn) -> Any:
    actor = actor_of(request)
    leave = selectors.leave_get(actor=actor, leave_id=leave_id)
    services.leave_decide(actor=actor, leave=leave, approve=False, note=payload.reason)
    return leave_out(selectors.leave_get(actor=actor, leave_id=leave_id), actor)


@router.post("/leave-requests/{leave_id}/withdraw", response={200: LeaveOut, **ERRORS}, summary="撤回待审批的请假")
def leave_withdraw(request: HttpRequest, leave_id: int) -> Any:
    actor = actor_of(request)
    leave = selectors.leave_get(actor=actor, leave_id=leave_id)
    services.leave_withdraw(actor=actor, leave=leave)
    return leave_out(selectors.leave_get(actor=actor, leave_id=leave_id), actor)


# --- teachers' leaves ------------------------------------------------------------------------------------------


@router.post("/teacher-leaves", response={201: TeacherLeaveOut, **ERRORS}, summary="教师申请请假（一次课）")
def teacher_leave_create(request: HttpRequest, payload: TeacherLeaveCreateIn) -> Any:
    actor = actor_of(request)
    lesson = selectors.lesson_for_teacher_leave(actor=actor, lesson_id=payload.lesson_id)
    leave = services.teacher_leave_request(actor=actor, lesson=lesson, reason=payload.reason)
    return Status(201, teacher_leave_out(selectors.teacher_leave_get(actor=actor, leave_id=leave.pk), actor))


@router.get("/teacher-leaves", response={200: Paged[TeacherLeaveOut], **ERRORS}, summary="教师请假列表")
def teacher_leave_list(request: HttpRequest, filters: Query[TeacherLeaveFilters], paging: Query[PageParams]) -> Any:
    actor = actor_of(request)
    return _page(selectors.teacher_leave_list(actor=actor, filters=filters.dict()), paging, teacher_leave_out, actor)


@router.get("/teacher-leaves/{leave_id}", response={200: TeacherLeaveOut, **ERRORS}, summary="教师请假详情")
def teacher_leave_detail(request: HttpRequest, leave_id: int) -> Any:
    actor = actor_of(request)
    return teacher_leave_out(selectors.teacher_leave_get(actor=actor, leave_id=leave_id), actor)


@router.post("/teacher-leaves/{leave_id}/approve", response={200: TeacherLeaveOut, **ERRORS}, summary="批准教师请假")
def teacher_leave_approve(request: HttpRequest, leave_id: int, payload: TeacherLeaveApproveIn) -> Any:
    actor = actor_of(request)
    leave = selectors.teacher_leave_get(actor=actor, leave_id=leave_id)
    services.teacher_leave_decide(
        actor=actor,
        leave=leave,
        approve=True,
        resolution=payload.resolution,
        substitute=payload.substitute_id,
        note=payload.note,
    )
    return teacher_leave_out(selectors.teacher_leave_get(actor=actor, leave_id=leave_id), actor)


@router.post("/teacher-leaves/{leave_id}/reject", response={200: TeacherLeaveOut, **ERRORS}, summary="驳回教师请假")
def teacher_leave_reject(request: HttpRequest, leave_id: int, payload: LeaveRejectIn) -> Any:
    actor = actor_of(request)
    leave = selectors.teacher_leave_get(actor=actor, leave_id=leave_id)
    services.teacher_leave_decide(actor=actor, leave=leave, approve=False, note=payload.reason)
    return teacher_leave_out(selectors.teacher_leave_get(actor=actor, leave_id=leave_id), actor)


@router.post("/teacher-leaves/{leave_id}/withdraw", response={200: TeacherLeaveOut, **ERRORS}, summary="撤回教师请假")
def teacher_leave_withdraw(request: HttpRequest, leave_id: int) -> Any:
    actor = actor_of(request)
    leave = selectors.teacher_leave_get(actor=actor, leave_id=leave_id)
    services.teacher_leave_withdraw(actor=actor, leave=leave)
    return teacher_leave_out(selectors.teacher_leave_get(actor=actor, leave_id=leave_id), actor)

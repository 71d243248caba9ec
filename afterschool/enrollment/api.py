"""/api/v1/enrollment/ — the school places students into sections and removes them."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Status

from afterschool.core.api import ERRORS, Paged, PageParams, actor_of, paged
from afterschool.core.errors import ValidationFailed

from . import selectors, services
from .schemas import BatchOut, EnrollmentBatchIn, EnrollmentFilters, EnrollmentIn, EnrollmentOut, RemoveIn

router = Router(tags=["选课报名"])


@router.get("/enrollments", response={200: Paged[EnrollmentOut], **ERRORS}, summary="选课列表")
def enrollment_list(request: HttpRequest, filters: Query[EnrollmentFilters], paging: Query[PageParams]) -> Any:
    return paged(selectors.enrollment_list(actor=actor_of(request), filters=filters.dict()), paging)


@router.post("/enrollments", response={201: EnrollmentOut, **ERRORS}, summary="安排一名学生加入课班")
def enrollment_create(request: HttpRequest, payload: EnrollmentIn) -> Any:
    actor = actor_of(request)
    services.require_writer(actor)
    section = selectors.section_get(actor=actor, section_id=payload.section)
    student = selectors.student_get(actor=actor, student_id=payload.student)
    return Status(201, services.enrollment_create(actor=actor, section=section, student=student))


@router.post("/enrollments/batch", response={200: BatchOut, **ERRORS}, summary="批量安排学生加入课班")
def enrollment_batch(request: HttpRequest, payload: EnrollmentBatchIn) -> Any:
    actor = actor_of(request)
    services.require_writer(actor)
    section = selectors.section_get(actor=actor, section_id=payload.section)
    given = sum([payload.students is not None, payload.school_class is not None, payload.all_classes])
    if given != 1:
        raise ValidationFailed({"students": ["students、school_class、all_classes 须且只能给出一项"]})
    students = selectors.students_get(actor=actor, student_ids=payload.students) if payload.students else None
    if payload.students is not None and not payload.students:
        raise ValidationFailed({"students": ["请至少选择一名学生"]})
    school_class = (
        selectors.school_class_get(actor=actor, school_class_id=payload.school_class) if payload.school_class else None
    )
    result = services.enrollment_batch_create(
        actor=actor, section=section, students=students, school_class=school_class, all_classes=payload.all_classes
    )
    return {
        "enrolled": result.enrolled,
        "refused": [{"student_id": s.pk, "student_name": s.name, "reason": r} for s, r in result.refused],
    }


@router.post("/enrollments/{enrollment_id}/remove", response={200: EnrollmentOut, **ERRORS}, summary="移出课班")
def enrollment_remove(request: HttpRequest, enrollment_id: int, payload: RemoveIn) -> Any:
    actor = actor_of(request)
    services.require_writer(actor)
    enrollment = selectors.enrollment_get(actor=actor, enrollment_id=enrollment_id)
    return services.enrollment_remove(actor=actor, enrollment=enrollment, reason=payload.reason)

"""/api/v1/schools/ — grades and classes. Also the payload helpers the other school-data routers share."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Status

from afterschool.core.api import ERRORS, Paged, PageParams, actor_of, paged
from afterschool.core.errors import NotFound, ValidationFailed
from afterschool.tenancy import selectors as tenancy_selectors
from afterschool.tenancy.actor import Actor

from ..schemas.structure import (
    GradeFilters,
    GradeIn,
    GradeOut,
    GradePatch,
    SchoolClassFilters,
    SchoolClassIn,
    SchoolClassOut,
    SchoolClassPatch,
)
from ..selectors import structure as selectors
from ..services import structure as services

router = Router(tags=["学校基础信息"])


def with_school(actor: Actor, payload: dict[str, Any]) -> dict[str, Any]:
    """`school_id` counts only for a system admin; a school admin always writes for its own school."""
    school_id = payload.pop("school_id", None)
    if actor.is_system_admin and school_id is not None:
        try:
            payload["school"] = tenancy_selectors.school_get(actor=actor, school_id=school_id)
        except NotFound:
            raise ValidationFailed({"school_id": ["学校不存在"]}) from None
    return payload


def with_staff(actor: Actor, payload: dict[str, Any], *, key: str, field: str) -> dict[str, Any]:
    """Turns `<field>_id` into the staff member; one the actor cannot see is refused like a missing one."""
    if key in payload:
        staff_id = payload.pop(key)
        staff = None if staff_id is None else selectors.staff_lookup(actor=actor, staff_id=staff_id)
        if staff_id is not None and staff is None:
            raise ValidationFailed({key: ["教职工不存在或不属于本校"]})
        payload[field] = staff
    return payload


def _with_grade(actor: Actor, payload: dict[str, Any]) -> dict[str, Any]:
    if "grade_id" in payload:
        try:
            payload["grade"] = selectors.grade_get(actor=actor, grade_id=payload.pop("grade_id"))
        except NotFound:
            raise ValidationFailed({"grade_id": ["年级不存在"]}) from None
    return payload


def _class_payload(actor: Actor, payload: dict[str, Any]) -> dict[str, Any]:
    payload = _with_grade(actor, with_school(actor, payload))
    return with_staff(actor, payload, key="head_teacher_id", field="head_teacher")


@router.get("/grades", response={200: Paged[GradeOut], **ERRORS}, summary="年级列表")
def grade_list(request: HttpRequest, filters: Query[GradeFilters], paging: Query[PageParams]) -> Any:
    return paged(selectors.grade_list(actor=actor_of(request), filters=filters.dict()), paging)


@router.post("/grades", response={201: GradeOut, **ERRORS}, summary="新增年级")
def grade_create(request: HttpRequest, payload: GradeIn) -> Any:
    actor = actor_of(request)
    return Status(201, services.grade_create(actor=actor, data=with_school(actor, payload.dict())))


@router.get("/grades/{grade_id}", response={200: GradeOut, **ERRORS}, summary="年级详情")
def grade_detail(request: HttpRequest, grade_id: int) -> Any:
    return selectors.grade_get(actor=actor_of(request), grade_id=grade_id)


@router.patch("/grades/{grade_id}", response={200: GradeOut, **ERRORS}, summary="修改年级")
def grade_update(request: HttpRequest, grade_id: int, payload: GradePatch) -> Any:
    actor = actor_of(request)
    grade = selectors.grade_get(actor=actor, grade_id=grade_id)
    return services.grade_update(actor=actor, grade=grade, data=payload.dict(exclude_unset=True))


@router.delete("/grades/{grade_id}", response={204: None, **ERRORS}, summary="删除年级")
def grade_delete(request: HttpRequest, grade_id: int) -> Any:
    actor = actor_of(request)
    services.grade_delete(actor=actor, grade=selectors.grade_get(actor=actor, grade_id=grade_id))
    return Status(204, None)


@router.get("/classes", response={200: Paged[SchoolClassOut], **ERRORS}, summary="班级列表")
def class_list(request: HttpRequest, filters: Query[SchoolClassFilters], paging: Query[PageParams]) -> Any:
    return paged(selectors.school_class_list(actor=actor_of(request), filters=filters.dict()), paging)


@router.post("/classes", response={201: SchoolClassOut, **ERRORS}, summary="新增班级")
def class_create(request: HttpRequest, payload: SchoolClassIn) -> Any:
    actor = actor_of(request)
    return Status(201, services.school_class_create(actor=actor, data=_class_payload(actor, payload.dict())))


@router.get("/classes/{class_id}", response={200: SchoolClassOut, **ERRORS}, summary="班级详情")
def class_detail(request: HttpRequest, class_id: int) -> Any:
    return selectors.school_class_get(actor=actor_of(request), school_class_id=class_id)


@router.patch("/classes/{class_id}", response={200: SchoolClassOut, **ERRORS}, summary="修改班级")
def class_update(request: HttpRequest, class_id: int, payload: SchoolClassPatch) -> Any:
    actor = actor_of(request)
    school_class = selectors.school_class_get(actor=actor, school_class_id=class_id)
    data = _class_payload(actor, payload.dict(exclude_unset=True))
    return services.school_class_update(actor=actor, school_class=school_class, data=data)


@router.delete("/classes/{class_id}", response={204: None, **ERRORS}, summary="删除班级")
def class_delete(request: HttpRequest, class_id: int) -> Any:
    actor = actor_of(request)
    school_class = selectors.school_class_get(actor=actor, school_class_id=class_id)
    services.school_class_delete(actor=actor, school_class=school_class)
    return Status(204, None)

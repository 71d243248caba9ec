"""/api/v1/schools/ — students, guardians, staff. Thin: parse, call selector/service, serialise.

Personal data leaves only masked; the full value only through POST …/reveal (permission `view_personal_data`,
audited).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.http import HttpRequest
from ninja import Query, Router, Status

from afterschool.core.api import ERRORS, Paged, PageParams, actor_of, paged
from afterschool.core.errors import NotFound, ValidationFailed
from afterschool.tenancy import selectors as tenancy_selectors

from ..schemas.people import (
    GuardianFilters,
    GuardianLinkCreated,
    GuardianLinkIn,
    GuardianLinkOut,
    GuardianOut,
    GuardianPatch,
    RevealIn,
    RevealOut,
    StaffCreated,
    StaffFilters,
    StaffIn,
    StaffOut,
    StaffPatch,
    StudentFilters,
    StudentIn,
    StudentOut,
    StudentPatch,
)
from ..selectors import people as selectors
from ..services import people as services

router = Router(tags=["学生、监护人与教职工"])


def _resolve(actor: Any, payload: dict[str, Any]) -> dict[str, Any]:
    """Ids in a payload become objects the actor can see; anything else is a field error, never a leak."""
    lookups = (
        ("grade_id", "grade", lambda pk: selectors.grade_choices(actor=actor).get(pk=pk), "年级不存在"),
        ("school_class_id", "school_class", lambda pk: selectors.class_choices(actor=actor).get(pk=pk), "班级不存在"),
        ("school_id", "school", lambda pk: tenancy_selectors.school_get(actor=actor, school_id=pk), "学校不存在"),
    )
    if not actor.is_system_admin:
        payload.pop("school_id", None)  # a school admin always writes its own school
    for key, name, get, message in lookups:
        if key not in payload:
            continue
        pk = payload.pop(key)
        if pk is None:
            continue
        try:
            payload[name] = get(pk)
        except (NotFound, ObjectDoesNotExist):
            raise ValidationFailed({key: [message]}) from None
    return payload


# --- students ------------------------------------------------------------------------------------


@router.get("/students", response={200: Paged[StudentOut], **ERRORS}, summary="学生列表")
def student_list(request: HttpRequest, filters: Query[StudentFilters], paging: Query[PageParams]) -> Any:
    return paged(selectors.student_list(actor=actor_of(request), filters=filters.dict()), paging)


@router.post("/students", response={201: StudentOut, **ERRORS}, summary="新增学生")
def student_create(request: HttpRequest, payload: StudentIn) -> Any:
    actor = actor_of(request)
    return Status(201, services.student_create(actor=actor, data=_resolve(actor, payload.dict())))


@router.get("/students/{student_id}", response={200: StudentOut, **ERRORS}, summary="学生详情")
def student_detail(request: HttpRequest, student_id: int) -> Any:
    return selectors.student_get(actor=actor_of(request), student_id=student_id)


@router.patch("/students/{student_id}", response={200: StudentOut, **ERRORS}, summary="修改学生")
def student_update(request: HttpRequest, student_id: int, payload: StudentPatch) -> Any:
    actor = actor_of(request)
    student = selectors.student_get(actor=actor, student_id=student_id)
    data = _resolve(actor, payload.dict(exclude_unset=True))
    return services.student_update(actor=actor, student=student, data=data)


@router.delete("/students/{student_id}", response={204: None, **ERRORS}, summary="删除学生")
def student_delete(request: HttpRequest, student_id: int) -> Any:
    actor = actor_of(request)
    services.student_delete(actor=actor, student=selectors.student_get(actor=actor, student_id=student_id))
    return Status(204, None)


@router.post("/students/{student_id}/reveal", response={200: RevealOut, **ERRORS}, summary="查看学生完整身份证号")
def student_reveal(request: HttpRequest, student_id: int, payload: RevealIn) -> Any:
    actor = actor_of(request)
    student = selectors.student_get(actor=actor, student_id=student_id)
    value = services.student_reveal(actor=actor, student=student, field=payload.field)
    return {"field": payload.field, "value": value}


@router.get("/students/{student_id}/guardians", response={200: list[GuardianLinkOut], **ERRORS}, summary="学生的监护人")
def student_guardians(request: HttpRequest, student_id: int) -> Any:
    actor = actor_of(request)
    student = selectors.student_get(actor=actor, student_id=student_id)
    return list(selectors.guardian_links_of(actor=actor, student=student))


@router.post("/students/{student_id}/guardians", response={201: GuardianLinkCreated, **ERRORS}, summary="添加监护人")
def student_guardian_add(request: HttpRequest, student_id: int, payload: GuardianLinkIn) -> Any:
    actor = actor_of(request)
    student = selectors.student_get(actor=actor, student_id=student_id)
    link, initial = services.guardian_add(actor=actor, student=student, **payload.dict())
    out = GuardianLinkCreated.from_orm(link).dict()
    if initial is not None:
        out.update(initial_password=initial, username=link.guardian.user.username if link.guardian.user else None)
    return Status(201, out)


@router.delete("/students/{student_id}/guardians/{link_id}", response={204: None, **ERRORS}, summary="移除监护人")
def student_guardian_remove(request: HttpRequest, student_id: int, link_id: int) -> Any:
    actor = actor_of(request)
    student = selectors.student_get(actor=actor, student_id=student_id)
    link = selectors.guardian_link_get(actor=actor, student=student, link_id=link_id)
    services.guardian_remove(actor=actor, link=link)
    return Status(204, None)


# --- guardians -----------------------------------------------------------------------------------


@router.get("/guardians", response={200: Paged[GuardianOut], **ERRORS}, summary="监护人列表")
def guardian_list(request: HttpRequest, filters: Query[GuardianFilters], paging: Query[PageParams]) -> Any:
    return paged(selectors.guardian_list(actor=actor_of(request), filters=filters.dict()), paging)


@router.get("/guardians/{guardian_id}", response={200: GuardianOut, **ERRORS}, summary="监护人详情")
def guardian_detail(request: HttpRequest, guardian_id: int) -> Any:
    return selectors.guardian_get(actor=actor_of(request), guardian_id=guardian_id)


@router.patch("/guardians/{guardian_id}", response={200: GuardianOut, **ERRORS}, summary="修改监护人")
def guardian_update(request: HttpRequest, guardian_id: int, payload: GuardianPatch) -> Any:
    actor = actor_of(request)
    guardian = selectors.guardian_get(actor=actor, guardian_id=guardian_id)
    return services.guardian_update(actor=actor, guardian=guardian, data=payload.dict(exclude_unset=True))


@router.delete("/guardians/{guardian_id}", response={204: None, **ERRORS}, summary="删除监护人（须已无监护关系）")
def guardian_delete(request: HttpRequest, guardian_id: int) -> Any:
    actor = actor_of(request)
    services.guardian_delete(actor=actor, guardian=selectors.guardian_get(actor=actor, guardian_id=guardian_id))
    return Status(204, None)


@router.post("/guardians/{guardian_id}/reveal", response={200: RevealOut, **ERRORS}, summary="查看监护人完整手机号")
def guardian_reveal(request: HttpRequest, guardian_id: int, payload: RevealIn) -> Any:
    actor = actor_of(request)
    guardian = selectors.guardian_get(actor=actor, guardian_id=guardian_id)
    return {
        "field": payload.field,
        "value": services.guardian_reveal(actor=actor, guardian=guardian, field=payload.field),
    }


# --- staff ---------------------------------------------------------------------------------------


@router.get("/staff", response={200: Paged[StaffOut], **ERRORS}, summary="教职工列表")
def staff_list(request: HttpRequest, filters: Query[StaffFilters], paging: Query[PageParams]) -> Any:
    return paged(selectors.staff_list(actor=actor_of(request), filters=filters.dict()), paging)


@router.post("/staff", response={201: StaffCreated, **ERRORS}, summary="新增教职工")
def staff_create(request: HttpRequest, payload: StaffIn) -> Any:
    actor = actor_of(request)
    staff, initial = services.staff_create(actor=actor, data=_resolve(actor, payload.dict()))
    out = StaffCreated.from_orm(staff).dict()
    if initial is not None:
        out.update(initial_password=initial, username=staff.user.username if staff.user else None)
    return Status(201, out)


@router.get("/staff/{staff_id}", response={200: StaffOut, **ERRORS}, summary="教职工详情")
def staff_detail(request: HttpRequest, staff_id: int) -> Any:
    return selectors.staff_get(actor=actor_of(request), staff_id=staff_id)


@router.patch("/staff/{staff_id}", response={200: StaffOut, **ERRORS}, summary="修改教职工（含停用）")
def staff_update(request: HttpRequest, staff_id: int, payload: StaffPatch) -> Any:
    actor = actor_of(request)
    staff = selectors.staff_get(actor=actor, staff_id=staff_id)
    return services.staff_update(actor=actor, staff=staff, data=payload.dict(exclude_unset=True))


@router.delete("/staff/{staff_id}", response={204: None, **ERRORS}, summary="删除教职工")
def staff_delete(request: HttpRequest, staff_id: int) -> Any:
    actor = actor_of(request)
    services.staff_delete(actor=actor, staff=selectors.staff_get(actor=actor, staff_id=staff_id))
    return Status(204, None)


@router.post("/staff/{staff_id}/reveal", response={200: RevealOut, **ERRORS}, summary="查看教职工完整手机号")
def staff_reveal(request: HttpRequest, staff_id: int, payload: RevealIn) -> Any:
    actor = actor_of(request)
    staff = selectors.staff_get(actor=actor, staff_id=staff_id)
    return {"field": payload.field, "value": services.staff_reveal(actor=actor, staff=staff, field=payload.field)}

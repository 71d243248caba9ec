"""/api/v1/courses/ — teacher dispatch and the may-teach rule. Thin: parse, call, return."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Status

from afterschool.accounts.choices import Role
from afterschool.accounts.models import User
from afterschool.core.api import ERRORS, Paged, PageParams, actor_of, paged
from afterschool.core.errors import PermissionDenied, ValidationFailed
from afterschool.core.export import xlsx_response
from afterschool.tenancy import selectors as tenancy_selectors

from ..schemas.dispatch import (
    DispatchCancelIn,
    DispatchFilters,
    DispatchIn,
    DispatchOut,
    DispatchPatch,
    MayTeachOut,
    MayTeachQuery,
)
from ..selectors import dispatch as selectors
from ..services import dispatch as services

router = Router(tags=["课程与师资"])


@router.get("/dispatches", response={200: Paged[DispatchOut], **ERRORS}, summary="教师外派列表")
def dispatch_list(request: HttpRequest, filters: Query[DispatchFilters], paging: Query[PageParams]) -> Any:
    return paged(selectors.dispatch_list(actor=actor_of(request), filters=filters.dict()), paging)


@router.get("/dispatches/export", response={200: None, **ERRORS}, summary="导出教师外派（xlsx）")
def dispatch_export(request: HttpRequest, filters: Query[DispatchFilters]) -> HttpResponse:
    content = services.dispatch_export(actor=actor_of(request), filters=filters.dict())
    return xlsx_response(filename="教师外派.xlsx", content=content)


@router.post("/dispatches", response={201: DispatchOut, **ERRORS}, summary="外派教师到合作学校")
def dispatch_create(request: HttpRequest, payload: DispatchIn) -> Any:
    data = payload.dict()
    data["teacher"] = data.pop("teacher_id")
    data["school"] = data.pop("school_id")
    data["course_categories"] = [str(c) for c in data["course_categories"]]
    return Status(201, services.dispatch_create(actor=actor_of(request), data=data))


@router.get("/dispatches/{dispatch_id}", response={200: DispatchOut, **ERRORS}, summary="教师外派详情")
def dispatch_detail(request: HttpRequest, dispatch_id: int) -> Any:
    return selectors.dispatch_get(actor=actor_of(request), dispatch_id=dispatch_id)


@router.patch(
    "/dispatches/{dispatch_id}", response={200: DispatchOut, **ERRORS}, summary="修改外派的课程类型或结束日期"
)
def dispatch_update(request: HttpRequest, dispatch_id: int, payload: DispatchPatch) -> Any:
    actor = actor_of(request)
    dispatch = selectors.dispatch_get(actor=actor, dispatch_id=dispatch_id)
    data = payload.dict(exclude_unset=True)
    if "course_categories" in data:
        data["course_categories"] = [str(c) for c in data["course_categories"]]
    return services.dispatch_update(actor=actor, dispatch=dispatch, data=data)


@router.post("/dispatches/{dispatch_id}/cancel", response={200: DispatchOut, **ERRORS}, summary="取消外派")
def dispatch_cancel(request: HttpRequest, dispatch_id: int, payload: DispatchCancelIn) -> Any:
    actor = actor_of(request)
    dispatch = selectors.dispatch_get(actor=actor, dispatch_id=dispatch_id)
    return services.dispatch_cancel(actor=actor, dispatch=dispatch, reason=payload.reason)


@router.get("/teacher-may-teach", response={200: MayTeachOut, **ERRORS}, summary="某账号能否在某校某时段授课")
def teacher_may_teach(request: HttpRequest, query: Query[MayTeachQuery]) -> Any:
    actor = actor_of(request)
    if not actor.is_system_admin and not actor.has_role(Role.BUREAU_ADMIN, Role.SCHOOL_ADMIN):
        raise PermissionDenied("只有学校、教育局或系统管理员可以查询")
    school = tenancy_selectors.school_get(actor=actor, school_id=query.school_id)
    user = User.objects.filter(pk=query.user_id).first()
    if user is None:
        raise ValidationFailed({"user_id": ["账号不存在"]})
    reason = services.teacher_may_teach(
        school=school,
        user=user,
        starts_on=query.starts_on,
        ends_on=query.ends_on,
        category=str(query.category) if query.category else None,
    )
    return {"allowed": reason is None, "reason": reason}

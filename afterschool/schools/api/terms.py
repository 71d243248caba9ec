"""/api/v1/schools/ — terms (学年学期), their registration windows and calendar days."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Status

from afterschool.core.api import Paged, PageParams, actor_of, paged

from ..schemas.terms import (
    CalendarDayIn,
    CalendarDayOut,
    TermFilters,
    TermIn,
    TermOut,
    TermPatch,
    WindowIn,
    WindowOut,
)
from ..selectors import terms as selectors
from ..services import terms as services
from .structure import ERRORS, with_school

router = Router(tags=["学校基础信息"])


@router.get("/terms", response={200: Paged[TermOut], **ERRORS}, summary="学年学期列表")
def term_list(request: HttpRequest, filters: Query[TermFilters], paging: Query[PageParams]) -> Any:
    return paged(selectors.term_list(actor=actor_of(request), filters=filters.dict()), paging)


@router.post("/terms", response={201: TermOut, **ERRORS}, summary="新增学期")
def term_create(request: HttpRequest, payload: TermIn) -> Any:
    actor = actor_of(request)
    return Status(201, services.term_create(actor=actor, data=with_school(actor, payload.dict())))


@router.get("/terms/{term_id}", response={200: TermOut, **ERRORS}, summary="学期详情")
def term_detail(request: HttpRequest, term_id: int) -> Any:
    return selectors.term_get(actor=actor_of(request), term_id=term_id)


@router.patch("/terms/{term_id}", response={200: TermOut, **ERRORS}, summary="修改学期")
def term_update(request: HttpRequest, term_id: int, payload: TermPatch) -> Any:
    actor = actor_of(request)
    term = selectors.term_get(actor=actor, term_id=term_id)
    return services.term_update(actor=actor, term=term, data=payload.dict(exclude_unset=True))


@router.delete("/terms/{term_id}", response={204: None, **ERRORS}, summary="删除学期")
def term_delete(request: HttpRequest, term_id: int) -> Any:
    actor = actor_of(request)
    services.term_delete(actor=actor, term=selectors.term_get(actor=actor, term_id=term_id))
    return Status(204, None)


@router.get("/terms/{term_id}/windows", response={200: Paged[WindowOut], **ERRORS}, summary="报名时段列表")
def window_list(request: HttpRequest, term_id: int, paging: Query[PageParams]) -> Any:
    actor = actor_of(request)
    term = selectors.term_get(actor=actor, term_id=term_id)
    return paged(selectors.window_list(actor=actor, term=term), paging)


@router.post("/terms/{term_id}/windows", response={201: WindowOut, **ERRORS}, summary="新增报名时段")
def window_create(request: HttpRequest, term_id: int, payload: WindowIn) -> Any:
    actor = actor_of(request)
    term = selectors.term_get(actor=actor, term_id=term_id)
    return Status(201, services.window_create(actor=actor, term=term, data=payload.dict()))


@router.delete("/terms/{term_id}/windows/{window_id}", response={204: None, **ERRORS}, summary="删除报名时段")
def window_delete(request: HttpRequest, term_id: int, window_id: int) -> Any:
    actor = actor_of(request)
    term = selectors.term_get(actor=actor, term_id=term_id)
    services.window_delete(actor=actor, window=selectors.window_get(actor=actor, term=term, window_id=window_id))
    return Status(204, None)


@router.get("/terms/{term_id}/calendar-days", response={200: Paged[CalendarDayOut], **ERRORS}, summary="校历日列表")
def day_list(request: HttpRequest, term_id: int, paging: Query[PageParams]) -> Any:
    actor = actor_of(request)
    term = selectors.term_get(actor=actor, term_id=term_id)
    return paged(selectors.calendar_day_list(actor=actor, term=term), paging)


@router.post("/terms/{term_id}/calendar-days", response={201: CalendarDayOut, **ERRORS}, summary="新增校历日")
def day_create(request: HttpRequest, term_id: int, payload: CalendarDayIn) -> Any:
    actor = actor_of(request)
    term = selectors.term_get(actor=actor, term_id=term_id)
    return Status(201, services.calendar_day_create(actor=actor, term=term, data=payload.dict()))


@router.delete("/terms/{term_id}/calendar-days/{day_id}", response={204: None, **ERRORS}, summary="删除校历日")
def day_delete(request: HttpRequest, term_id: int, day_id: int) -> Any:
    actor = actor_of(request)
    term = selectors.term_get(actor=actor, term_id=term_id)
    services.calendar_day_delete(actor=actor, day=selectors.calendar_day_get(actor=actor, term=term, day_id=day_id))
    return Status(204, None)

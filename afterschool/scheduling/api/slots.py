"""/api/v1/scheduling/ — slots (课后服务时段)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Status

from afterschool.core.api import Paged, PageParams, actor_of, paged
from afterschool.core.errors import ValidationFailed
from afterschool.schools.api.structure import ERRORS, with_school

from ..schemas.slots import StandardWeekIn, TimeSlotFilters, TimeSlotIn, TimeSlotOut, TimeSlotPatch
from ..selectors import slots as selectors
from ..services import slots as services

router = Router(tags=["排课与课表"])


@router.get("/slots", response={200: Paged[TimeSlotOut], **ERRORS}, summary="课后服务时段列表")
def slot_list(request: HttpRequest, filters: Query[TimeSlotFilters], paging: Query[PageParams]) -> Any:
    return paged(selectors.time_slot_list(actor=actor_of(request), filters=filters.dict()), paging)


@router.post("/slots", response={201: TimeSlotOut, **ERRORS}, summary="新增课后服务时段")
def slot_create(request: HttpRequest, payload: TimeSlotIn) -> Any:
    actor = actor_of(request)
    return Status(201, services.time_slot_create(actor=actor, data=with_school(actor, payload.dict())))


@router.post("/slots/standard-week", response={201: list[TimeSlotOut], **ERRORS}, summary="生成标准一周时段")
def slot_generate_week(request: HttpRequest, payload: StandardWeekIn) -> Any:
    actor = actor_of(request)
    data = with_school(actor, {"school_id": payload.school_id})
    times = tuple((t.starts_at, t.ends_at) for t in payload.times)
    if len(set(payload.weekdays)) != len(payload.weekdays) or any(not 1 <= d <= 7 for d in payload.weekdays):
        raise ValidationFailed({"weekdays": ["星期须为 1–7 且不重复"]})
    created = services.time_slots_generate_week(actor=actor, data=data, weekdays=tuple(payload.weekdays), times=times)
    return Status(201, created)


@router.get("/slots/{slot_id}", response={200: TimeSlotOut, **ERRORS}, summary="课后服务时段详情")
def slot_detail(request: HttpRequest, slot_id: int) -> Any:
    return selectors.time_slot_get(actor=actor_of(request), slot_id=slot_id)


@router.patch("/slots/{slot_id}", response={200: TimeSlotOut, **ERRORS}, summary="修改课后服务时段")
def slot_update(request: HttpRequest, slot_id: int, payload: TimeSlotPatch) -> Any:
    actor = actor_of(request)
    slot = selectors.time_slot_get(actor=actor, slot_id=slot_id)
    return services.time_slot_update(actor=actor, slot=slot, data=payload.dict(exclude_unset=True))


@router.delete("/slots/{slot_id}", response={204: None, **ERRORS}, summary="删除课后服务时段")
def slot_delete(request: HttpRequest, slot_id: int) -> Any:
    actor = actor_of(request)
    services.time_slot_delete(actor=actor, slot=selectors.time_slot_get(actor=actor, slot_id=slot_id))
    return Status(204, None)

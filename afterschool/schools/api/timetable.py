"""/api/v1/schools/ — the regular class timetable: entries of a class, create / patch / delete one entry."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Status

from afterschool.core.api import Paged, PageParams, actor_of, paged
from afterschool.core.errors import NotFound, ValidationFailed

from ..schemas.timetable import TimetableEntryFilters, TimetableEntryIn, TimetableEntryOut, TimetableEntryPatch
from ..selectors import timetable as selectors
from ..services import timetable as services
from .structure import ERRORS, with_staff

router = Router(tags=["学校基础信息"])


@router.get("/timetable-entries", response={200: Paged[TimetableEntryOut], **ERRORS}, summary="常规课表条目列表")
def entry_list(request: HttpRequest, filters: Query[TimetableEntryFilters], paging: Query[PageParams]) -> Any:
    return paged(selectors.timetable_entry_list(actor=actor_of(request), filters=filters.dict()), paging)


@router.get("/classes/{class_id}/timetable", response={200: list[TimetableEntryOut], **ERRORS}, summary="班级常规课表")
def class_timetable(request: HttpRequest, class_id: int) -> Any:
    actor = actor_of(request)
    school_class = selectors.timetable_class_get(actor=actor, school_class_id=class_id)
    return list(selectors.timetable_entry_list(actor=actor, filters={"school_class": school_class.pk}))


@router.post("/timetable-entries", response={201: TimetableEntryOut, **ERRORS}, summary="新增课表条目")
def entry_create(request: HttpRequest, payload: TimetableEntryIn) -> Any:
    actor = actor_of(request)
    data = payload.dict()
    try:
        school_class = selectors.timetable_class_get(actor=actor, school_class_id=data.pop("school_class_id"))
    except NotFound:
        raise ValidationFailed({"school_class_id": ["班级不存在"]}) from None
    data = with_staff(actor, data, key="teacher_id", field="teacher")
    return Status(201, services.timetable_entry_create(actor=actor, school_class=school_class, data=data))


@router.get("/timetable-entries/{entry_id}", response={200: TimetableEntryOut, **ERRORS}, summary="课表条目详情")
def entry_detail(request: HttpRequest, entry_id: int) -> Any:
    return selectors.timetable_entry_get(actor=actor_of(request), entry_id=entry_id)


@router.patch("/timetable-entries/{entry_id}", response={200: TimetableEntryOut, **ERRORS}, summary="修改课表条目")
def entry_update(request: HttpRequest, entry_id: int, payload: TimetableEntryPatch) -> Any:
    actor = actor_of(request)
    entry = selectors.timetable_entry_get(actor=actor, entry_id=entry_id)
    data = with_staff(actor, payload.dict(exclude_unset=True), key="teacher_id", field="teacher")
    return services.timetable_entry_update(actor=actor, entry=entry, data=data)


@router.delete("/timetable-entries/{entry_id}", response={204: None, **ERRORS}, summary="删除课表条目")
def entry_delete(request: HttpRequest, entry_id: int) -> Any:
    actor = actor_of(request)
    services.timetable_entry_delete(actor=actor, entry=selectors.timetable_entry_get(actor=actor, entry_id=entry_id))
    return Status(204, None)

"""/api/v1/scheduling/ — sections (课班): CRUD, status, lesson generation, history, conflicts. Thin: parse, call."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Status

from afterschool.core.api import ERRORS, Paged, PageParams, actor_of, paged
from afterschool.core.export import xlsx_response

from ..schemas.lessons import LessonOut
from ..schemas.sections import (
    SectionConflictsOut,
    SectionEventOut,
    SectionFilters,
    SectionIn,
    SectionOut,
    SectionPatch,
    SectionStatusIn,
)
from ..selectors import sections as selectors
from ..services import lessons as lesson_services
from ..services import sections as services

router = Router(tags=["排课与课表"])

RENAMES = {
    "school_id": "school",
    "term_id": "term",
    "course_id": "course",
    "venue_id": "venue",
    "registration_window_id": "registration_window",
    "grade_ids": "grades",
    "class_ids": "classes",
    "teacher_ids": "teachers",
}


def _data(payload: dict[str, Any]) -> dict[str, Any]:
    data = {RENAMES.get(k, k): v for k, v in payload.items()}
    if data.get("slots") is not None:
        data["slots"] = [
            {k if k != "time_slot_id" else "time_slot": v for k, v in slot.items()} for slot in data["slots"]
        ]
    for key in ("mode",):
        if data.get(key) is not None:
            data[key] = str(data[key])
    return data


@router.get("/sections", response={200: Paged[SectionOut], **ERRORS}, summary="课班列表")
def section_list(request: HttpRequest, filters: Query[SectionFilters], paging: Query[PageParams]) -> Any:
    return paged(selectors.section_list(actor=actor_of(request), filters=filters.dict()), paging)


@router.get("/sections/export", response={200: None, **ERRORS}, summary="导出课班（xlsx）")
def section_export(request: HttpRequest, filters: Query[SectionFilters]) -> HttpResponse:
    content = services.section_export(actor=actor_of(request), filters=filters.dict())
    return xlsx_response(filename="课班.xlsx", content=content)


@router.post("/sections", response={201: SectionOut, **ERRORS}, summary="新建课班（草稿）")
def section_create(request: HttpRequest, payload: SectionIn) -> Any:
    return Status(201, services.section_create(actor=actor_of(request), data=_data(payload.dict())))


@router.get("/sections/{section_id}", response={200: SectionOut, **ERRORS}, summary="课班详情")
def section_detail(request: HttpRequest, section_id: int) -> Any:
    return selectors.section_get(actor=actor_of(request), section_id=section_id)


@router.patch("/sections/{section_id}", response={200: SectionOut, **ERRORS}, summary="修改课班")
def section_update(request: HttpRequest, section_id: int, payload: SectionPatch) -> Any:
    actor = actor_of(request)
    section = selectors.section_get(actor=actor, section_id=section_id)
    return services.section_update(actor=actor, section=section, data=_data(payload.dict(exclude_unset=True)))


@router.delete("/sections/{section_id}", response={204: None, **ERRORS}, summary="删除草稿课班")
def section_delete(request: HttpRequest, section_id: int) -> Any:
    actor = actor_of(request)
    section = selectors.section_get(actor=actor, section_id=section_id)
    services.section_delete(actor=actor, section=section)
    return Status(204, None)


@router.post("/sections/{section_id}/status", response={200: SectionOut, **ERRORS}, summary="变更课班状态")
def section_status(request: HttpRequest, section_id: int, payload: SectionStatusIn) -> Any:
    actor = actor_of(request)
    section = selectors.section_get(actor=actor, section_id=section_id)
    return services.section_set_status(actor=actor, section=section, status=str(payload.status))


@router.post(
    "/sections/{section_id}/generate-lessons",
    response={200: list[LessonOut], **ERRORS},
    summary="按每周上课时间生成课次",
)
def lessons_generate(request: HttpRequest, section_id: int) -> Any:
    actor = actor_of(request)
    section = selectors.section_get(actor=actor, section_id=section_id)
    return lesson_services.lessons_generate(actor=actor, section=section)


@router.get("/sections/{section_id}/history", response={200: list[SectionEventOut], **ERRORS}, summary="课班记录")
def section_history(request: HttpRequest, section_id: int) -> Any:
    actor = actor_of(request)
    section = selectors.section_get(actor=actor, section_id=section_id)
    return list(selectors.section_events(actor=actor, section=section)[:500])


@router.get(
    "/sections/{section_id}/conflicts", response={200: SectionConflictsOut, **ERRORS}, summary="预览课班的时间冲突"
)
def section_conflicts(request: HttpRequest, section_id: int) -> Any:
    actor = actor_of(request)
    section = selectors.section_get(actor=actor, section_id=section_id)
    return {
        "conflicts": selectors.section_conflicts(actor=actor, section=section),
        "warnings": services.section_warnings(section),
    }

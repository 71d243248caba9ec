"""/api/v1/scheduling/ — automatic scheduling (排课方案) and per-section scheduling inputs."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Status

from afterschool.core.api import Paged, PageParams, actor_of, paged
from afterschool.core.errors import ValidationFailed
from afterschool.schools.api.structure import ERRORS
from afterschool.schools.models import Venue

from ..models import Section, TimeSlot
from ..schemas.autoschedule import RunFilters, RunIn, RunOut, ScheduleInputsIn, ScheduleInputsOut
from ..selectors import autoschedule as selectors
from ..services import autoschedule as services

router = Router(tags=["排课与课表"])


def _inputs_out(section: Section) -> dict[str, Any]:
    return {
        "id": section.pk,
        "sessions_per_week": section.sessions_per_week,
        "allowed_slot_ids": sorted(section.allowed_slots.values_list("pk", flat=True)),
        "preferred_slot_ids": sorted(section.preferred_slots.values_list("pk", flat=True)),
        "candidate_venue_ids": sorted(section.candidate_venues.values_list("pk", flat=True)),
    }


@router.get("/runs", response={200: Paged[RunOut], **ERRORS}, summary="排课方案列表")
def run_list(request: HttpRequest, filters: Query[RunFilters], paging: Query[PageParams]) -> Any:
    return paged(selectors.run_list(actor=actor_of(request), filters=filters.dict()), paging)


@router.post("/runs", response={201: RunOut, **ERRORS}, summary="自动排课（生成方案）")
def run_create(request: HttpRequest, payload: RunIn) -> Any:
    actor = actor_of(request)
    services.require_scheduler(actor)
    term = selectors.term_for_run(actor=actor, term_id=payload.term_id)
    return Status(201, services.run_create(actor=actor, term=term))


@router.get("/runs/{run_id}", response={200: RunOut, **ERRORS}, summary="排课方案详情")
def run_detail(request: HttpRequest, run_id: int) -> Any:
    return selectors.run_get(actor=actor_of(request), run_id=run_id)


@router.post("/runs/{run_id}/apply", response={200: RunOut, **ERRORS}, summary="应用排课方案")
def run_apply(request: HttpRequest, run_id: int) -> Any:
    actor = actor_of(request)
    return services.run_apply(actor=actor, run=selectors.run_get(actor=actor, run_id=run_id))


@router.post("/runs/{run_id}/discard", response={200: RunOut, **ERRORS}, summary="放弃排课方案")
def run_discard(request: HttpRequest, run_id: int) -> Any:
    actor = actor_of(request)
    return services.run_discard(actor=actor, run=selectors.run_get(actor=actor, run_id=run_id))


@router.get("/sections/{section_id}/schedule-inputs", response={200: ScheduleInputsOut, **ERRORS},
            summary="课班排课条件")  # fmt: skip
def schedule_inputs_detail(request: HttpRequest, section_id: int) -> Any:
    return _inputs_out(selectors.schedulable_section_get(actor=actor_of(request), section_id=section_id))


@router.put("/sections/{section_id}/schedule-inputs", response={200: ScheduleInputsOut, **ERRORS},
            summary="设置课班排课条件")  # fmt: skip
def schedule_inputs_update(request: HttpRequest, section_id: int, payload: ScheduleInputsIn) -> Any:
    actor = actor_of(request)
    section = selectors.schedulable_section_get(actor=actor, section_id=section_id)
    data: dict[str, Any] = {}
    if payload.sessions_per_week is not None:
        data["sessions_per_week"] = payload.sessions_per_week
    for key, model, field in (
        ("allowed_slot_ids", TimeSlot, "allowed_slots"),
        ("preferred_slot_ids", TimeSlot, "preferred_slots"),
        ("candidate_venue_ids", Venue, "candidate_venues"),
    ):
        ids = getattr(payload, key)
        if ids is None:
            continue
        found = list(model.objects.filter(school_id=section.school_id, pk__in=ids))  # type: ignore[attr-defined]
        if len(found) != len(set(ids)):
            raise ValidationFailed({key: ["包含不存在或不属于本校的编号"]})
        data[field] = found
    return _inputs_out(services.section_schedule_inputs_update(actor=actor, section=section, data=data))

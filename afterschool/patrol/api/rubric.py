"""/api/v1/patrol/ — the rubric (巡课评价项): list, add, edit, reorder, delete (a used item is deactivated), the
default items in one call. Writes: school admins (their school), the platform (naming the school)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Status

from afterschool.core.api import ERRORS, actor_of

from ..choices import SCALE_RANGE
from ..models import PatrolCriterion
from ..schemas.rubric import (
    CriterionFilters,
    CriterionIn,
    CriterionMoveIn,
    CriterionOut,
    CriterionPatch,
    DeleteOut,
    RubricSchoolIn,
)
from ..selectors import rubric as selectors
from ..services import rubric as services

router = Router(tags=["巡课"])


def criterion_out(c: PatrolCriterion) -> dict[str, Any]:
    low, high = SCALE_RANGE[c.scale]
    return {
        "id": c.pk, "school_id": c.school_id, "name": c.name, "description": c.description, "scale": c.scale,
        "scale_label": c.get_scale_display(), "min_score": low, "max_score": high, "position": c.position,
        "is_active": c.is_active,
    }  # fmt: skip


@router.get("/criteria", response={200: list[CriterionOut], **ERRORS}, summary="巡课评价项列表")
def criterion_list(request: HttpRequest, filters: Query[CriterionFilters]) -> Any:
    actor = actor_of(request)
    items = selectors.criterion_list(actor=actor, school_id=filters.school_id)
    if filters.active is not None:
        items = items.filter(is_active=filters.active)
    return [criterion_out(c) for c in items[:500]]


@router.post("/criteria", response={201: CriterionOut, **ERRORS}, summary="添加巡课评价项")
def criterion_create(request: HttpRequest, payload: CriterionIn) -> Any:
    actor = actor_of(request)
    data = payload.dict(exclude={"school_id"})
    return Status(201, criterion_out(services.criterion_create(actor=actor, data=data, school_id=payload.school_id)))


@router.post("/criteria/defaults", response={201: list[CriterionOut], **ERRORS}, summary="使用默认巡课评价项")
def criterion_defaults(request: HttpRequest, payload: RubricSchoolIn) -> Any:
    actor = actor_of(request)
    created = services.rubric_use_defaults(actor=actor, school_id=payload.school_id)
    return Status(201, [criterion_out(c) for c in created])


@router.get("/criteria/{criterion_id}", response={200: CriterionOut, **ERRORS}, summary="巡课评价项详情")
def criterion_detail(request: HttpRequest, criterion_id: int) -> Any:
    return criterion_out(selectors.criterion_get(actor=actor_of(request), criterion_id=criterion_id))


@router.patch("/criteria/{criterion_id}", response={200: CriterionOut, **ERRORS}, summary="修改巡课评价项")
def criterion_update(request: HttpRequest, criterion_id: int, payload: CriterionPatch) -> Any:
    actor = actor_of(request)
    criterion = selectors.criterion_get(actor=actor, criterion_id=criterion_id)
    data = payload.dict(exclude_unset=True)
    return criterion_out(services.criterion_update(actor=actor, criterion=criterion, data=data))


@router.post("/criteria/{criterion_id}/move", response={200: list[CriterionOut], **ERRORS}, summary="调整评价项顺序")
def criterion_move(request: HttpRequest, criterion_id: int, payload: CriterionMoveIn) -> Any:
    actor = actor_of(request)
    criterion = selectors.criterion_get(actor=actor, criterion_id=criterion_id)
    moved = services.criterion_move(actor=actor, criterion=criterion, direction=payload.direction)
    return [criterion_out(c) for c in selectors.criterion_list(actor=actor, school_id=moved.school_id)]


@router.delete(
    "/criteria/{criterion_id}", response={200: DeleteOut, **ERRORS},
    summary="删除巡课评价项（已被巡课使用的改为停用）",
)  # fmt: skip
def criterion_delete(request: HttpRequest, criterion_id: int) -> Any:
    actor = actor_of(request)
    criterion = selectors.criterion_get(actor=actor, criterion_id=criterion_id)
    return {"id": criterion_id, "result": services.criterion_delete(actor=actor, criterion=criterion)}

"""/api/v1/patrol/summary — the bureau's patrol summary per school of its region, and per section of one school."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router

from afterschool.core.api import ERRORS, actor_of
from afterschool.core.errors import PermissionDenied

from ..schemas.summary import PatrolSummaryFilters, PatrolSummaryOut
from ..selectors import summary as selectors

router = Router(tags=["巡课"])


def _float(value: Any) -> float | None:
    return float(value) if value is not None else None


def row_out(row: selectors.SummaryRow) -> dict[str, Any]:
    return {
        "id": row.id, "name": row.name, "lessons_held": row.held, "lessons_patrolled": row.patrolled,
        "coverage_percent": _float(row.coverage_percent), "patrols": row.patrols,
        "average_percent": _float(row.average_percent), "teacher_absent": row.teacher_absent,
        "lowest_item": row.lowest_item, "lowest_item_percent": _float(row.lowest_item_percent),
    }  # fmt: skip


def _require(actor: Any) -> None:
    if not selectors.may_read_summary(actor):
        raise PermissionDenied("只有教育局可以查看巡课汇总")


@router.get("/summary", response={200: PatrolSummaryOut, **ERRORS}, summary="巡课汇总（按学校）")
def summary(request: HttpRequest, filters: Query[PatrolSummaryFilters]) -> Any:
    actor = actor_of(request)
    _require(actor)
    values = filters.dict()
    date_from, date_to = selectors.date_range(values)
    rows = selectors.school_summary(actor=actor, filters=values)
    return {"date_from": date_from, "date_to": date_to, "items": [row_out(r) for r in rows]}


@router.get(
    "/summary/schools/{school_id}", response={200: PatrolSummaryOut, **ERRORS}, summary="巡课汇总（某校按课班）"
)
def summary_school(request: HttpRequest, school_id: int, filters: Query[PatrolSummaryFilters]) -> Any:
    actor = actor_of(request)
    _require(actor)
    values = filters.dict()
    date_from, date_to = selectors.date_range(values)
    rows = selectors.section_summary(actor=actor, school_id=school_id, filters=values)
    return {"date_from": date_from, "date_to": date_to, "items": [row_out(r) for r in rows]}

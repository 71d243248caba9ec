"""/api/v1/feedback/ — evaluations (课程评价): what a child may evaluate, giving or editing an evaluation, the scoped
list (a family its own; a teacher its sections', anonymous; the school with names; the bureau anonymous) and the
statistics of the school and the bureau."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, cast

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Query, Router, Status

from afterschool.core.api import ERRORS, Paged, PageParams, actor_of, paged
from afterschool.core.pagination import paginate

from ..models import Evaluation
from ..schemas.evaluations import (
    EvaluationAvailableOut,
    EvaluationAvailableQuery,
    EvaluationFilters,
    EvaluationIn,
    EvaluationOut,
    EvaluationStatsFilters,
    EvaluationStatsPage,
)
from ..selectors import evaluations as selectors
from ..services import evaluations as services

router = Router(tags=["课堂风采与评价"])


def _float(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def evaluation_out(evaluation: Evaluation, *, named: bool) -> dict[str, Any]:
    section = evaluation.section
    values = [getattr(evaluation, aspect) for aspect in selectors.ASPECTS]
    return {
        "id": evaluation.pk, "section_id": section.pk, "section_name": section.name,
        "course_name": section.course.name, "school_name": section.school.name,
        **{aspect: getattr(evaluation, aspect) for aspect in selectors.ASPECTS},
        "average": float(selectors.one_decimal(Decimal(sum(values)) / Decimal(len(values)))),
        "comment": evaluation.comment, "created_at": evaluation.created_at, "updated_at": evaluation.updated_at,
        "editable_until": selectors.editable_until(evaluation),
        "student_id": evaluation.student_id if named else None,
        "student_name": evaluation.student.name if named else None,
        "author_name": str(evaluation.author) if named else None,
    }  # fmt: skip


def _available_out(item: selectors.Evaluable) -> dict[str, Any]:
    section = item.section
    evaluation = item.evaluation
    if evaluation is not None:
        evaluation.section = section
    return {
        "section_id": section.pk, "section_name": section.name, "course_name": section.course.name,
        "school_name": section.school.name, "term": str(section.term), "teachers": item.teachers,
        "state": item.state, "state_label": item.state_label, "message": item.detail,
        "lessons_started": item.started, "opens_at": item.opens_at,
        "evaluation": evaluation_out(evaluation, named=True) if evaluation is not None else None,
    }  # fmt: skip


@router.get(
    "/evaluations/available",
    response={200: list[EvaluationAvailableOut], **ERRORS},
    summary="孩子可评价的课班及评价状态（家长、学生本人）",
)
def evaluations_available(request: HttpRequest, query: Query[EvaluationAvailableQuery]) -> Any:
    actor = actor_of(request)
    selectors.require_family(actor)
    student = selectors.child_get(actor=actor, student_id=query.student_id)
    items = selectors.evaluables(student=student)
    for item in items:
        if item.evaluation is not None:
            item.evaluation.student = student
    return [_available_out(item) for item in items]


@router.post(
    "/evaluations",
    response={200: EvaluationOut, 201: EvaluationOut, **ERRORS},
    summary="评价课班（已评价的在规定天数内修改）",
)
def evaluations_submit(request: HttpRequest, payload: EvaluationIn) -> Any:
    actor = actor_of(request)
    selectors.require_family(actor)
    student = selectors.child_get(actor=actor, student_id=payload.student_id)
    scores = {aspect: getattr(payload, aspect) for aspect in selectors.ASPECTS}
    evaluation, created = services.evaluation_submit(
        actor=actor, student=student, section=payload.section_id, scores=scores, comment=payload.comment
    )
    fresh = Evaluation.objects.select_related("section", "section__course", "section__school", "student", "author")
    return Status(201 if created else 200, evaluation_out(fresh.get(pk=evaluation.pk), named=True))


@router.get("/evaluations", response={200: Paged[EvaluationOut], **ERRORS}, summary="课程评价列表（按角色限定范围）")
def evaluations_list(request: HttpRequest, filters: Query[EvaluationFilters], paging: Query[PageParams]) -> Any:
    """A family its children's evaluations; a teacher those of the sections it teaches, without names; the school
    its school's with names; the bureau its region's without names."""
    actor = actor_of(request)
    named = selectors.shows_names(actor)
    data = filters.dict()
    if not selectors.sees_schools(actor):
        data.pop("school", None)
    qs = selectors.evaluation_list(actor=actor, filters=data)
    page = paged(qs, paging)
    page["items"] = [evaluation_out(e, named=named) for e in page["items"]]
    return page


def _stats_out(row: selectors.StatsRow) -> dict[str, Any]:
    return {
        "group_by": row.group_by, "key": row.key, "label": row.label, "detail": row.detail,
        "school_name": row.school_name, "count": row.count,
        **{aspect: _float(row.average(aspect)) for aspect in selectors.ASPECTS},
        "overall": _float(row.overall), "satisfaction": _float(row.satisfaction), "placed": row.placed,
        "response_rate": _float(row.response_rate),
    }  # fmt: skip


@router.get("/evaluations/stats", response={200: EvaluationStatsPage, **ERRORS}, summary="课程评价统计（学校、教育局）")
def evaluations_stats(request: HttpRequest, filters: Query[EvaluationStatsFilters], paging: Query[PageParams]) -> Any:
    actor = actor_of(request)
    selectors.require_reader(actor)
    data = filters.dict()
    group_by = data.pop("group_by")
    rows = selectors.evaluation_stats(actor=actor, filters=data, group_by=group_by)
    result = paginate(cast(QuerySet[Any], rows), page=paging.page, page_size=paging.page_size)
    return {
        "items": [_stats_out(row) for row in result.items], "count": result.count, "page": result.page,
        "page_size": result.page_size, "num_pages": result.num_pages,
    }  # fmt: skip

"""/api/v1/courses/ — course review (课程审核): submit, recall, approve, reject, withdraw, schedulability."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router

from afterschool.core.api import ERRORS, Paged, PageParams, actor_of, paged
from afterschool.core.errors import NotFound
from afterschool.tenancy import selectors as tenancy_selectors

from ..schemas.review import (
    DecisionIn,
    OfferDetailOut,
    OfferFilters,
    OfferOut,
    RejectIn,
    SchedulableOut,
    SchedulableParams,
    SubmitIn,
    WithdrawIn,
)
from ..selectors import review as selectors
from ..services import review as services

router = Router(tags=["课程与师资"])


@router.post("/courses/{course_id}/submit", response={200: list[OfferOut], **ERRORS}, summary="提交课程审核")
def course_submit(request: HttpRequest, course_id: int, payload: SubmitIn) -> Any:
    actor = actor_of(request)
    course = selectors.course_for_review(actor=actor, course_id=course_id)
    return services.course_submit(actor=actor, course=course, school_ids=payload.school_ids)


@router.get("/offers", response={200: Paged[OfferOut], **ERRORS}, summary="课程审核列表")
def offer_list(request: HttpRequest, filters: Query[OfferFilters], paging: Query[PageParams]) -> Any:
    return paged(selectors.offer_list(actor=actor_of(request), filters=filters.dict()), paging)


def _detail(actor: Any, offer: Any) -> Any:
    offer.history = selectors.offer_history(actor=actor, offer=offer)
    return offer


@router.get("/offers/{offer_id}", response={200: OfferDetailOut, **ERRORS}, summary="课程审核详情（含审核记录）")
def offer_detail(request: HttpRequest, offer_id: int) -> Any:
    actor = actor_of(request)
    return _detail(actor, selectors.offer_get(actor=actor, offer_id=offer_id))


@router.post("/offers/{offer_id}/approve", response={200: OfferDetailOut, **ERRORS}, summary="审核通过")
def offer_approve(request: HttpRequest, offer_id: int, payload: DecisionIn | None = None) -> Any:
    actor = actor_of(request)
    offer = selectors.offer_get(actor=actor, offer_id=offer_id)
    comment = payload.comment if payload is not None else ""
    return _detail(actor, services.offer_approve(actor=actor, offer=offer, comment=comment))


@router.post("/offers/{offer_id}/reject", response={200: OfferDetailOut, **ERRORS}, summary="驳回（须填写意见）")
def offer_reject(request: HttpRequest, offer_id: int, payload: RejectIn) -> Any:
    actor = actor_of(request)
    offer = selectors.offer_get(actor=actor, offer_id=offer_id)
    return _detail(actor, services.offer_reject(actor=actor, offer=offer, comment=payload.comment))


@router.post("/offers/{offer_id}/recall", response={200: OfferDetailOut, **ERRORS}, summary="撤回提交")
def offer_recall(request: HttpRequest, offer_id: int) -> Any:
    actor = actor_of(request)
    offer = selectors.offer_get(actor=actor, offer_id=offer_id)
    return _detail(actor, services.offer_recall(actor=actor, offer=offer))


@router.post(
    "/courses/{course_id}/withdraw",
    response={200: list[OfferOut], **ERRORS},
    summary="撤销机构课程的审核通过（教育局，课程质量监管）",
)
def course_withdraw(request: HttpRequest, course_id: int, payload: WithdrawIn) -> Any:
    actor = actor_of(request)
    course = selectors.course_for_review(actor=actor, course_id=course_id)
    school_ids = payload.school_ids
    return services.course_withdraw(actor=actor, course=course, reason=payload.reason, school_ids=school_ids)


@router.get(
    "/courses/{course_id}/schedulable",
    response={200: SchedulableOut, **ERRORS},
    summary="课程能否在某校某日排课（不能时给出原因）",
)
def course_schedulable(request: HttpRequest, course_id: int, params: Query[SchedulableParams]) -> Any:
    actor = actor_of(request)
    school_id, on = params.school_id, params.on
    course = selectors.course_for_review(actor=actor, course_id=course_id)
    try:
        school = tenancy_selectors.school_get(actor=actor, school_id=school_id)
    except NotFound:
        raise NotFound("学校不存在") from None
    reason = selectors.course_schedulable(course=course, school=school, on=on)
    return {"schedulable": reason is None, "reason": reason}

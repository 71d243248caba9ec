"""/api/v1/payments/ — withdrawal (退课) and refunds (退款)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Status

from afterschool.accounts.choices import Role
from afterschool.core.api import ERRORS, Paged, PageParams, actor_of
from afterschool.core.pagination import paginate
from afterschool.payments.choices import RefundStatus
from afterschool.payments.models import Refund
from afterschool.payments.schemas.refunds import (
    QuoteOut,
    RefundFilters,
    RefundOut,
    RefundRejectIn,
    RefundWithdrawIn,
    SchoolRefundIn,
)
from afterschool.payments.selectors import refunds as selectors
from afterschool.payments.services import refunds as services
from afterschool.tenancy.actor import Actor

router = Router(tags=["退课退款"])


def may_decide(actor: Actor) -> bool:
    return actor.is_system_admin or actor.has_role(Role.SCHOOL_ADMIN)


def refund_out(refund: Refund, actor: Actor) -> dict[str, Any]:
    order = refund.order
    school = may_decide(actor)
    return {
        "id": refund.pk, "refund_no": refund.refund_no, "order_id": order.pk, "order_no": order.order_no,
        "section_id": order.section_id, "section_name": order.section.name, "student_id": order.student_id,
        "student_name": order.student.name, "reason": refund.reason, "reason_label": refund.get_reason_display(),
        "fee_part_fen": refund.fee_part_fen, "materials_part_fen": refund.materials_part_fen,
        "amount_fen": refund.amount_fen, "status": refund.status, "status_label": refund.get_status_display(),
        "note": refund.note, "reject_reason": refund.reject_reason, "bank_refund_id": refund.bank_refund_id,
        "policy": refund.policy or {}, "created_at": refund.created_at, "decided_at": refund.decided_at,
        "completed_at": refund.completed_at, "can_decide": school and refund.status == RefundStatus.REQUESTED,
        "can_retry": school and refund.status in (RefundStatus.FAILED, RefundStatus.PROCESSING),
    }  # fmt: skip


@router.get("/orders/{order_id}/refund-quote", response={200: QuoteOut, **ERRORS}, summary="退课退费试算")
def refund_quote(request: HttpRequest, order_id: int) -> Any:
    actor = actor_of(request)
    order = selectors.refund_order_get(actor=actor, order_id=order_id)
    quote = services.refund_quote(order=order)
    return {"order_id": order.pk, **quote.as_policy()}


@router.post("/orders/{order_id}/withdraw", response={201: RefundOut, **ERRORS}, summary="家长申请退课")
def withdraw(request: HttpRequest, order_id: int, payload: RefundWithdrawIn) -> Any:
    actor = actor_of(request)
    order = selectors.refund_order_get(actor=actor, order_id=order_id)
    refund = services.withdrawal_request(actor=actor, order=order, reason=payload.reason)
    return Status(201, refund_out(selectors.refund_get(actor=actor, refund_id=refund.pk), actor))


@router.post("/orders/{order_id}/refunds", response={201: RefundOut, **ERRORS}, summary="学校发起退款（可部分）")
def school_refund(request: HttpRequest, order_id: int, payload: SchoolRefundIn) -> Any:
    actor = actor_of(request)
    order = selectors.refund_order_get(actor=actor, order_id=order_id)
    refund = services.refund_create_by_school(
        actor=actor, order=order, amount_fen=payload.amount_fen, note=payload.note
    )
    return Status(201, refund_out(selectors.refund_get(actor=actor, refund_id=refund.pk), actor))


@router.get("/refunds", response={200: Paged[RefundOut], **ERRORS}, summary="退款列表")
def refund_list(request: HttpRequest, filters: Query[RefundFilters], paging: Query[PageParams]) -> Any:
    actor = actor_of(request)
    result = paginate(
        selectors.refund_list(actor=actor, filters=filters.dict()), page=paging.page, page_size=paging.page_size
    )
    return {
        "items": [refund_out(r, actor) for r in result.items], "count": result.count, "page": result.page,
        "page_size": result.page_size, "num_pages": result.num_pages,
    }  # fmt: skip


@router.get("/refunds/{refund_id}", response={200: RefundOut, **ERRORS}, summary="退款详情")
def refund_detail(request: HttpRequest, refund_id: int) -> Any:
    actor = actor_of(request)
    return refund_out(selectors.refund_get(actor=actor, refund_id=refund_id), actor)


def _decided(actor: Actor, refund_id: int) -> dict[str, Any]:
    return refund_out(selectors.refund_get(actor=actor, refund_id=refund_id), actor)


@router.post("/refunds/{refund_id}/approve", response={200: RefundOut, **ERRORS}, summary="同意退款（原路退回）")
def refund_approve(request: HttpRequest, refund_id: int) -> Any:
    actor = actor_of(request)
    refund = selectors.refund_get(actor=actor, refund_id=refund_id)
    services.refund_approve(actor=actor, refund=refund)
    return _decided(actor, refund_id)


@router.post("/refunds/{refund_id}/reject", response={200: RefundOut, **ERRORS}, summary="驳回退款申请")
def refund_reject(request: HttpRequest, refund_id: int, payload: RefundRejectIn) -> Any:
    actor = actor_of(request)
    refund = selectors.refund_get(actor=actor, refund_id=refund_id)
    services.refund_reject(actor=actor, refund=refund, reason=payload.reason)
    return _decided(actor, refund_id)


@router.post("/refunds/{refund_id}/retry", response={200: RefundOut, **ERRORS}, summary="重新发起退款")
def refund_retry(request: HttpRequest, refund_id: int) -> Any:
    actor = actor_of(request)
    refund = selectors.refund_get(actor=actor, refund_id=refund_id)
    services.refund_retry(actor=actor, refund=refund)
    return _decided(actor, refund_id)

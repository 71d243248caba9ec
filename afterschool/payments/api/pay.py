"""/api/v1/payments/ — paying an order through the bank, and an order's payments."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router

from afterschool.core.api import ERRORS, actor_of
from afterschool.payments.models import Payment
from afterschool.payments.schemas.pay import PaymentOut, PayStartOut
from afterschool.payments.selectors import orders as order_selectors
from afterschool.payments.selectors import pay as selectors
from afterschool.payments.services import pay as services

router = Router(tags=["选课缴费"])


def payment_out(p: Payment) -> dict[str, Any]:
    return {
        "id": p.pk, "gateway": p.gateway, "bank_payment_id": p.bank_payment_id, "bank_txn_id": p.bank_txn_id,
        "amount_fen": p.amount_fen, "status": p.status, "status_label": p.get_status_display(), "paid_at": p.paid_at,
        "created_at": p.created_at,
    }  # fmt: skip


@router.post("/orders/{order_id}/pay", response={200: PayStartOut, **ERRORS}, summary="去支付：生成银行支付单")
def pay_start(request: HttpRequest, order_id: int) -> Any:
    actor = actor_of(request)
    order = order_selectors.order_get(actor=actor, order_id=order_id)
    return {"pay_url": services.payment_start(actor=actor, order=order)}


@router.get("/orders/{order_id}/payments", response={200: list[PaymentOut], **ERRORS}, summary="订单的支付记录")
def payment_list(request: HttpRequest, order_id: int) -> Any:
    actor = actor_of(request)
    order = order_selectors.order_get(actor=actor, order_id=order_id)
    return [payment_out(p) for p in selectors.payment_list(actor=actor, order=order)]

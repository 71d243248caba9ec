"""Paying an order through the bank gateway (§5.4.1): start a payment, take the bank's signed notices, and fall back
to querying the bank for payments whose notice never came.

Crediting is idempotent: `_credit` runs with the section's and then the order's rows locked (the same lock order as
`services.orders`), so duplicate or concurrent notices and the query fallback credit a paid order exactly once; the
unique `Payment.bank_txn_id` is the last guard. Every notice, good or bad, is logged in `BankNotice` with its outcome:

- ``credited`` / ``credited_after_close`` (the order had closed at its deadline but its seat could be restored),
- ``duplicate`` (this bank transaction was credited already), ``not_paid`` (a cancelled or still pending payment),
- ``paid_after_close`` (paid at the bank after the order closed and the seat is gone: the money is recorded as a
  succeeded Payment on the closed order and the school is told to refund it),
- ``paid_twice`` (a second bank transaction for an order already paid: recorded, the school told to refund it),
- refused (answered 400): ``bad_signature``, ``malformed``, ``wrong_merchant``, ``unknown_order``, ``amount_mismatch``.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from afterschool.accounts.choices import AuditEventType, Role
from afterschool.accounts.models import RoleMembership
from afterschool.accounts.services import record_write
from afterschool.core.errors import Conflict, NotFound
from afterschool.enrollment.choices import SEAT_HOLDING, EnrollmentStatus
from afterschool.enrollment.models import Enrollment
from afterschool.enrollment.services import active_count, lock_sections, notify_guardians, section_event, student_label
from afterschool.notifications.choices import NotificationKind
from afterschool.notifications.services.inbox import notify
from afterschool.payments.choices import OrderStatus, PaymentStatus
from afterschool.payments.gateway import BankGateway, GatewayError, gateway_settings, get_gateway
from afterschool.payments.models import BankNotice, Order, Payment
from afterschool.payments.services.ledger import post_payment
from afterschool.payments.services.orders import fen_to_yuan, is_guardian
from afterschool.scheduling.choices import SectionEventKind
from afterschool.tenancy.actor import Actor, system_actor

log = logging.getLogger(__name__)

QUERY_AFTER_MINUTES = 3  # a pending payment with no notice this long is asked about at the bank
REFUSED = frozenset({"bad_signature", "malformed", "wrong_merchant", "unknown_order", "amount_mismatch"})


# --- start --------------------------------------------------------------------------------------------------------


def _urls() -> tuple[str, str]:
    base = str(gateway_settings()["notify_base_url"]).rstrip("/")
    return base + reverse("payments:bank_notify"), base + reverse("payments:pay_return")


def payment_start(*, actor: Actor, order: Order, gateway: BankGateway | None = None) -> str:
    """A guardian of the child pays a pending order: the bank payment is created (or the open one reused) and a
    pending Payment stored. Returns the bank's payment page address."""
    if not is_guardian(actor, order.student):
        raise NotFound()
    now = timezone.now()
    if order.status != OrderStatus.PENDING:
        raise Conflict("order_not_pending", f"订单状态为“{order.get_status_display()}”，不能支付")
    if order.deadline <= now:
        raise Conflict("order_expired", "订单已超过支付时限，名额已释放，请重新报名")
    gateway = gateway or get_gateway()
    notify_url, return_url = _urls()
    try:
        bank = gateway.create_payment(
            order_no=order.order_no, amount_fen=order.amount_fen, description=f"{order.section.name} 课后服务费",
            notify_url=notify_url, return_url=return_url,
        )  # fmt: skip
    except GatewayError as exc:
        if exc.code == "already_paid":  # paid already; the notice or the query will credit it
            payments_query_order(order=order, gateway=gateway)
            raise Conflict("order_paid", "该订单已支付，正在确认支付结果") from exc
        raise Conflict("gateway_unavailable", "银行支付暂不可用，请稍后再试") from exc
    with transaction.atomic():
        payment, created = Payment.objects.get_or_create(
            order=order, gateway=getattr(gateway, "name", "bank"), bank_payment_id=bank.payment_id,
            defaults={"amount_fen": order.amount_fen, "status": PaymentStatus.PENDING},
        )  # fmt: skip
        if not created and payment.status == PaymentStatus.FAILED:
            payment.status = PaymentStatus.PENDING
            payment.save(update_fields=["status", "updated_at"])
        record_write(
            actor=actor, event=AuditEventType.CREATE if created else AuditEventType.UPDATE, obj=payment,
            detail={"order_no": order.order_no, "amount_fen": order.amount_fen, "bank_payment_id": bank.payment_id},
        )  # fmt: skip
    return bank.pay_url


# --- notices ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NoticeResult:
    status: int  # HTTP status to answer the bank with
    outcome: str


def notice_receive(*, body: bytes, signature: str, gateway: BankGateway | None = None) -> NoticeResult:
    """Take one asynchronous notice from the bank (the public notify endpoint). Logged whatever happens; a duplicate
    or out-of-order notice is a no-op answered 200; a forged, malformed or mismatching one is refused (400)."""
    gateway = gateway or get_gateway()
    text = body.decode("utf-8", "replace")
    data: Any = None
    try:
        data = json.loads(body)
    except ValueError:
        data = None
    kind = str(data.get("kind", ""))[:16] if isinstance(data, dict) else ""
    reference = ""
    if isinstance(data, dict):
        reference = str(data.get("refund_no") if kind == "refund" else data.get("order_no") or "")[:64]
    notice = BankNotice.objects.create(
        kind=kind or "unknown", reference=reference, body=text[:100_000], signature=signature[:1000]
    )
    if not isinstance(data, dict):
        outcome = "malformed"
    elif not gateway.verify_notice(body=body, signature=signature):
        outcome = "bad_signature"
    else:
        notice.verified = True
        if data.get("merchant_id") != gateway.merchant_id:
            outcome = "wrong_merchant"
        elif kind == "payment":
            outcome = _payment_notice(data, via="notice")
        elif kind == "refund":
            outcome = _refund_notice(data)
        else:
            outcome = "malformed"
    notice.outcome = outcome
    notice.save(update_fields=["verified", "outcome"])
    if outcome in REFUSED:
        log.warning("bank notice %s refused: %s", notice.pk, outcome)
        return NoticeResult(400, outcome)
    return NoticeResult(200, outcome)


def _refund_notice(data: dict[str, Any]) -> str:
    """Hand a refund's result to the refunds flow (idempotent there); an unknown refund number is logged only."""
    from afterschool.payments.services.refunds import refund_notice_applied

    status = str(data.get("status") or "")
    if status not in ("succeeded", "failed"):
        return "malformed"
    try:
        refund = refund_notice_applied(
            refund_no=str(data.get("refund_no") or "")[:32], status=status,
            bank_refund_id=str(data.get("refund_id") or ""),
        )  # fmt: skip
    except NotFound:
        return "unknown_refund"
    except Conflict:
        return "refund_conflict"
    return f"refund_{refund.status}"


def _payment_notice(data: dict[str, Any], *, via: str) -> str:
    try:
        amount = int(data.get("amount_fen"))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return "malformed"
    order_no, status = str(data.get("order_no") or ""), str(data.get("status") or "")
    txn_id, payment_id = str(data.get("txn_id") or ""), str(data.get("payment_id") or "")
    if status == "paid" and not txn_id:
        return "malformed"
    paid_at = parse_datetime(str(data.get("paid_at") or "")) if status == "paid" else None
    return _credit(
        order_no=order_no, bank_payment_id=payment_id, txn_id=txn_id, amount_fen=amount, bank_status=status,
        paid_at=paid_at, via=via,
    )  # fmt: skip


# --- crediting ----------------------------------------------------------------------------------------------------


def _school_admin_ids(school_id: int) -> list[int]:
    return list(
        RoleMembership.objects.filter(role=Role.SCHOOL_ADMIN, school_id=school_id, is_active=True)
        .values_list("user_id", flat=True).distinct()
    )  # fmt: skip


@transaction.atomic
def _credit(
    *, order_no: str, bank_payment_id: str, txn_id: str, amount_fen: int, bank_status: str,
    paid_at: dt.datetime | None, via: str,
) -> str:  # fmt: skip
    section_id = Order.objects.filter(order_no=order_no).values_list("section_id", flat=True).first()
    if section_id is None:
        return "unknown_order"
    lock_sections(section_id)
    order = Order.objects.select_for_update(of=("self",)).select_related("section", "student").get(order_no=order_no)
    if amount_fen != order.amount_fen:
        return "amount_mismatch"
    payment = (
        Payment.objects.select_for_update().filter(order=order, bank_payment_id=bank_payment_id).first()
        if bank_payment_id
        else None
    )
    if bank_status != "paid":
        if bank_status == "cancelled" and payment is not None and payment.status == PaymentStatus.PENDING:
            payment.status = PaymentStatus.FAILED
            payment.save(update_fields=["status", "updated_at"])
        return "not_paid"
    if Payment.objects.filter(bank_txn_id=txn_id).exists():
        return "duplicate"
    now = timezone.now()
    paid_at = paid_at or now
    if payment is None or payment.status == PaymentStatus.SUCCEEDED:
        payment = Payment(order=order, gateway="simbank", bank_payment_id=bank_payment_id, amount_fen=amount_fen)
    payment.status, payment.bank_txn_id, payment.paid_at = PaymentStatus.SUCCEEDED, txn_id, paid_at
    try:
        with transaction.atomic():
            payment.save()
    except IntegrityError:
        return "duplicate"
    post_payment(payment)  # the money is received whatever becomes of the order (held until settled or refunded)
    actor = system_actor()
    record_write(
        actor=actor, event=AuditEventType.UPDATE, obj=payment,
        detail={"order_no": order.order_no, "status": PaymentStatus.SUCCEEDED, "bank_txn_id": txn_id, "via": via},
    )  # fmt: skip
    if order.status == OrderStatus.PAID:
        _tell_school_to_refund(order, amount_fen, "该订单已支付，银行又收到一笔付款（重复支付）")
        return "paid_twice"
    previous = order.status
    enrollment = Enrollment.objects.select_for_update().get(pk=order.enrollment_id)
    if previous == OrderStatus.PENDING and enrollment.status == EnrollmentStatus.PENDING:
        outcome = "credited"
    elif previous == OrderStatus.CLOSED and _seat_restorable(order, enrollment):
        outcome = "credited_after_close"
    else:
        _tell_school_to_refund(order, amount_fen, "订单已关闭、名额已释放后才收到付款，需原路退款")
        return "paid_after_close"
    enrollment.status, enrollment.ended_at, enrollment.end_reason = EnrollmentStatus.ACTIVE, None, ""
    enrollment.save(update_fields=["status", "ended_at", "end_reason", "updated_at"])
    order.status, order.paid_at = OrderStatus.PAID, paid_at
    order.closed_at, order.close_reason = None, ""
    order.save(update_fields=["status", "paid_at", "closed_at", "close_reason", "updated_at"])
    record_write(
        actor=actor, event=AuditEventType.UPDATE, obj=order,
        detail={"status": [previous, OrderStatus.PAID], "bank_txn_id": txn_id, "via": via},
    )  # fmt: skip
    section, student = order.section, order.student
    section_event(
        actor=actor, section=section, kind=SectionEventKind.ENROLLED,
        detail={"students": [student_label(student)], "order": order.order_no, "status": EnrollmentStatus.ACTIVE,
                "paid": True},
    )  # fmt: skip
    notify_guardians(
        students=[student], kind=NotificationKind.ENROLLMENT, title=f"{student.name}报名“{section.name}”已缴费",
        body=f"已收到 ¥{fen_to_yuan(amount_fen)}，名额已确认。", data={"order": order.pk, "section": section.pk},
    )  # fmt: skip
    from afterschool.payments.services.waitlist import waitlist_offer_accepted

    waitlist_offer_accepted(order=order)
    return outcome


def _seat_restorable(order: Order, enrollment: Enrollment) -> bool:
    """With the section locked: the closed order's place may come back if no other place of the child holds the
    section and a seat is free."""
    if enrollment.status != EnrollmentStatus.EXPIRED:
        return False
    section = order.section
    taken = Enrollment.objects.filter(section=section, student_id=order.student_id, status__in=SEAT_HOLDING)
    return not taken.exists() and active_count(section) < section.max_students


def _tell_school_to_refund(order: Order, amount_fen: int, why: str) -> None:
    notify(
        recipients=_school_admin_ids(order.school_id), kind=NotificationKind.ENROLLMENT,
        title=f"订单 {order.order_no} 需退款", body=f"{why}：¥{fen_to_yuan(amount_fen)}（{order.student.name}，"
        f"{order.section.name}）。", data={"order": order.pk, "outcome": "refund_needed"},
    )  # fmt: skip


# --- the query fallback -------------------------------------------------------------------------------------------


def payments_query_order(*, order: Order, gateway: BankGateway | None = None) -> str:
    """Ask the bank about one order and credit it if paid. Returns the outcome (or "unreachable")."""
    gateway = gateway or get_gateway()
    try:
        bank = gateway.query_payment(order_no=order.order_no)
    except GatewayError as exc:
        log.warning("bank query for %s failed: %s", order.order_no, exc)
        return "unreachable"
    if bank is None:
        return "not_found"
    if bank.status != "paid":
        return "not_paid"
    return _credit(
        order_no=order.order_no, bank_payment_id=bank.payment_id, txn_id=bank.txn_id or "", amount_fen=bank.amount_fen,
        bank_status=bank.status, paid_at=parse_datetime(bank.paid_at or ""), via="query",
    )  # fmt: skip


def payments_query_pending(
    *, now: dt.datetime | None = None, older_than: dt.timedelta | None = None, gateway: BankGateway | None = None
) -> int:
    """The fallback task: pending payments older than a few minutes are asked about at the bank and credited when
    paid. Returns how many orders it credited. Safe to run again (crediting is idempotent)."""
    now = now or timezone.now()
    cutoff = now - (older_than if older_than is not None else dt.timedelta(minutes=QUERY_AFTER_MINUTES))
    gateway = gateway or get_gateway()
    order_ids = (
        Payment.objects.filter(status=PaymentStatus.PENDING, created_at__lte=cutoff)
        .values_list("order_id", flat=True).distinct()
    )  # fmt: skip
    credited = 0
    for order in Order.objects.filter(pk__in=list(order_ids)).select_related("section", "student"):
        outcome = payments_query_order(order=order, gateway=gateway)
        if outcome.startswith("credited"):
            credited += 1
        current = Order.objects.filter(pk=order.pk).values_list("status", flat=True).first()
        if outcome != "unreachable" and current != OrderStatus.PENDING:
            # Settled either way: a payment row still pending for it will never be paid through this order.
            Payment.objects.filter(order=order, status=PaymentStatus.PENDING).update(
                status=PaymentStatus.FAILED, updated_at=now
            )
    return credited

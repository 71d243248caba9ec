"""退课与退费 (§5.4.2, §5.2.4.3): the refund policy, a parent's withdrawal request, the school's decision, refunds
chosen by the school, and the automatic full refund of a cancelled section.

Policy (`refund_quote`, per school through FeeSettings):
- before the first scheduled lesson starts: the fee in full;
- after: the fee prorated by the scheduled lessons not yet started / all scheduled lessons (integer 分, rounded
  down), or nothing when the school turned prorating off (`prorate_after_start`);
- materials (only if paid for): refunded only while not handed out and only if the school allows it
  (`materials_refundable`);
- minus what was already refunded or is being refunded (per part), never negative, never above what was paid.

Decision on approval (documented choice): the school keeps the amount quoted when the parent asked (its own delay
must not cost the parent), but never above what is refundable NOW: the materials part falls away if the materials
were handed out in the meantime, and the total never goes beyond what was paid minus what was refunded or is being
refunded.

Money and idempotency:
- A refund in PROCESSING reserves its amount: the ceiling `amount_fen − refunded_fen − Σ processing` is checked with
  the ORDER row locked (every path that starts a refund locks the order first), and the database check
  `refunded_fen ≤ amount_fen` is the last guard. Two approvals of one refund: the second finds it no longer
  REQUESTED (refund row locked) and is refused (409); nothing is paid twice.
- The bank is always asked with the refund's own `refund_no`, so a repeated call (retry, a lost answer) is the same
  refund at the bank. A result for a refund no longer PROCESSING is ignored (a duplicate answer or notice).
- The bank call happens BETWEEN two short transactions (mark PROCESSING and commit; ask the bank; apply the
  result), never while holding row locks. A crash in between leaves the refund PROCESSING: the bank's refund notice
  (`refund_notice_applied`) or the school's retry (same refund_no) settles it. Called inside an outer transaction
  (the section cancellation) the steps are savepoints of that transaction.
- Money goes back by the original route: the order's succeeded Payment and its bank transaction id.

On success: order.refunded_fen grows, the order becomes REFUNDED when fully refunded; a withdrawal ends the
enrolment (WITHDRAWN) and frees the seat (the waitlist is told). A refund chosen by the school (`refund_create_by_
school`) is a money adjustment: it does not end the enrolment. Every step is audited and the guardians notified.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from dataclasses import asdict, dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone

from afterschool.accounts.choices import AuditEventType, Role
from afterschool.accounts.services import record_write
from afterschool.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from afterschool.enrollment.choices import EnrollmentStatus
from afterschool.enrollment.models import Enrollment
from afterschool.enrollment.services import guardian_user_ids
from afterschool.notifications.choices import NotificationKind
from afterschool.notifications.services.inbox import notify
from afterschool.scheduling.choices import LessonStatus
from afterschool.scheduling.models import Lesson, Section
from afterschool.tenancy.actor import Actor, system_actor

from .. import gateway
from ..choices import OrderStatus, PaymentStatus, RefundReason, RefundStatus
from ..gateway import BankGateway
from ..models import FeeSettings, Order, Payment, Refund
from .ledger import post_refund

log = logging.getLogger(__name__)

MAX_REASON = 200
OPEN = (RefundStatus.REQUESTED, RefundStatus.PROCESSING)
REFUND_KIND: str = getattr(NotificationKind, "REFUND", NotificationKind.ENROLLMENT)
RULE_BEFORE = "开课前退课：报名费全额退还"
RULE_PRORATE = "开课后退课：报名费按未上课次比例退还（{remaining}/{total}，按分向下取整）"
RULE_NO_PRORATE = "开课后退课：本校规定开课后报名费不退"
RULE_NO_LESSONS = "课班尚未排课：报名费全额退还"
RULE_FULL = "课班取消：已缴费用全额退还"
RULE_SCHOOL = "学校退款：金额由学校确定"


def get_gateway() -> BankGateway:
    """The bank gateway; tests replace this function with a fake."""
    return gateway.get_gateway()


def fen_to_yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


# --- the policy ---------------------------------------------------------------------------------------------------


@dataclass
class RefundQuote:
    paid_fen: int
    refunded_fen: int  # already refunded (succeeded)
    in_flight_fen: int  # being refunded (processing)
    fee_part_fen: int
    materials_part_fen: int
    lessons_total: int
    lessons_held: int
    lessons_remaining: int
    started: bool
    rule: str
    materials_rule: str
    quoted_at: str

    @property
    def amount_fen(self) -> int:
        return self.fee_part_fen + self.materials_part_fen

    @property
    def amount_yuan(self) -> str:
        return fen_to_yuan(self.amount_fen)

    @property
    def paid_yuan(self) -> str:
        return fen_to_yuan(self.paid_fen)

    @property
    def fee_yuan(self) -> str:
        return fen_to_yuan(self.fee_part_fen)

    @property
    def materials_yuan(self) -> str:
        return fen_to_yuan(self.materials_part_fen)

    @property
    def refundable_fen(self) -> int:
        return max(self.paid_fen - self.refunded_fen - self.in_flight_fen, 0)

    def as_policy(self) -> dict[str, Any]:
        data = asdict(self)
        data["amount_fen"] = self.amount_fen
        return data


def _settings(school_id: int) -> tuple[bool, bool]:
    row = FeeSettings.objects.filter(school_id=school_id).values("prorate_after_start", "materials_refundable").first()
    if row is None:
        return True, True
    return bool(row["prorate_after_start"]), bool(row["materials_refundable"])


def _starts(lesson: Lesson) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(lesson.date, lesson.starts_at))


def lesson_counts(section_id: int, on: dt.datetime) -> tuple[int, int]:
    """(all scheduled lessons, those already started at `on`) of the section."""
    lessons = list(
        Lesson.objects.filter(section_id=section_id, status=LessonStatus.SCHEDULED).only("date", "starts_at")
    )
    held = sum(1 for lesson in lessons if _starts(lesson) <= on)
    return len(lessons), held


def _parts_taken(order: Order) -> tuple[int, int, int, int]:
    """(fee refunded, materials refunded, fee in flight, materials in flight) from the order's refunds."""
    out = []
    for status in (RefundStatus.SUCCEEDED, RefundStatus.PROCESSING):
        sums = Refund.objects.filter(order_id=order.pk, status=status).aggregate(
            fee=Sum("fee_part_fen"), materials=Sum("materials_part_fen")
        )
        out.append((int(sums["fee"] or 0), int(sums["materials"] or 0)))
    return out[0][0], out[0][1], out[1][0], out[1][1]


def refund_quote(*, order: Order, on: dt.datetime | None = None, full: bool = False) -> RefundQuote:
    """What withdrawing now gives back (see the module docstring); `full` = everything not yet refunded."""
    on = on or timezone.now()
    prorate, materials_ok = _settings(order.school_id)
    total, held = lesson_counts(order.section_id, on)
    remaining = total - held
    fee_done, mat_done, fee_flight, mat_flight = _parts_taken(order)
    paid = order.amount_fen if order.status in (OrderStatus.PAID, OrderStatus.REFUNDED) else 0
    started = total > 0 and held > 0
    if full:
        fee_due, rule = order.fee_fen, RULE_FULL
    elif total == 0:
        fee_due, rule = order.fee_fen, RULE_NO_LESSONS
    elif not started:
        fee_due, rule = order.fee_fen, RULE_BEFORE
    elif prorate:
        fee_due, rule = order.fee_fen * remaining // total, RULE_PRORATE.format(remaining=remaining, total=total)
    else:
        fee_due, rule = 0, RULE_NO_PRORATE
    if order.materials_fen <= 0:
        mat_due, materials_rule = 0, "未缴材料费"
    elif full:
        mat_due, materials_rule = order.materials_fen, "课班取消：材料费全额退还"
    elif order.materials_handed_out:
        mat_due, materials_rule = 0, "材料已发放，材料费不退"
    elif not materials_ok:
        mat_due, materials_rule = 0, "本校规定材料费不退"
    else:
        mat_due, materials_rule = order.materials_fen, "材料未发放，材料费全额退还"
    fee_part = max(min(fee_due, order.fee_fen) - fee_done - fee_flight, 0)
    mat_part = max(min(mat_due, order.materials_fen) - mat_done - mat_flight, 0)
    ceiling = max(paid - order.refunded_fen - fee_flight - mat_flight, 0)
    if fee_part + mat_part > ceiling:  # never above what is left of what was paid
        mat_part = min(mat_part, ceiling)
        fee_part = min(fee_part, ceiling - mat_part)
    if paid == 0:
        fee_part = mat_part = 0
    return RefundQuote(
        paid_fen=paid, refunded_fen=order.refunded_fen, in_flight_fen=fee_flight + mat_flight,
        fee_part_fen=fee_part, materials_part_fen=mat_part, lessons_total=total, lessons_held=held,
        lessons_remaining=remaining, started=started, rule=rule, materials_rule=materials_rule,
        quoted_at=on.isoformat(),
    )  # fmt: skip


# --- who ------------------------------------------------------------------------------------------------------------


def _is_guardian(actor: Actor, order: Order) -> bool:
    return actor.user_id is not None and order.student.guardians.filter(user_id=actor.user_id).exists()


def require_parent(actor: Actor, order: Order) -> None:
    """The child's parent (a system admin too). Another family's order answers as missing."""
    if actor.is_system_admin:
        return
    if actor.has_role(Role.PARENT):
        if not _is_guardian(actor, order):
            raise NotFound()
        return
    if actor.has_role(Role.SCHOOL_ADMIN) and actor.school_id != order.school_id:
        raise NotFound()
    raise PermissionDenied("只有学生的家长可以申请退课")


def require_school(actor: Actor, order: Order) -> None:
    """An admin of the order's school (or a system admin); another school's order answers as missing."""
    if actor.is_system_admin:
        return
    if actor.has_role(Role.SCHOOL_ADMIN):
        if actor.school_id != order.school_id:
            raise NotFound()
        return
    if actor.has_role(Role.PARENT) and not _is_guardian(actor, order):
        raise NotFound()
    raise PermissionDenied("只有学校管理员可以审核退款")


# --- helpers --------------------------------------------------------------------------------------------------------


def new_refund_no(now: dt.datetime) -> str:
    return f"R{timezone.localtime(now):%Y%m%d%H%M%S}{secrets.randbelow(10**8):08d}"


def _lock_order(order_id: int) -> Order:
    return Order.objects.select_for_update().select_related("student", "section").get(pk=order_id)


def _lock_refund(refund_id: int) -> Refund:
    return Refund.objects.select_for_update().get(pk=refund_id)


def _in_flight(order: Order, exclude_id: int | None = None) -> int:
    qs = Refund.objects.filter(order_id=order.pk, status=RefundStatus.PROCESSING)
    if exclude_id is not None:
        qs = qs.exclude(pk=exclude_id)
    return int(qs.aggregate(n=Sum("amount_fen"))["n"] or 0)


def _ceiling(order: Order, exclude_id: int | None = None) -> int:
    return max(order.amount_fen - order.refunded_fen - _in_flight(order, exclude_id), 0)


def _original_payment(order: Order) -> Payment | None:
    return Payment.objects.filter(order_id=order.pk, status=PaymentStatus.SUCCEEDED).order_by("-paid_at", "-pk").first()


def _create(*, order: Order, reason: str, fee: int, materials: int, policy: dict[str, Any], status: str,
            actor: Actor, note: str = "") -> Refund:  # fmt: skip
    now = timezone.now()
    for _attempt in range(5):
        try:
            with transaction.atomic():
                return Refund.objects.create(
                    refund_no=new_refund_no(now), order=order, payment=_original_payment(order), reason=reason,
                    fee_part_fen=fee, materials_part_fen=materials, amount_fen=fee + materials, policy=policy,
                    status=status, note=note[:200], requested_by=actor.user,
                )  # fmt: skip
        except IntegrityError:
            continue
    raise Conflict("refund_no", "退款单号生成失败，请重试")


def _tell(refund: Refund, order: Order, *, title: str, body: str) -> None:
    notify(
        recipients=guardian_user_ids([order.student]), kind=REFUND_KIND, title=title, body=body,
        link=f"/payments/refunds/{refund.pk}/",
        data={"refund": refund.pk, "order": order.pk, "refund_no": refund.refund_no, "status": refund.status},
    )  # fmt: skip


def _tell_school(refund: Refund, order: Order, *, title: str, body: str) -> None:
    from afterschool.accounts.models import RoleMembership

    admins = RoleMembership.objects.filter(role=Role.SCHOOL_ADMIN, school_id=order.school_id).values_list(
        "user_id", flat=True
    )
    notify(
        recipients=list(admins), kind=REFUND_KIND, title=title, body=body, link=f"/payments/refunds/{refund.pk}/",
        data={"refund": refund.pk, "order": order.pk, "refund_no": refund.refund_no, "status": refund.status},
    )  # fmt: skip


def _clean_reason(reason: str | None, field: str = "reason", required: bool = True) -> str:
    reason = (reason or "").strip()
    if required and not reason:
        raise ValidationFailed({field: ["请填写原因"]})
    if len(reason) > MAX_REASON:
        raise ValidationFailed({field: [f"原因最多 {MAX_REASON} 字"]})
    return reason


# --- the parent asks ------------------------------------------------------------------------------------------------


@transaction.atomic
def withdrawal_request(*, actor: Actor, order: Order, reason: str) -> Refund:
    """A parent asks to withdraw the child: a REQUESTED refund with the quote of now (one open request per order)."""
    require_parent(actor, order)
    reason = _clean_reason(reason)
    order = _lock_order(order.pk)
    if order.status != OrderStatus.PAID:
        raise Conflict("order_not_paid", f"订单{order.order_no}{order.get_status_display()}，不能申请退课")
    enrollment = Enrollment.objects.filter(pk=order.enrollment_id).values_list("status", flat=True).first()
    if enrollment != EnrollmentStatus.ACTIVE:
        raise Conflict("not_enrolled", "该学生已不在此课班中，不能申请退课")
    if Refund.objects.filter(order=order, status__in=OPEN).exists():
        raise Conflict("refund_open", "该订单已有待处理的退款，请等待学校处理")
    quote = refund_quote(order=order)
    refund = _create(
        order=order, reason=RefundReason.WITHDRAWAL, fee=quote.fee_part_fen, materials=quote.materials_part_fen,
        policy=quote.as_policy(), status=RefundStatus.REQUESTED, actor=actor, note=reason,
    )  # fmt: skip
    record_write(
        actor=actor, event=AuditEventType.CREATE, obj=refund,
        detail={"refund_no": refund.refund_no, "order": order.order_no, "amount_fen": refund.amount_fen,
                "reason": refund.reason, "note": reason, "rule": quote.rule},
    )  # fmt: skip
    _tell(
        refund, order, title=f"{order.student.name}的退课申请已提交（{order.section.name}）",
        body=f"预计退款 ¥{fen_to_yuan(refund.amount_fen)}（{quote.rule}；{quote.materials_rule}），等待学校审核。",
    )  # fmt: skip
    _tell_school(
        refund, order, title=f"退课申请：{order.student.name}（{order.section.name}）",
        body=f"家长申请退课，原因：{reason}；按规则应退 ¥{fen_to_yuan(refund.amount_fen)}。",
    )  # fmt: skip
    return refund


# --- the school decides ---------------------------------------------------------------------------------------------


@transaction.atomic
def refund_reject(*, actor: Actor, refund: Refund, reason: str) -> Refund:
    order = Order.objects.select_related("student", "section").get(pk=refund.order_id)
    require_school(actor, order)
    reason = _clean_reason(reason)
    order = _lock_order(order.pk)
    refund = _lock_refund(refund.pk)
    if refund.status != RefundStatus.REQUESTED:
        raise Conflict("refund_decided", f"退款{refund.refund_no}{refund.get_status_display()}，已被处理")
    refund.status = RefundStatus.REJECTED
    refund.reject_reason = reason
    refund.decided_by = actor.user
    refund.decided_at = timezone.now()
    refund.save(update_fields=["status", "reject_reason", "decided_by", "decided_at", "updated_at"])
    record_write(
        actor=actor, event=AuditEventType.UPDATE, obj=refund,
        detail={"status": [RefundStatus.REQUESTED, RefundStatus.REJECTED], "reject_reason": reason},
    )  # fmt: skip
    _tell(refund, order, title=f"{order.student.name}的退课申请未通过（{order.section.name}）", body=f"原因：{reason}")
    return refund


def refund_approve(*, actor: Actor, refund: Refund) -> Refund:
    """Approve a REQUESTED refund: PROCESSING (amount reserved), then the bank, then the result applied."""
    order = Order.objects.select_related("student", "section").get(pk=refund.order_id)
    require_school(actor, order)
    refund = _start(actor=actor, refund_id=refund.pk, from_statuses=(RefundStatus.REQUESTED,), decide=True)
    return _send(actor=actor, refund=refund)


def refund_retry(*, actor: Actor, refund: Refund) -> Refund:
    """Ask the bank again, with the same refund_no, for a FAILED refund (or one left PROCESSING)."""
    order = Order.objects.select_related("student", "section").get(pk=refund.order_id)
    require_school(actor, order)
    refund = _start(
        actor=actor, refund_id=refund.pk, from_statuses=(RefundStatus.FAILED, RefundStatus.PROCESSING), decide=False
    )
    return _send(actor=actor, refund=refund)


@transaction.atomic
def _start(*, actor: Actor, refund_id: int, from_statuses: tuple[str, ...], decide: bool) -> Refund:
    order_id = Refund.objects.values_list("order_id", flat=True).get(pk=refund_id)
    order = _lock_order(order_id)  # the order first, always (the ceiling is per order)
    refund = _lock_refund(refund_id)
    if refund.status not in from_statuses:
        raise Conflict("refund_decided", f"退款{refund.refund_no}{refund.get_status_display()}，已被处理")
    old = refund.status
    changed: dict[str, Any] = {"status": [old, RefundStatus.PROCESSING]}
    handed_out = refund.reason == RefundReason.WITHDRAWAL and order.materials_handed_out
    if handed_out and old == RefundStatus.REQUESTED and refund.materials_part_fen:
        # handed out since the request: no longer refundable
        changed["materials_part_fen"] = [refund.materials_part_fen, 0]
        refund.materials_part_fen = 0
    if order.status not in (OrderStatus.PAID, OrderStatus.REFUNDED):
        raise Conflict("order_not_paid", f"订单{order.order_no}{order.get_status_display()}，不能退款")
    ceiling = _ceiling(order, exclude_id=refund.pk)
    wanted = refund.fee_part_fen + refund.materials_part_fen
    if wanted > ceiling:
        if refund.reason != RefundReason.WITHDRAWAL or (ceiling == 0 and wanted > 0):
            raise Conflict(
                "refund_exceeds_paid",
                f"退款金额 ¥{fen_to_yuan(wanted)} 超过可退金额 ¥{fen_to_yuan(ceiling)}（已缴减已退及退款中）",
            )
        refund.materials_part_fen = min(refund.materials_part_fen, ceiling)
        refund.fee_part_fen = min(refund.fee_part_fen, ceiling - refund.materials_part_fen)
        changed["capped_to_fen"] = ceiling
    refund.amount_fen = refund.fee_part_fen + refund.materials_part_fen
    if refund.payment_id is None:
        payment = _original_payment(order)
        refund.payment = payment
    if refund.amount_fen > 0 and (refund.payment is None or not refund.payment.bank_txn_id):
        raise Conflict("no_payment", "找不到该订单的原支付记录，无法原路退回")
    refund.status = RefundStatus.PROCESSING
    fields = ["status", "fee_part_fen", "materials_part_fen", "amount_fen", "payment", "updated_at"]
    if decide:
        refund.decided_by = actor.user
        refund.decided_at = timezone.now()
        fields += ["decided_by", "decided_at"]
    refund.save(update_fields=fields)
    record_write(
        actor=actor, event=AuditEventType.UPDATE, obj=refund,
        detail={**changed, "amount_fen": refund.amount_fen, "action": "approve" if decide else "retry"},
    )  # fmt: skip
    return refund


def _send(*, actor: Actor, refund: Refund) -> Refund:
    """Ask the bank (outside any row lock) and apply its answer. A bank error leaves the refund FAILED."""
    if refund.amount_fen == 0:
        return refund_notice_applied(refund_no=refund.refund_no, status="succeeded", bank_refund_id="", actor=actor)
    payment = refund.payment
    order = refund.order
    try:
        result = get_gateway().refund(
            refund_no=refund.refund_no, order_no=order.order_no, txn_id=(payment.bank_txn_id or "") if payment else "",
            amount_fen=refund.amount_fen,
        )  # fmt: skip
        status = str(getattr(result, "status", "failed"))
        bank_id = str(getattr(result, "refund_id", "") or getattr(result, "bank_refund_id", "") or "")
        message = str(getattr(result, "reason", "") or "")
    except Exception as exc:  # the bank must never break the caller (e.g. a section cancellation)
        log.exception("refund %s: gateway error", refund.refund_no)
        status, bank_id, message = "failed", "", str(exc)[:200]
    if status == "processing":
        return Refund.objects.get(pk=refund.pk)
    if status != "succeeded":
        status = "failed"
    return refund_notice_applied(
        refund_no=refund.refund_no, status=status, bank_refund_id=bank_id, actor=actor, message=message
    )


@transaction.atomic
def refund_notice_applied(
    *, refund_no: str, status: str, bank_refund_id: str = "", actor: Actor | None = None, message: str = ""
) -> Refund:
    """Apply the bank's answer (synchronous or a later refund notice) to a PROCESSING refund. Idempotent: an answer
    for a refund that is no longer PROCESSING changes nothing (a duplicate)."""
    actor = actor or system_actor()
    row = Refund.objects.filter(refund_no=refund_no).values_list("pk", "order_id").first()
    if row is None:
        raise NotFound()
    order = _lock_order(row[1])
    refund = _lock_refund(row[0])
    if refund.status != RefundStatus.PROCESSING or status == "processing":
        return refund
    now = timezone.now()
    if status == "succeeded":
        if order.refunded_fen + refund.amount_fen > order.amount_fen:  # cannot happen with the reservation; guard
            raise Conflict("refund_exceeds_paid", "退款金额超过已缴金额")
        refund.status = RefundStatus.SUCCEEDED
        refund.bank_refund_id = (bank_refund_id or "")[:64]
        refund.completed_at = now
        refund.save(update_fields=["status", "bank_refund_id", "completed_at", "updated_at"])
        post_refund(refund)
        old_status = order.status
        order.refunded_fen += refund.amount_fen
        if order.refunded_fen >= order.amount_fen:
            order.status = OrderStatus.REFUNDED
        order.save(update_fields=["refunded_fen", "status", "updated_at"])
        record_write(
            actor=actor, event=AuditEventType.UPDATE, obj=order,
            detail={"refunded_fen": order.refunded_fen, "status": [old_status, order.status],
                    "refund_no": refund.refund_no},
        )  # fmt: skip
        if refund.reason == RefundReason.WITHDRAWAL:
            _withdraw(actor=actor, order=order, now=now)
        _tell(
            refund, order, title=f"退款成功：¥{fen_to_yuan(refund.amount_fen)}（{order.section.name}）",
            body=f"{order.student.name}的退款 ¥{fen_to_yuan(refund.amount_fen)} 已按原支付渠道退回，"
            f"退款单号 {refund.refund_no}。",
        )  # fmt: skip
    else:
        refund.status = RefundStatus.FAILED
        refund.bank_refund_id = (bank_refund_id or "")[:64]
        refund.save(update_fields=["status", "bank_refund_id", "updated_at"])
        _tell(
            refund, order, title=f"退款处理中遇到问题（{order.section.name}）",
            body=f"{order.student.name}的退款 ¥{fen_to_yuan(refund.amount_fen)} 暂未成功，学校将重新发起，无需操作。",
        )  # fmt: skip
        why = f"：{message}" if message else ""
        _tell_school(
            refund, order, title=f"退款失败：{refund.refund_no}",
            body=f"{order.student.name}（{order.section.name}）的退款未成功{why}，请重试。",
        )  # fmt: skip
    record_write(
        actor=actor, event=AuditEventType.UPDATE, obj=refund,
        detail={"status": [RefundStatus.PROCESSING, refund.status], "bank_refund_id": refund.bank_refund_id,
                "message": message[:200]},
    )  # fmt: skip
    return refund


def _withdraw(*, actor: Actor, order: Order, now: dt.datetime) -> None:
    enrollment = Enrollment.objects.select_for_update().filter(pk=order.enrollment_id).first()
    if enrollment is None or enrollment.status != EnrollmentStatus.ACTIVE:
        return
    enrollment.status = EnrollmentStatus.WITHDRAWN
    enrollment.ended_at = now
    enrollment.end_reason = "家长退课（已退款）"
    enrollment.save(update_fields=["status", "ended_at", "end_reason", "updated_at"])
    record_write(
        actor=actor, event=AuditEventType.UPDATE, obj=enrollment,
        detail={"status": [EnrollmentStatus.ACTIVE, EnrollmentStatus.WITHDRAWN], "order": order.order_no},
    )  # fmt: skip
    from afterschool.payments.services import waitlist as waitlist_services

    hook = getattr(waitlist_services, "seat_freed", None)
    if hook is not None:
        hook(section=order.section)


# --- a refund chosen by the school ----------------------------------------------------------------------------------


def refund_create_by_school(*, actor: Actor, order: Order, amount_fen: int, note: str) -> Refund:
    """The school refunds a chosen amount (e.g. a partial refund): created PROCESSING and sent at once. The fee part
    is taken first, then materials; the total never goes beyond what is left of what was paid."""
    order = Order.objects.select_related("student", "section").get(pk=order.pk)
    require_school(actor, order)
    note = _clean_reason(note, field="note")
    if amount_fen <= 0:
        raise ValidationFailed({"amount_fen": ["退款金额须大于 0"]})
    refund = _create_school(actor=actor, order=order, amount_fen=amount_fen, note=note)
    return _send(actor=actor, refund=refund)


@transaction.atomic
def _create_school(*, actor: Actor, order: Order, amount_fen: int, note: str) -> Refund:
    order = _lock_order(order.pk)
    if order.status not in (OrderStatus.PAID, OrderStatus.REFUNDED):
        raise Conflict("order_not_paid", f"订单{order.order_no}{order.get_status_display()}，不能退款")
    ceiling = _ceiling(order)
    if amount_fen > ceiling:
        raise ValidationFailed(
            {"amount_fen": [f"退款金额不能超过可退金额 ¥{fen_to_yuan(ceiling)}（已缴减已退及退款中）"]},
            message=f"退款金额不能超过可退金额 ¥{fen_to_yuan(ceiling)}",
        )
    fee_done, _mat_done, fee_flight, _mat_flight = _parts_taken(order)
    fee = min(amount_fen, max(order.fee_fen - fee_done - fee_flight, 0))
    materials = amount_fen - fee
    policy = {"rule": RULE_SCHOOL, "ceiling_fen": ceiling, "amount_fen": amount_fen, "note": note}
    refund = _create(
        order=order, reason=RefundReason.SCHOOL, fee=fee, materials=materials, policy=policy,
        status=RefundStatus.PROCESSING, actor=actor, note=note,
    )  # fmt: skip
    if refund.payment is None or not refund.payment.bank_txn_id:
        raise Conflict("no_payment", "找不到该订单的原支付记录，无法原路退回")
    refund.decided_by = actor.user
    refund.decided_at = timezone.now()
    refund.save(update_fields=["decided_by", "decided_at", "updated_at"])
    record_write(
        actor=actor, event=AuditEventType.CREATE, obj=refund,
        detail={"refund_no": refund.refund_no, "order": order.order_no, "amount_fen": amount_fen, "note": note,
                "reason": refund.reason},
    )  # fmt: skip
    return refund


# --- a cancelled section --------------------------------------------------------------------------------------------


def refunds_for_cancelled_section(*, section: Section, enrollments: list[Enrollment] | Any) -> dict[str, Any]:
    """Every paid order of these enrolments is refunded in full automatically (PROCESSING → bank → SUCCEEDED or
    FAILED, the latter with a retry for the school); open withdrawal requests of them are closed as superseded;
    unpaid orders of the section are closed. The bank never makes this fail. Returns a record for the section's
    CANCELLED event."""
    actor = system_actor()
    enrollment_ids = [e.pk for e in enrollments]
    started: list[Refund] = []
    closed = _close_section_orders(section=section, actor=actor)
    orders = list(
        Order.objects.filter(enrollment_id__in=enrollment_ids, status=OrderStatus.PAID)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    for order_id in orders:
        refund = _start_full(order_id=order_id, actor=actor)
        if refund is not None:
            started.append(refund)
    results = [_send(actor=actor, refund=r) if r.status == RefundStatus.PROCESSING else r for r in started]
    return {
        "refund": "started",
        "enrollments": enrollment_ids,
        "refunds": [r.refund_no for r in results],
        "refunded_fen": sum(r.amount_fen for r in results if r.status == RefundStatus.SUCCEEDED),
        "refunds_failed": sum(1 for r in results if r.status == RefundStatus.FAILED),
        "orders_closed": closed,
    }


@transaction.atomic
def _close_section_orders(*, section: Section, actor: Actor) -> int:
    now = timezone.now()
    pending = list(Order.objects.select_for_update().filter(section=section, status=OrderStatus.PENDING))
    for order in pending:
        order.status = OrderStatus.CLOSED
        order.closed_at = now
        order.close_reason = "课班取消"
        order.save(update_fields=["status", "closed_at", "close_reason", "updated_at"])
        record_write(
            actor=actor, event=AuditEventType.UPDATE, obj=order,
            detail={"status": [OrderStatus.PENDING, OrderStatus.CLOSED], "reason": "课班取消"},
        )  # fmt: skip
        Enrollment.objects.filter(pk=order.enrollment_id, status=EnrollmentStatus.PENDING).update(
            status=EnrollmentStatus.CANCELLED, ended_at=now, end_reason="课班取消", updated_at=now
        )
    return len(pending)


@transaction.atomic
def _start_full(*, order_id: int, actor: Actor) -> Refund | None:
    order = _lock_order(order_id)
    now = timezone.now()
    for open_request in Refund.objects.select_for_update().filter(order=order, status=RefundStatus.REQUESTED):
        open_request.status = RefundStatus.REJECTED
        open_request.reject_reason = "课班已取消，改为全额退款"
        open_request.decided_at = now
        open_request.save(update_fields=["status", "reject_reason", "decided_at", "updated_at"])
        record_write(
            actor=actor, event=AuditEventType.UPDATE, obj=open_request,
            detail={"status": [RefundStatus.REQUESTED, RefundStatus.REJECTED], "reason": "section_cancelled"},
        )  # fmt: skip
    quote = refund_quote(order=order, full=True)
    if quote.amount_fen <= 0:
        return None
    refund = _create(
        order=order, reason=RefundReason.SECTION_CANCELLED, fee=quote.fee_part_fen,
        materials=quote.materials_part_fen, policy=quote.as_policy(), status=RefundStatus.PROCESSING, actor=actor,
        note="课班取消，自动全额退款",
    )  # fmt: skip
    refund.decided_at = now
    refund.save(update_fields=["decided_at", "updated_at"])
    record_write(
        actor=actor, event=AuditEventType.CREATE, obj=refund,
        detail={"refund_no": refund.refund_no, "order": order.order_no, "amount_fen": refund.amount_fen,
                "reason": refund.reason},
    )  # fmt: skip
    if refund.payment is None or not refund.payment.bank_txn_id:
        refund.status = RefundStatus.FAILED
        refund.save(update_fields=["status", "updated_at"])
        _tell_school(refund, order, title=f"退款失败：{refund.refund_no}", body="找不到原支付记录，请核对后重试。")
    return refund

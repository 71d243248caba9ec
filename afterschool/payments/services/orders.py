"""Orders (§5.4.1): a parent picks a section for a child; the seat is held by an unpaid order until its deadline.

Rules of `order_create`, checked with the child's row and then the section's row locked (SELECT … FOR UPDATE, in
that order, always), so that
- concurrent requests of many students for one section never go beyond `max_students` (the section lock
  serialises the count-then-insert), and
- concurrent requests of one student for two overlapping sections leave at most one place (the student lock
  serialises the time-conflict check of one child across sections);
the partial unique constraint (one ACTIVE-or-PENDING place per section and student) is the last guard, its
IntegrityError answered as 409 "已报名". On SQLite every write transaction begins IMMEDIATE (config), so writers
are serialised by the database itself and the same checks hold.

An unpaid order closes at its deadline (the task `payments.close_expired_orders`, every minute; and lazily when
the order is read or when someone asks for a seat of its section): order CLOSED, enrolment EXPIRED, the seat
freed, and the waitlist told (`services.waitlist.seat_freed`).
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from afterschool.accounts.choices import AuditEventType, Role
from afterschool.accounts.services import record_write
from afterschool.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from afterschool.enrollment.choices import SEAT_HOLDING, EnrollmentSource, EnrollmentStatus
from afterschool.enrollment.models import Enrollment
from afterschool.enrollment.services import (
    eligibility_error,
    lock_sections,
    notify_guardians,
    require_capacity,
    section_event,
    student_label,
    student_time_conflicts,
)
from afterschool.notifications.choices import NotificationKind
from afterschool.payments.choices import OrderStatus
from afterschool.payments.models import FeeSettings, Order
from afterschool.scheduling.choices import SectionEventKind, SectionStatus
from afterschool.scheduling.models import Section
from afterschool.schools.models import Student
from afterschool.tenancy.actor import Actor, system_actor

DEFAULT_PAYMENT_MINUTES = 15
MAX_REASON = 200


# --- who may order ------------------------------------------------------------------------------------------------


def is_guardian(actor: Actor, student: Student) -> bool:
    return actor.user_id is not None and student.guardians.filter(user_id=actor.user_id).exists()


def require_orderer(actor: Actor, student: Student) -> None:
    """A parent for their own child, a school admin for a student of its school, a system admin. Another family's
    child, or a student of another school, answers as missing (404)."""
    if actor.is_system_admin:
        return
    if actor.has_role(Role.PARENT):
        if not is_guardian(actor, student):
            raise NotFound()
        return
    if actor.has_role(Role.SCHOOL_ADMIN):
        if actor.school_id != student.school_id:
            raise NotFound()
        return
    raise PermissionDenied("只有家长（为自己的孩子）或学校管理员可以报名")


def fen_to_yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


# --- windows, settings --------------------------------------------------------------------------------------------


def window_open_q(now: dt.datetime, prefix: str = "") -> Q:
    """Sections whose registration window is open now; a section without a window is open while its status is."""
    return Q(**{f"{prefix}registration_window__isnull": True}) | Q(
        **{f"{prefix}registration_window__opens_at__lte": now, f"{prefix}registration_window__closes_at__gt": now}
    )


def window_error(section: Section, now: dt.datetime) -> str | None:
    window = section.registration_window
    if window is None:
        return None
    label = f"课班“{section.name}”的报名时段“{window.name}”"
    if now < window.opens_at:
        return f"{label}尚未开始（{timezone.localtime(window.opens_at):%Y-%m-%d %H:%M} 开始）"
    if now >= window.closes_at:
        return f"{label}已截止（{timezone.localtime(window.closes_at):%Y-%m-%d %H:%M} 截止）"
    return None


def payment_minutes(school_id: int) -> int:
    minutes = FeeSettings.objects.filter(school_id=school_id).values_list("payment_minutes", flat=True).first()
    return int(minutes) if minutes else DEFAULT_PAYMENT_MINUTES


def new_order_no(now: dt.datetime) -> str:
    """Date and time to the second, then 8 random digits: 22 characters, unique in practice (retried if not)."""
    return f"{timezone.localtime(now):%Y%m%d%H%M%S}{secrets.randbelow(10**8):08d}"


def _seat_freed(section: Section) -> None:
    """Tell the waitlist a seat of the section is free (in the same transaction, with the section locked)."""
    from afterschool.payments.services import waitlist as waitlist_services

    hook = getattr(waitlist_services, "seat_freed", None)
    if hook is not None:
        hook(section=section)


# --- create -------------------------------------------------------------------------------------------------------


@transaction.atomic
def order_create(*, actor: Actor, section: Section, student: Student, with_materials: bool = False) -> Order:
    """Hold a seat for the child and create the order to pay (or place at once when there is nothing to pay)."""
    require_orderer(actor, student)
    if section.school_id != student.school_id:
        raise NotFound()
    now = timezone.now()
    # Lock order: the student first (one child's requests one at a time), then the section (its seats).
    student = Student.objects.select_for_update().select_related("grade", "school_class").get(pk=student.pk)
    lock_sections(section.pk)
    section = Section.objects.select_related("registration_window", "course").get(pk=section.pk)
    if section.status != SectionStatus.OPEN:
        raise Conflict("section_closed", f"课班“{section.name}”{section.get_status_display()}，不在报名中")
    closed = window_error(section, now)
    if closed:
        raise Conflict("window_closed", closed)
    reason = eligibility_error(student, section)
    if reason:
        raise ValidationFailed({"student": [reason]}, message=reason)
    _close_due_of_section(section=section, now=now)
    if Enrollment.objects.filter(section=section, student=student, status__in=SEAT_HOLDING).exists():
        raise Conflict("already_enrolled", f"已报名：{student.name}已在课班“{section.name}”中（或已报名待缴费）")
    _close_due_of_student(student=student, now=now)
    clashes = student_time_conflicts(student=student, section=section)
    if clashes:
        raise Conflict("time_conflict", "；".join(clashes), detail={"conflicts": clashes})
    require_capacity(section, 1)

    materials = section.materials_fee_fen if (section.materials_included or with_materials) else 0
    fee = section.fee_fen
    amount = fee + materials
    free = amount == 0
    try:
        with transaction.atomic():
            enrollment = Enrollment.objects.create(
                section=section, student=student, source=EnrollmentSource.PARENT, created_by=actor.user,
                status=EnrollmentStatus.ACTIVE if free else EnrollmentStatus.PENDING,
            )  # fmt: skip
    except IntegrityError:
        raise Conflict("already_enrolled", f"已报名：{student.name}已在课班“{section.name}”中") from None
    order = _insert_order(
        now=now, school_id=section.school_id, section=section, student=student, enrollment=enrollment,
        payer=actor.user, fee_fen=fee, materials_fen=materials, amount_fen=amount,
        materials_included=materials > 0, status=OrderStatus.PAID if free else OrderStatus.PENDING,
        deadline=now + dt.timedelta(minutes=payment_minutes(section.school_id)), paid_at=now if free else None,
    )  # fmt: skip
    section_event(
        actor=actor, section=section, kind=SectionEventKind.ENROLLED,
        detail={"students": [student_label(student)], "source": EnrollmentSource.PARENT, "order": order.order_no,
                "status": enrollment.status},
    )  # fmt: skip
    record_write(
        actor=actor, event=AuditEventType.CREATE, obj=order,
        detail={"order_no": order.order_no, "section": section.pk, "student": student.pk,
                "amount_fen": amount, "status": order.status},
    )  # fmt: skip
    record_write(
        actor=actor, event=AuditEventType.CREATE, obj=enrollment,
        detail={"section": section.pk, "student": student.pk, "source": enrollment.source, "status": enrollment.status},
    )  # fmt: skip
    if free:
        title, body = f"{student.name}已报名“{section.name}”", "本课班无需缴费，名额已确认。"
    else:
        deadline = timezone.localtime(order.deadline)
        title = f"{student.name}已报名“{section.name}”，待缴费"
        body = f"应付 ¥{fen_to_yuan(amount)}，请在 {deadline:%Y-%m-%d %H:%M} 前完成支付，逾期订单关闭、名额释放。"
    notify_guardians(
        students=[student], kind=NotificationKind.ENROLLMENT, title=title, body=body,
        data={"section": section.pk, "student": student.pk, "order": order.pk},
    )  # fmt: skip
    return order


def _insert_order(*, now: dt.datetime, **fields: Any) -> Order:
    for _attempt in range(5):
        try:
            with transaction.atomic():
                return Order.objects.create(order_no=new_order_no(now), **fields)
        except IntegrityError:
            if _attempt == 4:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


# --- close --------------------------------------------------------------------------------------------------------


def _close(*, actor: Actor, order: Order, reason: str, now: dt.datetime, status_note: str) -> Order:
    """Close a PENDING order whose section is locked: order CLOSED, enrolment EXPIRED, seat freed, waitlist told."""
    order.status = OrderStatus.CLOSED
    order.closed_at = now
    order.close_reason = reason[:MAX_REASON]
    order.save(update_fields=["status", "closed_at", "close_reason", "updated_at"])
    enrollment = Enrollment.objects.select_for_update().get(pk=order.enrollment_id)
    if enrollment.status == EnrollmentStatus.PENDING:
        enrollment.status = EnrollmentStatus.EXPIRED
        enrollment.ended_at = now
        enrollment.end_reason = reason[:MAX_REASON]
        enrollment.save(update_fields=["status", "ended_at", "end_reason", "updated_at"])
    section, student = order.section, order.student
    section_event(
        actor=actor, section=section, kind=SectionEventKind.REMOVED,
        detail={"students": [student_label(student)], "reason": reason, "order": order.order_no,
                "status": EnrollmentStatus.EXPIRED},
    )  # fmt: skip
    record_write(
        actor=actor, event=AuditEventType.UPDATE, obj=order,
        detail={"status": [OrderStatus.PENDING, OrderStatus.CLOSED], "reason": reason},
    )  # fmt: skip
    notify_guardians(
        students=[student], kind=NotificationKind.ENROLLMENT, title=f"{student.name}报名“{section.name}”的订单已关闭",
        body=f"{status_note}，名额已释放。", data={"section": section.pk, "student": student.pk, "order": order.pk},
    )  # fmt: skip
    _seat_freed(section)
    return order


def _locked_pending(order_id: int) -> Order | None:
    order = (
        Order.objects.select_for_update(of=("self",))
        .select_related("section", "student")
        .filter(pk=order_id, status=OrderStatus.PENDING)
        .first()
    )
    return order


@transaction.atomic
def order_close(*, actor: Actor, order: Order, reason: str = "") -> Order:
    """The parent gives up an unpaid order, or the school closes it: the seat is freed at once."""
    student = order.student
    if actor.has_role(Role.PARENT):
        if not is_guardian(actor, student):
            raise NotFound()
        reason = (reason or "").strip() or "家长放弃报名"
    elif actor.is_system_admin or actor.has_role(Role.SCHOOL_ADMIN):
        if not actor.is_system_admin and actor.school_id != order.school_id:
            raise NotFound()
        reason = (reason or "").strip()
        if not reason:
            raise ValidationFailed({"reason": ["请填写关闭原因"]})
    else:
        raise PermissionDenied("只有家长或学校管理员可以关闭订单")
    if len(reason) > MAX_REASON:
        raise ValidationFailed({"reason": [f"原因最多 {MAX_REASON} 字"]})
    lock_sections(order.section_id)
    locked = _locked_pending(order.pk)
    if locked is None:
        current = Order.objects.get(pk=order.pk)
        raise Conflict("order_not_pending", f"订单状态为“{current.get_status_display()}”，不能关闭")
    now = timezone.now()
    if locked.deadline <= now:
        return _close(actor=system_actor(), order=locked, reason="超时未支付", now=now, status_note="超时未支付")
    return _close(actor=actor, order=locked, reason=reason, now=now, status_note=f"订单已关闭（{reason}）")


def order_expire(*, order_id: int, now: dt.datetime | None = None) -> bool:
    """Close one order if it is still PENDING and past its deadline (idempotent). True when it closed it."""
    now = now or timezone.now()
    with transaction.atomic():
        section_id = Order.objects.filter(pk=order_id).values_list("section_id", flat=True).first()
        if section_id is None:
            return False
        lock_sections(section_id)
        order = _locked_pending(order_id)
        if order is None or order.deadline > now:
            return False
        _close(actor=system_actor(), order=order, reason="超时未支付", now=now, status_note="超时未支付")
        return True


def orders_close_expired(*, now: dt.datetime | None = None, limit: int = 5000) -> int:
    """The task: close every PENDING order past its deadline, each in its own transaction. Safe to rerun."""
    now = now or timezone.now()
    ids = list(
        Order.objects.filter(status=OrderStatus.PENDING, deadline__lte=now).order_by("deadline", "pk")
        .values_list("pk", flat=True)[:limit]
    )  # fmt: skip
    return sum(1 for pk in ids if order_expire(order_id=pk, now=now))


def _close_due_of_section(*, section: Section, now: dt.datetime) -> None:
    """With the section locked: close its orders past the deadline, so their seats count as free now."""
    for order in (
        Order.objects.select_for_update(of=("self",))
        .select_related("section", "student")
        .filter(section=section, status=OrderStatus.PENDING, deadline__lte=now)
    ):
        _close(actor=system_actor(), order=order, reason="超时未支付", now=now, status_note="超时未支付")


def _close_due_of_student(*, student: Student, now: dt.datetime) -> None:
    """The child's own overdue orders in other sections no longer hold a time (they close as they are found)."""
    due = Order.objects.filter(student=student, status=OrderStatus.PENDING, deadline__lte=now)
    for pk in list(due.values_list("pk", flat=True)):
        order_expire(order_id=pk, now=now)

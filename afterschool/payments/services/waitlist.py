"""候补 (waitlist, §5.4.1 point 3): a full section takes a queue in the order of joining; a freed seat is offered
to the first waiting student, held for them by a PENDING enrolment and an Order until the offer's deadline
(FeeSettings.waitlist_offer_minutes); an offer not paid in time expires and the seat passes to the next.

Concurrency: every change of who holds a seat runs with the section row locked (`lock_sections`), so two
`seat_freed` calls for one freed seat make exactly one offer — the second waits for the first's commit and then
counts its PENDING enrolment. The partial unique constraints (one open entry, one seat-holding enrolment per
student and section) guard the rest; their IntegrityError is answered as a Conflict.

The WaitlistEntry model has no reason field: why an entry was cancelled or skipped is written to the audit row
and the guardians' notification.
"""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils import timezone

from afterschool.accounts.choices import AuditEventType, Role
from afterschool.accounts.services import record_write
from afterschool.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from afterschool.enrollment.choices import SEAT_HOLDING, EnrollmentSource, EnrollmentStatus
from afterschool.enrollment.models import Enrollment
from afterschool.enrollment.services import (
    active_count,
    eligibility_error,
    guardian_user_ids,
    lock_sections,
    section_event,
    student_label,
    student_time_conflicts,
)
from afterschool.notifications.choices import NotificationKind
from afterschool.notifications.services.inbox import notify
from afterschool.scheduling.choices import SectionEventKind, SectionStatus
from afterschool.scheduling.models import Section
from afterschool.schools.models import Student
from afterschool.tenancy.actor import Actor, system_actor

from ..choices import OrderStatus, WaitlistStatus
from ..models import FeeSettings, Order, WaitlistEntry

OPEN = (WaitlistStatus.WAITING, WaitlistStatus.OFFERED)
# Seats freed while the section is open or running are offered; a cancelled or finished section ends its queue.
OFFERING = (SectionStatus.OPEN, SectionStatus.RUNNING)
DEFAULT_OFFER_MINUTES = 60
WAITLIST_LINK = "/payments/waitlist/"


# --- rules -------------------------------------------------------------------------------------------------------


def require_guardian_or_school(actor: Actor, student: Student) -> None:
    """A parent of the child, an admin of the child's school, or a system admin. Another family's child or another
    school's student answers 404 (it must look missing); any other role is refused."""
    if actor.is_system_admin:
        return
    if actor.has_role(Role.SCHOOL_ADMIN):
        if student.school_id != actor.school_id:
            raise NotFound()
        return
    if actor.has_role(Role.PARENT):
        if actor.user_id is None or not student.guardians.filter(user_id=actor.user_id).exists():
            raise NotFound()
        return
    raise PermissionDenied("只有学生的家长或学校管理员可以办理候补")


def require_school_admin(actor: Actor, entry: WaitlistEntry) -> None:
    if actor.is_system_admin:
        return
    if not actor.has_role(Role.SCHOOL_ADMIN):
        raise PermissionDenied("只有学校管理员可以取消候补")
    if entry.school_id != actor.school_id:
        raise NotFound()


def registration_error(section: Section, now: dt.datetime) -> str | None:
    """None when parents may register for the section now: it is open (报名中) and within its registration window
    (the same rule as orders: `services.orders.window_error`)."""
    from .orders import window_error

    if section.status != SectionStatus.OPEN:
        return f"课班“{section.name}”{section.get_status_display()}，不在报名中"
    return window_error(section, now)


def placement_error(student: Student, section: Section) -> str | None:
    """Why the student cannot take a seat in the section (not eligible, already has one, a time clash), or None."""
    reason = eligibility_error(student, section)
    if reason:
        return reason
    if Enrollment.objects.filter(section=section, student=student, status__in=SEAT_HOLDING).exists():
        return f"{student.name}已在课班“{section.name}”中（或已报名待缴费）"
    conflicts = student_time_conflicts(student=student, section=section)
    if conflicts:
        return "；".join(conflicts)
    return None


def offer_minutes(school_id: int) -> int:
    settings = FeeSettings.objects.filter(school_id=school_id).first()
    return settings.waitlist_offer_minutes if settings is not None else DEFAULT_OFFER_MINUTES


def _insert_order(*, now: dt.datetime, **fields: object) -> Order:
    """An Order numbered like the orders' own (`services.orders.new_order_no`), retried on a number collision."""
    from .orders import new_order_no

    for attempt in range(5):
        try:
            with transaction.atomic():
                return Order.objects.create(order_no=new_order_no(now), **fields)
        except IntegrityError:
            if attempt == 4:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def _tell(entry: WaitlistEntry, *, title: str, body: str, **data: object) -> None:
    """Notify the child's guardians (in the caller's transaction), linking to their waitlist page."""
    notify(
        recipients=guardian_user_ids([entry.student]), kind=NotificationKind.ENROLLMENT, title=title, body=body,
        link=WAITLIST_LINK, data={"section": entry.section_id, "student": entry.student_id, "waitlist_entry": entry.pk,
                                  **data},
    )  # fmt: skip


def _entry_detail(entry: WaitlistEntry, **extra: object) -> dict[str, object]:
    return {"section": entry.section_id, "student": entry.student_id, "status": entry.status, **extra}


# --- join / leave / cancel ---------------------------------------------------------------------------------------


@transaction.atomic
def waitlist_join(*, actor: Actor, section: Section, student: Student, with_materials: bool = False) -> WaitlistEntry:
    """Queue the student for a full section. Only when seats taken ≥ max, the section open and in its window, the
    child eligible, without a place or a clash there, and not already waiting."""
    require_guardian_or_school(actor, student)
    section = lock_sections(section.pk)[section.pk]
    reason = registration_error(section, timezone.now())
    if reason:
        raise Conflict("not_open", reason)
    reason = placement_error(student, section)
    if reason:
        raise ValidationFailed({"student": [reason]}, message=reason)
    if active_count(section) < section.max_students:
        raise Conflict("seats_free", f"课班“{section.name}”尚有名额，请直接报名，无需候补")
    if WaitlistEntry.objects.filter(section=section, student=student, status__in=OPEN).exists():
        raise Conflict("already_waiting", f"{student.name}已在课班“{section.name}”的候补队列中")
    try:
        with transaction.atomic():
            entry = WaitlistEntry.objects.create(
                school_id=section.school_id, section=section, student=student, requested_by=actor.user,
                materials_included=bool(section.materials_included or with_materials),
            )  # fmt: skip
    except IntegrityError:
        raise Conflict("already_waiting", f"{student.name}已在课班“{section.name}”的候补队列中") from None
    record_write(actor=actor, event=AuditEventType.CREATE, obj=entry, detail=_entry_detail(entry))
    return entry


def _end_offer(entry: WaitlistEntry, *, now: dt.datetime, reason: str) -> None:
    """Release what an offer holds: its unpaid order closed, its pending enrolment expired."""
    if entry.order_id is None:
        return
    order = Order.objects.select_for_update().get(pk=entry.order_id)
    if order.status == OrderStatus.PENDING:
        order.status = OrderStatus.CLOSED
        order.closed_at = now
        order.close_reason = reason[:200]
        order.save(update_fields=["status", "closed_at", "close_reason", "updated_at"])
    Enrollment.objects.filter(pk=order.enrollment_id, status=EnrollmentStatus.PENDING).update(
        status=EnrollmentStatus.EXPIRED, ended_at=now, end_reason=reason[:200], updated_at=now
    )


def _cancel(*, actor: Actor, entry: WaitlistEntry, reason: str, now: dt.datetime) -> WaitlistEntry:
    was = entry.status
    if was == WaitlistStatus.OFFERED:
        _end_offer(entry, now=now, reason=reason)
    entry.status = WaitlistStatus.CANCELLED
    entry.save(update_fields=["status", "updated_at"])
    record_write(
        actor=actor, event=AuditEventType.UPDATE, obj=entry,
        detail=_entry_detail(entry, previous=was, reason=reason),
    )  # fmt: skip
    return entry


def _lock_open_entry(entry: WaitlistEntry) -> tuple[Section, WaitlistEntry]:
    section = lock_sections(entry.section_id)[entry.section_id]
    entry = WaitlistEntry.objects.select_for_update(of=("self",)).select_related("student").get(pk=entry.pk)
    if entry.status not in OPEN:
        raise Conflict("not_open", f"该候补状态为“{entry.get_status_display()}”，不能取消")
    return section, entry


@transaction.atomic
def waitlist_leave(*, actor: Actor, entry: WaitlistEntry) -> WaitlistEntry:
    """A parent (or the school for them) takes the child off the queue; a held offer is given up and its seat passes
    to the next waiting student."""
    require_guardian_or_school(actor, entry.student)
    section, entry = _lock_open_entry(entry)
    offered = entry.status == WaitlistStatus.OFFERED
    _cancel(actor=actor, entry=entry, reason="家长放弃候补", now=timezone.now())
    if offered:
        seat_freed(section=section)
    return entry


@transaction.atomic
def waitlist_cancel(*, actor: Actor, entry: WaitlistEntry, reason: str) -> WaitlistEntry:
    """The school takes an entry off the queue with a reason; the guardians are told."""
    require_school_admin(actor, entry)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed({"reason": ["请填写取消原因"]})
    if len(reason) > 200:
        raise ValidationFailed({"reason": ["原因最多 200 字"]})
    section, entry = _lock_open_entry(entry)
    offered = entry.status == WaitlistStatus.OFFERED
    _cancel(actor=actor, entry=entry, reason=reason, now=timezone.now())
    _tell(entry, title=f"{entry.student.name}的候补已被学校取消（{section.name}）", body=f"原因：{reason}")
    if offered:
        seat_freed(section=section)
    return entry


# --- offers ------------------------------------------------------------------------------------------------------


def _settle_offers(section: Section, now: dt.datetime) -> None:
    """Offers whose order was settled elsewhere: paid → ACCEPTED; closed/cancelled (e.g. by the orders' expiry task)
    → EXPIRED, its enrolment released."""
    actor = system_actor()
    locked = WaitlistEntry.objects.select_for_update(of=("self",))
    offered = locked.filter(section=section, status=WaitlistStatus.OFFERED)
    for entry in offered.select_related("order"):
        order = entry.order
        if order is None or order.status == OrderStatus.PENDING:
            continue
        previous = entry.status
        if order.status == OrderStatus.PAID:
            entry.status = WaitlistStatus.ACCEPTED
        else:
            _end_offer(entry, now=now, reason="候补递补订单已关闭")
            entry.status = WaitlistStatus.EXPIRED
        entry.save(update_fields=["status", "updated_at"])
        detail = _entry_detail(entry, previous=previous)
        record_write(actor=actor, event=AuditEventType.UPDATE, obj=entry, detail=detail)


def _offer(entry: WaitlistEntry, *, section: Section, now: dt.datetime) -> WaitlistEntry:
    """Hold a seat for the entry: a PENDING enrolment and an Order due by the offer's deadline; tell the guardians."""
    student = entry.student
    deadline = now + dt.timedelta(minutes=offer_minutes(section.school_id))
    enrollment = Enrollment.objects.create(
        section=section, student=student, status=EnrollmentStatus.PENDING, source=EnrollmentSource.PARENT,
        created_by=entry.requested_by,
    )  # fmt: skip
    materials = section.materials_fee_fen if (section.materials_included or entry.materials_included) else 0
    order = _insert_order(
        now=now, school_id=section.school_id, section=section, student=student,
        enrollment=enrollment, payer=entry.requested_by, fee_fen=section.fee_fen, materials_fen=materials,
        amount_fen=section.fee_fen + materials, materials_included=bool(materials), status=OrderStatus.PENDING,
        deadline=deadline,
    )  # fmt: skip
    entry.status = WaitlistStatus.OFFERED
    entry.offered_at = now
    entry.offer_deadline = deadline
    entry.order = order
    entry.save(update_fields=["status", "offered_at", "offer_deadline", "order", "updated_at"])
    record_write(
        actor=system_actor(), event=AuditEventType.UPDATE, obj=entry,
        detail=_entry_detail(entry, previous=WaitlistStatus.WAITING, order=order.order_no),
    )  # fmt: skip
    section_event(
        actor=system_actor(), section=section, kind=SectionEventKind.ENROLLED,
        detail={"students": [student_label(student)], "source": "waitlist", "order": order.order_no,
                "status": EnrollmentStatus.PENDING},
    )  # fmt: skip
    amount = f"{order.amount_fen // 100}.{order.amount_fen % 100:02d}"
    _tell(
        entry, title=f"{student.name}候补成功：课班“{section.name}”有空位",
        body=f"请在 {timezone.localtime(deadline):%Y-%m-%d %H:%M} 前支付 {amount} 元（订单 {order.order_no}），"
        "逾期名额将递补给下一位候补。",
        order=order.pk,
    )  # fmt: skip
    return entry


@transaction.atomic
def seat_freed(*, section: Section) -> list[WaitlistEntry]:
    """Call after a seat of the section is freed (order expired/closed, withdrawal, removal, a place moved out).
    With the section row locked: while seats are free and someone waits, the first WAITING entry whose child may
    still take the seat becomes OFFERED; entries no longer valid are cancelled on the way. Returns the offers made.
    In a cancelled or finished section the queue is closed instead."""
    section = lock_sections(section.pk)[section.pk]
    now = timezone.now()
    _settle_offers(section, now)
    actor = system_actor()
    locked = WaitlistEntry.objects.select_for_update(of=("self",))
    waiting = locked.filter(section=section, status=WaitlistStatus.WAITING)
    if section.status not in OFFERING:
        if section.status in (SectionStatus.CANCELLED, SectionStatus.FINISHED):
            reason = f"课班“{section.name}”{section.get_status_display()}"
            for entry in waiting.select_related("student"):
                _cancel(actor=actor, entry=entry, reason=reason, now=now)
                _tell_skipped(entry, section, reason)
        return []
    offers: list[WaitlistEntry] = []
    while active_count(section) < section.max_students:
        first = waiting.select_related("student").order_by("created_at", "id").first()
        if first is None:
            break
        refusal = placement_error(first.student, section)
        if refusal:
            _cancel(actor=actor, entry=first, reason=refusal, now=now)
            _tell_skipped(first, section, refusal)
            continue
        offers.append(_offer(first, section=section, now=now))
    return offers


def _tell_skipped(entry: WaitlistEntry, section: Section, reason: str) -> None:
    _tell(entry, title=f"{entry.student.name}的候补已取消（{section.name}）", body=f"原因：{reason}")


@transaction.atomic
def waitlist_offer_accepted(*, order: Order) -> WaitlistEntry | None:
    """Hook for the payment flow: the order of an offer was paid → the entry becomes ACCEPTED. None when the order
    is not a waitlist offer's (or the entry was already settled)."""
    entry = WaitlistEntry.objects.select_for_update().filter(order_id=order.pk, status=WaitlistStatus.OFFERED).first()
    if entry is None:
        return None
    entry.status = WaitlistStatus.ACCEPTED
    entry.save(update_fields=["status", "updated_at"])
    record_write(
        actor=system_actor(), event=AuditEventType.UPDATE, obj=entry,
        detail=_entry_detail(entry, previous=WaitlistStatus.OFFERED, order=order.order_no),
    )  # fmt: skip
    return entry


def waitlist_offers_expire(*, now: dt.datetime | None = None) -> int:
    """Offers past their deadline (their order still unpaid) → EXPIRED, order closed, enrolment EXPIRED; then the
    seat passes to the next waiting student. One transaction per section; safe to run again. Returns the number
    expired."""
    now = now or timezone.now()
    section_ids = (
        WaitlistEntry.objects.filter(status=WaitlistStatus.OFFERED, offer_deadline__lte=now)
        .values_list("section_id", flat=True)
        .distinct()
        .order_by("section_id")
    )
    expired = 0
    for section_id in list(section_ids):
        expired += _expire_section_offers(section_id, now)
    return expired


@transaction.atomic
def _expire_section_offers(section_id: int, now: dt.datetime) -> int:
    section = lock_sections(section_id)[section_id]
    actor = system_actor()
    entries = (
        WaitlistEntry.objects.select_for_update(of=("self",))
        .filter(section=section, status=WaitlistStatus.OFFERED, offer_deadline__lte=now)
        .select_related("student", "order")
        .order_by("created_at", "id")
    )
    count = 0
    for entry in entries:
        if entry.order is not None and entry.order.status == OrderStatus.PAID:
            continue  # paid at the last moment: _settle_offers (in seat_freed) marks it accepted
        _end_offer(entry, now=now, reason="候补递补未在时限内支付")
        entry.status = WaitlistStatus.EXPIRED
        entry.save(update_fields=["status", "updated_at"])
        record_write(
            actor=actor, event=AuditEventType.UPDATE, obj=entry, detail=_entry_detail(entry, previous="offered")
        )
        _tell(
            entry,
            title=f"{entry.student.name}的候补递补已过期（{section.name}）",
            body="未在支付时限内完成支付，名额已递补给下一位候补。",
        )
        count += 1
    seat_freed(section=section)
    return count

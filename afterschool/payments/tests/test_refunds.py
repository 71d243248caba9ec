"""退课与退费 (§5.4.2, §5.2.4.3): the policy, request/approve/reject/retry, idempotency, the ceiling (also under
concurrency on PostgreSQL), the cancelled section's automatic refund, access through services, pages and API."""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.db import IntegrityError, connection, connections, transaction
from django.urls import reverse
from django.utils import timezone

from afterschool.accounts.models import AuditEvent
from afterschool.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from afterschool.enrollment.models import Enrollment
from afterschool.enrollment.tests.factories_enrollment import make_setup, student_with_guardian
from afterschool.notifications.models import Notification
from afterschool.payments.models import FeeSettings, Order, Payment, Refund
from afterschool.payments.services import refunds as services
from afterschool.scheduling.models import Section
from afterschool.scheduling.services import operations as ops
from afterschool.scheduling.tests.factories import LessonFactory
from afterschool.schools.tests.factories import GuardianFactory, StudentGuardianFactory

pytestmark = pytest.mark.django_db

FEE, MATERIALS = 100_000, 20_000  # ¥1000 fee, ¥200 materials


def at(day: int, hour: int = 12) -> dt.datetime:
    return timezone.make_aware(dt.datetime(2026, 9, day, hour, 0))


# --- fake bank --------------------------------------------------------------------------------------------------------


@dataclass
class FakeResult:
    refund_no: str
    refund_id: str
    status: str
    amount_fen: int
    reason: str = ""


@dataclass
class FakeBank:
    mode: str = "succeeded"  # succeeded | failed | processing | raise
    calls: list[dict[str, Any]] = field(default_factory=list)
    paid: dict[str, int] = field(default_factory=dict)  # refund_no → amount actually paid out (once per refund_no)

    def refund(self, *, refund_no: str, order_no: str, txn_id: str, amount_fen: int, notify_url: str = "") -> Any:
        self.calls.append({"refund_no": refund_no, "order_no": order_no, "txn_id": txn_id, "amount_fen": amount_fen})
        if self.mode == "raise":
            raise RuntimeError("银行连接超时")
        if self.mode == "failed":
            return FakeResult(refund_no, "", "failed", amount_fen, "余额不足")
        if refund_no not in self.paid:  # the bank is idempotent by refund_no
            self.paid[refund_no] = amount_fen
        return FakeResult(refund_no, f"B{refund_no}", self.mode, amount_fen)

    @property
    def total_paid(self) -> int:
        return sum(self.paid.values())


@pytest.fixture
def bank(monkeypatch: pytest.MonkeyPatch) -> FakeBank:
    fake = FakeBank()
    monkeypatch.setattr(services, "get_gateway", lambda: fake)
    return fake


# --- building paid orders directly ------------------------------------------------------------------------------------


_seq = iter(range(10**6))


def paid_order(
    section: Section, student: Any, *, fee: int = FEE, materials: int = 0, handed_out: bool = False
) -> Order:
    enrollment = Enrollment.objects.create(section=section, student=student, status="active", source="parent")
    n = next(_seq)
    now = timezone.now()
    order = Order.objects.create(
        order_no=f"T{n:010d}{student.pk:06d}", school=section.school, section=section, student=student,
        enrollment=enrollment, fee_fen=fee, materials_fen=materials, amount_fen=fee + materials,
        materials_included=materials > 0, materials_handed_out=handed_out, status="paid", deadline=now, paid_at=now,
    )  # fmt: skip
    Payment.objects.create(
        order=order, gateway="sim", bank_txn_id=f"TXN{order.order_no}", amount_fen=order.amount_fen,
        status="succeeded", paid_at=now,
    )  # fmt: skip
    return order


@dataclass
class Case:
    section: Section
    order: Order
    student: Any


def make_case(
    world: Any, *, lessons: int = 10, materials: int = 0, handed_out: bool = False, school: Any = None
) -> Case:
    """A section with `lessons` weekly lessons from 2026-09-08 (Tuesdays 15:40), the world's parent's child enrolled
    with a paid order."""
    setup = make_setup(school or world.school_a, classes=1, per_class=0, max_students=5)
    for i in range(lessons):
        LessonFactory(section=setup.section, number=i + 1, date=dt.date(2026, 9, 8) + dt.timedelta(weeks=i))
    student = student_with_guardian(setup.classes[0])
    StudentGuardianFactory(student=student, guardian=GuardianFactory(user=world.users["parent"]))
    order = paid_order(setup.section, student, materials=materials, handed_out=handed_out)
    return Case(setup.section, order, student)


# --- the policy -------------------------------------------------------------------------------------------------------


def test_given_before_first_lesson_then_fee_in_full_and_materials_not_handed_out_refunded(world: Any) -> None:
    case = make_case(world, materials=MATERIALS)
    quote = services.refund_quote(order=case.order, on=at(8, 15))  # 15:00, the first lesson starts 15:40
    assert (quote.fee_part_fen, quote.materials_part_fen, quote.amount_fen) == (FEE, MATERIALS, FEE + MATERIALS)
    assert (quote.lessons_total, quote.lessons_held, quote.lessons_remaining) == (10, 0, 10)
    assert quote.rule == services.RULE_BEFORE and "全额" in quote.materials_rule


def test_given_three_of_ten_lessons_held_then_fee_prorated_rounded_down(world: Any) -> None:
    case = make_case(world, lessons=3)
    Order.objects.filter(pk=case.order.pk).update(fee_fen=1000, amount_fen=1000)
    case.order.refresh_from_db()
    quote = services.refund_quote(order=case.order, on=at(9))  # after the first of 3 lessons
    assert (quote.lessons_total, quote.lessons_held, quote.lessons_remaining) == (3, 1, 2)
    assert quote.fee_part_fen == 666  # 1000 × 2 / 3 = 666.67 → 666 分
    assert "2/3" in quote.rule


def test_given_lesson_in_progress_then_it_counts_as_held(world: Any) -> None:
    case = make_case(world, lessons=10)
    quote = services.refund_quote(order=case.order, on=timezone.make_aware(dt.datetime(2026, 9, 22, 16, 0)))
    assert quote.lessons_held == 3 and quote.fee_part_fen == FEE * 7 // 10


def test_given_cancelled_lessons_then_not_counted(world: Any) -> None:
    case = make_case(world, lessons=4)
    case.section.lessons.filter(number=4).update(status="cancelled")
    quote = services.refund_quote(order=case.order, on=at(9))
    assert (quote.lessons_total, quote.lessons_remaining, quote.fee_part_fen) == (3, 2, FEE * 2 // 3)


def test_given_school_turned_prorating_off_then_nothing_after_start_but_full_before(world: Any) -> None:
    case = make_case(world, materials=MATERIALS)
    FeeSettings.objects.create(school=world.school_a, prorate_after_start=False)
    after = services.refund_quote(order=case.order, on=at(9))
    assert after.fee_part_fen == 0 and after.materials_part_fen == MATERIALS and after.rule == services.RULE_NO_PRORATE
    assert services.refund_quote(order=case.order, on=at(1)).fee_part_fen == FEE


def test_given_materials_handed_out_then_materials_not_refunded(world: Any) -> None:
    case = make_case(world, materials=MATERIALS, handed_out=True)
    quote = services.refund_quote(order=case.order, on=at(1))
    assert (quote.fee_part_fen, quote.materials_part_fen) == (FEE, 0) and "已发放" in quote.materials_rule


def test_given_school_forbids_materials_refund_then_materials_not_refunded(world: Any) -> None:
    case = make_case(world, materials=MATERIALS)
    FeeSettings.objects.create(school=world.school_a, materials_refundable=False)
    quote = services.refund_quote(order=case.order, on=at(1))
    assert (quote.fee_part_fen, quote.materials_part_fen) == (FEE, 0) and "不退" in quote.materials_rule


def test_given_already_partially_refunded_then_quote_deducts_it(world: Any, bank: FakeBank) -> None:
    case = make_case(world, materials=MATERIALS)
    services.refund_create_by_school(actor=world.actor("school_a"), order=case.order, amount_fen=30_000, note="调价")
    case.order.refresh_from_db()
    assert case.order.refunded_fen == 30_000 and case.order.status == "paid"
    quote = services.refund_quote(order=case.order, on=at(9))  # fee due 90 000 − 30 000 already refunded of the fee
    assert (quote.fee_part_fen, quote.materials_part_fen) == (FEE * 9 // 10 - 30_000, MATERIALS)
    before = services.refund_quote(order=case.order, on=at(1))
    assert before.amount_fen == FEE + MATERIALS - 30_000 == before.refundable_fen


def test_given_section_without_lessons_then_fee_in_full(world: Any) -> None:
    case = make_case(world, lessons=0)
    quote = services.refund_quote(order=case.order)
    assert quote.fee_part_fen == FEE and quote.rule == services.RULE_NO_LESSONS


# --- request, approve, reject -----------------------------------------------------------------------------------------


def _request(world: Any, case: Case, reason: str = "孩子时间冲突") -> Refund:
    return services.withdrawal_request(actor=world.actor("parent"), order=case.order, reason=reason)


def test_given_parent_withdraws_and_school_approves_then_refunded_by_original_route_and_withdrawn(
    world: Any, bank: FakeBank
) -> None:
    case = make_case(world, materials=MATERIALS, lessons=0)
    refund = _request(world, case)
    assert refund.status == "requested" and refund.amount_fen == FEE + MATERIALS and refund.reason == "withdrawal"
    assert refund.policy["rule"] == services.RULE_NO_LESSONS and refund.payment.bank_txn_id.startswith("TXN")
    parent_id = world.users["parent"].pk
    assert Notification.objects.filter(recipient_id=parent_id, data__refund=refund.pk).exists()
    assert Notification.objects.filter(recipient=world.users["school_a"], data__refund=refund.pk).exists()
    done = services.refund_approve(actor=world.actor("school_a"), refund=refund)
    assert done.status == "succeeded" and done.bank_refund_id == f"B{refund.refund_no}" and done.completed_at
    assert bank.calls == [{"refund_no": refund.refund_no, "order_no": case.order.order_no,
                           "txn_id": f"TXN{case.order.order_no}", "amount_fen": FEE + MATERIALS}]  # fmt: skip
    case.order.refresh_from_db()
    assert case.order.refunded_fen == FEE + MATERIALS and case.order.status == "refunded"
    assert Enrollment.objects.get(pk=case.order.enrollment_id).status == "withdrawn"
    assert done.decided_by == world.users["school_a"]
    assert Notification.objects.filter(recipient_id=parent_id, title__startswith="退款成功").exists()
    assert AuditEvent.objects.filter(object_id=str(refund.pk), event="update").count() >= 2
    assert AuditEvent.objects.filter(object_id=str(refund.pk), event="create").exists()


def test_given_approved_twice_then_second_refused_and_bank_called_once(world: Any, bank: FakeBank) -> None:
    case = make_case(world, lessons=0)
    refund = _request(world, case)
    services.refund_approve(actor=world.actor("school_a"), refund=refund)
    with pytest.raises(Conflict):
        services.refund_approve(actor=world.actor("school_a"), refund=refund)
    assert len(bank.calls) == 1
    case.order.refresh_from_db()
    assert case.order.refunded_fen == FEE


def test_given_duplicate_bank_answer_or_notice_then_applied_once(world: Any, bank: FakeBank) -> None:
    case = make_case(world, lessons=0)
    bank.mode = "processing"
    refund = services.refund_approve(actor=world.actor("school_a"), refund=_request(world, case))
    assert refund.status == "processing"
    services.refund_retry(actor=world.actor("school_a"), refund=refund)  # asked again: same refund_no
    assert [c["refund_no"] for c in bank.calls] == [refund.refund_no] * 2 and bank.total_paid == FEE
    for _ in range(2):  # the bank's notice arrives twice
        services.refund_notice_applied(refund_no=refund.refund_no, status="succeeded", bank_refund_id="BN1")
    case.order.refresh_from_db()
    assert case.order.refunded_fen == FEE and Refund.objects.get(pk=refund.pk).bank_refund_id == "BN1"


def test_given_bank_fails_then_failed_and_retry_with_same_refund_no_succeeds(world: Any, bank: FakeBank) -> None:
    case = make_case(world, lessons=0)
    bank.mode = "failed"
    refund = services.refund_approve(actor=world.actor("school_a"), refund=_request(world, case))
    assert refund.status == "failed"
    case.order.refresh_from_db()
    assert case.order.refunded_fen == 0 and Enrollment.objects.get(pk=case.order.enrollment_id).status == "active"
    assert Notification.objects.filter(recipient=world.users["school_a"], title__startswith="退款失败").exists()
    bank.mode = "succeeded"
    done = services.refund_retry(actor=world.actor("school_a"), refund=refund)
    assert done.status == "succeeded" and {c["refund_no"] for c in bank.calls} == {refund.refund_no}
    with pytest.raises(Conflict):
        services.refund_retry(actor=world.actor("school_a"), refund=refund)


def test_given_bank_raises_then_failed_not_an_error(world: Any, bank: FakeBank) -> None:
    case = make_case(world, lessons=0)
    bank.mode = "raise"
    refund = services.refund_approve(actor=world.actor("school_a"), refund=_request(world, case))
    assert refund.status == "failed"


def test_given_reject_without_reason_then_refused_and_with_reason_parent_told(world: Any, bank: FakeBank) -> None:
    case = make_case(world)
    refund = _request(world, case)
    with pytest.raises(ValidationFailed):
        services.refund_reject(actor=world.actor("school_a"), refund=refund, reason="  ")
    done = services.refund_reject(actor=world.actor("school_a"), refund=refund, reason="已超过退课期限")
    assert done.status == "rejected" and done.reject_reason == "已超过退课期限" and bank.calls == []
    assert Notification.objects.filter(recipient=world.users["parent"], body__contains="已超过退课期限").exists()
    with pytest.raises(Conflict):
        services.refund_approve(actor=world.actor("school_a"), refund=done)
    assert _request(world, case).status == "requested"  # a new request after a rejection


def test_given_open_request_then_second_request_refused(world: Any) -> None:
    case = make_case(world)
    _request(world, case)
    with pytest.raises(Conflict):
        _request(world, case)


def test_given_no_reason_or_unpaid_order_then_withdrawal_refused(world: Any) -> None:
    case = make_case(world)
    with pytest.raises(ValidationFailed):
        _request(world, case, reason="")
    Order.objects.filter(pk=case.order.pk).update(status="closed")
    case.order.refresh_from_db()
    with pytest.raises(Conflict):
        _request(world, case)


def test_given_materials_handed_out_after_request_then_approval_drops_materials(world: Any, bank: FakeBank) -> None:
    case = make_case(world, materials=MATERIALS, lessons=0)
    refund = _request(world, case)
    Order.objects.filter(pk=case.order.pk).update(materials_handed_out=True)
    done = services.refund_approve(actor=world.actor("school_a"), refund=refund)
    assert (done.fee_part_fen, done.materials_part_fen, done.amount_fen) == (FEE, 0, FEE)
    case.order.refresh_from_db()
    assert case.order.status == "paid" and case.order.refunded_fen == FEE  # materials kept: not fully refunded


def test_given_zero_quote_then_approval_withdraws_without_bank(world: Any, bank: FakeBank) -> None:
    case = make_case(world, lessons=0)
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    LessonFactory(section=case.section, number=1, date=yesterday)  # the course has started
    LessonFactory(section=case.section, number=2, date=yesterday + dt.timedelta(days=8))
    FeeSettings.objects.create(school=world.school_a, prorate_after_start=False)
    refund = services.withdrawal_request(actor=world.actor("parent"), order=case.order, reason="搬家")
    assert refund.amount_fen == 0 and refund.policy["rule"] == services.RULE_NO_PRORATE
    done = services.refund_approve(actor=world.actor("school_a"), refund=refund)
    assert done.status == "succeeded" and bank.calls == []
    assert Enrollment.objects.get(pk=case.order.enrollment_id).status == "withdrawn"
    case.order.refresh_from_db()
    assert case.order.status == "paid" and case.order.refunded_fen == 0


# --- partial refunds by the school, the ceiling -----------------------------------------------------------------------


def test_given_school_partial_refunds_then_sum_never_exceeds_paid(world: Any, bank: FakeBank) -> None:
    case = make_case(world, materials=MATERIALS)
    school = world.actor("school_a")
    first = services.refund_create_by_school(actor=school, order=case.order, amount_fen=FEE + 5_000, note="部分退款")
    assert (first.fee_part_fen, first.materials_part_fen, first.status) == (FEE, 5_000, "succeeded")
    assert Enrollment.objects.get(pk=case.order.enrollment_id).status == "active"  # a money adjustment only
    with pytest.raises(ValidationFailed):
        services.refund_create_by_school(actor=school, order=case.order, amount_fen=15_001, note="超额")
    services.refund_create_by_school(actor=school, order=case.order, amount_fen=15_000, note="补足")
    case.order.refresh_from_db()
    assert case.order.refunded_fen == FEE + MATERIALS and case.order.status == "refunded"
    assert bank.total_paid == FEE + MATERIALS
    with pytest.raises(ValidationFailed):
        services.refund_create_by_school(actor=school, order=case.order, amount_fen=1, note="再退")
    with pytest.raises(ValidationFailed):
        services.refund_create_by_school(actor=school, order=case.order, amount_fen=0, note="零")


def test_given_processing_refund_then_its_amount_is_reserved(world: Any, bank: FakeBank) -> None:
    case = make_case(world, lessons=0)
    bank.mode = "processing"
    services.refund_create_by_school(actor=world.actor("school_a"), order=case.order, amount_fen=FEE, note="全额")
    with pytest.raises(ValidationFailed):
        services.refund_create_by_school(actor=world.actor("school_a"), order=case.order, amount_fen=1, note="x")
    assert services.refund_quote(order=case.order).amount_fen == 0


def test_given_database_then_refunded_above_amount_is_refused(world: Any) -> None:
    case = make_case(world)
    with pytest.raises(IntegrityError), transaction.atomic():
        Order.objects.filter(pk=case.order.pk).update(refunded_fen=FEE + 1)


def test_given_a_refund_request_and_a_full_school_refund_then_approval_refused(world: Any, bank: FakeBank) -> None:
    case = make_case(world, lessons=0)
    refund = _request(world, case)
    services.refund_create_by_school(actor=world.actor("school_a"), order=case.order, amount_fen=FEE, note="全额")
    with pytest.raises(Conflict):
        services.refund_approve(actor=world.actor("school_a"), refund=refund)
    assert bank.total_paid == FEE


# --- who --------------------------------------------------------------------------------------------------------------


def test_given_other_family_or_other_school_then_missing(world: Any, bank: FakeBank) -> None:
    case = make_case(world)
    other = student_with_guardian(case.student.school_class)
    stranger_order = paid_order(case.section, other)
    with pytest.raises(NotFound):
        services.withdrawal_request(actor=world.actor("parent"), order=stranger_order, reason="x")
    refund = _request(world, case)
    for key in ("school_b", "school_a2"):
        with pytest.raises(NotFound):
            services.refund_approve(actor=world.actor(key), refund=refund)
        with pytest.raises(NotFound):
            services.refund_create_by_school(actor=world.actor(key), order=case.order, amount_fen=1, note="x")
    with pytest.raises(PermissionDenied):
        services.refund_approve(actor=world.actor("parent"), refund=refund)
    with pytest.raises(PermissionDenied):
        services.withdrawal_request(actor=world.actor("school_a"), order=case.order, reason="x")
    with pytest.raises(PermissionDenied):
        services.refund_reject(actor=world.actor("teacher_a"), refund=refund, reason="x")


# --- a cancelled section ----------------------------------------------------------------------------------------------


def _cancel_case(world: Any) -> tuple[Case, Order, Order]:
    case = make_case(world, materials=MATERIALS)
    other = paid_order(case.section, student_with_guardian(case.student.school_class), materials=0)
    unpaid_student = student_with_guardian(case.student.school_class)
    pending_enrollment = Enrollment.objects.create(section=case.section, student=unpaid_student, status="pending")
    pending = Order.objects.create(
        order_no="PENDING0000001", school=case.section.school, section=case.section, student=unpaid_student,
        enrollment=pending_enrollment, fee_fen=FEE, amount_fen=FEE, status="pending",
        deadline=timezone.now() + dt.timedelta(minutes=10),
    )  # fmt: skip
    return case, other, pending


def test_given_section_cancelled_then_everyone_paid_refunded_in_full_and_unpaid_closed(
    world: Any, bank: FakeBank
) -> None:
    case, other, pending = _cancel_case(world)
    services.refund_create_by_school(actor=world.actor("school_a"), order=case.order, amount_fen=10_000, note="部分")
    _request(world, case)  # an open withdrawal request is superseded
    ops.section_cancel(actor=world.actor("school_a"), section=case.section, reason="报名人数不足")
    for order, expected in ((case.order, FEE + MATERIALS - 10_000), (other, FEE)):
        order.refresh_from_db()
        assert order.status == "refunded" and order.refunded_fen == order.amount_fen
        auto = Refund.objects.get(order=order, reason="section_cancelled")
        assert auto.status == "succeeded" and auto.amount_fen == expected and auto.policy["rule"] == services.RULE_FULL
    assert Refund.objects.get(order=case.order, reason="withdrawal").status == "rejected"
    pending.refresh_from_db()
    assert pending.status == "closed" and Enrollment.objects.get(pk=pending.enrollment_id).status == "cancelled"
    event = case.section.events.get(kind="cancelled")
    assert event.detail["refund"] == "started" and len(event.detail["refunds"]) == 2
    assert event.detail["refunds_failed"] == 0 and event.detail["orders_closed"] == 1
    assert bank.total_paid == 10_000 + FEE + MATERIALS - 10_000 + FEE


def test_given_bank_down_when_section_cancelled_then_cancelled_anyway_refunds_failed_and_retryable(
    world: Any, bank: FakeBank
) -> None:
    case, _other, _pending = _cancel_case(world)
    bank.mode = "raise"
    section = ops.section_cancel(actor=world.actor("school_a"), section=case.section, reason="教师离职")
    assert section.status == "cancelled"
    refunds = list(Refund.objects.filter(reason="section_cancelled"))
    assert len(refunds) == 2 and {r.status for r in refunds} == {"failed"}
    case.order.refresh_from_db()
    assert case.order.refunded_fen == 0 and case.order.status == "paid"
    bank.mode = "succeeded"
    for refund in refunds:
        services.refund_retry(actor=world.actor("school_a"), refund=refund)
    case.order.refresh_from_db()
    assert case.order.status == "refunded" and bank.total_paid == FEE + MATERIALS + FEE


# --- pages and API ----------------------------------------------------------------------------------------------------


def test_parent_pages_quote_then_withdraw_then_detail(world: Any, login: Any, bank: FakeBank) -> None:
    case = make_case(world, lessons=0)
    client = login(world.users["parent"])
    url = reverse("payments:refund_withdraw", args=[case.order.pk])
    page = client.get(url)
    assert (
        page.status_code == 200
        and "¥1000.00" in page.content.decode()
        and services.RULE_NO_LESSONS in page.content.decode()
    )
    bad = client.post(url, {"reason": ""})
    assert bad.status_code == 200 and "请填写原因" in bad.content.decode()
    response = client.post(url, {"reason": "课程冲突"})
    refund = Refund.objects.get(order=case.order)
    assert response.status_code == 302 and response.url == reverse("payments:refund_detail", args=[refund.pk])
    detail = client.get(response.url)
    assert (
        detail.status_code == 200
        and refund.refund_no in detail.content.decode()
        and "同意退款" not in detail.content.decode()
    )
    listing = client.get(reverse("payments:refund_list"))
    assert listing.status_code == 200 and refund.refund_no in listing.content.decode()
    assert client.get(reverse("payments:refund_approve", args=[refund.pk])).status_code == 403


def test_school_pages_list_filter_export_approve_reject(world: Any, login: Any, bank: FakeBank) -> None:
    case = make_case(world, lessons=0)
    refund = _request(world, case)
    client = login(world.users["school_a"])
    listing = client.get(reverse("payments:refund_list"), {"status": "requested", "q": case.student.name})
    assert listing.status_code == 200 and refund.refund_no in listing.content.decode()
    empty = client.get(reverse("payments:refund_list"), {"status": "succeeded"})
    assert refund.refund_no not in empty.content.decode()
    export = client.get(reverse("payments:refund_list"), {"export": "xlsx"})
    assert export.status_code == 200 and export["Content-Type"].startswith("application/vnd.openxmlformats")
    assert AuditEvent.objects.filter(event="export", detail__what="refunds").exists()
    reject_url = reverse("payments:refund_reject", args=[refund.pk])
    assert "请填写原因" in client.post(reject_url, {"reason": ""}).content.decode()
    approve_url = reverse("payments:refund_approve", args=[refund.pk])
    assert client.get(approve_url).status_code == 200
    assert client.post(approve_url).status_code == 302
    assert Refund.objects.get(pk=refund.pk).status == "succeeded"
    again = client.post(approve_url)
    assert again.status_code == 200 and "已被处理" in again.content.decode()


def test_school_page_partial_refund_in_yuan(world: Any, login: Any, bank: FakeBank) -> None:
    case = make_case(world)
    client = login(world.users["school_a"])
    url = reverse("payments:refund_school_create", args=[case.order.pk])
    assert client.get(url).status_code == 200
    too_much = client.post(url, {"amount_yuan": "1000.01", "note": "超额"})
    assert too_much.status_code == 200 and "不能超过可退金额" in too_much.content.decode()
    assert client.post(url, {"amount_yuan": "12.34", "note": "调价"}).status_code == 302
    assert Refund.objects.get(order=case.order).amount_fen == 1234


def test_pages_of_other_school_or_family_are_missing(world: Any, login: Any, bank: FakeBank) -> None:
    case = make_case(world)
    refund = _request(world, case)
    other_school = login(world.users["school_b"])
    for name, arg in (("refund_detail", refund.pk), ("refund_approve", refund.pk), ("refund_reject", refund.pk),
                      ("refund_retry", refund.pk), ("refund_school_create", case.order.pk)):  # fmt: skip
        assert other_school.get(reverse(f"payments:{name}", args=[arg])).status_code == 404
    stranger_order = paid_order(case.section, student_with_guardian(case.student.school_class))
    parent = login(world.users["parent"])
    assert parent.get(reverse("payments:refund_withdraw", args=[stranger_order.pk])).status_code == 404
    assert refund.refund_no not in other_school.get(reverse("payments:refund_list")).content.decode()


def test_order_actions_include_shows_withdraw_for_parent(world: Any, login: Any) -> None:
    from django.template.loader import render_to_string
    from django.test import RequestFactory

    case = make_case(world)
    request = RequestFactory().get("/")
    request.actor = world.actor("parent")  # type: ignore[attr-defined]
    html = render_to_string("payments/refunds/_order_actions.html", {"order": case.order}, request=request)
    assert "申请退课" in html and reverse("payments:refund_withdraw", args=[case.order.pk]) in html
    request.actor = world.actor("school_a")  # type: ignore[attr-defined]
    html = render_to_string("payments/refunds/_order_actions.html", {"order": case.order}, request=request)
    assert "申请退课" not in html and reverse("payments:refund_school_create", args=[case.order.pk]) in html


API = "/api/v1/payments"


def test_api_quote_withdraw_list_approve(world: Any, login: Any, bank: FakeBank) -> None:
    case = make_case(world, lessons=0)
    parent, school = login(world.users["parent"]), login(world.users["school_a"])
    quote = parent.get(f"{API}/orders/{case.order.pk}/refund-quote")
    assert quote.status_code == 200 and quote.json()["amount_fen"] == FEE
    assert (
        parent.post(
            f"{API}/orders/{case.order.pk}/withdraw", {"reason": ""}, content_type="application/json"
        ).status_code
        == 422
    )
    created = parent.post(f"{API}/orders/{case.order.pk}/withdraw", {"reason": "冲突"}, content_type="application/json")
    assert created.status_code == 201 and created.json()["status"] == "requested"
    refund_id = created.json()["id"]
    assert parent.post(f"{API}/refunds/{refund_id}/approve").status_code == 403
    listing = school.get(f"{API}/refunds", {"status": "requested"})
    assert listing.status_code == 200 and [r["id"] for r in listing.json()["items"]] == [refund_id]
    assert listing.json()["items"][0]["can_decide"] is True
    approved = school.post(f"{API}/refunds/{refund_id}/approve")
    assert approved.status_code == 200 and approved.json()["status"] == "succeeded"
    assert school.post(f"{API}/refunds/{refund_id}/approve").status_code == 409
    assert parent.get(f"{API}/refunds/{refund_id}").json()["status_label"] == "已退款"


def test_api_reject_retry_school_refund_and_errors(world: Any, login: Any, bank: FakeBank) -> None:
    case = make_case(world, lessons=0)
    school = login(world.users["school_a"])
    refund = _request(world, case)
    assert (
        school.post(f"{API}/refunds/{refund.pk}/reject", {"reason": ""}, content_type="application/json").status_code
        == 422
    )
    rejected = school.post(f"{API}/refunds/{refund.pk}/reject", {"reason": "不符合"}, content_type="application/json")
    assert rejected.status_code == 200 and rejected.json()["reject_reason"] == "不符合"
    bank.mode = "failed"
    made = school.post(
        f"{API}/orders/{case.order.pk}/refunds", {"amount_fen": 500, "note": "部分"}, content_type="application/json"
    )
    assert made.status_code == 201 and made.json()["status"] == "failed" and made.json()["can_retry"] is True
    bank.mode = "succeeded"
    retried = school.post(f"{API}/refunds/{made.json()['id']}/retry")
    assert retried.status_code == 200 and retried.json()["status"] == "succeeded"
    over = school.post(
        f"{API}/orders/{case.order.pk}/refunds", {"amount_fen": FEE, "note": "超额"}, content_type="application/json"
    )
    assert over.status_code == 422
    bad = school.post(
        f"{API}/orders/{case.order.pk}/refunds", {"amount_fen": -1, "note": "x"}, content_type="application/json"
    )
    assert bad.status_code == 422
    assert school.get(f"{API}/refunds/{2**62}").status_code == 404


def test_api_cross_school_and_other_family_are_404(world: Any, login: Any, bank: FakeBank) -> None:
    case = make_case(world)
    refund = _request(world, case)
    other = login(world.users["school_b"])
    assert other.get(f"{API}/refunds/{refund.pk}").status_code == 404
    assert other.post(f"{API}/refunds/{refund.pk}/approve").status_code == 404
    assert (
        other.post(f"{API}/refunds/{refund.pk}/reject", {"reason": "x"}, content_type="application/json").status_code
        == 404
    )
    assert other.get(f"{API}/orders/{case.order.pk}/refund-quote").status_code == 404
    assert (
        other.post(
            f"{API}/orders/{case.order.pk}/refunds", {"amount_fen": 1, "note": "x"}, content_type="application/json"
        ).status_code
        == 404
    )
    assert other.get(f"{API}/refunds").json()["count"] == 0
    stranger_order = paid_order(case.section, student_with_guardian(case.student.school_class))
    parent = login(world.users["parent"])
    assert parent.get(f"{API}/orders/{stranger_order.pk}/refund-quote").status_code == 404
    assert (
        parent.post(
            f"{API}/orders/{stranger_order.pk}/withdraw", {"reason": "x"}, content_type="application/json"
        ).status_code
        == 404
    )
    assert Refund.objects.filter(order=stranger_order).count() == 0


# --- concurrency (PostgreSQL) -----------------------------------------------------------------------------------------


def _race(targets: list[Any]) -> list[Any]:
    barrier = threading.Barrier(len(targets))
    outcomes: list[Any] = [None] * len(targets)

    def run(i: int, fn: Any) -> None:
        try:
            barrier.wait()
            outcomes[i] = fn()
        except BaseException as exc:
            outcomes[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, fn)) for i, fn in enumerate(targets)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return outcomes


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_approvals_of_one_refund_pay_once(world: Any, bank: FakeBank) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs real concurrent connections (PostgreSQL)")
    case = make_case(world, lessons=0)
    refund = _request(world, case)
    school = world.actor("school_a")
    outcomes = _race([lambda: services.refund_approve(actor=school, refund=Refund.objects.get(pk=refund.pk))] * 2)
    assert sorted(type(o).__name__ for o in outcomes) == ["Conflict", "Refund"]
    assert len(bank.calls) == 1 and bank.total_paid == FEE
    case.order.refresh_from_db()
    assert case.order.refunded_fen == FEE


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_full_refunds_of_one_order_one_pays_the_other_refused(world: Any, bank: FakeBank) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs real concurrent connections (PostgreSQL)")
    case = make_case(world, lessons=0)
    refund = _request(world, case)
    school = world.actor("school_a")
    outcomes = _race([
        lambda: services.refund_approve(actor=school, refund=Refund.objects.get(pk=refund.pk)),
        lambda: services.refund_create_by_school(actor=school, order=Order.objects.get(pk=case.order.pk),
                                                 amount_fen=FEE, note="全额"),
    ])  # fmt: skip
    kinds = sorted(type(o).__name__ for o in outcomes)
    assert kinds in (["Conflict", "Refund"], ["Refund", "ValidationFailed"]), outcomes
    assert bank.total_paid == FEE
    case.order.refresh_from_db()
    assert case.order.refunded_fen == FEE and case.order.status == "refunded"

"""Settlement with organizations (结算): terms, the computation of a bill, its approval steps, who sees what."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command

from afterschool.accounts.models import AuditEvent
from afterschool.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from afterschool.notifications.models import Notification
from afterschool.payments.models import SettlementBill, SettlementEvent
from afterschool.payments.selectors import settlement as selectors
from afterschool.payments.services import settlement as services
from afterschool.tenancy.actor import system_actor

from .factories_settlement import aware, enrol, lesson, org_section, paid_order, refund, terms

pytestmark = pytest.mark.django_db

OCT = (dt.date(2026, 10, 1), dt.date(2026, 10, 31))
API = "/api/v1/payments/settlement"


@pytest.fixture
def scenario(world: Any) -> dict[str, Any]:
    """org_a's two sections at school_a in October 2026, with noise that must not count."""
    s1 = org_section(world.school_a, world.org_a, name="甲班")
    s2 = org_section(world.school_a, world.org_a, name="乙班")
    other_org = org_section(world.school_a, world.org_b)
    other_school = org_section(world.school_a2, world.org_a)
    lesson(s1, dt.date(2026, 10, 5))
    lesson(s1, dt.date(2026, 10, 12))
    lesson(s1, dt.date(2026, 10, 19), status="cancelled")
    lesson(s1, dt.date(2026, 11, 2))  # after the period
    lesson(s1, dt.date(2026, 9, 28))  # before the period
    lesson(s2, dt.date(2026, 10, 7))
    lesson(other_org, dt.date(2026, 10, 6))
    lesson(other_school, dt.date(2026, 10, 6))
    e1 = enrol(s1, created=dt.date(2026, 9, 1))
    e2 = enrol(s1, created=dt.date(2026, 10, 10))  # only from the 12th
    enrol(s1, created=dt.date(2026, 9, 1), status="withdrawn")  # never counted
    enrol(s1, created=dt.date(2026, 9, 1), ended=dt.date(2026, 10, 8))  # only on the 5th
    e5 = enrol(s2, created=dt.date(2026, 9, 1))
    # s1: 30001 paid in October (materials excluded); e2's order paid in September, 10000 refunded in October.
    paid_order(e1, fee_fen=30001, materials_fen=5000, paid_on=dt.date(2026, 10, 3))
    o2 = paid_order(e2, fee_fen=30001, paid_on=dt.date(2026, 9, 20))
    refund(o2, fee_part_fen=10000, on=dt.date(2026, 10, 15))
    refund(o2, fee_part_fen=5000, on=dt.date(2026, 10, 16), status="processing")  # not succeeded: ignored
    # s2: 10001 paid and refunded in full in October, 3333 paid in October.
    o5 = paid_order(e5, fee_fen=10001, paid_on=dt.date(2026, 10, 2), status="refunded")
    refund(o5, fee_part_fen=10001, on=dt.date(2026, 10, 20))
    paid_order(e5, fee_fen=3333, paid_on=dt.date(2026, 10, 4))
    # noise: another organization's fees at the same school
    paid_order(enrol(other_org, created=dt.date(2026, 9, 1)), fee_fen=99999, paid_on=dt.date(2026, 10, 4))
    return {"s1": s1, "s2": s2}


def _raise(world: Any, key: str = "school_a", **kwargs: Any) -> SettlementBill:
    return services.bill_raise(
        actor=world.actor(key) if key != "bank" else system_actor(),
        school=kwargs.pop("school", world.school_a),
        organization=kwargs.pop("organization", world.org_a),
        period_start=kwargs.pop("period_start", OCT[0]),
        period_end=kwargs.pop("period_end", OCT[1]),
        **kwargs,
    )


def _lines(bill: SettlementBill) -> dict[str, dict[str, Any]]:
    return {line["section"]: line for line in bill.details}


# --- computation --------------------------------------------------------------------------------------------


def test_given_per_lesson_terms_when_school_raises_then_delivered_lessons_times_rate(world: Any, scenario: Any) -> None:
    terms(world.school_a, world.org_a, mode="per_lesson", rate_fen=5000)
    bill = _raise(world)
    assert bill.status == "submitted" and bill.raised_by == "school"
    assert (bill.lessons_delivered, bill.student_lessons, bill.fees_net_fen) == (3, 5, 23334)
    assert bill.amount_fen == 15000
    lines = _lines(bill)
    assert (lines["甲班"]["lessons"], lines["甲班"]["amount_fen"]) == (2, 10000)
    assert (lines["乙班"]["lessons"], lines["乙班"]["amount_fen"]) == (1, 5000)
    assert sum(line["amount_fen"] for line in bill.details) == bill.amount_fen


def test_given_per_student_lesson_terms_then_students_present_per_lesson_counted(world: Any, scenario: Any) -> None:
    terms(world.school_a, world.org_a, mode="per_student_lesson", rate_fen=1500)
    bill = _raise(world)
    lines = _lines(bill)
    # 5th: e1 and the one ended on the 8th; 12th: e1 and e2 (enrolled on the 10th); s2: one student once.
    assert (lines["甲班"]["students"], lines["乙班"]["students"]) == (4, 1)
    assert bill.amount_fen == 5 * 1500
    assert sum(line["amount_fen"] for line in bill.details) == bill.amount_fen


def test_given_fee_share_then_fees_net_of_refunds_share_rounded_down_and_lines_sum(world: Any, scenario: Any) -> None:
    terms(world.school_a, world.org_a, mode="fee_share", share_permille=333)
    bill = _raise(world)
    lines = _lines(bill)
    assert (lines["甲班"]["fees_fen"], lines["乙班"]["fees_fen"]) == (20001, 3333)
    assert bill.fees_net_fen == 23334
    assert bill.amount_fen == 23334 * 333 // 1000 == 7770  # 7770.222 rounded down
    # the section lines are rounded down (6660 + 1109) and the 分 left over goes to the largest remainder
    assert (lines["甲班"]["amount_fen"], lines["乙班"]["amount_fen"]) == (6660, 1110)
    assert sum(line["amount_fen"] for line in bill.details) == bill.amount_fen


def test_given_lessons_not_yet_started_then_not_delivered(world: Any, scenario: Any) -> None:
    t = terms(world.school_a, world.org_a, mode="per_lesson", rate_fen=100)
    figures = selectors.bill_figures(
        school=world.school_a, organization=world.org_a, terms=t, period_start=OCT[0], period_end=OCT[1],
        now=aware(dt.date(2026, 10, 12), 15),
    )  # fmt: skip
    assert figures.lessons_delivered == 2  # the 12th at 15:40 is still to come at 15:00
    assert figures.amount_fen == 200


def test_given_no_activity_then_empty_bill_of_zero(world: Any) -> None:
    terms(world.school_a, world.org_a, mode="fee_share", share_permille=500)
    bill = _raise(world)
    assert (bill.amount_fen, bill.details) == (0, [])


# --- raising ------------------------------------------------------------------------------------------------


def test_given_no_terms_or_terms_not_covering_period_when_raise_then_refused(world: Any) -> None:
    with pytest.raises(ValidationFailed):
        _raise(world)
    terms(world.school_a, world.org_a, mode="per_lesson", rate_fen=100, starts_on=dt.date(2026, 10, 15))
    with pytest.raises(ValidationFailed) as exc:
        _raise(world)
    assert "period_start" in exc.value.detail


def test_given_period_not_over_or_reversed_when_raise_then_refused(world: Any) -> None:
    terms(world.school_a, world.org_a, mode="per_lesson", rate_fen=100)
    with pytest.raises(ValidationFailed):
        _raise(world, period_start=dt.date(2026, 11, 1), period_end=dt.date(2026, 12, 31))
    with pytest.raises(ValidationFailed):
        _raise(world, period_start=OCT[1], period_end=OCT[0])


def test_given_bill_for_period_when_raised_again_then_conflict_unless_rejected(world: Any) -> None:
    terms(world.school_a, world.org_a, mode="per_lesson", rate_fen=100)
    bill = _raise(world)
    with pytest.raises(Conflict):
        _raise(world, "org_a", period_start=dt.date(2026, 10, 15), period_end=dt.date(2026, 10, 20))
    services.bill_reject(actor=world.actor("school_a"), bill=bill, reason="课次有误")
    again = _raise(world, "org_a")
    assert again.raised_by == "organization" and again.pk != bill.pk


def test_given_org_admin_or_bank_when_raise_then_raised_by_and_other_side_notified(world: Any) -> None:
    terms(world.school_a, world.org_a, mode="per_lesson", rate_fen=100)
    bill = _raise(world, "org_a")
    assert bill.raised_by == "organization"
    assert Notification.objects.filter(recipient=world.users["school_a"], kind="settlement").count() == 1
    assert not Notification.objects.filter(recipient=world.users["org_a"]).exists()
    services.bill_reject(actor=world.actor("school_a"), bill=bill, reason="重算")
    bank = _raise(world, "bank")
    assert bank.raised_by == "bank" and bank.created_by is None
    assert SettlementEvent.objects.get(bill=bank).actor_role == "bank"


def test_given_other_roles_when_raise_then_refused(world: Any) -> None:
    terms(world.school_a, world.org_a, mode="per_lesson", rate_fen=100)
    with pytest.raises(PermissionDenied):
        _raise(world, "teacher_a")
    with pytest.raises(PermissionDenied):
        _raise(world, "bureau_a")
    with pytest.raises(NotFound):
        _raise(world, "school_a2")  # another school's bill
    with pytest.raises(NotFound):
        _raise(world, "org_b")


# --- steps --------------------------------------------------------------------------------------------------


def test_given_submitted_bill_when_school_approves_bureau_reviews_school_pays_then_paid(world: Any) -> None:
    terms(world.school_a, world.org_a, mode="per_lesson", rate_fen=100)
    bill = _raise(world)
    bill = services.bill_approve(actor=world.actor("school_a"), bill=bill, comment="核对无误")
    assert bill.status == "school_approved"
    assert Notification.objects.filter(recipient=world.users["bureau_a"]).exists()
    bill = services.bill_review(actor=world.actor("bureau_a"), bill=bill)
    assert bill.status == "bureau_reviewed"
    bill = services.bill_pay(actor=world.actor("school_a"), bill=bill)
    assert bill.status == "paid" and bill.paid_at is not None
    steps = list(SettlementEvent.objects.filter(bill=bill).values_list("from_status", "to_status"))
    assert steps == [
        ("", "submitted"),
        ("submitted", "school_approved"),
        ("school_approved", "bureau_reviewed"),
        ("bureau_reviewed", "paid"),
    ]
    assert AuditEvent.objects.filter(object_type="payments.settlementbill", event="update").count() == 3
    assert (
        Notification.objects.filter(recipient=world.users["org_a"], kind="settlement").count() == 4
    )  # raised, approved, reviewed, paid


def test_given_bureau_reviewed_bill_when_bank_marks_paid_then_paid(world: Any) -> None:
    terms(world.school_a, world.org_a, mode="per_lesson", rate_fen=100)
    bill = _raise(world)
    services.bill_approve(actor=world.actor("school_a"), bill=bill)
    services.bill_review(actor=world.actor("bureau_a"), bill=bill)
    assert services.bill_pay(actor=system_actor(), bill=bill).status == "paid"


def test_given_wrong_status_when_stepping_then_conflict(world: Any) -> None:
    terms(world.school_a, world.org_a, mode="per_lesson", rate_fen=100)
    bill = _raise(world)
    with pytest.raises(Conflict):
        services.bill_review(actor=world.actor("bureau_a"), bill=bill)
    with pytest.raises(Conflict):
        services.bill_pay(actor=world.actor("school_a"), bill=bill)
    with pytest.raises(Conflict):
        services.bill_reject(actor=world.actor("bureau_a"), bill=bill, reason="x")
    services.bill_approve(actor=world.actor("school_a"), bill=bill)
    with pytest.raises(Conflict):
        services.bill_approve(actor=world.actor("school_a"), bill=bill)
    with pytest.raises(Conflict):
        services.bill_reject(actor=world.actor("school_a"), bill=bill, reason="x")


def test_given_wrong_actor_when_stepping_then_refused(world: Any) -> None:
    terms(world.school_a, world.org_a, mode="per_lesson", rate_fen=100)
    bill = _raise(world)
    with pytest.raises(PermissionDenied):
        services.bill_approve(actor=world.actor("org_a"), bill=bill)
    with pytest.raises(PermissionDenied):
        services.bill_approve(actor=world.actor("bureau_a"), bill=bill)
    with pytest.raises(NotFound):
        services.bill_approve(actor=world.actor("school_a2"), bill=bill)
    with pytest.raises(NotFound):
        services.bill_approve(actor=world.actor("teacher_a"), bill=bill)
    services.bill_approve(actor=world.actor("school_a"), bill=bill)
    with pytest.raises(NotFound):
        services.bill_review(actor=world.actor("bureau_b"), bill=bill)
    with pytest.raises(PermissionDenied):
        services.bill_review(actor=world.actor("school_a"), bill=bill)


def test_given_reject_without_reason_then_422_and_bureau_may_reject_approved_bill(world: Any) -> None:
    terms(world.school_a, world.org_a, mode="per_lesson", rate_fen=100)
    bill = _raise(world)
    with pytest.raises(ValidationFailed):
        services.bill_reject(actor=world.actor("school_a"), bill=bill, reason="  ")
    services.bill_approve(actor=world.actor("school_a"), bill=bill)
    bill = services.bill_reject(actor=world.actor("bureau_a"), bill=bill, reason="人次与考勤不符")
    assert bill.status == "rejected"
    assert SettlementEvent.objects.filter(bill=bill, action="reject", comment="人次与考勤不符").exists()
    assert Notification.objects.filter(recipient=world.users["school_a"], title__contains="退回").exists()


# --- terms --------------------------------------------------------------------------------------------------


def test_given_school_admin_when_creating_terms_then_partner_only_and_no_overlap(world: Any) -> None:
    actor = world.actor("school_a")
    data = {"organization": world.org_a, "mode": "per_lesson", "rate_fen": 100, "starts_on": dt.date(2026, 9, 1),
            "ends_on": dt.date(2026, 12, 31)}  # fmt: skip
    created = services.settlement_terms_create(actor=actor, data=dict(data))
    assert created.school == world.school_a
    with pytest.raises(ValidationFailed) as exc:
        services.settlement_terms_create(actor=actor, data={**data, "starts_on": dt.date(2026, 12, 1), "ends_on": None})
    assert "starts_on" in exc.value.detail
    # after the first ends: fine
    services.settlement_terms_create(actor=actor, data={**data, "starts_on": dt.date(2027, 1, 1), "ends_on": None})
    with pytest.raises(ValidationFailed) as exc:
        services.settlement_terms_create(actor=actor, data={**data, "organization": world.org_b})
    assert "organization" in exc.value.detail
    with pytest.raises(ValidationFailed):
        services.settlement_terms_create(actor=actor, data={**data, "rate_fen": 0, "starts_on": dt.date(2030, 1, 1)})
    with pytest.raises(PermissionDenied):
        services.settlement_terms_create(actor=world.actor("org_a"), data=dict(data))


def test_given_billed_terms_when_changing_rate_then_conflict_but_end_date_allowed(world: Any) -> None:
    t = terms(world.school_a, world.org_a, mode="per_lesson", rate_fen=100)
    _raise(world)
    actor = world.actor("school_a")
    with pytest.raises(Conflict):
        services.settlement_terms_update(actor=actor, settlement_terms=t, data={"rate_fen": 200})
    updated = services.settlement_terms_update(actor=actor, settlement_terms=t, data={"ends_on": dt.date(2026, 12, 31)})
    assert updated.ends_on == dt.date(2026, 12, 31)
    with pytest.raises(Conflict):
        services.settlement_terms_delete(actor=actor, settlement_terms=t)


def test_given_terms_then_bureau_and_own_org_read_them_others_do_not(world: Any) -> None:
    t = terms(world.school_a, world.org_a, mode="per_lesson", rate_fen=100)
    for key in ("school_a", "bureau_a", "org_a", "system"):
        assert list(selectors.settlement_terms_list(actor=world.actor(key))) == [t], key
    for key in ("school_a2", "bureau_b", "org_b", "teacher_a", "orgteacher_a", "parent"):
        assert not selectors.settlement_terms_list(actor=world.actor(key)).exists(), key


# --- management command ---------------------------------------------------------------------------------------


def test_given_terms_when_command_runs_then_bank_raises_bills_once(world: Any) -> None:
    terms(world.school_a, world.org_a, mode="per_lesson", rate_fen=100)
    terms(world.school_b, world.org_b, mode="fee_share", share_permille=100)
    out = StringIO()
    call_command("raise_settlement_bills", "--period", "2026-10", stdout=out)
    bills = SettlementBill.objects.all()
    assert {(b.school_id, b.organization_id, b.raised_by, b.period_start, b.period_end) for b in bills} == {
        (world.school_a.pk, world.org_a.pk, "bank", *OCT),
        (world.school_b.pk, world.org_b.pk, "bank", *OCT),
    }
    out = StringIO()
    call_command("raise_settlement_bills", "--period", "2026-10", stdout=out)
    assert SettlementBill.objects.count() == 2
    assert "跳过" in out.getvalue()


def test_given_bad_period_when_command_runs_then_error(world: Any) -> None:
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("raise_settlement_bills", "--period", "2026-13")

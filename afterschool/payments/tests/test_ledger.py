"""The money ledger (账务流水): posted where money moves, once per reference (duplicate notices, repeated refund
answers and a bill paid twice post nothing more), append-only, balances per school, scoped like the other rows."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import IntegrityError, transaction

from afterschool.core.errors import Conflict
from afterschool.payments.choices import BillStatus, PaymentStatus, RefundStatus
from afterschool.payments.models import LedgerAccount, LedgerEntry, LedgerKind, Order, Payment, Refund
from afterschool.payments.services import ledger, pay, refunds
from afterschool.payments.services import orders as order_services
from afterschool.payments.services import settlement as settlement_services
from afterschool.payments.tests.factories_ledger import (
    RATE_FEN,
    FakeBank,
    School,
    build_school,
    payment_body,
    refund_body,
    sign,
)
from afterschool.payments.tests.factories_settlement import enrol, org_section, paid_order
from afterschool.tenancy.scoping import scoped

pytestmark = pytest.mark.django_db


@pytest.fixture
def bank(monkeypatch: pytest.MonkeyPatch) -> FakeBank:
    fake = FakeBank()
    monkeypatch.setattr(refunds, "get_gateway", lambda: fake)
    return fake


@pytest.fixture
def school(world: Any) -> School:
    return build_school(world)


def notice(bank: FakeBank, body: bytes) -> str:
    result = pay.notice_receive(body=body, signature=sign(body), gateway=bank)  # type: ignore[arg-type]
    return result.outcome


def paid(world: Any, school: School, bank: FakeBank, *, child: int = 0, section: int = 0) -> Order:
    order = order_services.order_create(
        actor=world.actor("parent"), section=school.sections[section], student=school.children[child]
    )
    assert notice(bank, payment_body(order)) == "credited"
    order.refresh_from_db()
    return order


def entries(**filters: Any) -> list[tuple[str, str, int]]:
    return list(LedgerEntry.objects.filter(**filters).order_by("pk").values_list("kind", "account", "amount_fen"))


def assert_balanced(school: Any = None) -> dict[str, int]:
    money = ledger.balances(school=school)
    assert money["paid"] - money["refunded"] == money["held"] + money["settled"], money
    return money


# --- payments -------------------------------------------------------------------------------------------------------


def test_given_payment_notice_when_sent_three_times_then_one_entry_held(
    world: Any, school: School, bank: FakeBank
) -> None:
    order = order_services.order_create(
        actor=world.actor("parent"), section=school.sections[0], student=school.children[0]
    )
    body = payment_body(order)

    outcomes = [notice(bank, body) for _ in range(3)]

    assert outcomes == ["credited", "duplicate", "duplicate"]
    assert entries(order=order) == [(LedgerKind.PAYMENT, LedgerAccount.HELD, order.amount_fen)]
    entry = LedgerEntry.objects.get(order=order)
    assert entry.reference == f"TXN-{order.order_no}"
    assert (entry.school_id, entry.organization_id) == (world.school_a.pk, world.org_a.pk)
    assert assert_balanced() == {"paid": order.amount_fen, "refunded": 0, "held": order.amount_fen, "settled": 0}


def test_given_payment_posted_when_posted_again_then_same_entry(world: Any, school: School, bank: FakeBank) -> None:
    order = paid(world, school, bank)
    payment = Payment.objects.get(order=order, status=PaymentStatus.SUCCEEDED)

    again = ledger.post_payment(payment)

    assert again is not None and LedgerEntry.objects.filter(order=order).count() == 1


def test_given_payment_not_succeeded_when_posted_then_refused(world: Any, school: School, bank: FakeBank) -> None:
    order = order_services.order_create(
        actor=world.actor("parent"), section=school.sections[0], student=school.children[0]
    )
    pending = Payment.objects.create(order=order, gateway="fake", amount_fen=order.amount_fen)

    with pytest.raises(Conflict):
        ledger.post_payment(pending)

    assert not LedgerEntry.objects.exists()


def test_given_payment_after_order_closed_when_credited_then_money_is_held_all_the_same(
    world: Any, school: School, bank: FakeBank
) -> None:
    """The money came in even though the seat is gone: it is held until the school refunds it."""
    order = order_services.order_create(
        actor=world.actor("parent"), section=school.sections[1], student=school.children[0]
    )
    order_services.orders_close_expired(now=order.deadline + dt.timedelta(minutes=1))
    for child in school.children[1:]:  # the freed seats are taken
        order_services.order_create(actor=world.actor("parent"), section=school.sections[1], student=child)

    assert notice(bank, payment_body(order)) == "paid_after_close"

    assert entries(order=order) == [(LedgerKind.PAYMENT, LedgerAccount.HELD, order.amount_fen)]
    assert assert_balanced()["held"] == order.amount_fen


# --- refunds --------------------------------------------------------------------------------------------------------


def test_given_refund_processing_when_bank_notice_repeats_then_one_entry_out_of_held(
    world: Any, school: School, bank: FakeBank
) -> None:
    order = paid(world, school, bank)
    bank.refund_mode = "processing"
    refund = refunds.refund_create_by_school(actor=world.actor("school_a"), order=order, amount_fen=1001, note="调价")
    assert refund.status == RefundStatus.PROCESSING and not entries(kind=LedgerKind.REFUND)

    outcomes = [notice(bank, refund_body(refund, status="succeeded")) for _ in range(3)]

    assert outcomes == ["refund_succeeded"] * 3  # answered alike; applied once
    assert entries(kind=LedgerKind.REFUND) == [(LedgerKind.REFUND, LedgerAccount.HELD, -1001)]
    assert LedgerEntry.objects.get(kind=LedgerKind.REFUND).reference == refund.refund_no
    order.refresh_from_db()
    assert order.refunded_fen == 1001
    assert assert_balanced() == {
        "paid": order.amount_fen, "refunded": 1001, "held": order.amount_fen - 1001, "settled": 0,
    }  # fmt: skip


def test_given_refund_succeeded_at_once_when_withdrawn_then_posted_in_the_same_step(
    world: Any, school: School, bank: FakeBank
) -> None:
    order = paid(world, school, bank)
    refund = refunds.withdrawal_request(actor=world.actor("parent"), order=order, reason="搬家")

    refund = refunds.refund_approve(actor=world.actor("school_a"), refund=refund)

    assert refund.status == RefundStatus.SUCCEEDED
    assert entries(kind=LedgerKind.REFUND) == [(LedgerKind.REFUND, LedgerAccount.HELD, -refund.amount_fen)]
    assert ledger.post_refund(refund) is not None and LedgerEntry.objects.filter(kind=LedgerKind.REFUND).count() == 1
    assert_balanced()


def test_given_refund_failed_then_nothing_posted_until_retried(world: Any, school: School, bank: FakeBank) -> None:
    order = paid(world, school, bank)
    bank.refund_mode = "failed"
    refund = refunds.refund_create_by_school(actor=world.actor("school_a"), order=order, amount_fen=500, note="补差")
    assert refund.status == RefundStatus.FAILED and not entries(kind=LedgerKind.REFUND)
    with pytest.raises(Conflict):
        ledger.post_refund(refund)

    bank.refund_mode = "succeeded"
    refund = refunds.refund_retry(actor=world.actor("school_a"), refund=refund)

    assert refund.status == RefundStatus.SUCCEEDED
    assert entries(kind=LedgerKind.REFUND) == [(LedgerKind.REFUND, LedgerAccount.HELD, -500)]
    assert_balanced()


def test_given_section_cancelled_then_every_paid_order_refunded_out_of_held(
    world: Any, school: School, bank: FakeBank
) -> None:
    from afterschool.scheduling.services import operations

    first = paid(world, school, bank, child=0)
    second = paid(world, school, bank, child=1)

    operations.section_cancel(actor=world.actor("school_a"), section=school.sections[0], reason="教师调离")

    assert sorted(a for _, _, a in entries(kind=LedgerKind.REFUND)) == sorted([-first.amount_fen, -second.amount_fen])
    assert assert_balanced() == {
        "paid": first.amount_fen + second.amount_fen, "refunded": first.amount_fen + second.amount_fen,
        "held": 0, "settled": 0,
    }  # fmt: skip


# --- settlement -----------------------------------------------------------------------------------------------------


def test_given_bill_paid_then_moved_from_held_to_settled_and_paying_again_refused(
    world: Any, school: School, bank: FakeBank
) -> None:
    order = paid(world, school, bank)
    start, end = school.periods[0]
    bill = settlement_services.bill_raise(
        actor=world.actor("school_a"), school=world.school_a, organization=world.org_a, period_start=start,
        period_end=end,
    )  # fmt: skip
    bill = settlement_services.bill_approve(actor=world.actor("school_a"), bill=bill)
    bill = settlement_services.bill_review(actor=world.actor("bureau_a"), bill=bill)
    assert not entries(kind=LedgerKind.SETTLEMENT)  # approved and reviewed is not paid

    bill = settlement_services.bill_pay(actor=world.actor("school_a"), bill=bill)

    assert bill.status == BillStatus.PAID and bill.amount_fen == 2 * RATE_FEN  # one lesson of each section
    moved = [(LedgerKind.SETTLEMENT, LedgerAccount.HELD, -bill.amount_fen),
             (LedgerKind.SETTLEMENT, LedgerAccount.SETTLED, bill.amount_fen)]  # fmt: skip
    assert entries(bill=bill) == moved
    with pytest.raises(Conflict):
        settlement_services.bill_pay(actor=world.actor("school_a"), bill=bill)
    assert len(ledger.post_settlement(bill)) == 2
    assert entries(bill=bill) == moved
    assert assert_balanced() == {
        "paid": order.amount_fen, "refunded": 0, "held": order.amount_fen - bill.amount_fen,
        "settled": bill.amount_fen,
    }  # fmt: skip


def test_given_entry_when_posted_again_with_another_amount_then_conflict(
    world: Any, school: School, bank: FakeBank
) -> None:
    order = paid(world, school, bank)
    payment = Payment.objects.get(order=order, status=PaymentStatus.SUCCEEDED)
    payment.amount_fen += 1  # the books would disagree

    with pytest.raises(Conflict):
        ledger.post_payment(payment)

    assert entries(order=order) == [(LedgerKind.PAYMENT, LedgerAccount.HELD, order.amount_fen)]


# --- append-only ----------------------------------------------------------------------------------------------------


def test_given_entry_when_changed_or_removed_then_refused(world: Any, school: School, bank: FakeBank) -> None:
    order = paid(world, school, bank)
    entry = LedgerEntry.objects.get(order=order)

    entry.amount_fen = 1
    with pytest.raises(TypeError):
        entry.save()
    with pytest.raises(TypeError):
        entry.delete()
    with pytest.raises(TypeError):
        LedgerEntry.objects.filter(pk=entry.pk).update(amount_fen=1)
    with pytest.raises(TypeError):
        LedgerEntry.objects.filter(pk=entry.pk).delete()

    assert LedgerEntry.objects.get(pk=entry.pk).amount_fen == order.amount_fen


def test_given_entry_when_same_reference_inserted_again_then_database_refuses(
    world: Any, school: School, bank: FakeBank
) -> None:
    order = paid(world, school, bank)
    entry = LedgerEntry.objects.get(order=order)

    with pytest.raises(IntegrityError), transaction.atomic():
        LedgerEntry.objects.create(
            school_id=entry.school_id, order=order, account=entry.account, amount_fen=entry.amount_fen,
            kind=entry.kind, reference=entry.reference,
        )  # fmt: skip

    assert LedgerEntry.objects.filter(order=order).count() == 1


# --- balances and scope ---------------------------------------------------------------------------------------------


@pytest.fixture
def school_b_payment(world: Any) -> Payment:
    """99 990 分 received at school_b for org_b's course."""
    order = paid_order(enrol(org_section(world.school_b, world.org_b), created=dt.date(2026, 9, 1)),
                       fee_fen=99_990, paid_on=dt.date(2026, 9, 2))  # fmt: skip
    payment = Payment.objects.create(
        order=order, gateway="fake", bank_txn_id="TXN-B", amount_fen=order.amount_fen, status="succeeded"
    )
    ledger.post_payment(payment)
    return payment


def test_given_money_at_two_schools_then_balances_per_school_and_in_total(
    world: Any, school: School, bank: FakeBank, school_b_payment: Payment
) -> None:
    order = paid(world, school, bank)
    refund = refunds.refund_create_by_school(actor=world.actor("school_a"), order=order, amount_fen=300, note="补差")
    assert refund.status == RefundStatus.SUCCEEDED

    a = assert_balanced(world.school_a)
    b = assert_balanced(world.school_b)
    total = assert_balanced()

    assert a == {"paid": order.amount_fen, "refunded": 300, "held": order.amount_fen - 300, "settled": 0}
    assert b == {"paid": 99_990, "refunded": 0, "held": 99_990, "settled": 0}
    assert total == {key: a[key] + b[key] for key in a}
    assert assert_balanced(world.school_a2) == {"paid": 0, "refunded": 0, "held": 0, "settled": 0}


def test_given_entries_of_two_schools_then_each_reader_sees_its_own(
    world: Any, school: School, bank: FakeBank, school_b_payment: Payment
) -> None:
    order = paid(world, school, bank)
    everything = LedgerEntry.objects.all()

    def seen(key: str) -> set[Any]:
        return set(scoped(everything, world.actor(key)).values_list("order_id", flat=True))

    assert seen("school_a") == {order.pk}
    assert seen("school_b") == {school_b_payment.order_id}
    assert seen("school_a2") == set()
    assert seen("bureau_a") == {order.pk}
    assert seen("bureau_b") == {school_b_payment.order_id}
    assert seen("org_a") == {order.pk}
    assert seen("org_b") == {school_b_payment.order_id}
    assert seen("parent") == set()
    assert seen("system") == {order.pk, school_b_payment.order_id}


def test_given_refund_rows_then_refunded_balance_counts_only_succeeded(
    world: Any, school: School, bank: FakeBank
) -> None:
    order = paid(world, school, bank)
    bank.refund_mode = "processing"
    refunds.refund_create_by_school(actor=world.actor("school_a"), order=order, amount_fen=700, note="补差")
    bank.refund_mode = "failed"
    refunds.refund_create_by_school(actor=world.actor("school_a"), order=order, amount_fen=800, note="补差")

    money = assert_balanced()

    assert money["refunded"] == 0 and money["held"] == order.amount_fen
    assert Refund.objects.filter(order=order).count() == 2

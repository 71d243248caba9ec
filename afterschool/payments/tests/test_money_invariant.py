"""The money invariant (issue "Course selection, payments, …", point 9), as a property: random sequences of enrol,
pay, duplicate and out-of-order notices, withdraw, school refunds, refund notices and retries, section cancellation,
order expiry and settlement, and after EVERY step

    paid − refunded == held + settled   (to the 分; paid/refunded from Payment/Refund rows, held/settled from the
                                         ledger)

and per order: what was refunded never exceeds what was paid, equals its succeeded refunds, and one bank transaction
credits one succeeded Payment (the same notice again, or a late one, never credits twice).

The bank is faked: payment and refund notices go through `pay.notice_receive` (signed with an HMAC the fake gateway
checks), refunds through a fake `refunds.get_gateway` whose answer (succeeded / processing / failed) is drawn.
Each example runs inside a savepoint rolled back at its end, on top of a school built once per test.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

import pytest
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from hypothesis import HealthCheck, currently_in_test_context, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test

from afterschool.core.errors import AppError
from afterschool.payments.choices import BillStatus, OrderStatus, PaymentStatus, RefundStatus
from afterschool.payments.models import LedgerEntry, Order, Payment, Refund, SettlementBill
from afterschool.payments.services import ledger, pay, refunds
from afterschool.payments.services import orders as order_services
from afterschool.payments.services import settlement as settlement_services
from afterschool.payments.tests.factories_ledger import (
    PERIODS,
    FakeBank,
    School,
    build_school,
    payment_body,
    refund_body,
    sign,
)
from afterschool.scheduling.services import operations

# --- the checks -----------------------------------------------------------------------------------------------------


def check_money(school: Any = None) -> dict[str, int]:
    money = ledger.balances(school=school)
    assert money["paid"] - money["refunded"] == money["held"] + money["settled"], money
    # settlement moves money between the two ledger accounts, which the sum above cannot see: check the side too
    bills = SettlementBill.objects.filter(status=BillStatus.PAID, **({"school": school} if school else {}))
    assert money["settled"] == int(bills.aggregate(n=Sum("amount_fen"))["n"] or 0), money
    for order in Order.objects.all():
        succeeded = Payment.objects.filter(order=order, status=PaymentStatus.SUCCEEDED)
        assert succeeded.count() <= 1, f"{order.order_no} credited twice"
        paid = int(succeeded.aggregate(n=Sum("amount_fen"))["n"] or 0)
        refunded = int(
            Refund.objects.filter(order=order, status=RefundStatus.SUCCEEDED).aggregate(n=Sum("amount_fen"))["n"] or 0
        )
        assert order.refunded_fen == refunded, order.order_no
        assert order.refunded_fen <= paid, f"{order.order_no}: refunded {order.refunded_fen} > paid {paid}"
        if order.status in (OrderStatus.PAID, OrderStatus.REFUNDED):
            assert paid == order.amount_fen, order.order_no
    return money


# --- the machine ----------------------------------------------------------------------------------------------------


def make_machine(school: School, bank: FakeBank, seen: Counter[str]) -> type[RuleBasedStateMachine]:
    world = school.world

    class Money(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.atomic = transaction.atomic()
            self.atomic.__enter__()
            bank.refund_mode = "succeeded"
            bank.refunds_paid.clear()
            self.periods_used = 0
            self.last_notice: bytes | None = None
            self.outcomes: list[str] = []

        def record(self, outcome: str) -> None:
            self.outcomes.append(outcome)
            seen[outcome.split(":")[0] if outcome.startswith(("expired", "settled")) else outcome] += 1
            if currently_in_test_context():
                event(outcome)  # pytest --hypothesis-show-statistics shows how often each outcome happened

        def teardown(self) -> None:
            transaction.set_rollback(True)
            self.atomic.__exit__(None, None, None)

        # helpers
        @staticmethod
        def pick(model: Any, index: int, **filters: Any) -> Any:
            rows = list(model.objects.filter(**filters).order_by("pk"))
            return rows[index % len(rows)] if rows else None

        def attempt(self, name: str, call: Any) -> Any:
            """Run one service call; a refusal of the business rules (4xx) is a legitimate outcome."""
            try:
                result = call()
            except AppError as exc:
                self.record(f"{name}:{exc.code}")
                return None
            self.record(name)
            return result

        def notice(self, body: bytes) -> None:
            self.last_notice = body
            result = pay.notice_receive(body=body, signature=sign(body), gateway=bank)  # type: ignore[arg-type]
            assert result.status == 200, result
            self.record(f"notice:{result.outcome}")

        # what is there to act on (preconditions keep the random steps meaningful)
        def has(self, model: Any, **filters: Any) -> bool:
            return bool(model.objects.filter(**filters).exists())

        def uncredited(self) -> Any:
            return Order.objects.exclude(payments__status=PaymentStatus.SUCCEEDED)

        # steps
        @rule(child=st.integers(0, 2), section=st.integers(0, 1), materials=st.booleans())
        def enrol(self, child: int, section: int, materials: bool) -> None:
            self.attempt(
                "enrol",
                lambda: order_services.order_create(
                    actor=world.actor("parent"),
                    section=school.sections[section],
                    student=school.children[child],
                    with_materials=materials,
                ),
            )

        @precondition(lambda self: self.uncredited().exists())
        @rule(index=st.integers(0, 5))
        def pay(self, index: int) -> None:
            """The bank's notice that an order was paid: a pending one, or late, for one closed meanwhile."""
            orders = list(self.uncredited().order_by("pk"))
            self.notice(payment_body(orders[index % len(orders)]))

        @precondition(lambda self: self.last_notice is not None)
        @rule()
        def duplicate_notice(self) -> None:
            """The bank sends the last notice again (payment or refund)."""
            assert self.last_notice is not None
            self.notice(self.last_notice)

        @precondition(lambda self: self.has(Order))
        @rule(index=st.integers(0, 5))
        def out_of_order_notice(self, index: int) -> None:
            """A stale "cancelled" payment notice arriving after the order was paid (or closed), and a refund's
            success notice arriving before the school approved it: neither changes anything."""
            self.notice(payment_body(self.pick(Order, index), status="cancelled"))
            requested = self.pick(Refund, index, status=RefundStatus.REQUESTED)
            if requested is not None:
                self.notice(refund_body(requested, status="succeeded"))

        @precondition(lambda self: self.has(Order, status=OrderStatus.PAID))
        @rule(index=st.integers(0, 5), mode=st.sampled_from(["succeeded", "processing", "failed"]))
        def withdraw(self, index: int, mode: str) -> None:
            """The parent withdraws, the school approves; the bank answers at once, later, or fails."""
            order = self.pick(Order, index, status=OrderStatus.PAID)
            refund = self.attempt(
                "withdraw",
                lambda: refunds.withdrawal_request(actor=world.actor("parent"), order=order, reason="孩子不想上了"),
            )
            if refund is not None:
                bank.refund_mode = mode
                self.attempt("approve", lambda: refunds.refund_approve(actor=world.actor("school_a"), refund=refund))

        @precondition(lambda self: self.has(Order, status=OrderStatus.PAID))
        @rule(index=st.integers(0, 5), percent=st.integers(1, 120), mode=st.sampled_from(["succeeded", "processing"]))
        def school_refund(self, index: int, percent: int, mode: str) -> None:
            """The school refunds part of what is left (above 100 %: more than is left, refused)."""
            order = self.pick(Order, index, status=OrderStatus.PAID)
            amount = max((order.amount_fen - order.refunded_fen) * percent // 100, 1)
            bank.refund_mode = mode
            self.attempt(
                "school_refund",
                lambda: refunds.refund_create_by_school(
                    actor=world.actor("school_a"), order=order, amount_fen=amount, note="部分退费"
                ),
            )

        @precondition(lambda self: self.has(Refund))
        @rule(index=st.integers(0, 5), succeeded=st.booleans())
        def refund_notice(self, index: int, succeeded: bool) -> None:
            """The bank's later answer for a refund: for one in processing it applies; for any other (settled
            already, or not yet approved) it is a duplicate or out of order and changes nothing."""
            processing = self.pick(Refund, index, status=RefundStatus.PROCESSING)
            refund = processing or self.pick(Refund, index)
            self.notice(refund_body(refund, status="succeeded" if succeeded else "failed"))

        @precondition(lambda self: self.has(Refund, status=RefundStatus.FAILED))
        @rule(index=st.integers(0, 5))
        def retry_refund(self, index: int) -> None:
            refund = self.pick(Refund, index, status=RefundStatus.FAILED)
            bank.refund_mode = "succeeded"
            self.attempt("retry", lambda: refunds.refund_retry(actor=world.actor("school_a"), refund=refund))

        @precondition(lambda self: self.has(Order, status=OrderStatus.PAID))
        @rule(section=st.integers(0, 1), mode=st.sampled_from(["succeeded", "processing", "failed"]))
        def cancel_section(self, section: int, mode: str) -> None:
            """The school cancels a section: its paid orders are refunded in full, its unpaid ones closed."""
            bank.refund_mode = mode
            self.attempt(
                "cancel",
                lambda: operations.section_cancel(
                    actor=world.actor("school_a"), section=school.sections[section], reason="报名人数不足"
                ),
            )

        @precondition(lambda self: self.has(Order, status=OrderStatus.PENDING))
        @rule()
        def expire_orders(self) -> None:
            closed = order_services.orders_close_expired(now=timezone.now() + dt.timedelta(days=1))
            self.record(f"expired:{closed}")

        @precondition(lambda self: self.periods_used < PERIODS and self.has(Payment, status=PaymentStatus.SUCCEEDED))
        @rule()
        def settle(self) -> None:
            """The next past period's bill: raised, approved by the school, reviewed by the bureau, paid."""
            start, end = school.periods[self.periods_used]
            self.periods_used += 1
            bill = settlement_services.bill_raise(
                actor=world.actor("school_a"), school=world.school_a, organization=world.org_a,
                period_start=start, period_end=end,
            )  # fmt: skip
            bill = settlement_services.bill_approve(actor=world.actor("school_a"), bill=bill)
            bill = settlement_services.bill_review(actor=world.actor("bureau_a"), bill=bill)
            bill = settlement_services.bill_pay(actor=world.actor("school_a"), bill=bill)
            self.record(f"settled:{bill.amount_fen}")

        @invariant()
        def money_balances(self) -> None:
            check_money()
            check_money(world.school_a)

    return Money


FAST = settings(
    max_examples=40, stateful_step_count=15, deadline=None, database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)  # fmt: skip


@pytest.fixture
def fake_bank(monkeypatch: pytest.MonkeyPatch) -> FakeBank:
    bank = FakeBank()
    monkeypatch.setattr(refunds, "get_gateway", lambda: bank)
    return bank


@pytest.mark.django_db
def test_given_random_money_flows_then_paid_minus_refunded_equals_held_plus_settled_after_every_step(
    world: Any, fake_bank: FakeBank
) -> None:
    school = build_school(world)
    seen: Counter[str] = Counter()
    run_state_machine_as_test(make_machine(school, fake_bank, seen), settings=FAST)
    # not vacuous: money came in, a notice came twice, money went back and out to the organization
    assert seen["notice:credited"] and seen["notice:duplicate"] and seen["settled"], seen
    assert seen["notice:refund_succeeded"] + seen["approve"] + seen["school_refund"] + seen["cancel"], seen


@pytest.mark.django_db
def test_given_a_full_story_then_every_kind_of_money_move_is_in_the_ledger(world: Any, fake_bank: FakeBank) -> None:
    """The machine's steps, once each in a fixed order, so that the property above is known to cover them all."""
    school = build_school(world)
    machine = make_machine(school, fake_bank, Counter())()
    try:
        machine.enrol(child=0, section=0, materials=True)
        machine.enrol(child=1, section=0, materials=False)
        machine.enrol(child=2, section=1, materials=False)
        machine.pay(index=0)
        machine.duplicate_notice()
        machine.pay(index=1)
        machine.out_of_order_notice(index=0)
        machine.withdraw(index=0, mode="processing")
        machine.refund_notice(index=0, succeeded=True)
        machine.refund_notice(index=0, succeeded=True)
        machine.school_refund(index=1, percent=10, mode="succeeded")
        machine.expire_orders()
        machine.pay(index=2)  # late: after its order closed
        machine.settle()
        machine.cancel_section(section=0, mode="failed")
        machine.retry_refund(index=0)
        money = check_money(world.school_a)
    finally:
        machine.teardown()
    outcomes = set(machine.outcomes)
    assert {"notice:credited", "notice:duplicate", "notice:not_paid", "withdraw", "approve", "school_refund",
            "notice:refund_succeeded", "cancel", "retry"} <= outcomes, machine.outcomes  # fmt: skip
    assert any(o.startswith("notice:") and "after_close" in o for o in outcomes), machine.outcomes
    assert any(o.startswith("settled:") and o != "settled:0" for o in outcomes), machine.outcomes
    assert money["paid"] > 0 and money["refunded"] > 0 and money["settled"] > 0, money
    assert not LedgerEntry.objects.exists()  # rolled back with the example

"""Helpers for ledger and money-invariant tests: a fake bank (HMAC-signed notices, refunds answered as told) and a
school with an organization's two paid sections, lessons delivered in the past, children and settlement terms."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from afterschool.courses.tests.factories import CourseFactory
from afterschool.payments.choices import SettlementMode
from afterschool.payments.models import Order, Refund
from afterschool.payments.tests.factories_orders import child_of, open_window
from afterschool.payments.tests.factories_settlement import terms
from afterschool.scheduling.models import Section
from afterschool.scheduling.tests.factories import LessonFactory, SectionFactory
from afterschool.schools.tests.factories import GradeFactory, SchoolClassFactory, TermFactory

MERCHANT = "FAKE-MERCHANT"
SECRET = b"fake-bank-notice-key"
RATE_FEN = 1_234  # per delivered lesson
PERIOD_DAYS = 14
PERIODS = 4  # settlement periods available, oldest first, all ended before today


# --- the fake bank ------------------------------------------------------------------------------------------------


def sign(body: bytes) -> str:
    return hmac.new(SECRET, body, hashlib.sha256).hexdigest()


@dataclass
class FakeRefundResult:
    refund_no: str
    refund_id: str
    status: str
    amount_fen: int
    reason: str = ""


@dataclass
class FakeBank:
    """Verifies its own notices; answers refunds with `refund_mode` (succeeded | processing | failed)."""

    name: str = "fakebank"
    merchant_id: str = MERCHANT
    refund_mode: str = "succeeded"
    refunds_paid: dict[str, int] = field(default_factory=dict)

    def verify_notice(self, *, body: bytes, signature: str) -> bool:
        return hmac.compare_digest(sign(body), signature)

    def refund(self, *, refund_no: str, order_no: str, txn_id: str, amount_fen: int, notify_url: str = "") -> Any:
        if self.refund_mode == "failed":
            return FakeRefundResult(refund_no, "", "failed", amount_fen, "余额不足")
        self.refunds_paid.setdefault(refund_no, amount_fen)  # idempotent by refund_no, like a real bank
        return FakeRefundResult(refund_no, f"B{refund_no}", self.refund_mode, amount_fen)


def payment_body(order: Order, *, status: str = "paid") -> bytes:
    body = {
        "kind": "payment", "merchant_id": MERCHANT, "order_no": order.order_no, "payment_id": f"P-{order.order_no}",
        "txn_id": f"TXN-{order.order_no}", "amount_fen": order.amount_fen, "status": status,
        "paid_at": timezone.now().isoformat(),
    }  # fmt: skip
    return json.dumps(body, sort_keys=True).encode()


def refund_body(refund: Refund, *, status: str) -> bytes:
    body = {
        "kind": "refund", "merchant_id": MERCHANT, "refund_no": refund.refund_no, "refund_id": f"B{refund.refund_no}",
        "status": status, "amount_fen": refund.amount_fen,
    }  # fmt: skip
    return json.dumps(body, sort_keys=True).encode()


# --- the school ---------------------------------------------------------------------------------------------------


@dataclass
class School:
    world: Any
    sections: list[Section]
    children: list[Any]
    periods: list[tuple[dt.date, dt.date]]


def build_school(world: Any) -> School:
    """org_a's course at school_a in two open sections (fee and materials; one of two seats only, so "full" happens),
    each with four lessons delivered in the past and three to come; three children of the world's parent; per-lesson
    settlement terms since long before."""
    today = timezone.localdate()
    term = TermFactory(school=world.school_a)
    grade = GradeFactory(school=world.school_a, level=3, name="三年级")
    school_class = SchoolClassFactory(grade=grade, name="1班")
    course = CourseFactory(owner_organization=world.org_a)
    sections = []
    for i, (fee, materials, seats, hour) in enumerate(((30_001, 4_999, 3, 15), (12_345, 0, 2, 17))):
        section = SectionFactory(
            school=world.school_a, term=term, course=course, status="open", fee_fen=fee, materials_fee_fen=materials,
            max_students=seats, name=f"课班{i + 1}", approved=i == 0,
        )  # fmt: skip
        section.grades.set([grade])
        open_window(section)
        for k in range(-8, 4, 2):  # 4 lessons in the past (weeks −8, −6, −4, −2), 2 to come
            LessonFactory(
                section=section, number=k + 9, date=today + dt.timedelta(weeks=k, days=i),
                starts_at=dt.time(hour, 0), ends_at=dt.time(hour, 50),
            )  # fmt: skip
        sections.append(section)
    children = [child_of(world.users["parent"], school_class) for _ in range(3)]
    first = today - dt.timedelta(days=PERIOD_DAYS * PERIODS + 1)
    terms(world.school_a, world.org_a, mode=SettlementMode.PER_LESSON, rate_fen=RATE_FEN, starts_on=first)
    periods = [
        (first + dt.timedelta(days=PERIOD_DAYS * n), first + dt.timedelta(days=PERIOD_DAYS * (n + 1) - 1))
        for n in range(PERIODS)
    ]
    assert periods[-1][1] < today
    return School(world, sections, children, periods)

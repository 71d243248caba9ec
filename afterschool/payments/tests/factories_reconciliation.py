"""Paid orders, payments and refunds built directly (no gateway), for reconciliation and supervision tests."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any
from zoneinfo import ZoneInfo

from django.utils import timezone

from afterschool.enrollment.tests.factories import EnrollmentFactory
from afterschool.payments.models import Order, Payment, Refund
from afterschool.scheduling.models import Section
from afterschool.scheduling.tests.factories import SectionFactory
from afterschool.schools.tests.factories import StudentFactory

CST = ZoneInfo("Asia/Shanghai")
DAY = dt.date(2026, 9, 10)
_seq = itertools.count(1)


def at(day: dt.date = DAY, hour: int = 10, minute: int = 0) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=CST)


def section(school: Any, **kwargs: Any) -> Section:
    """A section of the school; sections of one school share its 2026 autumn term."""
    from afterschool.schools.models import Term

    if "term" not in kwargs:
        term = Term.objects.filter(school=school, academic_year=2026, term_number=1).first()
        if term is not None:
            kwargs["term"] = term
    return SectionFactory(school=school, **kwargs)


def class_of(school: Any) -> Any:
    """One class of the school, shared by the students these helpers make (grades are unique per school)."""
    from afterschool.schools.models import SchoolClass
    from afterschool.schools.tests.factories import SchoolClassFactory

    return SchoolClass.objects.filter(grade__school=school).first() or SchoolClassFactory(grade__school=school)


def paid_order(
    sec: Section, *, fee: int = 30000, materials: int = 0, paid_at: dt.datetime | None = None, student: Any = None,
    txn: str | None = None, payment_status: str = "succeeded", status: str = "paid",
) -> tuple[Order, Payment]:  # fmt: skip
    n = next(_seq)
    student = student or StudentFactory(school_class=class_of(sec.school))
    enrollment = EnrollmentFactory(section=sec, student=student)
    paid_at = paid_at or at()
    order = Order.objects.create(
        order_no=f"O{n:08d}", school=sec.school, section=sec, student=student, enrollment=enrollment,
        fee_fen=fee, materials_fen=materials, amount_fen=fee + materials, materials_included=bool(materials),
        status=status, deadline=paid_at + dt.timedelta(minutes=15), paid_at=paid_at,
    )  # fmt: skip
    payment = Payment.objects.create(
        order=order, gateway="simbank", bank_txn_id=txn or f"T{n:08d}", amount_fen=order.amount_fen,
        status=payment_status, paid_at=paid_at,
    )  # fmt: skip
    return order, payment


def refund(
    order: Order, payment: Payment, *, amount: int, completed_at: dt.datetime | None = None, status: str = "succeeded"
) -> Refund:
    n = next(_seq)
    completed_at = completed_at or at(hour=15)
    r = Refund.objects.create(
        refund_no=f"R{n:08d}", order=order, payment=payment, reason="withdrawal", fee_part_fen=amount,
        materials_part_fen=0, amount_fen=amount, status=status, bank_refund_id=f"BR{n:08d}",
        completed_at=completed_at if status == "succeeded" else None,
    )  # fmt: skip
    if status == "succeeded":
        order.refunded_fen += amount
        if order.refunded_fen == order.amount_fen:
            order.status = "refunded"
        order.save(update_fields=["refunded_fen", "status"])
    return r


def csv_of(
    lines: list[tuple[str, str, str, int, dt.datetime]], *, total: str | None = None, style: str = "simbank"
) -> str:
    """A statement in the bank's format: header, lines, then the totals line (computed unless `total` is given)."""
    out = ["type,reference,txn_id,amount_fen,time"]
    for kind, ref, txn, fen, when in lines:
        out.append(f"{kind},{ref},{txn},{fen},{when.isoformat()}")
    net = sum(fen if kind == "payment" else -fen for kind, _r, _t, fen, _w in lines)
    n_pay = sum(1 for line in lines if line[0] == "payment")
    if total is None:
        if style == "simbank":
            total = f"totals,payments={n_pay};refunds={len(lines) - n_pay},,{net},"
        else:
            total = f"TOTAL,{len(lines)},,{net},"
    out.append(total)
    return "\n".join(out) + "\n"


def now() -> dt.datetime:
    return timezone.now()

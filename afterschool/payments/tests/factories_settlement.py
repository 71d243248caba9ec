"""Helpers for settlement tests: an organization's section at a school, lessons, enrolments, orders and refunds."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from afterschool.courses.tests.factories import CourseFactory
from afterschool.enrollment.models import Enrollment
from afterschool.enrollment.tests.factories import EnrollmentFactory
from afterschool.payments.models import Order, Refund, SettlementTerms
from afterschool.scheduling.models import Lesson, Section
from afterschool.scheduling.tests.factories import LessonFactory, SectionFactory

_seq = iter(range(1, 10**6))


def aware(day: dt.date, hour: int = 12) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=timezone.get_current_timezone())


def org_section(school: Any, organization: Any, **kwargs: Any) -> Section:
    from afterschool.schools.models import Term

    term = Term.objects.filter(school=school).first()
    if term is not None:
        kwargs.setdefault("term", term)
    return SectionFactory(school=school, course=CourseFactory(owner_organization=organization), **kwargs)


def lesson(section: Section, day: dt.date, *, status: str = "scheduled", at: dt.time = dt.time(15, 40)) -> Lesson:
    return LessonFactory(
        section=section, date=day, starts_at=at, ends_at=dt.time(at.hour + 1, at.minute), status=status
    )


def enrol(section: Section, *, created: dt.date, ended: dt.date | None = None, status: str = "active") -> Enrollment:
    enrolment = EnrollmentFactory(section=section, status=status)
    Enrollment.objects.filter(pk=enrolment.pk).update(
        created_at=aware(created, 8), ended_at=aware(ended, 20) if ended else None
    )
    return enrolment


def paid_order(enrolment: Enrollment, *, fee_fen: int, paid_on: dt.date, materials_fen: int = 0,
               status: str = "paid") -> Order:  # fmt: skip
    n = next(_seq)
    return Order.objects.create(
        order_no=f"T{n:010d}",
        school=enrolment.section.school,
        section=enrolment.section,
        student=enrolment.student,
        enrollment=enrolment,
        fee_fen=fee_fen,
        materials_fen=materials_fen,
        amount_fen=fee_fen + materials_fen,
        status=status,
        deadline=aware(paid_on),
        paid_at=aware(paid_on),
    )


def refund(
    order: Order, *, fee_part_fen: int, on: dt.date, status: str = "succeeded", materials_part_fen: int = 0
) -> Refund:
    n = next(_seq)
    order.refunded_fen += fee_part_fen + materials_part_fen
    order.save(update_fields=["refunded_fen"])
    return Refund.objects.create(
        refund_no=f"R{n:010d}",
        order=order,
        reason="withdrawal",
        fee_part_fen=fee_part_fen,
        materials_part_fen=materials_part_fen,
        amount_fen=fee_part_fen + materials_part_fen,
        status=status,
        completed_at=aware(on),
    )


def terms(school: Any, organization: Any, *, mode: str, rate_fen: int = 0, share_permille: int = 0,
          starts_on: dt.date = dt.date(2026, 9, 1), ends_on: dt.date | None = None) -> SettlementTerms:  # fmt: skip
    return SettlementTerms.objects.create(
        school=school, organization=organization, mode=mode, rate_fen=rate_fen, share_permille=share_permille,
        starts_on=starts_on, ends_on=ends_on,
    )  # fmt: skip

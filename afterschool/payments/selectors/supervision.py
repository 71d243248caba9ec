"""Reads of fee supervision (§5.1.3, §5.2.4.2): the bureau's school-level and student-level views of payments, and
a school's selection statistics and order details. Every list is one aggregate query (no N+1)."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import (
    Count,
    DateTimeField,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce

from afterschool.accounts.choices import Role
from afterschool.core.errors import NotFound
from afterschool.enrollment.choices import SEAT_HOLDING
from afterschool.enrollment.models import Enrollment
from afterschool.payments.choices import OrderStatus, RefundStatus, WaitlistStatus
from afterschool.payments.models import Order, Refund, WaitlistEntry
from afterschool.scheduling.models import Section
from afterschool.tenancy.actor import Actor
from afterschool.tenancy.scoping import get_scoped_or_404, scoped

CST = ZoneInfo("Asia/Shanghai")
PAID_STATUSES = (OrderStatus.PAID, OrderStatus.REFUNDED)
BUREAU_READERS = (Role.BUREAU_ADMIN, Role.SYSTEM_ADMIN)
SCHOOL_READERS = (Role.SCHOOL_ADMIN, Role.SYSTEM_ADMIN)


def _allowed(actor: Actor, roles: tuple[str, ...]) -> bool:
    return actor.is_system_admin or actor.has_role(*roles)


def _bounds(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=CST)


def paid_orders(*, actor: Actor, filters: dict[str, Any] | None = None) -> QuerySet[Order]:
    """Paid orders (paid, or refunded since) the actor may see, filtered by school, academic year (of the section's
    term), section, payment time (dates, Asia/Shanghai) and q (student name, 学籍号 or order no)."""
    filters = filters or {}
    visible = scoped(Order.objects.all(), actor).values("pk")
    queryset = Order.objects.filter(pk__in=visible, status__in=PAID_STATUSES, paid_at__isnull=False)
    if filters.get("school"):
        queryset = queryset.filter(school_id=filters["school"])
    if filters.get("academic_year"):
        queryset = queryset.filter(section__term__academic_year=filters["academic_year"])
    if filters.get("section"):
        queryset = queryset.filter(section_id=filters["section"])
    if filters.get("paid_from"):
        queryset = queryset.filter(paid_at__gte=_bounds(filters["paid_from"]))
    if filters.get("paid_to"):
        queryset = queryset.filter(paid_at__lt=_bounds(filters["paid_to"] + dt.timedelta(days=1)))
    if filters.get("refunded") == "yes":
        queryset = queryset.filter(refunded_fen__gt=0)
    elif filters.get("refunded") == "no":
        queryset = queryset.filter(refunded_fen=0)
    if q := (filters.get("q") or "").strip():
        queryset = queryset.filter(
            Q(student__name__icontains=q) | Q(student__student_number__icontains=q) | Q(order_no__icontains=q)
        )
    return queryset


def school_totals(*, actor: Actor, filters: dict[str, Any] | None = None) -> QuerySet[Any]:
    """Per school: orders paid, amount, refunded, net (fen) — one grouped query. Bureau and platform only."""
    if not _allowed(actor, BUREAU_READERS):
        return Order.objects.none().values("school_id")
    return (
        paid_orders(actor=actor, filters=filters)
        .order_by()
        .values("school_id", "school__name")
        .annotate(
            orders=Count("pk"),
            amount_fen=Coalesce(Sum("amount_fen"), 0),
            refunded_fen=Coalesce(Sum("refunded_fen"), 0),
        )
        .annotate(net_fen=F("amount_fen") - F("refunded_fen"))
        .order_by("school__name", "school_id")
    )


def _last_refund() -> Subquery:
    return Subquery(
        Refund.objects.filter(order=OuterRef("pk"), status=RefundStatus.SUCCEEDED)
        .order_by("-completed_at")
        .values("completed_at")[:1],
        output_field=DateTimeField(),
    )


def order_details(*, actor: Actor, filters: dict[str, Any] | None = None) -> QuerySet[Order]:
    """Paid orders with student, section and term, and the time of the last succeeded refund (`refunded_at`)."""
    return (
        paid_orders(actor=actor, filters=filters)
        .select_related("school", "student", "student__school_class", "section", "section__term")
        .annotate(refunded_at=_last_refund())
        .order_by("-paid_at", "-pk")
    )


def student_level(*, actor: Actor, school_id: int, filters: dict[str, Any] | None = None) -> QuerySet[Order]:
    """The bureau's drill-down into one school (404 when the school is outside its region)."""
    from afterschool.tenancy.models import School

    if not _allowed(actor, BUREAU_READERS):
        raise NotFound()
    get_scoped_or_404(School.objects.all(), actor, pk=school_id)
    return order_details(actor=actor, filters={**(filters or {}), "school": school_id})


def school_orders(*, actor: Actor, filters: dict[str, Any] | None = None) -> QuerySet[Order]:
    """A school admin's order details (own school by scope)."""
    if not _allowed(actor, SCHOOL_READERS):
        return Order.objects.none()
    return order_details(actor=actor, filters=filters)


def _count(queryset: QuerySet[Any]) -> Subquery:
    return Subquery(
        queryset.order_by().values("section_id").annotate(n=Count("pk")).values("n")[:1], output_field=IntegerField()
    )


def _sum(queryset: QuerySet[Any], field: str) -> Subquery:
    return Subquery(
        queryset.order_by().values("section_id").annotate(s=Sum(field)).values("s")[:1], output_field=IntegerField()
    )


def section_stats(*, actor: Actor, filters: dict[str, Any] | None = None) -> QuerySet[Section]:
    """Per section of the school: seats, taken, paid, pending, waitlisted, revenue and refunds (fen) — one query
    with correlated subqueries. School admins (own school) and the platform."""
    filters = filters or {}
    if not _allowed(actor, SCHOOL_READERS):
        return Section.objects.none()
    queryset = scoped(Section.objects.select_related("term", "course"), actor)
    if filters.get("school"):
        queryset = queryset.filter(school_id=filters["school"])
    if filters.get("academic_year"):
        queryset = queryset.filter(term__academic_year=filters["academic_year"])
    if filters.get("section"):
        queryset = queryset.filter(pk=filters["section"])
    if q := (filters.get("q") or "").strip():
        queryset = queryset.filter(Q(name__icontains=q) | Q(course__name__icontains=q))
    orders = Order.objects.filter(section=OuterRef("pk"))
    zero = Value(0)
    return queryset.annotate(
        taken=Coalesce(_count(Enrollment.objects.filter(section=OuterRef("pk"), status__in=SEAT_HOLDING)), zero),
        paid=Coalesce(_count(orders.filter(status__in=PAID_STATUSES)), zero),
        pending=Coalesce(_count(orders.filter(status=OrderStatus.PENDING)), zero),
        waitlisted=Coalesce(
            _count(WaitlistEntry.objects.filter(section=OuterRef("pk"), status=WaitlistStatus.WAITING)), zero
        ),
        revenue_fen=Coalesce(_sum(orders.filter(status__in=PAID_STATUSES), "amount_fen"), zero),
        refunds_fen=Coalesce(_sum(orders.filter(status__in=PAID_STATUSES), "refunded_fen"), zero),
    ).order_by("-term__academic_year", "name", "pk")


def mask_student_number(value: str) -> str:
    if len(value) <= 4:
        return "*" * len(value)
    return value[:2] + "*" * (len(value) - 4) + value[-2:]

"""Reads of refunds: parents see their children's, school admins their school's, the bureau its region's; a refund
out of scope answers as missing (404)."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from afterschool.accounts.choices import Role
from afterschool.payments.models import Order, Refund
from afterschool.payments.selectors.orders import order_get
from afterschool.tenancy.actor import Actor
from afterschool.tenancy.scoping import get_scoped_or_404, scoped

REFUND_READERS = (Role.PARENT, Role.SCHOOL_ADMIN, Role.BUREAU_ADMIN, Role.SYSTEM_ADMIN)


def _base(actor: Actor) -> QuerySet[Refund]:
    if not actor.is_system_admin and not actor.has_role(*REFUND_READERS):
        return Refund.objects.none()
    return scoped(Refund.objects.all(), actor).select_related(
        "order", "order__section", "order__student", "order__student__school_class", "order__school", "payment",
        "requested_by", "decided_by",
    )  # fmt: skip


def refund_list(*, actor: Actor, filters: dict[str, Any] | None = None) -> QuerySet[Refund]:
    """Filters: status, reason, section, order, q (student name or number, refund or order number)."""
    filters = filters or {}
    qs = _base(actor)
    if filters.get("status"):
        qs = qs.filter(status=filters["status"])
    if filters.get("reason"):
        qs = qs.filter(reason=filters["reason"])
    if filters.get("section"):
        qs = qs.filter(order__section_id=filters["section"])
    if filters.get("order"):
        qs = qs.filter(order_id=filters["order"])
    q = (filters.get("q") or "").strip()
    if q:
        qs = qs.filter(
            Q(order__student__name__icontains=q) | Q(order__student__student_number=q) | Q(refund_no=q)
            | Q(order__order_no=q)
        )  # fmt: skip
    return qs.order_by("-created_at", "-pk")


def refund_get(*, actor: Actor, refund_id: int) -> Refund:
    return get_scoped_or_404(_base(actor), actor, pk=refund_id)


def refund_order_get(*, actor: Actor, order_id: int) -> Order:
    """The order a refund is asked for or quoted on (the orders area's scoped read: 404 when out of scope)."""
    return order_get(actor=actor, order_id=order_id)


def open_refund(order: Order) -> Refund | None:
    return Refund.objects.filter(order=order, status__in=("requested", "processing")).order_by("-pk").first()

"""Reads of payments: an order by its number (for the bank's return page) and an order's payments."""

from __future__ import annotations

from django.db.models import QuerySet

from afterschool.payments.models import Order, Payment
from afterschool.payments.selectors.orders import order_list
from afterschool.tenancy.actor import Actor
from afterschool.tenancy.scoping import get_scoped_or_404, scoped


def order_by_no(*, actor: Actor, order_no: str) -> Order:
    """The order the actor may read, by its number (404 for a missing or a foreign one)."""
    return get_scoped_or_404(order_list(actor=actor), actor, order_no=str(order_no)[:32])


def payment_list(*, actor: Actor, order: Order) -> QuerySet[Payment]:
    """The payments of an order the actor has read already (through `order_get`)."""
    return scoped(Payment.objects.filter(order=order), actor).order_by("-created_at", "-id")

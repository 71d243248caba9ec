"""Reads of notifications: a person sees only its own, whatever its role (a system admin's centre too holds only
what was sent to it)."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, Q, QuerySet

from afterschool.tenancy.actor import Actor
from afterschool.tenancy.scoping import get_or_404, scoped

from ..models import Delivery, Notification


def own_notifications(*, actor: Actor) -> QuerySet[Notification]:
    """The actor's own notifications: scoped (owner rule), and limited to the recipient even for a system admin,
    whose scope would otherwise be everybody's."""
    if actor.user_id is None:
        return Notification.objects.none()
    return scoped(Notification.objects.all(), actor).filter(recipient_id=actor.user_id)


def notification_list(*, actor: Actor, filters: dict[str, Any] | None = None) -> QuerySet[Notification]:
    """Newest first; filters: q (title or body), kind, unread."""
    filters = filters or {}
    qs = own_notifications(actor=actor)
    q = (filters.get("q") or "").strip()
    if q:
        qs = qs.filter(Q(title__icontains=q) | Q(body__icontains=q))
    if filters.get("kind"):
        qs = qs.filter(kind=filters["kind"])
    if filters.get("unread") in (True, "true", "1", "on"):
        qs = qs.filter(read_at__isnull=True)
    deliveries = Prefetch("deliveries", queryset=Delivery.objects.order_by("channel"))
    return qs.prefetch_related(deliveries).order_by("-created_at", "-id")


def notification_get(*, actor: Actor, notification_id: int) -> Notification:
    """One of the actor's own notifications; another's is NotFound exactly like a missing one."""
    deliveries = Prefetch("deliveries", queryset=Delivery.objects.order_by("channel"))
    return get_or_404(own_notifications(actor=actor).prefetch_related(deliveries), pk=notification_id)


def unread_count(*, actor: Actor) -> int:
    return own_notifications(actor=actor).filter(read_at__isnull=True).count()

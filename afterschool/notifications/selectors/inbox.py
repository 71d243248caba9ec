"""Reads of notifications: a person sees only its own (ScopeRule owner), whatever its role."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from afterschool.tenancy.actor import Actor
from afterschool.tenancy.scoping import scoped

from ..models import Notification


def notification_list(*, actor: Actor, filters: dict[str, Any] | None = None) -> QuerySet[Notification]:
    filters = filters or {}
    qs = scoped(Notification.objects.all(), actor)
    q = (filters.get("q") or "").strip()
    if q:
        qs = qs.filter(Q(title__icontains=q) | Q(body__icontains=q))
    if filters.get("kind"):
        qs = qs.filter(kind=filters["kind"])
    if filters.get("unread") in (True, "true", "1"):
        qs = qs.filter(read_at__isnull=True)
    return qs.order_by("-created_at", "-id")


def unread_count(*, actor: Actor) -> int:
    return scoped(Notification.objects.filter(read_at__isnull=True), actor).count()

"""Reads of venues (场地)."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from afterschool.tenancy.actor import Actor

from ..models import Venue
from .structure import get_readable_or_404, readable


def venue_list(*, actor: Actor, filters: dict[str, Any] | None = None) -> QuerySet[Venue]:
    filters = filters or {}
    qs = readable(Venue.objects.select_related("school"), actor)
    q = (filters.get("q") or "").strip()
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(location__icontains=q))
    if filters.get("kind"):
        qs = qs.filter(kind=filters["kind"])
    active = filters.get("is_active")
    if active in (True, "true", "1", "yes"):
        qs = qs.filter(is_active=True)
    elif active in (False, "false", "0", "no"):
        qs = qs.filter(is_active=False)
    if filters.get("school"):
        qs = qs.filter(school_id=filters["school"])
    return qs.order_by("school__code", "name")


def venue_get(*, actor: Actor, venue_id: Any) -> Venue:
    return get_readable_or_404(Venue.objects.select_related("school"), actor, pk=venue_id)

"""Reads of the after-school slot grid (课后服务时段): the school's admins and its bureau."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from afterschool.schools.selectors.structure import get_readable_or_404, readable
from afterschool.tenancy.actor import Actor

from ..models import TimeSlot


def time_slot_list(*, actor: Actor, filters: dict[str, Any] | None = None) -> QuerySet[TimeSlot]:
    filters = filters or {}
    qs = readable(TimeSlot.objects.select_related("school"), actor)
    q = (filters.get("q") or "").strip()
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(school__name__icontains=q))
    weekday = str(filters.get("weekday") or "")
    if weekday.isdigit():
        qs = qs.filter(weekday=int(weekday))
    if filters.get("school"):
        qs = qs.filter(school_id=filters["school"])
    return qs.order_by("school__code", "weekday", "starts_at")


def time_slot_get(*, actor: Actor, slot_id: Any) -> TimeSlot:
    return get_readable_or_404(TimeSlot.objects.select_related("school"), actor, pk=slot_id)

"""Reads of a school's emergency contacts (应急联系人)."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from afterschool.tenancy.actor import Actor

from ..models import EmergencyContact
from .structure import get_readable_or_404, readable


def contact_list(*, actor: Actor, filters: dict[str, Any] | None = None) -> QuerySet[EmergencyContact]:
    filters = filters or {}
    qs = readable(EmergencyContact.objects.select_related("school"), actor)
    q = (filters.get("q") or "").strip()
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(title__icontains=q) | Q(phone__contains=q))
    if filters.get("school"):
        qs = qs.filter(school_id=filters["school"])
    return qs.order_by("school__code", "order", "id")


def contact_get(*, actor: Actor, contact_id: Any) -> EmergencyContact:
    return get_readable_or_404(EmergencyContact.objects.select_related("school"), actor, pk=contact_id)

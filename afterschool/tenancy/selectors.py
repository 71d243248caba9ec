"""Reads of regions, schools and organizations, each scoped to the actor."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from afterschool.tenancy.actor import Actor
from afterschool.tenancy.scoping import get_scoped_or_404, scoped

from .models import Organization, Partnership, Region, School


def region_list(*, actor: Actor, filters: dict[str, Any] | None = None) -> QuerySet[Region]:
    filters = filters or {}
    qs = scoped(Region.objects.select_related("parent"), actor)
    q = (filters.get("q") or "").strip()
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(code__startswith=q))
    if filters.get("level"):
        qs = qs.filter(level=filters["level"])
    return qs.order_by("code")


def region_get(*, actor: Actor, region_id: Any) -> Region:
    return get_scoped_or_404(Region.objects.select_related("parent"), actor, pk=region_id)


def school_list(*, actor: Actor, filters: dict[str, Any] | None = None) -> QuerySet[School]:
    filters = filters or {}
    qs = scoped(School.objects.select_related("region"), actor)
    q = (filters.get("q") or "").strip()
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(code__startswith=q) | Q(address__icontains=q))
    for field in ("school_type", "nature"):
        if filters.get(field):
            qs = qs.filter(**{field: filters[field]})
    if filters.get("region"):
        qs = qs.filter(region_id=filters["region"])
    return qs.order_by("code")


def school_get(*, actor: Actor, school_id: Any) -> School:
    return get_scoped_or_404(School.objects.select_related("region"), actor, pk=school_id)


def organization_list(*, actor: Actor, filters: dict[str, Any] | None = None) -> QuerySet[Organization]:
    filters = filters or {}
    qs = scoped(Organization.objects.select_related("region"), actor)
    q = (filters.get("q") or "").strip()
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(credit_code__startswith=q.upper()))
    for field in ("status", "kind"):
        if filters.get(field):
            qs = qs.filter(**{field: filters[field]})
    return qs.order_by("credit_code")


def organization_get(*, actor: Actor, organization_id: Any) -> Organization:
    return get_scoped_or_404(Organization.objects.select_related("region"), actor, pk=organization_id)


def partnership_list(*, actor: Actor) -> QuerySet[Partnership]:
    return scoped(Partnership.objects.select_related("school", "organization"), actor)


def tenancy_summary(*, actor: Actor) -> dict[str, int]:
    """The counts a role's home page opens with."""
    if not actor.is_authenticated:
        return {}
    return {
        "regions": region_list(actor=actor).count(),
        "schools": school_list(actor=actor).count(),
        "organizations": organization_list(actor=actor).count(),
    }

"""Reads of regions, schools and organizations, each scoped to the actor."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from afterschool.accounts.choices import OrgPermission, Role
from afterschool.core.errors import NotFound
from afterschool.tenancy.actor import Actor
from afterschool.tenancy.scoping import get_scoped_or_404, scoped

from .choices import OrganizationStatus, PartnershipStatus
from .models import Organization, OrganizationApplication, OrganizationStatusChange, Partnership, Region, School


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


def _org_without(actor: Actor, permission: str) -> bool:
    """An organization actor lacking the org permission reads nothing of that kind."""
    return actor.organization_id is not None and not actor.has_org_permission(permission)


def partnership_list(*, actor: Actor, filters: dict[str, Any] | None = None) -> QuerySet[Partnership]:
    """A school its own, an organization its own (with PARTNERSHIP_VIEW), the bureau those of its region."""
    filters = filters or {}
    qs = scoped(Partnership.objects.select_related("school", "organization", "school__region"), actor)
    if _org_without(actor, OrgPermission.PARTNERSHIP_VIEW):
        return qs.none()
    q = (filters.get("q") or "").strip()
    if q:
        qs = qs.filter(Q(school__name__icontains=q) | Q(organization__name__icontains=q))
    for field, lookup in (("school", "school_id"), ("organization", "organization_id"), ("status", "status")):
        value = filters.get(field)
        if value:
            qs = qs.filter(**{lookup: value})
    return qs.order_by("-starts_on", "-id")


def partnership_get(*, actor: Actor, partnership_id: Any) -> Partnership:
    if _org_without(actor, OrgPermission.PARTNERSHIP_VIEW):
        raise NotFound()
    return get_scoped_or_404(
        Partnership.objects.select_related("school", "organization", "school__region"), actor, pk=partnership_id
    )


def partnership_organization_choices(*, school: School | None) -> QuerySet[Organization]:
    """What a school may start cooperating with: the ACTIVE organizations of its region (all, for no school)."""
    qs = Organization.objects.filter(status=OrganizationStatus.ACTIVE)
    if school is not None:
        qs = qs.filter(region_id=school.region_id)
    return qs.order_by("name")


def active_partner_schools(*, organization: Organization) -> QuerySet[School]:
    """Schools with an active partnership with the organization (shown before it is suspended or exits)."""
    return (
        School.objects.filter(partnerships__organization=organization, partnerships__status=PartnershipStatus.ACTIVE)
        .distinct()
        .order_by("code")
    )


def organization_status_history(*, actor: Actor, organization_id: Any) -> QuerySet[OrganizationStatusChange]:
    organization = organization_get(actor=actor, organization_id=organization_id)
    return OrganizationStatusChange.objects.filter(organization=organization).select_related("changed_by")


# --- organization applications ------------------------------------------------------------------------------


def _reviewer(actor: Actor) -> bool:
    return actor.is_system_admin or actor.has_role(Role.BUREAU_ADMIN)


def application_list(*, actor: Actor, filters: dict[str, Any] | None = None) -> QuerySet[OrganizationApplication]:
    """Applications of the bureau's region (all for a system admin); nobody else reviews them."""
    filters = filters or {}
    qs = scoped(OrganizationApplication.objects.select_related("region", "reviewed_by"), actor)
    if not _reviewer(actor):
        return qs.none()
    q = (filters.get("q") or "").strip()
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(credit_code__startswith=q.upper()) | Q(reference=q.upper()))
    for field, lookup in (("status", "status"), ("kind", "kind"), ("region", "region_id")):
        value = filters.get(field)
        if value:
            qs = qs.filter(**{lookup: value})
    return qs.order_by("-created_at", "-id")


def application_get(*, actor: Actor, application_id: Any) -> OrganizationApplication:
    if not _reviewer(actor):
        raise NotFound()
    return get_scoped_or_404(
        OrganizationApplication.objects.select_related("region", "reviewed_by", "organization"),
        actor,
        pk=application_id,
    )


def application_history(*, actor: Actor, application: OrganizationApplication) -> QuerySet[OrganizationApplication]:
    """Earlier applications with the same credit code (that the actor may see)."""
    return application_list(actor=actor).filter(
        credit_code=application.credit_code, created_at__lt=application.created_at
    )


def application_lookup(*, reference: str, credit_code: str) -> OrganizationApplication | None:
    """The public status look-up: both the reference number and the credit code must match."""
    reference = (reference or "").strip().upper()
    credit_code = (credit_code or "").strip().upper()
    if not reference or not credit_code:
        return None
    return OrganizationApplication.objects.filter(reference=reference, credit_code=credit_code).first()


def review_region_choices(*, actor: Actor) -> list[tuple[str, str]]:
    return [(str(r.pk), r.name) for r in region_list(actor=actor).filter(level="district")]


def tenancy_summary(*, actor: Actor) -> dict[str, int]:
    """The counts a role's home page opens with."""
    if not actor.is_authenticated:
        return {}
    return {
        "regions": region_list(actor=actor).count(),
        "schools": school_list(actor=actor).count(),
        "organizations": organization_list(actor=actor).count(),
    }

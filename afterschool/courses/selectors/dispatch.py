"""Reads of teacher dispatches (外派, §5.5.2), each scoped to the actor.

Who reads: the organization's managers (admin, or `org.dispatch_manage`) all its dispatches; an organization
teacher with an account its own; a school admin the dispatches to its school; the bureau those of its region.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q, QuerySet

from afterschool.accounts.choices import ORG_ROLES, OrgPermission, Role
from afterschool.tenancy.actor import Actor
from afterschool.tenancy.choices import PartnershipStatus
from afterschool.tenancy.models import School
from afterschool.tenancy.scoping import get_scoped_or_404, scoped

from ..choices import BackgroundCheck, DispatchStatus
from ..models import Dispatch, OrgTeacher

ADMIN_READERS = (Role.SYSTEM_ADMIN, Role.BUREAU_ADMIN, Role.SCHOOL_ADMIN)
PAGE_READERS = (*ADMIN_READERS, *ORG_ROLES)


def _manages(actor: Actor) -> bool:
    return actor.has_role(*ORG_ROLES) and actor.has_org_permission(OrgPermission.DISPATCH_MANAGE)


def _dispatches(actor: Actor, *, manage: bool = False) -> QuerySet[Dispatch]:
    qs = Dispatch.objects.select_related("organization", "teacher", "school")
    if actor.is_system_admin:
        return qs
    if manage:
        return scoped(qs, actor) if _manages(actor) else qs.none()
    if actor.has_role(Role.BUREAU_ADMIN, Role.SCHOOL_ADMIN) or _manages(actor):
        return scoped(qs, actor)
    if actor.has_role(Role.ORG_TEACHER) and actor.user_id is not None:
        return scoped(qs, actor).filter(teacher__user_id=actor.user_id)
    return qs.none()


def _date(value: Any) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value or ""))
    except ValueError:
        return None


def dispatch_list(*, actor: Actor, filters: dict[str, Any] | None = None) -> QuerySet[Dispatch]:
    """q: teacher or school name (part); date: dispatches whose period includes that day."""
    filters = filters or {}
    qs = _dispatches(actor)
    q = str(filters.get("q") or "").strip()
    if q:
        qs = qs.filter(Q(teacher__name__icontains=q) | Q(school__name__icontains=q))
    if filters.get("school"):
        qs = qs.filter(school_id=filters["school"])
    if filters.get("teacher"):
        qs = qs.filter(teacher_id=filters["teacher"])
    if filters.get("status") in DispatchStatus.values:
        qs = qs.filter(status=filters["status"])
    day = _date(filters.get("date"))
    if day is not None:
        qs = qs.filter(starts_on__lte=day, ends_on__gte=day)
    return qs.order_by("-starts_on", "-id")


def dispatch_get(*, actor: Actor, dispatch_id: Any, manage: bool = False) -> Dispatch:
    return get_scoped_or_404(_dispatches(actor, manage=manage), actor, pk=dispatch_id)


# --- choices for forms and filters ---------------------------------------------------------------


def dispatchable_teachers(*, actor: Actor) -> QuerySet[OrgTeacher]:
    """Teachers the actor's organization may dispatch: active, background check passed."""
    if not (actor.is_system_admin or _manages(actor)):
        return OrgTeacher.objects.none()
    qs = scoped(OrgTeacher.objects.select_related("organization"), actor)
    return qs.filter(is_active=True, background_check=BackgroundCheck.PASSED).order_by("name", "id")


def partner_schools(*, actor: Actor) -> QuerySet[School]:
    """Schools with an active partnership with the actor's organization (any organization for a system admin)."""
    if not (actor.is_system_admin or _manages(actor)):
        return School.objects.none()
    partnered = Q(partnerships__status=PartnershipStatus.ACTIVE)
    if actor.organization_id is not None:
        partnered &= Q(partnerships__organization_id=actor.organization_id)
    return School.objects.filter(partnered).distinct().order_by("name")


def school_filter_choices(*, actor: Actor) -> list[tuple[str, str]]:
    ids = _dispatches(actor).values("school_id")
    return [(str(s.pk), s.name) for s in School.objects.filter(pk__in=ids).order_by("name")]


def teacher_filter_choices(*, actor: Actor) -> list[tuple[str, str]]:
    ids = _dispatches(actor).values("teacher_id")
    return [(str(t.pk), t.name) for t in OrgTeacher.objects.filter(pk__in=ids).order_by("name", "id")]

"""Reads of organization teachers (§5.1.2 师资管理) and their certificates, each scoped to the actor.

Who reads: the organization (its admin, and staff or teachers holding `org.teacher_view`); the bureau (every
teacher of its region's organizations); a school admin only the teachers dispatched to its school (the scope
rule). School teachers, parents and students see none. Exact search by a full mobile or ID number goes through
the keyed index (HMAC-SM3).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from afterschool.accounts.choices import ORG_ROLES, OrgPermission, Role
from afterschool.schools.selectors.people import id_number_index_for, mobile_index_for
from afterschool.tenancy.actor import Actor
from afterschool.tenancy.models import Organization
from afterschool.tenancy.scoping import get_scoped_or_404, scoped

from ..choices import BackgroundCheck
from ..models import OrgTeacher, TeacherCertificate

ADMIN_READERS = (Role.SYSTEM_ADMIN, Role.BUREAU_ADMIN, Role.SCHOOL_ADMIN)
PAGE_READERS = (*ADMIN_READERS, *ORG_ROLES)


def may_read_teachers(actor: Actor) -> bool:
    if actor.is_system_admin or actor.has_role(*ADMIN_READERS):
        return True
    return actor.has_role(*ORG_ROLES) and actor.has_org_permission(OrgPermission.TEACHER_VIEW)


def may_edit_teachers(actor: Actor) -> bool:
    return actor.is_system_admin or (
        actor.has_role(*ORG_ROLES) and actor.has_org_permission(OrgPermission.TEACHER_EDIT)
    )


def sees_personal_data(actor: Actor) -> bool:
    """Schools see dispatched teachers with masked values only; the organization and the bureau may reveal."""
    return not actor.has_role(Role.SCHOOL_ADMIN) and may_read_teachers(actor)


def _flag(value: Any) -> bool | None:
    if value in (True, "1", "true", "True"):
        return True
    if value in (False, "0", "false", "False"):
        return False
    return None


def _teachers(actor: Actor) -> QuerySet[OrgTeacher]:
    if not may_read_teachers(actor):
        return OrgTeacher.objects.none()
    return scoped(OrgTeacher.objects.select_related("organization"), actor)


def teacher_list(*, actor: Actor, filters: dict[str, Any] | None = None) -> QuerySet[OrgTeacher]:
    """q: name (part), or a full mobile or ID number (exact, through the index)."""
    filters = filters or {}
    qs = _teachers(actor)
    q = str(filters.get("q") or "").strip()
    if q:
        cond = Q(name__icontains=q)
        mobile_index = mobile_index_for(q)
        if mobile_index:
            cond |= Q(mobile_index=mobile_index)
        id_index = id_number_index_for(q)
        if id_index:
            cond |= Q(id_number_index=id_index)
        qs = qs.filter(cond)
    if filters.get("organization"):
        qs = qs.filter(organization_id=filters["organization"])
    if filters.get("background_check") in BackgroundCheck.values:
        qs = qs.filter(background_check=filters["background_check"])
    active = _flag(filters.get("is_active"))
    if active is not None:
        qs = qs.filter(is_active=active)
    has_certificate = _flag(filters.get("has_certificate"))
    if has_certificate is not None:
        files = TeacherCertificate.objects.filter(teacher=OuterRef("pk"))
        qs = qs.filter(Exists(files)) if has_certificate else qs.exclude(Exists(files))
    return qs.order_by("organization_id", "name", "id")


def teacher_get(*, actor: Actor, teacher_id: Any) -> OrgTeacher:
    return get_scoped_or_404(_teachers(actor), actor, pk=teacher_id)


def organization_choices(*, actor: Actor) -> QuerySet[Organization]:
    """Organizations for the list filter: those whose teachers the actor may see."""
    if not may_read_teachers(actor):
        return Organization.objects.none()
    return Organization.objects.filter(pk__in=_teachers(actor).values("organization_id")).order_by("name")


# --- certificates -------------------------------------------------------------------------------


def certificate_list(*, actor: Actor, teacher: OrgTeacher) -> QuerySet[TeacherCertificate]:
    teacher = teacher_get(actor=actor, teacher_id=teacher.pk)
    return TeacherCertificate.objects.filter(teacher=teacher).order_by("id")


def certificate_get(*, actor: Actor, certificate_id: Any, teacher_id: Any = None) -> TeacherCertificate:
    if not may_read_teachers(actor):
        return get_scoped_or_404(TeacherCertificate.objects.none(), actor, pk=certificate_id)
    lookup: dict[str, Any] = {"pk": certificate_id}
    if teacher_id is not None:
        lookup["teacher_id"] = teacher_id
    return get_scoped_or_404(TeacherCertificate.objects.select_related("teacher__organization"), actor, **lookup)


# --- bureau summary ------------------------------------------------------------------------------


def teacher_summary(*, actor: Actor, filters: dict[str, Any] | None = None) -> QuerySet[Organization]:
    """Per organization of the actor's region: active teachers and their qualifications, in one query."""
    if not (actor.is_system_admin or actor.has_role(Role.BUREAU_ADMIN)):
        return Organization.objects.none()
    filters = filters or {}
    active = Q(teachers__is_active=True)
    qs = scoped(Organization.objects.all(), actor).annotate(
        teacher_count=Count("teachers", filter=active, distinct=True),
        with_certificate_number=Count("teachers", filter=active & ~Q(teachers__certificate_number=""), distinct=True),
        with_certificate_files=Count(
            "teachers", filter=active & Q(teachers__certificates__isnull=False), distinct=True
        ),
        check_passed=Count(
            "teachers", filter=active & Q(teachers__background_check=BackgroundCheck.PASSED), distinct=True
        ),
        check_pending=Count(
            "teachers", filter=active & Q(teachers__background_check=BackgroundCheck.PENDING), distinct=True
        ),
        check_failed=Count(
            "teachers", filter=active & Q(teachers__background_check=BackgroundCheck.FAILED), distinct=True
        ),
    )
    q = str(filters.get("q") or "").strip()
    if q:
        qs = qs.filter(name__icontains=q)
    return qs.order_by("name", "id")

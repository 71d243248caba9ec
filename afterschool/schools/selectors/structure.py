"""Reads of grades, classes (and the staff a class may name as head teacher), each scoped to the actor.

Who reads the school's basic information: system admins, the bureau (its region's schools) and the school's
admins; teachers read only the timetable (see selectors/timetable.py). Everyone else sees nothing.
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.db.models import Model, Q, QuerySet

from afterschool.accounts.choices import Role
from afterschool.tenancy.actor import Actor
from afterschool.tenancy.scoping import get_scoped_or_404, scoped

from ..models import Grade, SchoolClass, Staff

M = TypeVar("M", bound=Model)

ADMIN_READERS = (Role.SYSTEM_ADMIN, Role.BUREAU_ADMIN, Role.SCHOOL_ADMIN)


def readable(queryset: QuerySet[M], actor: Actor, *, roles: tuple[str, ...] = ADMIN_READERS) -> QuerySet[M]:
    """`scoped()` for the roles that may read this kind of data; nothing for the other roles."""
    if not actor.is_system_admin and not actor.has_role(*roles):
        return queryset.none()
    return scoped(queryset, actor)


def get_readable_or_404(
    queryset: QuerySet[M], actor: Actor, *, roles: tuple[str, ...] = ADMIN_READERS, **lookup: Any
) -> M:
    return get_scoped_or_404(readable(queryset, actor, roles=roles), actor, **lookup)


def grade_list(*, actor: Actor, filters: dict[str, Any] | None = None) -> QuerySet[Grade]:
    filters = filters or {}
    qs = readable(Grade.objects.select_related("school"), actor)
    q = (filters.get("q") or "").strip()
    if q:
        qs = qs.filter(name__icontains=q)
    if filters.get("school"):
        qs = qs.filter(school_id=filters["school"])
    return qs.order_by("school__code", "level")


def grade_get(*, actor: Actor, grade_id: Any) -> Grade:
    return get_readable_or_404(Grade.objects.select_related("school"), actor, pk=grade_id)


def school_class_list(*, actor: Actor, filters: dict[str, Any] | None = None) -> QuerySet[SchoolClass]:
    filters = filters or {}
    qs = readable(SchoolClass.objects.select_related("school", "grade", "head_teacher"), actor)
    q = (filters.get("q") or "").strip()
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(grade__name__icontains=q) | Q(head_teacher__name__icontains=q))
    if filters.get("grade"):
        qs = qs.filter(grade_id=filters["grade"])
    if filters.get("school"):
        qs = qs.filter(school_id=filters["school"])
    return qs.order_by("school__code", "grade__level", "name")


def school_class_get(*, actor: Actor, school_class_id: Any) -> SchoolClass:
    return get_readable_or_404(
        SchoolClass.objects.select_related("school", "grade", "head_teacher"), actor, pk=school_class_id
    )


def staff_choices(*, actor: Actor) -> QuerySet[Staff]:
    """Active staff a form may offer (head teacher, timetable teacher): those of the actor's scope."""
    return readable(Staff.objects.filter(is_active=True).select_related("school"), actor).order_by(
        "school_id", "employee_number"
    )


def staff_lookup(*, actor: Actor, staff_id: int) -> Staff | None:
    """A staff member named by id in an API payload, if the actor can see it."""
    return readable(Staff.objects.all(), actor).filter(pk=staff_id).first()

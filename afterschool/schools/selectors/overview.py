"""The bureau's view of its schools (§5.1.1): one row per school with its head counts, and a read-only page of one
school's basic information. Bureau admins see their region's schools, the system admin all; nobody else."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from afterschool.accounts.choices import Role
from afterschool.core.errors import PermissionDenied
from afterschool.core.timeutil import local_today
from afterschool.tenancy.actor import Actor
from afterschool.tenancy.models import School
from afterschool.tenancy.scoping import get_scoped_or_404, scoped

from ..models import EmergencyContact, Grade, RegistrationWindow, SchoolClass, Staff, Student, Term, Venue

OVERVIEW_ROLES = (Role.SYSTEM_ADMIN, Role.BUREAU_ADMIN)


def overview_allowed(actor: Actor) -> bool:
    return actor.is_system_admin or actor.has_role(*OVERVIEW_ROLES)


def _require_reader(actor: Actor) -> None:
    if not overview_allowed(actor):
        raise PermissionDenied("只有教育局管理者可以查看学校概况")


def _count_of(queryset: QuerySet[Any]) -> Coalesce:
    """A correlated COUNT per school, so the list stays one query whatever the number of schools."""
    counts = queryset.filter(school=OuterRef("pk")).order_by().values("school").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counts, output_field=IntegerField()), 0)


def school_overview_list(*, actor: Actor, filters: dict[str, Any] | None = None) -> QuerySet[School]:
    """Schools of the actor's region with `staff_count`, `class_count` and `student_count` (active rows only)."""
    _require_reader(actor)
    filters = filters or {}
    qs = scoped(School.objects.select_related("region"), actor)
    q = (filters.get("q") or "").strip()
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(code__startswith=q))
    for name in ("school_type", "nature"):
        if filters.get(name):
            qs = qs.filter(**{name: filters[name]})
    return qs.annotate(
        staff_count=_count_of(Staff.objects.filter(is_active=True)),
        class_count=_count_of(SchoolClass.objects.all()),
        student_count=_count_of(Student.objects.filter(is_active=True)),
    ).order_by("code")


@dataclass
class SchoolOverview:
    """What the read-only school page shows."""

    school: School
    grades: Sequence[Grade]  # each with class_count and student_count
    staff_count: int
    student_count: int
    venues: list[Venue]
    emergency_contacts: list[EmergencyContact]
    term: Term | None
    registration_windows: list[RegistrationWindow]


def current_term(terms: QuerySet[Term], today: dt.date) -> Term | None:
    """The term running today; else the next one to start; else the last one that ended."""
    return (
        terms.filter(starts_on__lte=today, ends_on__gte=today).first()
        or terms.filter(starts_on__gt=today).order_by("starts_on").first()
        or terms.order_by("-ends_on").first()
    )


def school_overview_get(*, actor: Actor, school_id: Any) -> SchoolOverview:
    """One school of the actor's region with its grades, staff, venues, contacts and current term; 404 outside."""
    _require_reader(actor)
    school = get_scoped_or_404(School.objects.select_related("region"), actor, pk=school_id)
    grades = list(
        scoped(Grade.objects.filter(school=school), actor)
        .annotate(
            class_count=Count("classes", distinct=True),
            student_count=Count("students", filter=Q(students__is_active=True), distinct=True),
        )
        .order_by("level")
    )
    term = current_term(scoped(Term.objects.filter(school=school), actor), local_today())
    return SchoolOverview(
        school=school,
        grades=grades,
        staff_count=scoped(Staff.objects.filter(school=school, is_active=True), actor).count(),
        student_count=sum(g.student_count for g in grades),  # type: ignore[attr-defined]
        venues=list(scoped(Venue.objects.filter(school=school), actor).order_by("name")),
        emergency_contacts=list(scoped(EmergencyContact.objects.filter(school=school), actor)),
        term=term,
        registration_windows=list(scoped(RegistrationWindow.objects.filter(term=term), actor).order_by("opens_at"))
        if term is not None
        else [],
    )

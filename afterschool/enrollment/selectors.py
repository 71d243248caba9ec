"""Reads of enrollments, each scoped to the actor (Enrollment.scope_rule: the school, its bureau, the organization
whose course it is, the student and its guardians). Sections and students named by a write are looked up here
too, so a section or student out of the actor's scope answers 404."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from afterschool.accounts.choices import Role
from afterschool.scheduling.models import Section
from afterschool.schools.models import SchoolClass, Student
from afterschool.tenancy.actor import Actor
from afterschool.tenancy.scoping import get_scoped_or_404, scoped

from .choices import EnrollmentStatus
from .models import Enrollment

READERS = (
    Role.SYSTEM_ADMIN, Role.BUREAU_ADMIN, Role.SCHOOL_ADMIN, Role.TEACHER, Role.ORG_ADMIN, Role.ORG_STAFF,
    Role.ORG_TEACHER, Role.PARENT, Role.STUDENT,
)  # fmt: skip
ADMIN_READERS = (Role.SYSTEM_ADMIN, Role.BUREAU_ADMIN, Role.SCHOOL_ADMIN)


def enrollment_list(*, actor: Actor, filters: dict[str, Any] | None = None) -> QuerySet[Enrollment]:
    filters = filters or {}
    related = ("section", "student", "student__school_class", "student__grade")
    qs = scoped(Enrollment.objects.select_related(*related), actor)
    if filters.get("section"):
        qs = qs.filter(section_id=filters["section"])
    if filters.get("student"):
        qs = qs.filter(student_id=filters["student"])
    if filters.get("status"):
        qs = qs.filter(status=filters["status"])
    q = (filters.get("q") or "").strip()
    if q:
        qs = qs.filter(Q(student__name__icontains=q) | Q(student__student_number__icontains=q))
    return qs.order_by("section_id", "student__student_number", "-id")


def enrollment_get(*, actor: Actor, enrollment_id: Any) -> Enrollment:
    return get_scoped_or_404(Enrollment.objects.select_related("section", "student"), actor, pk=enrollment_id)


def section_get(*, actor: Actor, section_id: Any) -> Section:
    """A section the actor may see (404 otherwise)."""
    return get_scoped_or_404(Section.objects.select_related("school", "course", "term", "venue"), actor, pk=section_id)


def student_get(*, actor: Actor, student_id: Any) -> Student:
    """A student the school side may name (404 otherwise); parents and others name none."""
    if not actor.is_system_admin and not actor.has_role(*ADMIN_READERS):
        from afterschool.core.errors import NotFound

        raise NotFound()
    return get_scoped_or_404(Student.objects.select_related("school_class", "grade"), actor, pk=student_id)


def students_get(*, actor: Actor, student_ids: list[int]) -> list[Student]:
    """Several students by id, each one visible to the actor (any missing or forbidden one: 404)."""
    return [student_get(actor=actor, student_id=pk) for pk in dict.fromkeys(student_ids)]


def school_class_get(*, actor: Actor, school_class_id: Any) -> SchoolClass:
    if not actor.is_system_admin and not actor.has_role(*ADMIN_READERS):
        from afterschool.core.errors import NotFound

        raise NotFound()
    return get_scoped_or_404(SchoolClass.objects.select_related("grade"), actor, pk=school_class_id)


def section_enrollments(*, section: Section, filters: dict[str, Any] | None = None) -> QuerySet[Enrollment]:
    """The section's enrolments (the caller has already loaded the section through a scoped selector)."""
    filters = filters or {}
    qs = Enrollment.objects.filter(section=section).select_related(
        "student", "student__school_class", "student__grade", "moved_to__section"
    )
    status = filters.get("status")
    if status in EnrollmentStatus.values:
        qs = qs.filter(status=status)
    q = (filters.get("q") or "").strip()
    if q:
        qs = qs.filter(Q(student__name__icontains=q) | Q(student__student_number__icontains=q))
    return qs.order_by("status", "student__student_number", "-id")


def addable_students(*, section: Section) -> QuerySet[Student]:
    """Students a form may offer: active students of the section's grades (and classes for 原班), not in it."""
    qs = Student.objects.filter(school_id=section.school_id, is_active=True, grade__in=section.grades.all())
    if section.mode == "class":
        qs = qs.filter(school_class__in=section.classes.all())
    active = Enrollment.objects.filter(section=section, status=EnrollmentStatus.ACTIVE).values("student_id")
    return qs.exclude(pk__in=active).select_related("school_class").order_by("student_number")


def section_class_choices(*, section: Section) -> QuerySet[SchoolClass]:
    return SchoolClass.objects.filter(school_id=section.school_id, grade__in=section.grades.all()).order_by(
        "grade__level", "name"
    )

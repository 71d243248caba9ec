"""Reads of the waitlist, each scoped to the actor (WaitlistEntry.scope_rule: the school, its bureau, the
organization whose course it is, the student and its guardians). A waiting entry's position is its place among
the section's WAITING entries in the order of joining (created_at, id)."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from afterschool.accounts.choices import Role
from afterschool.core.errors import NotFound
from afterschool.scheduling.choices import SectionStatus
from afterschool.scheduling.models import Section
from afterschool.schools.models import Student
from afterschool.tenancy.actor import Actor
from afterschool.tenancy.scoping import get_scoped_or_404, scoped

from ..choices import WaitlistStatus
from ..models import WaitlistEntry

SCHOOL_READERS = (Role.SYSTEM_ADMIN, Role.BUREAU_ADMIN, Role.SCHOOL_ADMIN)
JOINERS = (Role.PARENT, Role.SCHOOL_ADMIN, Role.SYSTEM_ADMIN)
RELATED = ("section", "section__course", "student", "student__school_class", "order")


def with_position(qs: QuerySet[WaitlistEntry]) -> QuerySet[WaitlistEntry]:
    """Annotate `ahead` (waiting entries before it in its section); position = ahead + 1 for a waiting entry."""
    ahead = (
        WaitlistEntry.objects.filter(section=OuterRef("section"), status=WaitlistStatus.WAITING)
        .filter(Q(created_at__lt=OuterRef("created_at")) | Q(created_at=OuterRef("created_at"), id__lt=OuterRef("id")))
        .order_by()
        .values("section")
        .annotate(n=Count("id"))
        .values("n")
    )
    return qs.annotate(ahead=Coalesce(Subquery(ahead, output_field=IntegerField()), Value(0)))


def position_of(entry: WaitlistEntry) -> int | None:
    if entry.status != WaitlistStatus.WAITING:
        return None
    ahead = getattr(entry, "ahead", None)
    if ahead is None:
        ahead = WaitlistEntry.objects.filter(
            Q(created_at__lt=entry.created_at) | Q(created_at=entry.created_at, id__lt=entry.pk),
            section_id=entry.section_id, status=WaitlistStatus.WAITING,
        ).count()  # fmt: skip
    return int(ahead) + 1


def _filtered(qs: QuerySet[WaitlistEntry], filters: dict[str, Any]) -> QuerySet[WaitlistEntry]:
    if filters.get("section"):
        qs = qs.filter(section_id=filters["section"])
    if filters.get("student"):
        qs = qs.filter(student_id=filters["student"])
    if filters.get("status"):
        qs = qs.filter(status=filters["status"])
    q = (filters.get("q") or "").strip()
    if q:
        qs = qs.filter(Q(student__name__icontains=q) | Q(section__name__icontains=q) | Q(student__student_number=q))
    return qs


def waitlist_list(*, actor: Actor, filters: dict[str, Any] | None = None) -> QuerySet[WaitlistEntry]:
    """The entries the actor may see (a parent: their children's), newest first, with positions."""
    qs = scoped(WaitlistEntry.objects.select_related(*RELATED), actor)
    return with_position(_filtered(qs, filters or {})).order_by("-created_at", "-id")


def waitlist_get(*, actor: Actor, entry_id: Any) -> WaitlistEntry:
    return get_scoped_or_404(with_position(WaitlistEntry.objects.select_related(*RELATED)), actor, pk=entry_id)


def section_waitlist(*, section: Section, filters: dict[str, Any] | None = None) -> QuerySet[WaitlistEntry]:
    """A section's queue in the order of joining (the section already loaded through a scoped selector)."""
    qs = WaitlistEntry.objects.select_related(*RELATED).filter(section=section)
    return with_position(_filtered(qs, filters or {})).order_by("created_at", "id")


def section_for_admin(*, actor: Actor, section_id: Any) -> Section:
    """A section whose waitlist the school side may read (404 otherwise)."""
    if not actor.is_system_admin and not actor.has_role(*SCHOOL_READERS):
        raise NotFound()
    return get_scoped_or_404(Section.objects.select_related("school", "course", "term"), actor, pk=section_id)


def student_for_join(*, actor: Actor, student_id: Any) -> Student:
    """A child of the parent, or a student of the school admin's school (404 otherwise)."""
    if not actor.is_system_admin and not actor.has_role(*JOINERS):
        raise NotFound()
    return get_scoped_or_404(Student.objects.select_related("school_class", "grade"), actor, pk=student_id)


def section_for_join(*, actor: Actor, student: Student, section_id: Any) -> Section:
    """An open section of the student's school (the student already loaded through `student_for_join`)."""
    qs = Section.objects.select_related("school", "course", "registration_window").filter(
        school_id=student.school_id, status=SectionStatus.OPEN
    )
    return get_scoped_or_404(qs, actor, pk=section_id) if actor.has_role(Role.SCHOOL_ADMIN) else _get(qs, section_id)


def _get(qs: QuerySet[Section], section_id: Any) -> Section:
    """Parents do not see sections through scoping before a child is in them: the open sections of their child's
    school are theirs to choose from."""
    from afterschool.tenancy.scoping import get_or_404

    return get_or_404(qs, pk=section_id)

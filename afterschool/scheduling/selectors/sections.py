"""Reads of sections (课班): scoped to the actor (school, bureau region, the organization whose course it is, the
parents and students of enrolled students). An organization actor needs the course-view permission."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from afterschool.accounts.choices import OrgPermission, Role
from afterschool.accounts.models import User
from afterschool.courses.choices import DispatchStatus
from afterschool.schools.models import Grade, RegistrationWindow, SchoolClass, Term, Venue
from afterschool.tenancy.actor import Actor
from afterschool.tenancy.models import School
from afterschool.tenancy.scoping import get_scoped_or_404, scoped

from ..models import Section, SectionEvent, TimeSlot


def _base(actor: Actor) -> QuerySet[Section]:
    qs = Section.objects.select_related("school", "term", "course", "venue", "registration_window")
    if actor.has_role(Role.ORG_ADMIN, Role.ORG_STAFF, Role.ORG_TEACHER) and not actor.has_org_permission(
        OrgPermission.COURSE_VIEW
    ):
        return qs.none()
    return scoped(qs, actor)


def section_list(*, actor: Actor, filters: dict[str, Any] | None = None) -> QuerySet[Section]:
    filters = filters or {}
    qs = _base(actor)
    q = str(filters.get("q") or "").strip()
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(course__name__icontains=q) | Q(venue__name__icontains=q))
    for key, lookup in (
        ("term", "term_id"),
        ("status", "status"),
        ("mode", "mode"),
        ("course", "course_id"),
        ("grade", "grades"),
        ("teacher", "teachers"),
        ("school", "school_id"),
        ("venue", "venue_id"),
    ):
        value = filters.get(key)
        if value in (None, ""):
            continue
        if key not in ("status", "mode") and (not str(value).isdigit() or int(str(value)) >= 2**62):
            return qs.none()
        qs = qs.filter(**{lookup: value})
    return qs.distinct().order_by("-term__starts_on", "name", "id")


def section_get(*, actor: Actor, section_id: Any) -> Section:
    return get_scoped_or_404(_base(actor), actor, pk=section_id)


def section_events(*, actor: Actor, section: Section) -> QuerySet[SectionEvent]:
    section = section_get(actor=actor, section_id=section.pk)
    return SectionEvent.objects.filter(section=section).select_related("actor", "lesson")


# --- what a section form may offer (the school's own things) ---------------------------------------------------


def teacher_choices(*, school: School) -> QuerySet[User]:
    """The school's active staff with accounts and the organization teachers (with accounts) dispatched to it."""
    staff = Q(staff_records__school=school, staff_records__is_active=True)
    dispatched = Q(
        org_teacher_profiles__is_active=True,
        org_teacher_profiles__dispatches__school=school,
        org_teacher_profiles__dispatches__status=DispatchStatus.ACTIVE,
    )
    return User.objects.filter(staff | dispatched).distinct().order_by("display_name", "username")


def term_choices(*, school: School) -> QuerySet[Term]:
    return Term.objects.filter(school=school).order_by("-starts_on")


def grade_choices(*, school: School) -> QuerySet[Grade]:
    return Grade.objects.filter(school=school).order_by("level")


def class_choices(*, school: School) -> QuerySet[SchoolClass]:
    return SchoolClass.objects.filter(school=school).select_related("grade").order_by("grade__level", "name")


def venue_choices(*, school: School) -> QuerySet[Venue]:
    return Venue.objects.filter(school=school, is_active=True).order_by("name")


def window_choices(*, school: School) -> QuerySet[RegistrationWindow]:
    return RegistrationWindow.objects.filter(term__school=school).select_related("term").order_by("-opens_at")


def time_slot_choices(*, school: School) -> QuerySet[TimeSlot]:
    return TimeSlot.objects.filter(school=school).order_by("weekday", "starts_at")


def course_choices(*, school: School) -> QuerySet[Any]:
    from afterschool.courses.choices import OfferStatus
    from afterschool.courses.models import Course

    return Course.objects.filter(offers__school=school, offers__status=OfferStatus.APPROVED).distinct().order_by("name")


def section_conflicts(*, actor: Actor, section: Section) -> list[Any]:
    """A preview: what the section's lessons (or, without lessons, its projected weekly slots) clash with now."""
    from ..choices import LessonStatus, SectionMode
    from ..services.conflicts import find_conflicts
    from ..services.lessons import lesson_dates

    section = section_get(actor=actor, section_id=section.pk)
    lessons = list(section.lessons.filter(status=LessonStatus.SCHEDULED))
    if lessons:
        occurrences = [(lesson.date, lesson.starts_at, lesson.ends_at) for lesson in lessons]
    else:
        occurrences = lesson_dates(section=section, slots=list(section.slots.all()))
    class_ids = list(section.classes.values_list("pk", flat=True)) if section.mode == SectionMode.CLASS else []
    return find_conflicts(
        school=section.school,
        occurrences=occurrences,
        teacher_ids=list(section.teachers.values_list("pk", flat=True)),
        venue_id=section.venue_id,
        class_ids=class_ids,
        exclude_section_id=section.pk,
    )

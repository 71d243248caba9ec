"""Reads for split / move / cancel and the students panel of the section detail page."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from afterschool.enrollment import selectors as enrollment_selectors
from afterschool.enrollment.choices import EnrollmentStatus
from afterschool.enrollment.models import Enrollment
from afterschool.enrollment.services import PLACEABLE, WRITERS
from afterschool.tenancy.actor import Actor

from ..models import Section, SectionEvent


def section_get(*, actor: Actor, section_id: Any) -> Section:
    """The section if the actor may see it (404 otherwise)."""
    return enrollment_selectors.section_get(actor=actor, section_id=section_id)


def can_operate(actor: Actor) -> bool:
    return actor.is_system_admin or actor.has_role(*WRITERS)


def move_targets(*, section: Section) -> QuerySet[Section]:
    """Sections the section's students may be moved to: same school, course and term, still placeable."""
    return (
        Section.objects.filter(
            school_id=section.school_id, course_id=section.course_id, term_id=section.term_id, status__in=PLACEABLE
        )
        .exclude(pk=section.pk)
        .order_by("name", "pk")
    )


def active_enrollments(*, section: Section) -> QuerySet[Enrollment]:
    return (
        Enrollment.objects.filter(section=section, status=EnrollmentStatus.ACTIVE)
        .select_related("student", "student__school_class", "student__grade")
        .order_by("student__student_number")
    )


def section_history(*, section: Section) -> QuerySet[SectionEvent]:
    return SectionEvent.objects.filter(section=section).select_related("actor").order_by("-created_at", "-id")


def section_panel_context(*, actor: Actor, section: Section) -> dict[str, Any]:
    """Context of scheduling/operations/_section_panel.html: the enrolled students (masked personal data only),
    the count against capacity, and which buttons (enrol/remove/split/move/cancel) the actor gets."""
    rows = [
        {
            "enrollment": e,
            "name": e.student.name,
            "student_number": e.student.student_number,
            "school_class": str(e.student.school_class),
            "id_number_masked": e.student.id_number_masked,
            "source": e.get_source_display(),
        }
        for e in active_enrollments(section=section)
    ]
    writable = can_operate(actor)
    placeable = section.status in PLACEABLE
    return {
        "panel_section": section,
        "panel_students": rows,
        "panel_active_count": len(rows),
        "panel_capacity": section.max_students,
        "panel_free": max(section.max_students - len(rows), 0),
        "panel_can_enrol": writable and placeable,
        "panel_can_split": writable and placeable and len(rows) >= 2,
        "panel_can_move": writable and placeable and bool(rows) and move_targets(section=section).exists(),
        "panel_can_cancel": writable and section.status not in ("finished", "cancelled"),
        "panel_history": list(section_history(section=section)[:20]),
    }

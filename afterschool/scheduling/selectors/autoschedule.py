"""Reads of automatic scheduling: runs of a school (its admins, its bureau), the terms and sections a run is made
of. Anything outside the actor's scope answers like a missing object (404)."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from afterschool.schools.models import Term
from afterschool.schools.selectors.structure import get_readable_or_404, readable
from afterschool.tenancy.actor import Actor

from ..choices import SectionStatus
from ..models import SchedulingRun, Section


def run_list(*, actor: Actor, filters: dict[str, Any] | None = None) -> QuerySet[SchedulingRun]:
    filters = filters or {}
    qs = readable(SchedulingRun.objects.select_related("school", "term", "created_by"), actor)
    q = (filters.get("q") or "").strip()
    if q:
        # Terms have no name of their own: "2026" finds the 2026–2027 academic year.
        match = Q(school__name__icontains=q)
        if q.isdigit() and len(q) == 4:
            match |= Q(term__academic_year=int(q))
        qs = qs.filter(match)
    if filters.get("status"):
        qs = qs.filter(status=filters["status"])
    term = str(filters.get("term") or "")
    if term.isdigit() and int(term) < 2**62:
        qs = qs.filter(term_id=int(term))
    return qs.order_by("-created_at", "-id")


def run_get(*, actor: Actor, run_id: Any, lock: bool = False) -> SchedulingRun:
    qs = SchedulingRun.objects.select_related("school", "term", "created_by", "applied_by")
    run = get_readable_or_404(qs, actor, pk=run_id)
    if lock:
        run = qs.select_for_update(of=("self",)).get(pk=run.pk)
    return run


def term_choices(*, actor: Actor) -> QuerySet[Term]:
    return readable(Term.objects.select_related("school"), actor).order_by("-starts_on")


def term_for_run(*, actor: Actor, term_id: Any) -> Term:
    return get_readable_or_404(Term.objects.select_related("school"), actor, pk=term_id)


def schedulable_sections(*, actor: Actor, term: Term) -> QuerySet[Section]:
    """The term's draft/open sections, with their scheduling inputs."""
    qs = readable(Section.objects.all(), actor).filter(term=term, status__in=(SectionStatus.DRAFT, SectionStatus.OPEN))
    return (
        qs.select_related("course")
        .prefetch_related("allowed_slots", "preferred_slots", "candidate_venues", "teacher_links__user")
        .order_by("name", "id")
    )


def schedulable_section_get(*, actor: Actor, section_id: Any, lock: bool = False) -> Section:
    qs = Section.objects.select_related("school", "term", "course")
    section = get_readable_or_404(qs, actor, pk=section_id)
    if lock:  # the section scope is DISTINCT, which FOR UPDATE refuses: lock by primary key once it is readable
        section = qs.select_for_update(of=("self",)).get(pk=section.pk)
    return section

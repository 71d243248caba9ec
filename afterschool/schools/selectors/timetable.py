"""Reads of the regular class timetable: admins of the school (and the bureau, system) and the school's teachers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q, QuerySet

from afterschool.accounts.choices import Role
from afterschool.core.choices import Weekday
from afterschool.tenancy.actor import Actor

from ..models import SchoolClass, TimetableEntry
from .structure import ADMIN_READERS, get_readable_or_404, readable

TIMETABLE_READERS = (*ADMIN_READERS, Role.TEACHER)
WORKDAYS = (1, 2, 3, 4, 5)


def timetable_classes(*, actor: Actor) -> QuerySet[SchoolClass]:
    """The classes whose timetable the actor may open."""
    qs = readable(SchoolClass.objects.select_related("school", "grade"), actor, roles=TIMETABLE_READERS)
    return qs.order_by("school__code", "grade__level", "name")


def timetable_class_get(*, actor: Actor, school_class_id: Any) -> SchoolClass:
    return get_readable_or_404(
        SchoolClass.objects.select_related("school", "grade"), actor, roles=TIMETABLE_READERS, pk=school_class_id
    )


def timetable_entry_list(*, actor: Actor, filters: dict[str, Any] | None = None) -> QuerySet[TimetableEntry]:
    filters = filters or {}
    qs = readable(
        TimetableEntry.objects.select_related("school_class__grade", "teacher"), actor, roles=TIMETABLE_READERS
    )
    q = (filters.get("q") or "").strip()
    if q:
        qs = qs.filter(Q(subject__icontains=q) | Q(teacher__name__icontains=q))
    if filters.get("school_class"):
        qs = qs.filter(school_class_id=filters["school_class"])
    if filters.get("weekday"):
        qs = qs.filter(weekday=filters["weekday"])
    if filters.get("teacher"):
        qs = qs.filter(teacher_id=filters["teacher"])
    return qs.order_by("school_class_id", "weekday", "period")


def timetable_entry_get(*, actor: Actor, entry_id: Any) -> TimetableEntry:
    return get_readable_or_404(
        TimetableEntry.objects.select_related("school_class__grade", "school_class__school", "teacher"),
        actor,
        roles=TIMETABLE_READERS,
        pk=entry_id,
    )


@dataclass
class TimetableRow:
    period: int
    cells: list[TimetableEntry | None] = field(default_factory=list)

    @property
    def time_label(self) -> str:
        first = next((c for c in self.cells if c is not None), None)
        return f"{first.starts_at:%H:%M}–{first.ends_at:%H:%M}" if first is not None else ""


@dataclass
class TimetableGrid:
    school_class: SchoolClass
    weekdays: list[tuple[int, str]]
    rows: list[TimetableRow]


def timetable_grid(*, actor: Actor, school_class: SchoolClass) -> TimetableGrid:
    """Rows are periods, columns Monday–Friday, plus Saturday/Sunday only when a cell uses them."""
    entries = list(timetable_entry_list(actor=actor, filters={"school_class": school_class.pk}))
    days = sorted(set(WORKDAYS) | {e.weekday for e in entries})
    by_cell = {(e.weekday, e.period): e for e in entries}
    periods = sorted({e.period for e in entries})
    rows = [TimetableRow(period=p, cells=[by_cell.get((d, p)) for d in days]) for p in periods]
    return TimetableGrid(school_class=school_class, weekdays=[(d, Weekday(d).label) for d in days], rows=rows)

"""Scheduling conflicts (排课冲突): a teacher, a venue or a 原班 class busy at the same time, and the row locks that
make check-then-write hold when two admins save at once.

Occupancy is computed per occurrence (date + time range): the scheduled lessons of other non-cancelled sections,
and for sections that have weekly slots but no lessons yet, their slots projected over the term calendar.
A teacher is busy across ALL schools (organization teachers teach at several).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from django.db.models import Q

from afterschool.accounts.models import User
from afterschool.core.errors import Conflict as ConflictError
from afterschool.schools.models import SchoolClass, Venue
from afterschool.tenancy.models import School

from ..choices import LessonStatus, SectionMode, SectionStatus
from ..models import Lesson, Section

Occurrence = tuple[dt.date, dt.time, dt.time]


@dataclass(frozen=True)
class Conflict:
    kind: str  # "teacher" | "venue" | "class"
    message: str
    date: dt.date
    starts_at: dt.time
    ends_at: dt.time
    section_id: int
    lesson_id: int | None = None
    teacher_id: int | None = None
    venue_id: int | None = None
    class_id: int | None = None


def user_label(user: User) -> str:
    return user.display_name or user.get_username()


def _when(date: dt.date, starts_at: dt.time, ends_at: dt.time) -> str:
    return f"{date.isoformat()} {starts_at:%H:%M}–{ends_at:%H:%M}"


def _overlapping(occurrences: Sequence[Occurrence], date: dt.date, starts_at: dt.time, ends_at: dt.time) -> bool:
    return any(d == date and s < ends_at and starts_at < e for d, s, e in occurrences)


def lock_resources(*, venue_ids: Iterable[int | None], teacher_ids: Iterable[int], class_ids: Iterable[int]) -> None:
    """Row locks (SELECT … FOR UPDATE) on the venues, then the users, then the classes, each ordered by pk, so two
    writers needing the same resource queue instead of both passing the check. Call inside the transaction, before
    checking. (SQLite serializes writers itself; there this is a plain read.)"""
    venues = sorted({pk for pk in venue_ids if pk is not None})
    teachers = sorted(set(teacher_ids))
    classes = sorted(set(class_ids))
    if venues:
        list(Venue.objects.select_for_update().filter(pk__in=venues).order_by("pk").values_list("pk", flat=True))
    if teachers:
        list(User.objects.select_for_update().filter(pk__in=teachers).order_by("pk").values_list("pk", flat=True))
    if classes:
        list(SchoolClass.objects.select_for_update().filter(pk__in=classes).order_by("pk").values_list("pk", flat=True))


def find_conflicts(
    *,
    school: School,
    occurrences: Sequence[Occurrence],
    teacher_ids: Iterable[int],
    venue_id: int | None,
    class_ids: Iterable[int],
    exclude_section_id: int | None = None,
    exclude_lesson_ids: Iterable[int] = (),
) -> list[Conflict]:
    """Every clash of the occurrences with what already occupies the teachers (any school), the venue or the
    classes (a 原班 section of the same class). Empty when free."""
    from .lessons import lesson_dates  # the projection of slots over the calendar lives with lesson generation

    occurrences = list(occurrences)
    teacher_set = set(teacher_ids)
    class_set = set(class_ids)
    if not occurrences or not (teacher_set or venue_id or class_set):
        return []
    dates = sorted({d for d, _, _ in occurrences})
    found: dict[tuple[object, ...], Conflict] = {}

    def add(
        kind: str, message: str, date: dt.date, s: dt.time, e: dt.time, section: Section, **ids: int | None
    ) -> None:
        key = (kind, section.pk, date, s, ids.get("teacher_id"), ids.get("venue_id"), ids.get("class_id"))
        found.setdefault(key, Conflict(kind, message, date, s, e, section.pk, **ids))

    who = Q()
    if venue_id:
        who |= Q(venue_id=venue_id)
    if teacher_set:
        who |= Q(teachers__in=teacher_set)
    if class_set:
        who |= Q(section__mode=SectionMode.CLASS, section__classes__in=class_set)

    # (a) the scheduled lessons of other sections (and other lessons of this one, when only some are excluded)
    lessons = (
        Lesson.objects.filter(who, status=LessonStatus.SCHEDULED, date__in=dates)
        .exclude(section__status=SectionStatus.CANCELLED)
        .exclude(pk__in=list(exclude_lesson_ids))
        .select_related("section__school", "venue")
        .prefetch_related("teachers", "section__classes__grade")
        .distinct()
    )
    if exclude_section_id is not None:
        lessons = lessons.exclude(section_id=exclude_section_id)
    for lesson in lessons:
        if not _overlapping(occurrences, lesson.date, lesson.starts_at, lesson.ends_at):
            continue
        _collect(
            add,
            section=lesson.section,
            date=lesson.date,
            s=lesson.starts_at,
            e=lesson.ends_at,
            venue=lesson.venue,
            teachers=list(lesson.teachers.all()),
            venue_id=venue_id,
            teacher_set=teacher_set,
            class_set=class_set,
            lesson_id=lesson.pk,
        )

    # (b) sections with weekly slots but no lessons yet: project their slots
    sections = (
        Section.objects.filter(
            slots__isnull=False, lessons__isnull=True, starts_on__lte=dates[-1], ends_on__gte=dates[0]
        )
        .exclude(status=SectionStatus.CANCELLED)
        .filter(
            (Q(venue_id=venue_id) if venue_id else Q(pk__in=[]))
            | Q(teachers__in=teacher_set)
            | Q(mode=SectionMode.CLASS, classes__in=class_set)
        )
        .select_related("school", "venue", "term")
        .prefetch_related("slots", "teachers", "classes__grade")
        .distinct()
    )
    if exclude_section_id is not None:
        sections = sections.exclude(pk=exclude_section_id)
    for section in sections:
        teachers = list(section.teachers.all())
        for date, s, e in lesson_dates(section=section, slots=list(section.slots.all())):
            if not _overlapping(occurrences, date, s, e):
                continue
            _collect(
                add,
                section=section,
                date=date,
                s=s,
                e=e,
                venue=section.venue,
                teachers=teachers,
                venue_id=venue_id,
                teacher_set=teacher_set,
                class_set=class_set,
                lesson_id=None,
            )
    return sorted(found.values(), key=lambda c: (c.date, c.starts_at, c.kind, c.section_id))


def _collect(
    add: Callable[..., None],
    *,
    section: Section,
    date: dt.date,
    s: dt.time,
    e: dt.time,
    venue: Venue | None,
    teachers: list[User],
    venue_id: int | None,
    teacher_set: set[int],
    class_set: set[int],
    lesson_id: int | None,
) -> None:
    when = _when(date, s, e)
    if venue is not None and venue_id and venue.pk == venue_id:
        message = f"场地“{venue.name}”在 {when} 已有课班“{section.name}”"
        add("venue", message, date, s, e, section, lesson_id=lesson_id, venue_id=venue.pk)
    for teacher in teachers:
        if teacher.pk in teacher_set:
            where = f"（{section.school.name}）" if section.school_id else ""
            message = f"教师“{user_label(teacher)}”在 {when} 已有课班“{section.name}”{where}"
            add("teacher", message, date, s, e, section, lesson_id=lesson_id, teacher_id=teacher.pk)
    if section.mode == SectionMode.CLASS:
        for school_class in section.classes.all():
            if school_class.pk in class_set:
                label = f"{school_class.grade.name}{school_class.name}"
                message = f"班级“{label}”在 {when} 已有课后服务课班“{section.name}”"
                add("class", message, date, s, e, section, lesson_id=lesson_id, class_id=school_class.pk)


def raise_if_conflicts(conflicts: Sequence[Conflict]) -> None:
    """A 409 naming what clashes: the first few in the message, all of them in detail."""
    if not conflicts:
        return
    messages = [c.message for c in conflicts]
    head = "；".join(messages[:3])
    more = f"（另有 {len(messages) - 3} 处冲突）" if len(messages) > 3 else ""
    raise ConflictError(
        "schedule_conflict",
        f"时间冲突：{head}{more}",
        detail={"conflicts": messages, "items": [_conflict_dict(c) for c in conflicts]},
    )


def _conflict_dict(conflict: Conflict) -> dict[str, object]:
    return {
        "kind": conflict.kind,
        "message": conflict.message,
        "date": conflict.date.isoformat(),
        "starts_at": conflict.starts_at.strftime("%H:%M"),
        "ends_at": conflict.ends_at.strftime("%H:%M"),
        "section_id": conflict.section_id,
        "lesson_id": conflict.lesson_id,
        "teacher_id": conflict.teacher_id,
        "venue_id": conflict.venue_id,
        "class_id": conflict.class_id,
    }


def capacity_warning(*, venue: Venue | None, max_students: int) -> str | None:
    """A WARNING, never a refusal: the venue holds fewer people than the section may enrol."""
    if venue is None or venue.capacity >= max_students:
        return None
    return f"场地“{venue.name}”容量 {venue.capacity} 人，少于课班最多人数 {max_students} 人"

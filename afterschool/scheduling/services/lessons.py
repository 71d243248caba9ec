"""Lessons (课次, §5.2.2): generated from a section's weekly slots over the term calendar (holidays and no-service days
skipped, 调休 make-up days follow the weekday they stand for), numbered, each tied to the next chapter of the course.
One lesson can be moved, cancelled (with or without a make-up lesson) or given a substitute teacher; every change
is conflict-checked, recorded in the section history, audited and notified to the lesson's teachers and the
guardians of the section's enrolled students. Writers: the section's school admins (and system admins)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import transaction
from django.urls import reverse

from afterschool.accounts.choices import AuditEventType, Role
from afterschool.accounts.models import User
from afterschool.accounts.services import record_write
from afterschool.core import timeutil
from afterschool.core.errors import NotFound, PermissionDenied, ValidationFailed
from afterschool.courses.models import Chapter
from afterschool.courses.services.dispatch import teacher_may_teach
from afterschool.notifications.choices import NotificationKind
from afterschool.notifications.services.inbox import notify
from afterschool.schools.choices import CalendarDayKind
from afterschool.schools.models import CalendarDay, Venue
from afterschool.tenancy.actor import Actor

from ..choices import LessonStatus, SectionEventKind, SectionMode, SectionStatus
from ..models import Lesson, Section, SectionEvent
from .conflicts import Occurrence, find_conflicts, lock_resources, raise_if_conflicts, user_label

SKIPPED_DAYS = (CalendarDayKind.HOLIDAY, CalendarDayKind.NO_SERVICE)


# --- shared by the section and lesson services ---------------------------------------------------------------


def may_write_sections(actor: Actor) -> bool:
    return actor.is_system_admin or actor.has_role(Role.SCHOOL_ADMIN)


def require_section_writer(actor: Actor, section: Section | None = None) -> None:
    """School admins write their own school's sections; another school's section answers as missing."""
    if not may_write_sections(actor):
        raise PermissionDenied("只有学校管理员可以维护课班和课次")
    if section is not None and not actor.is_system_admin and section.school_id != actor.school_id:
        raise NotFound()


def section_event(
    *, actor: Actor, section: Section, kind: str, lesson: Lesson | None = None, detail: dict[str, Any] | None = None
) -> SectionEvent:
    return SectionEvent.objects.create(section=section, lesson=lesson, kind=kind, detail=detail or {}, actor=actor.user)


def section_people(section: Section) -> list[int]:
    """The user ids of the guardians of the section's actively enrolled students (those with an account)."""
    from afterschool.enrollment.choices import EnrollmentStatus
    from afterschool.schools.models import Guardian

    return list(
        Guardian.objects.filter(
            students__enrollments__section=section,
            students__enrollments__status=EnrollmentStatus.ACTIVE,
            user__isnull=False,
        )
        .values_list("user_id", flat=True)
        .distinct()
    )


def _notify_lesson(
    *, section: Section, lesson: Lesson, title: str, body: str, extra_teachers: Iterable[int] = ()
) -> None:
    teachers = [t.pk for t in lesson.teachers.all()]
    notify(
        recipients=[*teachers, *extra_teachers, *section_people(section)],
        kind=NotificationKind.LESSON_CHANGED,
        title=title,
        body=body,
        link=reverse("scheduling:section_detail", args=[section.pk]),
        data={"section_id": section.pk, "lesson_id": lesson.pk},
    )


def _slot_parts(slot: Any) -> tuple[int, dt.time, dt.time]:
    if isinstance(slot, dict):
        return int(slot["weekday"]), slot["starts_at"], slot["ends_at"]
    return int(slot.weekday), slot.starts_at, slot.ends_at


def _when(date: dt.date, starts_at: dt.time, ends_at: dt.time) -> str:
    return f"{date.isoformat()} {starts_at:%H:%M}–{ends_at:%H:%M}"


def _now_local() -> dt.datetime:
    return timeutil.local_now()


def is_past(date: dt.date, starts_at: dt.time) -> bool:
    return dt.datetime.combine(date, starts_at) <= _now_local()


def class_ids_of(section: Section) -> list[int]:
    if section.mode != SectionMode.CLASS or section.pk is None:
        return []
    return list(section.classes.values_list("pk", flat=True))


# --- the calendar -----------------------------------------------------------------------------------------------


def lesson_dates(*, section: Section, slots: Sequence[Any]) -> list[Occurrence]:
    """The occurrences the weekly slots give within the section's dates and its term: holidays and no-service days
    skipped, make-up days (调休) run the timetable of `follows_weekday`. Sorted by date and time."""
    if not slots:
        return []
    parts = [_slot_parts(s) for s in slots]
    term = section.term
    first = max(section.starts_on, term.starts_on)
    last = min(section.ends_on, term.ends_on)
    days = {d.date: d for d in CalendarDay.objects.filter(term_id=term.pk, date__gte=first, date__lte=last)}
    result: list[Occurrence] = []
    day = first
    while day <= last:
        special = days.get(day)
        weekday = day.isoweekday()
        if special is not None and special.kind in SKIPPED_DAYS:
            day += dt.timedelta(days=1)
            continue
        if special is not None and special.kind == CalendarDayKind.MAKEUP:
            weekday = special.follows_weekday or weekday
        for slot_weekday, starts_at, ends_at in parts:
            if slot_weekday == weekday:
                result.append((day, starts_at, ends_at))
        day += dt.timedelta(days=1)
    return sorted(result)


def renumber(section: Section) -> None:
    """Number the scheduled lessons 1..n in date order; lesson n teaches the course's chapter n (None beyond)."""
    chapters = {c.number: c for c in Chapter.objects.filter(course_id=section.course_id)}
    scheduled = Lesson.objects.filter(section=section, status=LessonStatus.SCHEDULED).order_by(
        "date", "starts_at", "pk"
    )
    for index, lesson in enumerate(scheduled, start=1):
        chapter = chapters.get(index)
        chapter_id = chapter.pk if chapter is not None else None
        if lesson.number != index or lesson.chapter_id != chapter_id:
            Lesson.objects.filter(pk=lesson.pk).update(number=index, chapter_id=chapter_id)


# --- generation --------------------------------------------------------------------------------------------------


def _hand_changed(lesson: Lesson) -> bool:
    return lesson.status == LessonStatus.CANCELLED or lesson.is_makeup or lesson.moved_from_date is not None


def regenerate(*, section: Section) -> list[Lesson]:
    """Create the lessons the slots give: all of them for a section without lessons; otherwise replace the future
    lessons not changed by hand (past and hand-changed ones are history and stay). Conflict-checked; the caller
    holds the locks and records the event."""
    today = _now_local().date()
    existing = list(section.lessons.all())
    keep: list[Lesson] = []
    drop: list[int] = []
    for lesson in existing:
        if lesson.date <= today or _hand_changed(lesson):
            keep.append(lesson)
        else:
            drop.append(lesson.pk)
    taken: set[tuple[dt.date, dt.time | None]] = {(lesson.date, lesson.starts_at) for lesson in keep}
    taken |= {(lesson.moved_from_date, lesson.moved_from_starts_at) for lesson in keep if lesson.moved_from_date}
    occurrences = [
        (d, s, e)
        for d, s, e in lesson_dates(section=section, slots=list(section.slots.all()))
        if (d, s) not in taken and (not existing or d > today)
    ]
    teacher_ids = list(section.teachers.values_list("pk", flat=True))
    conflicts = find_conflicts(
        school=section.school,
        occurrences=occurrences,
        teacher_ids=teacher_ids,
        venue_id=section.venue_id,
        class_ids=class_ids_of(section),
        exclude_section_id=section.pk,
    )
    raise_if_conflicts(conflicts)
    if drop:
        Lesson.objects.filter(pk__in=drop).delete()
    created = Lesson.objects.bulk_create(
        [
            Lesson(section=section, number=0, date=d, starts_at=s, ends_at=e, venue_id=section.venue_id)
            for d, s, e in occurrences
        ]
    )
    through = Lesson.teachers.through
    through.objects.bulk_create(
        [through(lesson_id=lesson.pk, user_id=user_id) for lesson in created for user_id in teacher_ids]
    )
    renumber(section)
    return list(Lesson.objects.filter(pk__in=[c.pk for c in created]).order_by("date", "starts_at"))


@transaction.atomic
def lessons_generate(*, actor: Actor, section: Section) -> list[Lesson]:
    """Generate the section's lessons from its weekly slots (or regenerate its future, untouched ones)."""
    require_section_writer(actor, section)
    section = Section.objects.select_related("term", "school", "course", "venue").get(pk=section.pk)
    if section.status not in (SectionStatus.DRAFT, SectionStatus.OPEN):
        raise ValidationFailed({"__all__": [f"课班{section.get_status_display()}，不能重新生成课次"]})
    if not section.slots.exists():
        raise ValidationFailed({"slots": ["请先设置每周上课时间"]})
    lock_resources(
        venue_ids=[section.venue_id],
        teacher_ids=section.teachers.values_list("pk", flat=True),
        class_ids=class_ids_of(section),
    )
    lessons = regenerate(section=section)
    if not section.lessons.filter(status=LessonStatus.SCHEDULED).exists():
        raise ValidationFailed({"slots": ["按每周上课时间和校历，课班期间没有可上课的日期"]})
    total = section.lessons.filter(status=LessonStatus.SCHEDULED).count()
    section_event(
        actor=actor,
        section=section,
        kind=SectionEventKind.LESSONS_GENERATED,
        detail={"created": len(lessons), "total": total},
    )
    record_write(
        actor=actor,
        event=AuditEventType.UPDATE,
        obj=section,
        detail={"lessons_generated": len(lessons), "total": total},
    )
    return lessons


# --- one lesson ----------------------------------------------------------------------------------------------


def _lesson_for_write(actor: Actor, lesson: Lesson) -> tuple[Section, Lesson]:
    lesson = Lesson.objects.select_related("section__school", "section__term", "section__course", "venue").get(
        pk=lesson.pk
    )
    section = lesson.section
    require_section_writer(actor, section)
    if section.status in (SectionStatus.CANCELLED, SectionStatus.FINISHED):
        raise ValidationFailed({"__all__": [f"课班{section.get_status_display()}，不能调整课次"]})
    if lesson.status != LessonStatus.SCHEDULED:
        raise ValidationFailed({"__all__": ["该课次已取消"]})
    if is_past(lesson.date, lesson.starts_at):
        raise ValidationFailed({"__all__": ["已经开始或过去的课次不能调整"]})
    return section, lesson


def _check_new_time(section: Section, date: dt.date, starts_at: dt.time, ends_at: dt.time, venue: Venue | None) -> None:
    errors: dict[str, list[str]] = {}
    if ends_at <= starts_at:
        errors["ends_at"] = ["结束时间须晚于开始时间"]
    if not section.term.starts_on <= date <= section.term.ends_on:
        errors["date"] = [f"日期须在学期内（{section.term.starts_on} 至 {section.term.ends_on}）"]
    elif is_past(date, starts_at):
        errors["date"] = ["不能安排到已经过去的时间"]
    if venue is not None and venue.school_id != section.school_id:
        errors["venue"] = ["场地不属于本校"]
    if errors:
        raise ValidationFailed(errors)


@transaction.atomic
def lesson_move(
    *, actor: Actor, lesson: Lesson, date: dt.date, starts_at: dt.time, ends_at: dt.time, venue: Venue | None = None,
    reason: str = "",
) -> Lesson:  # fmt: skip
    """调课: a future scheduled lesson to another date, time and/or venue, conflict-checked."""
    section, lesson = _lesson_for_write(actor, lesson)
    venue = venue or lesson.venue
    _check_new_time(section, date, starts_at, ends_at, venue)
    teacher_ids = [t.pk for t in lesson.teachers.all()]
    lock_resources(venue_ids=[venue.pk if venue else None], teacher_ids=teacher_ids, class_ids=class_ids_of(section))
    raise_if_conflicts(
        find_conflicts(
            school=section.school,
            occurrences=[(date, starts_at, ends_at)],
            teacher_ids=teacher_ids,
            venue_id=venue.pk if venue else None,
            class_ids=class_ids_of(section),
            exclude_lesson_ids=[lesson.pk],
        )
    )
    before = _when(lesson.date, lesson.starts_at, lesson.ends_at)
    before_venue = lesson.venue.name if lesson.venue else ""
    if lesson.moved_from_date is None:
        lesson.moved_from_date, lesson.moved_from_starts_at = lesson.date, lesson.starts_at
    lesson.date, lesson.starts_at, lesson.ends_at, lesson.venue = date, starts_at, ends_at, venue
    lesson.save()
    renumber(section)
    lesson.refresh_from_db()
    after = _when(date, starts_at, ends_at)
    detail = {
        "from": before,
        "to": after,
        "from_venue": before_venue,
        "to_venue": venue.name if venue else "",
        "reason": reason,
    }
    section_event(actor=actor, section=section, lesson=lesson, kind=SectionEventKind.LESSON_MOVED, detail=detail)
    record_write(actor=actor, event=AuditEventType.UPDATE, obj=lesson, detail={"moved": detail})
    where = f"，地点：{venue.name}" if venue else ""
    _notify_lesson(
        section=section,
        lesson=lesson,
        title=f"调课：{section.name}",
        body=f"“{section.name}”原定 {before} 的课调整到 {after}{where}。{reason}".strip(),
    )
    return lesson


@transaction.atomic
def lesson_cancel(
    *, actor: Actor, lesson: Lesson, reason: str, makeup: dict[str, Any] | None = None
) -> tuple[Lesson, Lesson | None]:
    """停课 (reason required), optionally with a make-up lesson (补课) at a given date/time, conflict-checked.
    The scheduled lessons are renumbered so the chapters still follow in order."""
    section, lesson = _lesson_for_write(actor, lesson)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed({"reason": ["请填写停课原因"]})
    if len(reason) > 200:
        raise ValidationFailed({"reason": ["停课原因最多 200 字"]})
    teachers = list(lesson.teachers.all())
    made: Lesson | None = None
    if makeup is not None:
        venue = makeup.get("venue") or lesson.venue
        date, starts_at, ends_at = makeup["date"], makeup["starts_at"], makeup["ends_at"]
        _check_new_time(section, date, starts_at, ends_at, venue)
        lock_resources(
            venue_ids=[venue.pk if venue else None],
            teacher_ids=[t.pk for t in teachers],
            class_ids=class_ids_of(section),
        )
        raise_if_conflicts(
            find_conflicts(
                school=section.school,
                occurrences=[(date, starts_at, ends_at)],
                teacher_ids=[t.pk for t in teachers],
                venue_id=venue.pk if venue else None,
                class_ids=class_ids_of(section),
                exclude_lesson_ids=[lesson.pk],
            )
        )
    lesson.status = LessonStatus.CANCELLED
    lesson.cancel_reason = reason
    lesson.save(update_fields=["status", "cancel_reason", "updated_at"])
    when = _when(lesson.date, lesson.starts_at, lesson.ends_at)
    section_event(
        actor=actor,
        section=section,
        lesson=lesson,
        kind=SectionEventKind.LESSON_CANCELLED,
        detail={"when": when, "reason": reason},
    )
    record_write(actor=actor, event=AuditEventType.UPDATE, obj=lesson, detail={"cancelled": when, "reason": reason})
    body = f"“{section.name}” {when} 的课停课：{reason}。"
    if makeup is not None:
        made = Lesson.objects.create(
            section=section,
            number=0,
            date=date,
            starts_at=starts_at,
            ends_at=ends_at,
            venue=venue,
            is_makeup=True,
            makeup_for=lesson,
        )
        made.teachers.set(teachers)
        made_when = _when(date, starts_at, ends_at)
        section_event(
            actor=actor,
            section=section,
            lesson=made,
            kind=SectionEventKind.LESSON_MAKEUP,
            detail={"for": when, "when": made_when},
        )
        record_write(
            actor=actor, event=AuditEventType.CREATE, obj=made, detail={"makeup_for": lesson.pk, "when": made_when}
        )
        body += f"补课时间：{made_when}" + (f"，地点：{venue.name}" if venue else "") + "。"
    renumber(section)
    lesson.refresh_from_db()
    if made is not None:
        made.refresh_from_db()
    _notify_lesson(section=section, lesson=lesson, title=f"停课：{section.name}", body=body)
    return lesson, made


@transaction.atomic
def lesson_substitute(
    *, actor: Actor, lesson: Lesson, old_teacher: User, new_teacher: User, reason: str = ""
) -> Lesson:
    """代课: replace one teacher of the lesson by another who may teach at the school that day, conflict-checked."""
    section, lesson = _lesson_for_write(actor, lesson)
    current = {t.pk for t in lesson.teachers.all()}
    if old_teacher.pk not in current:
        raise ValidationFailed({"old_teacher": ["该教师不是这次课的上课教师"]})
    if new_teacher.pk in current:
        raise ValidationFailed({"new_teacher": ["该教师已是这次课的上课教师"]})
    refusal = teacher_may_teach(
        school=section.school,
        user=new_teacher,
        starts_on=lesson.date,
        ends_on=lesson.date,
        category=section.course.category,
    )
    if refusal is not None:
        raise ValidationFailed({"new_teacher": [f"“{user_label(new_teacher)}”不能在该校授课：{refusal}"]})
    lock_resources(venue_ids=[], teacher_ids=[new_teacher.pk], class_ids=[])
    raise_if_conflicts(
        find_conflicts(
            school=section.school,
            occurrences=[(lesson.date, lesson.starts_at, lesson.ends_at)],
            teacher_ids=[new_teacher.pk],
            venue_id=None,
            class_ids=[],
            exclude_lesson_ids=[lesson.pk],
        )
    )
    lesson.teachers.remove(old_teacher)
    lesson.teachers.add(new_teacher)
    when = _when(lesson.date, lesson.starts_at, lesson.ends_at)
    detail = {"when": when, "from": user_label(old_teacher), "to": user_label(new_teacher), "reason": reason}
    section_event(actor=actor, section=section, lesson=lesson, kind=SectionEventKind.SUBSTITUTE, detail=detail)
    record_write(actor=actor, event=AuditEventType.UPDATE, obj=lesson, detail={"substitute": detail})
    _notify_lesson(
        section=section,
        lesson=lesson,
        title=f"代课：{section.name}",
        body=f"“{section.name}” {when} 的课由“{user_label(new_teacher)}”代替“{user_label(old_teacher)}”上课。",
        extra_teachers=[old_teacher.pk],
    )
    return lesson

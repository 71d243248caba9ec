"""Student attendance per lesson (点名, §5.3.2, §5.4.4, §5.4.5): the lesson's teacher (or the school's admin) marks
each student on the roll present, late, absent, left early or on leave, and checks the attended ones out.

Rules:
- Who: the lessons of `lessons_for_attendance(actor)` (a teacher of the lesson, an admin of its school); any other
  lesson answers as missing. A cancelled lesson has no roll.
- When: from start − `checkin_opens_minutes` to the end it is normal marking; after the end it is a correction,
  allowed until end + `correction_hours`, flagged on the row (`corrected`) and audited old → new; before and after
  that the write is refused, naming the time.
- Times: present/late set the check-in time if unset (now, at the latest the lesson's end: a correction after
  the lesson does not invent a check-in after it); left early sets both times if unset (the student came and left);
  absent and leave clear them. Check-out sets the check-out time of the attended students that lack it.
- Concurrency: the lesson row is locked (select_for_update) before the rows are read and written, so two
  teachers marking at once queue and lose no update; the unique (lesson, student) constraint is the last guard.
- Guardians (when the school's settings say so) are told of a check-in, a check-out and an absence, once: marking
  the same status again, or changing present to late, tells nobody.
- One audit row per request listing the changes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.urls import reverse

from afterschool.accounts.choices import AuditEventType
from afterschool.accounts.services import record_write
from afterschool.core import timeutil
from afterschool.core.errors import Conflict, NotFound, ValidationFailed
from afterschool.notifications.choices import NotificationKind
from afterschool.notifications.services.inbox import notify
from afterschool.scheduling.choices import LessonStatus
from afterschool.scheduling.models import Lesson
from afterschool.schools.models import Student
from afterschool.tenancy.actor import Actor

from ..choices import ATTENDED, AttendanceStatus
from ..models import StudentAttendance
from ..selectors.common import aware, guardian_user_ids, lessons_for_attendance, roll_students, settings_for
from ..selectors.roll import RollWindow, local_time, roll_window

MAX_NOTE = 200
MAX_MARKS = 500
CHECKED_IN = (AttendanceStatus.PRESENT, AttendanceStatus.LATE)
NO_TIMES = (AttendanceStatus.ABSENT, AttendanceStatus.LEAVE)


@dataclass(frozen=True)
class Mark:
    student_id: int
    status: str
    note: str | None = None


@dataclass
class RollResult:
    """What a write changed: the rows written and the (student, old, new) status changes."""

    rows: list[StudentAttendance]
    changes: list[dict[str, Any]]
    correction: bool


# --- checks -----------------------------------------------------------------------------------------------------


def _locked_lesson(actor: Actor, lesson: Lesson) -> Lesson:
    """The lesson, row-locked, if the actor may take its roll; NotFound otherwise (also when cancelled)."""
    if not lessons_for_attendance(actor).filter(pk=lesson.pk).exists():
        raise NotFound()
    found = (
        Lesson.objects.filter(pk=lesson.pk)
        .select_related("section", "section__course", "section__school")
        .select_for_update(of=("self",))
        .first()
    )
    if found is None or found.status == LessonStatus.CANCELLED:
        raise NotFound()
    return found


def _open_window(lesson: Lesson) -> RollWindow:
    window = roll_window(lesson, settings_for(lesson.section.school_id), timeutil.local_now())
    if window.phase == "before":
        raise Conflict("roll_not_open", f"课次尚未开始，{window.opens_label} 起可点名", detail={"opens": window.opens})
    if window.phase == "closed":
        raise Conflict(
            "correction_closed",
            f"课后更正期限已过（截至 {window.deadline_label}），考勤不可再修改",
            detail={"deadline": window.deadline},
        )
    return window


def _int_id(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 0 < number < 2**62 else None


def clean_marks(marks: Iterable[Any]) -> list[Mark]:
    """Marks as dicts ({student_id, status, note?}) or Mark; anything malformed is a ValidationFailed."""
    out: list[Mark] = []
    errors: list[str] = []
    seen: set[int] = set()
    for index, raw in enumerate(marks, start=1):
        if isinstance(raw, Mark):
            raw = {"student_id": raw.student_id, "status": raw.status, "note": raw.note}
        if not isinstance(raw, dict):
            errors.append(f"第 {index} 条：格式不对")
            continue
        student_id = _int_id(raw.get("student_id"))
        status = raw.get("status")
        note = raw.get("note")
        if student_id is None:
            errors.append(f"第 {index} 条：请选择学生")
        elif student_id in seen:
            errors.append(f"第 {index} 条：同一学生重复提交")
        if status not in AttendanceStatus.values:
            errors.append(f"第 {index} 条：考勤状态应为出勤、迟到、缺勤、早退或请假")
        if note is not None and (not isinstance(note, str) or len(note) > MAX_NOTE or "\x00" in note):
            errors.append(f"第 {index} 条：备注最多 {MAX_NOTE} 字")
        if student_id is not None:
            seen.add(student_id)
            if status in AttendanceStatus.values:
                out.append(Mark(student_id=student_id, status=str(status), note=note.strip() if note else note))
    if len(out) + len(errors) > MAX_MARKS:
        errors.append(f"一次最多提交 {MAX_MARKS} 名学生")
    if errors:
        raise ValidationFailed({"marks": errors})
    if not out:
        raise ValidationFailed({"marks": ["请至少标记一名学生"]})
    return out


def _roster(lesson: Lesson, student_ids: Iterable[int]) -> dict[int, Student]:
    """The students asked for, all of them on the roll; a student not on it is a ValidationFailed."""
    wanted = set(student_ids)
    on_roll = {s.pk: s for s in roll_students(lesson).filter(pk__in=wanted)}
    missing = sorted(wanted - set(on_roll))
    if missing:
        names = dict(Student.objects.filter(pk__in=missing).values_list("pk", "name"))
        # A student of another school is not named: only that it is not on this roll.
        shown = [names[pk] if pk in names and _same_school(lesson, pk) else f"#{pk}" for pk in missing]
        raise ValidationFailed(
            {"student_id": [f"不在本课次的点名名单中：{'、'.join(shown)}"]}, message="有学生不在本课次的点名名单中"
        )
    return on_roll


def _same_school(lesson: Lesson, student_id: int) -> bool:
    return Student.objects.filter(pk=student_id, school_id=lesson.section.school_id).exists()


# --- notifications ----------------------------------------------------------------------------------------------


def _tell_guardians(lesson: Lesson, events: list[tuple[Student, str, str]]) -> None:
    """events: (student, what, when-label), what is 已签到 / 已签退 / 缺勤."""
    if not events or not settings_for(lesson.section.school_id).notify_guardians:
        return
    guardians = guardian_user_ids([student for student, _, _ in events])
    course = lesson.section.course.name
    for student, what, when in events:
        recipients = guardians.get(student.pk) or []
        if not recipients:
            continue
        notify(
            recipients=recipients,
            kind=NotificationKind.ATTENDANCE,
            title=f"{student.name} {what} · {course} {when}",
            body=f"{lesson.date.month}月{lesson.date.day}日 {lesson.starts_at:%H:%M}–{lesson.ends_at:%H:%M} {course}",
            link=reverse("attendance:child", args=[student.pk]),
            data={"lesson": lesson.pk, "student": student.pk, "event": what},
        )


# --- writes -----------------------------------------------------------------------------------------------------


def _apply(row: StudentAttendance, status: str, now: dt.datetime, latest_in: dt.datetime) -> tuple[bool, bool]:
    """Set status and times on the row; (checked in now, checked out now)."""
    had_in, had_out = row.checked_in_at is not None, row.checked_out_at is not None
    row.status = status
    if status in NO_TIMES:
        row.checked_in_at = row.checked_out_at = None
    if status in (*CHECKED_IN, AttendanceStatus.LEFT_EARLY) and row.checked_in_at is None:
        row.checked_in_at = min(now, latest_in)
    if status == AttendanceStatus.LEFT_EARLY and row.checked_out_at is None:
        row.checked_out_at = now
    if status != AttendanceStatus.LEAVE:
        row.leave = None  # the teacher's mark replaces what the leave filled in
    return (not had_in and row.checked_in_at is not None), (not had_out and row.checked_out_at is not None)


@transaction.atomic
def attendance_mark(*, actor: Actor, lesson: Lesson, marks: Sequence[Any]) -> RollResult:
    """Mark students of a lesson's roll (teacher of the lesson or school admin), within the marking window or,
    after the lesson, the correction window (audited, flagged); guardians are told of check-in and absence."""
    cleaned = clean_marks(marks)
    lesson = _locked_lesson(actor, lesson)
    window = _open_window(lesson)
    students = _roster(lesson, [m.student_id for m in cleaned])
    now = timeutil.now()
    latest_in = aware(window.end)
    existing = {
        row.student_id: row
        for row in StudentAttendance.objects.filter(lesson_id=lesson.pk, student_id__in=list(students))
    }
    rows: list[StudentAttendance] = []
    changes: list[dict[str, Any]] = []
    events: list[tuple[Student, str, str]] = []
    for mark in cleaned:
        student = students[mark.student_id]
        row = existing.get(mark.student_id)
        old = row.status if row is not None else None
        note_changed = mark.note is not None and (row is None or row.note != mark.note)
        if old == mark.status and not note_changed:
            continue  # the same status again: nothing written, nobody told
        if row is None:
            row = StudentAttendance(lesson_id=lesson.pk, student_id=student.pk)
        checked_in, checked_out = (False, False) if old == mark.status else _apply(row, mark.status, now, latest_in)
        if mark.note is not None:
            row.note = mark.note
        row.marked_by = actor.user
        if window.is_correction and old != mark.status:
            row.corrected = True
        row.save()
        rows.append(row)
        change: dict[str, Any] = {"student": student.pk, "name": student.name, "from": old, "to": mark.status}
        if note_changed:
            change["note"] = row.note
        changes.append(change)
        if checked_in:
            events.append((student, "已签到", local_time(row.checked_in_at)))
        if checked_out:
            events.append((student, "已签退", local_time(row.checked_out_at)))
        if mark.status == AttendanceStatus.ABSENT and old != AttendanceStatus.ABSENT:
            events.append((student, "缺勤", f"{lesson.starts_at:%H:%M}"))
    return _recorded(actor, lesson, "mark", window, rows=rows, changes=changes, events=events)


def _recorded(
    actor: Actor, lesson: Lesson, kind: str, window: RollWindow, *, rows: list[StudentAttendance],
    changes: list[dict[str, Any]], events: list[Any],
) -> RollResult:  # fmt: skip
    """One audit row for what changed on the roll, and the guardians told (after commit); nothing when nothing
    changed."""
    if changes:
        record_write(
            actor=actor,
            event=AuditEventType.UPDATE,
            obj=lesson,
            detail={"attendance": kind, "correction": window.is_correction, "changes": changes},
        )
        _tell_guardians(lesson, events)
    return RollResult(rows=rows, changes=changes, correction=window.is_correction)


@transaction.atomic
def attendance_check_out(*, actor: Actor, lesson: Lesson, student_ids: Sequence[Any] | None = None) -> RollResult:
    """Check out the attended students of a lesson that have no check-out time yet (all of them, or those named);
    a named student who did not attend is refused. Same who and when as marking; guardians are told."""
    wanted: list[int] | None = None
    if student_ids is not None:
        wanted = []
        for value in student_ids:
            number = _int_id(value)
            if number is None:
                raise ValidationFailed({"student_ids": ["请选择有效的学生"]})
            wanted.append(number)
        if not wanted:
            raise ValidationFailed({"student_ids": ["请至少选择一名学生"]})
        if len(wanted) > MAX_MARKS:
            raise ValidationFailed({"student_ids": [f"一次最多签退 {MAX_MARKS} 名学生"]})
    lesson = _locked_lesson(actor, lesson)
    window = _open_window(lesson)
    rows_qs = StudentAttendance.objects.filter(lesson_id=lesson.pk).select_related("student")
    if wanted is not None:
        _roster(lesson, wanted)
        rows_qs = rows_qs.filter(student_id__in=wanted)
        found = {row.student_id: row for row in rows_qs}
        absent = [pk for pk in wanted if pk not in found or found[pk].status not in ATTENDED]
        if absent:
            names = dict(Student.objects.filter(pk__in=absent).values_list("pk", "name"))
            raise ValidationFailed(
                {"student_ids": [f"未签到，不能签退：{'、'.join(names.get(pk, f'#{pk}') for pk in absent)}"]},
                message="有学生未签到，不能签退",
            )
    now = timeutil.now()
    rows: list[StudentAttendance] = []
    changes: list[dict[str, Any]] = []
    events: list[tuple[Student, str, str]] = []
    for row in rows_qs.filter(status__in=ATTENDED, checked_out_at__isnull=True).order_by("student_id"):
        row.checked_out_at = now
        row.marked_by = actor.user
        row.save(update_fields=["checked_out_at", "marked_by", "updated_at"])
        rows.append(row)
        changes.append({"student": row.student_id, "name": row.student.name, "checked_out": now.isoformat()})
        events.append((row.student, "已签退", local_time(now)))
    return _recorded(actor, lesson, "check_out", window, rows=rows, changes=changes, events=events)


@transaction.atomic
def attendance_mark_unmarked(*, actor: Actor, lesson: Lesson, status: str = AttendanceStatus.PRESENT) -> RollResult:
    """未点名的全部出勤: every student on the roll without a row gets `status` (one request, one audit row). The
    lesson is locked first, so a mark made meanwhile by another teacher is not overwritten."""
    lesson = _locked_lesson(actor, lesson)
    marked = set(StudentAttendance.objects.filter(lesson_id=lesson.pk).values_list("student_id", flat=True))
    todo = [s.pk for s in roll_students(lesson) if s.pk not in marked]
    if not todo:
        _open_window(lesson)
        raise Conflict("nothing_to_mark", "所有学生都已点名")
    return attendance_mark(actor=actor, lesson=lesson, marks=[{"student_id": pk, "status": status} for pk in todo])

"""Writes of the regular class timetable (班级常规课表): school admins (and system admins).

Rules: one entry per class, weekday and period; it ends after it starts; its teacher is staff of the class's
school and is not already teaching another class at the same weekday and period.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction

from afterschool.accounts.choices import AuditEventType
from afterschool.accounts.services import record_write
from afterschool.core.choices import Weekday
from afterschool.core.errors import Conflict, ValidationFailed
from afterschool.core.services import apply_changes, delete_or_refuse, validate_and_save
from afterschool.tenancy.actor import Actor
from afterschool.tenancy.models import School

from ..models import SchoolClass, TimetableEntry
from ..selectors import timetable as selectors
from .structure import check_staff_of_school, require_school_writer

ENTRY_FIELDS = ("weekday", "period", "starts_at", "ends_at", "subject", "teacher")
MAX_PERIOD = 20


def _check_entry(entry: TimetableEntry) -> None:
    school_class = entry.school_class
    if entry.weekday not in Weekday.values:
        raise ValidationFailed({"weekday": ["星期须为 1（星期一）至 7（星期日）"]})
    if not isinstance(entry.period, int) or not 1 <= entry.period <= MAX_PERIOD:
        raise ValidationFailed({"period": [f"节次须为 1 至 {MAX_PERIOD}"]})
    if isinstance(entry.starts_at, dt.time) and isinstance(entry.ends_at, dt.time) and entry.ends_at <= entry.starts_at:
        raise ValidationFailed({"ends_at": ["结束时间须晚于开始时间"]})
    check_staff_of_school(entry.teacher, school_class.school, field="teacher", what="任课教师")
    day = Weekday(entry.weekday).label
    taken = (
        TimetableEntry.objects.filter(school_class=school_class, weekday=entry.weekday, period=entry.period)
        .exclude(pk=entry.pk)
        .first()
    )
    if taken is not None:
        message = f"{school_class}{day}第 {entry.period} 节已有课程（{taken.subject}），不能重复安排"
        raise Conflict("timetable_cell_taken", message, detail={"period": [message]})
    if entry.teacher is not None:
        busy = (
            TimetableEntry.objects.filter(teacher=entry.teacher, weekday=entry.weekday, period=entry.period)
            .exclude(pk=entry.pk)
            .select_related("school_class__grade")
            .first()
        )
        if busy is not None:
            message = (
                f"{entry.teacher.name}在{day}第 {entry.period} 节已在{busy.school_class}上{busy.subject}，"
                "同一教师不能同时在两个班上课"
            )
            raise Conflict("teacher_busy", message, detail={"teacher": [message]})


def _lock(school: School) -> None:
    # Serialises timetable writes of one school so the teacher-clash check cannot be raced.
    School.objects.select_for_update().filter(pk=school.pk).first()


@transaction.atomic
def timetable_entry_create(*, actor: Actor, school_class: SchoolClass, data: dict[str, Any]) -> TimetableEntry:
    """School admins add a cell to one of their classes' weekly timetable."""
    require_school_writer(actor)
    school_class = selectors.timetable_class_get(actor=actor, school_class_id=school_class.pk)
    _lock(school_class.school)
    entry = TimetableEntry(school_class=school_class)
    apply_changes(entry, data, allowed=ENTRY_FIELDS)
    _check_entry(entry)
    validate_and_save(entry)
    record_write(actor=actor, event=AuditEventType.CREATE, obj=entry, detail={"school_class": school_class.pk})
    return entry


@transaction.atomic
def timetable_entry_update(*, actor: Actor, entry: TimetableEntry, data: dict[str, Any]) -> TimetableEntry:
    require_school_writer(actor)
    entry = selectors.timetable_entry_get(actor=actor, entry_id=entry.pk)
    _lock(entry.school_class.school)
    diff = apply_changes(entry, data, allowed=ENTRY_FIELDS)
    _check_entry(entry)
    validate_and_save(entry)
    record_write(actor=actor, event=AuditEventType.UPDATE, obj=entry, detail={"changes": diff})
    return entry


@transaction.atomic
def timetable_entry_delete(*, actor: Actor, entry: TimetableEntry) -> None:
    require_school_writer(actor)
    entry = selectors.timetable_entry_get(actor=actor, entry_id=entry.pk)
    record_write(actor=actor, event=AuditEventType.DELETE, obj=entry, detail={"school_class": entry.school_class_id})
    delete_or_refuse(entry, what="课表条目")

"""Writes of enrollments: the school places students into a section and removes them (§5.2.2).

Rules of every placement (shared with split and move in afterschool/scheduling/services/operations.py):
- the section is draft, open or running (never finished or cancelled);
- the student belongs to the section's school, is in one of its grades and, for a 原班 section, in one of its
  classes;
- capacity: the section row is locked (SELECT … FOR UPDATE) and its active enrolments counted before writing,
  so concurrent placements never go beyond `max_students`; the partial unique constraint (one active enrolment
  per student and section) guards double placements, its IntegrityError answered as a clear Conflict;
- the student has no time conflict with its other active enrolments (`student_time_conflicts`).

Batch enrolment is NOT all-or-nothing: every student that passes the checks is enrolled, and the result names
each refused student with the reason (a school enrolling a whole class wants the class in, and a list of the few
to look at). Each placement and removal writes a SectionEvent, an audit row and a notification to the student's
guardians, in the same transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from afterschool.accounts.choices import AuditEventType, Role
from afterschool.accounts.services import record_write
from afterschool.core.errors import Conflict, PermissionDenied, ValidationFailed
from afterschool.notifications.choices import NotificationKind
from afterschool.notifications.services.inbox import notify
from afterschool.scheduling.choices import LessonStatus, SectionEventKind, SectionMode, SectionStatus
from afterschool.scheduling.models import Section, SectionEvent
from afterschool.schools.models import SchoolClass, Student
from afterschool.tenancy.actor import Actor

from .choices import SEAT_HOLDING, EnrollmentSource, EnrollmentStatus
from .models import Enrollment

WRITERS = (Role.SYSTEM_ADMIN, Role.SCHOOL_ADMIN)
PLACEABLE = (SectionStatus.DRAFT, SectionStatus.OPEN, SectionStatus.RUNNING)
MAX_BATCH = 2000


# --- helpers shared with scheduling operations -------------------------------------------------------------------


def require_writer(actor: Actor) -> None:
    """Only school admins (of the section's school, through scoping) and system admins place students."""
    if not actor.is_system_admin and not actor.has_role(*WRITERS):
        raise PermissionDenied("只有学校管理员可以安排学生选课")


def lock_sections(*section_ids: int) -> dict[int, Section]:
    """Lock the sections' rows in id order (so two operations never wait on each other crosswise)."""
    ids = sorted(set(section_ids))
    rows = {s.pk: s for s in Section.objects.select_for_update().filter(pk__in=ids).order_by("pk")}
    return rows


def require_placeable(section: Section) -> None:
    if section.status not in PLACEABLE:
        raise Conflict("section_closed", f"课班“{section.name}”{section.get_status_display()}，不能再安排学生")


def active_count(section: Section) -> int:
    """Seats taken: active places and places held by an unpaid order (SEAT_HOLDING)."""
    return Enrollment.objects.filter(section=section, status__in=SEAT_HOLDING).count()


def require_capacity(section: Section, adding: int) -> None:
    """Refuse beyond max_students, naming the numbers. Call with the section row locked."""
    current = active_count(section)
    if current + adding > section.max_students:
        raise Conflict(
            "section_full",
            f"课班“{section.name}”最多 {section.max_students} 人，已有 {current} 人，"
            f"不能再加入 {adding} 人（尚余 {max(section.max_students - current, 0)} 个名额）",
            detail={"max_students": section.max_students, "active": current, "adding": adding},
        )


def eligibility_error(student: Student, section: Section) -> str | None:
    """None when the student may be placed in the section, else the Chinese reason."""
    if student.school_id != section.school_id:
        return f"{student.name}不是本课班所在学校的学生"
    if not student.is_active:
        return f"{student.name}已不在读"
    if student.grade_id not in {g.pk for g in section.grades.all()}:
        return f"{student.name}所在年级不在课班“{section.name}”的报名年级内"
    if section.mode == SectionMode.CLASS:
        class_ids = {c.pk for c in section.classes.all()}
        if student.school_class_id not in class_ids:
            return f"{student.name}所在班级不在原班课班“{section.name}”的班级内"
    return None


def _overlap(a_start: dt.time, a_end: dt.time, b_start: dt.time, b_end: dt.time) -> bool:
    return a_start < b_end and b_start < a_end


def _hm(value: dt.time) -> str:
    return value.strftime("%H:%M")


WEEKDAYS = "一二三四五六日"


Meetings = list[tuple[dt.date, dt.time, dt.time]]
Weekly = list[tuple[int, dt.time, dt.time]]


def _section_times(section: Section) -> tuple[Meetings, Weekly]:
    lessons = [
        (lesson.date, lesson.starts_at, lesson.ends_at)
        for lesson in section.lessons.all()
        if lesson.status == LessonStatus.SCHEDULED
    ]
    slots = [(slot.weekday, slot.starts_at, slot.ends_at) for slot in section.slots.all()]
    return lessons, slots


def _conflict_between(a: Section, b: Section) -> str | None:
    """The first clash of a's and b's meetings, as text, or None. Lessons against lessons when both have lessons;
    otherwise weekly slots (or the lessons of the one that has them against the other's slots) within the date
    range both sections run."""
    a_lessons, a_slots = _section_times(a)
    b_lessons, b_slots = _section_times(b)
    if a_lessons and b_lessons:
        by_date: dict[dt.date, list[tuple[dt.time, dt.time]]] = {}
        for day, start, end in b_lessons:
            by_date.setdefault(day, []).append((start, end))
        for day, start, end in sorted(a_lessons):
            for b_start, b_end in by_date.get(day, []):
                if _overlap(start, end, b_start, b_end):
                    return f"{day:%Y-%m-%d} {_hm(start)}–{_hm(end)} 与 {_hm(b_start)}–{_hm(b_end)} 重叠"
        return None
    first, last = max(a.starts_on, b.starts_on), min(a.ends_on, b.ends_on)
    if first > last:
        return None
    if a_lessons or b_lessons:  # one has lessons, the other only weekly slots
        lessons, slots = (a_lessons, b_slots) if a_lessons else (b_lessons, a_slots)
        for day, start, end in sorted(lessons):
            if not first <= day <= last:
                continue
            for weekday, s_start, s_end in slots:
                if weekday == day.isoweekday() and _overlap(start, end, s_start, s_end):
                    weekly = f"每周{WEEKDAYS[weekday - 1]} {_hm(s_start)}–{_hm(s_end)}"
                    return f"{day:%Y-%m-%d} {_hm(start)}–{_hm(end)} 与{weekly}重叠"
        return None
    span = (last - first).days
    weekdays_in_range = {(first + dt.timedelta(days=i)).isoweekday() for i in range(min(span, 6) + 1)}
    for weekday, start, end in sorted(a_slots):
        if weekday not in weekdays_in_range:
            continue
        for b_weekday, b_start, b_end in b_slots:
            if weekday == b_weekday and _overlap(start, end, b_start, b_end):
                return f"每周{WEEKDAYS[weekday - 1]} {_hm(start)}–{_hm(end)} 与 {_hm(b_start)}–{_hm(b_end)} 重叠"
    return None


def student_time_conflicts(*, student: Student, section: Section, exclude_section_ids: Iterable[int] = ()) -> list[str]:
    """The student's other places, paid or awaiting payment (not in cancelled or finished sections;
    `exclude_section_ids` left out, e.g. the section a move starts from) whose meetings overlap this section's, as
    Chinese messages."""
    excluded = {section.pk, *exclude_section_ids}
    others = (
        Section.objects.filter(enrollments__student=student, enrollments__status__in=SEAT_HOLDING)
        .exclude(pk__in=[pk for pk in excluded if pk is not None])
        .exclude(status__in=(SectionStatus.CANCELLED, SectionStatus.FINISHED))
        .prefetch_related("lessons", "slots")
        .distinct()
        .order_by("pk")
    )
    messages = []
    for other in others:
        clash = _conflict_between(section, other)
        if clash:
            messages.append(f"{student.name}与已选课班“{other.name}”时间冲突：{clash}")
    return messages


def section_event(*, actor: Actor, section: Section, kind: str, detail: dict[str, Any]) -> SectionEvent:
    return SectionEvent.objects.create(section=section, kind=kind, detail=detail, actor=actor.user)


def guardian_user_ids(students: Iterable[Student]) -> list[int]:
    ids = [s.pk for s in students]
    return list(
        Student.guardians.through.objects.filter(student_id__in=ids, guardian__user__isnull=False)
        .values_list("guardian__user_id", flat=True)
        .distinct()
    )


def notify_guardians(*, students: Iterable[Student], kind: str, title: str, body: str, data: dict[str, Any]) -> int:
    return notify(recipients=guardian_user_ids(students), kind=kind, title=title, body=body, data=data)


def student_label(student: Student) -> dict[str, Any]:
    return {"id": student.pk, "name": student.name, "student_number": student.student_number}


def create_active(*, actor: Actor, section: Section, student: Student, source: str) -> Enrollment:
    """Insert the active enrolment; a concurrent duplicate (partial unique constraint) becomes a Conflict."""
    try:
        with transaction.atomic():
            return Enrollment.objects.create(
                section=section, student=student, source=source, status=EnrollmentStatus.ACTIVE,
                created_by=actor.user,
            )  # fmt: skip
    except IntegrityError:
        raise Conflict("already_enrolled", f"{student.name}已在课班“{section.name}”中") from None


def _placement_refusal(student: Student, section: Section) -> str | None:
    reason = eligibility_error(student, section)
    if reason:
        return reason
    if Enrollment.objects.filter(section=section, student=student, status__in=SEAT_HOLDING).exists():
        return f"{student.name}已在课班“{section.name}”中（或已报名待缴费）"
    conflicts = student_time_conflicts(student=student, section=section)
    if conflicts:
        return "；".join(conflicts)
    return None


# --- services ----------------------------------------------------------------------------------------------------


@transaction.atomic
def enrollment_create(*, actor: Actor, section: Section, student: Student) -> Enrollment:
    """Enrol one student into the section (school placement)."""
    require_writer(actor)
    section = lock_sections(section.pk)[section.pk]
    require_placeable(section)
    reason = _placement_refusal(student, section)
    if reason:
        raise ValidationFailed({"student": [reason]}, message=reason)
    require_capacity(section, 1)
    enrollment = create_active(actor=actor, section=section, student=student, source=EnrollmentSource.SCHOOL)
    _record_enrolled(actor=actor, section=section, enrollments=[enrollment])
    return enrollment


@dataclass
class BatchResult:
    enrolled: list[Enrollment] = field(default_factory=list)
    refused: list[tuple[Student, str]] = field(default_factory=list)


def batch_students(
    *, section: Section, students: Sequence[Student] | None = None, school_class: SchoolClass | None = None,
    all_classes: bool = False,
) -> list[Student]:  # fmt: skip
    """Who a batch names: the given students, or those (in the section's grades) of one class, or every student
    of the classes of a 原班 section."""
    if students is not None:
        return list(students)
    qs = Student.objects.filter(school=section.school, is_active=True)
    if school_class is not None:
        qs = qs.filter(school_class=school_class)
    elif all_classes:
        if section.mode != SectionMode.CLASS:
            raise ValidationFailed({"all_classes": ["只有原班课班可以按课班班级整体加入"]})
        qs = qs.filter(school_class__in=section.classes.all())
    else:
        raise ValidationFailed({"students": ["请选择学生、班级或课班的全部班级"]})
    return list(qs.select_related("school_class", "grade").order_by("student_number"))


@transaction.atomic
def enrollment_batch_create(
    *, actor: Actor, section: Section, students: Sequence[Student] | None = None,
    school_class: SchoolClass | None = None, all_classes: bool = False,
) -> BatchResult:  # fmt: skip
    """Enrol several students; each refused one is reported with its reason and the others are enrolled. Students
    already in the section are reported as refused (nothing changes for them). Capacity is filled in student
    number order; those beyond it are refused with the numbers."""
    require_writer(actor)
    section = lock_sections(section.pk)[section.pk]
    require_placeable(section)
    if school_class is not None and school_class.school_id != section.school_id:
        raise ValidationFailed({"school_class": ["该班级不属于本课班所在学校"]})
    candidates = batch_students(section=section, students=students, school_class=school_class, all_classes=all_classes)
    if not candidates:
        raise ValidationFailed({"students": ["没有可加入的学生"]})
    if len(candidates) > MAX_BATCH:
        raise ValidationFailed({"students": [f"一次最多加入 {MAX_BATCH} 名学生"]})
    result = BatchResult()
    free = section.max_students - active_count(section)
    seen: set[int] = set()
    for student in sorted(candidates, key=lambda s: (s.student_number, s.pk)):
        if student.pk in seen:
            continue
        seen.add(student.pk)
        reason = _placement_refusal(student, section)
        if reason is None and free <= 0:
            reason = f"课班“{section.name}”已满（最多 {section.max_students} 人）"
        if reason:
            result.refused.append((student, reason))
            continue
        try:
            result.enrolled.append(
                create_active(actor=actor, section=section, student=student, source=EnrollmentSource.SCHOOL)
            )
            free -= 1
        except Conflict as exc:
            result.refused.append((student, exc.message))
    if result.enrolled:
        _record_enrolled(actor=actor, section=section, enrollments=result.enrolled, batch=True)
    return result


def _record_enrolled(*, actor: Actor, section: Section, enrollments: list[Enrollment], batch: bool = False) -> None:
    students = [e.student for e in enrollments]
    section_event(
        actor=actor, section=section, kind=SectionEventKind.ENROLLED,
        detail={"students": [student_label(s) for s in students], "batch": batch},
    )  # fmt: skip
    for enrollment in enrollments:
        record_write(
            actor=actor, event=AuditEventType.CREATE, obj=enrollment,
            detail={"section": section.pk, "student": enrollment.student_id, "source": enrollment.source},
        )  # fmt: skip
    for student in students:
        notify_guardians(
            students=[student], kind=NotificationKind.ENROLLMENT, title=f"{student.name}已加入课班“{section.name}”",
            body=f"学校已安排{student.name}参加“{section.name}”（{section.course}）。",
            data={"section": section.pk, "student": student.pk},
        )  # fmt: skip


@transaction.atomic
def _offer_freed_seat(section: Section) -> None:
    """A seat freed here goes to the section's waitlist (payments), in the same transaction."""
    from afterschool.payments.services.waitlist import seat_freed

    seat_freed(section=section)


def enrollment_remove(*, actor: Actor, enrollment: Enrollment, reason: str) -> Enrollment:
    """Take an active enrolment out of its section with a reason (status removed)."""
    require_writer(actor)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed({"reason": ["请填写移出原因"]})
    if len(reason) > 200:
        raise ValidationFailed({"reason": ["原因最多 200 字"]})
    lock_sections(enrollment.section_id)
    enrollment = Enrollment.objects.select_for_update().select_related("section", "student").get(pk=enrollment.pk)
    if enrollment.status != EnrollmentStatus.ACTIVE:
        raise Conflict("not_active", f"该学生在本课班的状态为“{enrollment.get_status_display()}”，不能移出")
    section, student = enrollment.section, enrollment.student
    if section.status in (SectionStatus.FINISHED, SectionStatus.CANCELLED):
        raise Conflict("section_closed", f"课班“{section.name}”{section.get_status_display()}，不能移出学生")
    enrollment.status = EnrollmentStatus.REMOVED
    enrollment.ended_at = timezone.now()
    enrollment.end_reason = reason
    enrollment.save(update_fields=["status", "ended_at", "end_reason", "updated_at"])
    section_event(
        actor=actor, section=section, kind=SectionEventKind.REMOVED,
        detail={"students": [student_label(student)], "reason": reason},
    )  # fmt: skip
    record_write(
        actor=actor, event=AuditEventType.UPDATE, obj=enrollment,
        detail={"status": [EnrollmentStatus.ACTIVE, EnrollmentStatus.REMOVED], "reason": reason},
    )  # fmt: skip
    notify_guardians(
        students=[student], kind=NotificationKind.ENROLLMENT, title=f"{student.name}已移出课班“{section.name}”",
        body=f"原因：{reason}", data={"section": section.pk, "student": student.pk},
    )  # fmt: skip
    _offer_freed_seat(section)
    return enrollment

"""Split, move, cancel (§5.2.2): operations on sections that carry their students along.

- Split: the section is cut into n parts (2..10). The ORIGINAL section stays part 1 and keeps its share of the
  students (its enrolments, history and lessons are untouched); parts 2..n are new sections copied from it (same
  course, term, fees, grades, classes, dates, capacity; named "<name>（2班）" …, split_from = the original). A new
  part gets the venue, teachers and weekly slots given for it, or none: then it is a draft to be scheduled (a
  part with weekly slots takes the original's status). Students are distributed by class (whole classes kept
  together; for a 原班 section each part's classes become the classes it received), balanced (contiguous runs
  of student numbers, sizes differing by at most one) or chosen (explicit lists for parts 2..n; the rest stay).
  A moved student's enrolment ends as "moved" with moved_to = its new enrolment (source "split").
- Move: a set of students from section A to section B of the same school, course and term; all or nothing, the
  refusal naming every student's reason. Old enrolments end as "moved" (moved_to, source "move").
- Cancel: reason required; the section's active enrolments end as "cancelled", its future lessons are
  cancelled, and `on_section_cancelled` — the single hook of the refund flow — refunds what was paid.

Each operation runs in one transaction, locks the section rows it changes, writes SectionEvents on every
section concerned, audit rows, and notifications to the guardians (and, on cancel, the teachers).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone

from afterschool.accounts.choices import AuditEventType
from afterschool.accounts.services import record_write
from afterschool.core.errors import Conflict, ValidationFailed
from afterschool.enrollment import services as enrolling
from afterschool.enrollment.choices import EnrollmentSource, EnrollmentStatus
from afterschool.enrollment.models import Enrollment
from afterschool.notifications.choices import NotificationKind
from afterschool.notifications.services.inbox import notify
from afterschool.schools.models import Student, Venue
from afterschool.tenancy.actor import Actor

from ..choices import LessonStatus, SectionEventKind, SectionMode, SectionStatus
from ..models import Lesson, Section, SectionSlot, SectionTeacher

SPLIT_STRATEGIES = ("class", "balanced", "chosen")
MAX_PARTS = 10
COPIED_FIELDS = (
    "school_id", "term_id", "course_id", "mode", "fee_fen", "materials_fee_fen", "materials_included",
    "min_students", "max_students", "starts_on", "ends_on", "registration_window_id", "sessions_per_week",
)  # fmt: skip


def _active(section: Section) -> list[Enrollment]:
    return list(
        Enrollment.objects.filter(section=section, status=EnrollmentStatus.ACTIVE)
        .select_related("student", "student__school_class", "student__grade")
        .order_by("student__student_number", "student_id")
    )


def _end_as_moved(old: Enrollment, new: Enrollment, *, reason: str) -> None:
    old.status = EnrollmentStatus.MOVED
    old.ended_at = timezone.now()
    old.end_reason = reason[:200]
    old.moved_to = new
    old.save(update_fields=["status", "ended_at", "end_reason", "moved_to", "updated_at"])


# --- split -------------------------------------------------------------------------------------------------------


def _distribute(
    strategy: str, enrollments: list[Enrollment], parts: int, chosen: Sequence[Sequence[int]] | None
) -> list[list[Enrollment]]:
    """Return `parts` lists of enrolments; list 0 stays in the original."""
    groups: list[list[Enrollment]] = [[] for _ in range(parts)]
    if strategy == "balanced":
        size, extra = divmod(len(enrollments), parts)
        start = 0
        for i in range(parts):
            end = start + size + (1 if i < extra else 0)
            groups[i] = enrollments[start:end]
            start = end
        return groups
    if strategy == "class":
        by_class: dict[int, list[Enrollment]] = {}
        for e in enrollments:
            by_class.setdefault(e.student.school_class_id, []).append(e)
        if len(by_class) < parts:
            raise ValidationFailed({"strategy": [f"学生只来自 {len(by_class)} 个班级，按班级不能分成 {parts} 个课班"]})
        # Largest class first, each to the part with the fewest students (ties: the lower part), deterministic.
        ordered = sorted(by_class.values(), key=lambda g: (-len(g), g[0].student.school_class.grade.level,
                                                            g[0].student.school_class.name))  # fmt: skip
        for group in ordered:
            target = min(range(parts), key=lambda i: (len(groups[i]), i))
            groups[target].extend(group)
        return groups
    # chosen
    if chosen is None or len(chosen) != parts - 1:
        raise ValidationFailed({"chosen": [f"请为第 2 至第 {parts} 个课班各给出一组学生"]})
    by_student = {e.student_id: e for e in enrollments}
    taken: set[int] = set()
    errors: list[str] = []
    for i, ids in enumerate(chosen, start=1):
        if not ids:
            errors.append(f"第 {i + 1} 个课班没有学生")
        for sid in ids:
            if sid not in by_student:
                errors.append(f"学生 {sid} 不在本课班的在读学生中")
            elif sid in taken:
                errors.append(f"{by_student[sid].student.name}被分到了多个课班")
            else:
                taken.add(sid)
                groups[i].append(by_student[sid])
    if errors:
        raise ValidationFailed({"chosen": errors})
    groups[0] = [e for e in enrollments if e.student_id not in taken]
    return groups


def _copy_section(actor: Actor, original: Section, number: int, spec: dict[str, Any]) -> Section:
    new = Section(
        name=f"{original.name}（{number}班）"[:64], split_from=original, created_by=actor.user,
        **{f: getattr(original, f) for f in COPIED_FIELDS},
    )  # fmt: skip
    slots = spec.get("slots") or []
    venue = spec.get("venue")
    if venue is not None and (not isinstance(venue, Venue) or venue.school_id != original.school_id):
        raise ValidationFailed({"venue": [f"第 {number} 个课班的场地不属于本校"]})
    new.venue = venue
    new.status = original.status if slots and original.status != SectionStatus.DRAFT else SectionStatus.DRAFT
    new.save()
    new.grades.set(original.grades.all())
    new.classes.set(original.classes.all())
    new.allowed_slots.set(original.allowed_slots.all())
    new.preferred_slots.set(original.preferred_slots.all())
    new.candidate_venues.set(original.candidate_venues.all())
    for i, user in enumerate(spec.get("teachers") or []):
        SectionTeacher.objects.create(section=new, user=user, is_main=i == 0)
    for slot in slots:
        if slot["ends_at"] <= slot["starts_at"]:
            raise ValidationFailed({"slots": [f"第 {number} 个课班的上课时间须结束晚于开始"]})
        SectionSlot.objects.create(
            section=new, weekday=slot["weekday"], starts_at=slot["starts_at"], ends_at=slot["ends_at"],
            time_slot=slot.get("time_slot"),
        )  # fmt: skip
    return new


def _check_new_parts(original: Section, parts: Sequence[Section]) -> None:
    """A new part given a schedule must be teachable and free: its teachers may teach at the school for the
    course, and its slots clash with no busy teacher, venue or (原班) class — the same rules as creating it."""
    from afterschool.courses.services.dispatch import teacher_may_teach

    from .sections import check_schedule_conflicts

    for part in parts:
        teachers = list(part.teachers.all())
        for user in teachers:
            reason = teacher_may_teach(
                school=part.school, user=user, starts_on=part.starts_on, ends_on=part.ends_on,
                category=original.course.category,
            )  # fmt: skip
            if reason is not None:
                raise ValidationFailed({"teachers": [f"“{part.name}”的教师{user}：{reason}"]})
        slots = [
            {"weekday": s.weekday, "starts_at": s.starts_at, "ends_at": s.ends_at, "time_slot": s.time_slot}
            for s in part.slots.all()
        ]
        if slots:
            check_schedule_conflicts(part, slots=slots, teachers=teachers, classes=list(part.classes.all()))


@transaction.atomic
def section_split(
    *, actor: Actor, section: Section, parts: int, strategy: str,
    chosen: Sequence[Sequence[int]] | None = None, new_sections: Sequence[dict[str, Any]] | None = None,
) -> list[Section]:  # fmt: skip
    """Split the section into `parts` sections (the original and parts-1 new ones). `new_sections[i]` (optional)
    gives venue / teachers (users) / slots (dicts of weekday, starts_at, ends_at, time_slot) of new part i+2.
    Returns [original, new parts…]."""
    enrolling.require_writer(actor)
    original = enrolling.lock_sections(section.pk)[section.pk]
    enrolling.require_placeable(original)
    if not 2 <= parts <= MAX_PARTS:
        raise ValidationFailed({"parts": [f"分班数须在 2 到 {MAX_PARTS} 之间"]})
    if strategy not in SPLIT_STRATEGIES:
        raise ValidationFailed({"strategy": ["分班方式须为按班级、均分或指定"]})
    specs = list(new_sections or [])
    if len(specs) > parts - 1:
        raise ValidationFailed({"new_sections": [f"最多为 {parts - 1} 个新课班给出安排"]})
    specs += [{} for _ in range(parts - 1 - len(specs))]
    enrollments = _active(original)
    if len(enrollments) < parts:
        raise Conflict("too_few_students", f"课班只有 {len(enrollments)} 名在读学生，不能分成 {parts} 个课班")
    groups = _distribute(strategy, enrollments, parts, chosen)
    for i, group in enumerate(groups):
        if len(group) > original.max_students:
            raise Conflict(
                "section_full", f"第 {i + 1} 个课班将有 {len(group)} 人，超过最多 {original.max_students} 人"
            )
        if not group:
            raise ValidationFailed({"parts": [f"第 {i + 1} 个课班没有分到学生"]})
    new_sections_made = [_copy_section(actor, original, i + 2, spec) for i, spec in enumerate(specs)]
    # The new parts' weekly slots may clash with a moved student's other sections (the original excluded).
    refusals = [
        msg
        for new, group in zip(new_sections_made, groups[1:], strict=True)
        for e in group
        for msg in enrolling.student_time_conflicts(student=e.student, section=new, exclude_section_ids=[original.pk])
    ]
    if refusals:
        raise ValidationFailed({"students": refusals}, message="部分学生与新课班时间冲突，未分班")
    if original.mode == SectionMode.CLASS and strategy == "class":
        for part, group in zip([original, *new_sections_made], groups, strict=True):
            part.classes.set(sorted({e.student.school_class_id for e in group}))
    _check_new_parts(original, new_sections_made)
    moved: list[tuple[Enrollment, Enrollment]] = []
    for new, group in zip(new_sections_made, groups[1:], strict=True):
        for old in group:
            new_enrollment = enrolling.create_active(
                actor=actor, section=new, student=old.student, source=EnrollmentSource.SPLIT
            )
            _end_as_moved(old, new_enrollment, reason=f"分班至“{new.name}”")
            moved.append((old, new_enrollment))
    summary = {
        "strategy": strategy,
        "original": original.pk,
        "parts": [
            {"section": part.pk, "name": part.name, "students": [enrolling.student_label(e.student) for e in group]}
            for part, group in zip([original, *new_sections_made], groups, strict=True)
        ],
    }
    for part in [original, *new_sections_made]:
        enrolling.section_event(actor=actor, section=part, kind=SectionEventKind.SPLIT, detail=summary)
    record_write(actor=actor, event=AuditEventType.UPDATE, obj=original, detail={"split": summary})
    for new in new_sections_made:
        record_write(actor=actor, event=AuditEventType.CREATE, obj=new, detail={"split_from": original.pk})
    for old, new_enrollment in moved:
        record_write(
            actor=actor, event=AuditEventType.UPDATE, obj=old,
            detail={"status": [EnrollmentStatus.ACTIVE, EnrollmentStatus.MOVED], "moved_to": new_enrollment.pk},
        )  # fmt: skip
        record_write(actor=actor, event=AuditEventType.CREATE, obj=new_enrollment, detail={"source": "split"})
        student = old.student
        enrolling.notify_guardians(
            students=[student], kind=NotificationKind.SECTION_CHANGED,
            title=f"{student.name}已分班至“{new_enrollment.section.name}”",
            body=f"课班“{original.name}”分班，{student.name}今后参加“{new_enrollment.section.name}”。",
            data={"section": new_enrollment.section_id, "from_section": original.pk, "student": student.pk},
        )  # fmt: skip
    return [original, *new_sections_made]


# --- move --------------------------------------------------------------------------------------------------------


@transaction.atomic
def students_move(
    *, actor: Actor, source: Section, target: Section, students: Sequence[Student], reason: str = ""
) -> list[Enrollment]:
    """Move the students' active enrolments from `source` to `target` (same school, course and term). All or
    nothing: any refusal raises ValidationFailed with one reason per refused student."""
    enrolling.require_writer(actor)
    if source.pk == target.pk:
        raise ValidationFailed({"target": ["调入课班不能与原课班相同"]})
    locked = enrolling.lock_sections(source.pk, target.pk)
    source, target = locked[source.pk], locked[target.pk]
    if (source.school_id, source.course_id, source.term_id) != (target.school_id, target.course_id, target.term_id):
        raise ValidationFailed({"target": ["只能在同一学期、同一课程的课班之间调班"]})
    enrolling.require_placeable(source)
    enrolling.require_placeable(target)
    if not students:
        raise ValidationFailed({"students": ["请选择要调班的学生"]})
    reason = (reason or "").strip()[:200]
    olds: list[Enrollment] = []
    refusals: list[str] = []
    for student in dict.fromkeys(students):
        old = Enrollment.objects.filter(section=source, student=student, status=EnrollmentStatus.ACTIVE).first()
        if old is None:
            refusals.append(f"{student.name}不在课班“{source.name}”中")
            continue
        problem = enrolling.eligibility_error(student, target)
        if (
            problem is None
            and Enrollment.objects.filter(section=target, student=student, status=EnrollmentStatus.ACTIVE).exists()
        ):
            problem = f"{student.name}已在课班“{target.name}”中"
        if problem is None:
            clashes = enrolling.student_time_conflicts(student=student, section=target, exclude_section_ids=[source.pk])
            problem = "；".join(clashes) or None
        if problem:
            refusals.append(problem)
        else:
            olds.append(old)
    if refusals:
        raise ValidationFailed({"students": refusals}, message="部分学生不能调班，未做任何调整")
    enrolling.require_capacity(target, len(olds))
    moved = []
    for old in olds:
        new = enrolling.create_active(actor=actor, section=target, student=old.student, source=EnrollmentSource.MOVE)
        _end_as_moved(old, new, reason=reason or f"调班至“{target.name}”")
        moved.append(new)
    detail = {
        "from": source.pk, "from_name": source.name, "to": target.pk, "to_name": target.name, "reason": reason,
        "students": [enrolling.student_label(o.student) for o in olds],
    }  # fmt: skip
    for section in (source, target):
        enrolling.section_event(actor=actor, section=section, kind=SectionEventKind.STUDENTS_MOVED, detail=detail)
    for old, new in zip(olds, moved, strict=True):
        record_write(
            actor=actor, event=AuditEventType.UPDATE, obj=old,
            detail={"status": [EnrollmentStatus.ACTIVE, EnrollmentStatus.MOVED], "moved_to": new.pk},
        )  # fmt: skip
        record_write(actor=actor, event=AuditEventType.CREATE, obj=new, detail={"source": "move"})
        enrolling.notify_guardians(
            students=[old.student], kind=NotificationKind.SECTION_CHANGED,
            title=f"{old.student.name}已调班至“{target.name}”",
            body=f"{old.student.name}由“{source.name}”调至“{target.name}”。" + (f"原因：{reason}" if reason else ""),
            data={"section": target.pk, "from_section": source.pk, "student": old.student_id},
        )  # fmt: skip
    from afterschool.payments.services.waitlist import seat_freed

    seat_freed(section=source)  # the seats the students left go to the source's waitlist
    return moved


# --- cancel ------------------------------------------------------------------------------------------------------


def on_section_cancelled(section: Section, enrollments: Sequence[Enrollment]) -> dict[str, Any]:
    """THE single hook point of the refund flow for a cancelled section.

    Refunds every paid order of these enrolments in full, automatically (`payments.services.refunds.
    refunds_for_cancelled_section`: PROCESSING → bank → SUCCEEDED, or FAILED with a retry for the school — the bank
    never makes the cancellation fail), and closes the section's unpaid orders. Returns the record stored in the
    section's CANCELLED event (`"refund": "started"`, the enrolments, refund numbers, amounts, failures)."""
    from afterschool.payments.services.refunds import refunds_for_cancelled_section

    return refunds_for_cancelled_section(section=section, enrollments=list(enrollments))


@transaction.atomic
def section_cancel(*, actor: Actor, section: Section, reason: str) -> Section:
    """Cancel the section: its active enrolments end (cancelled), its lessons from today on are cancelled."""
    enrolling.require_writer(actor)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed({"reason": ["请填写取消原因"]})
    if len(reason) > 200:
        raise ValidationFailed({"reason": ["原因最多 200 字"]})
    section = enrolling.lock_sections(section.pk)[section.pk]
    if section.status == SectionStatus.FINISHED:
        raise Conflict("section_finished", f"课班“{section.name}”已结课，不能取消")
    if section.status == SectionStatus.CANCELLED:
        raise Conflict("section_cancelled", f"课班“{section.name}”已取消")
    now = timezone.now()
    old_status = section.status
    section.status = SectionStatus.CANCELLED
    section.cancel_reason = reason
    section.cancelled_at = now
    section.save(update_fields=["status", "cancel_reason", "cancelled_at", "updated_at"])
    enrollments = _active(section)
    for e in enrollments:
        e.status = EnrollmentStatus.CANCELLED
        e.ended_at = now
        e.end_reason = f"课班取消：{reason}"[:200]
        e.save(update_fields=["status", "ended_at", "end_reason", "updated_at"])
    today: dt.date = timezone.localdate()
    future = list(Lesson.objects.filter(section=section, status=LessonStatus.SCHEDULED, date__gte=today))
    teacher_ids = set(SectionTeacher.objects.filter(section=section).values_list("user_id", flat=True))
    teacher_ids |= set(Lesson.teachers.through.objects.filter(lesson__in=future).values_list("user_id", flat=True))
    Lesson.objects.filter(pk__in=[lesson.pk for lesson in future]).update(
        status=LessonStatus.CANCELLED, cancel_reason=f"课班取消：{reason}"[:200], updated_at=now
    )
    refund = on_section_cancelled(section, enrollments)
    enrolling.section_event(
        actor=actor, section=section, kind=SectionEventKind.CANCELLED,
        detail={
            "reason": reason, "from_status": old_status, "lessons_cancelled": len(future),
            "students": [enrolling.student_label(e.student) for e in enrollments], **refund,
        },
    )  # fmt: skip
    record_write(
        actor=actor, event=AuditEventType.UPDATE, obj=section,
        detail={"status": [old_status, SectionStatus.CANCELLED], "reason": reason, "enrollments": len(enrollments),
                "lessons_cancelled": len(future)},
    )  # fmt: skip
    title = f"课班“{section.name}”已取消"
    data = {"section": section.pk}
    enrolling.notify_guardians(
        students=[e.student for e in enrollments], kind=NotificationKind.SECTION_CANCELLED, title=title,
        body=f"原因：{reason}。已缴费用的退费将另行通知。", data=data,
    )  # fmt: skip
    notify(
        recipients=teacher_ids, kind=NotificationKind.SECTION_CANCELLED, title=title, body=f"原因：{reason}", data=data
    )
    return section

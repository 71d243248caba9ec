"""请假 (§5.4.4, §5.3.2): a family asks leave for a child from lessons that have not started; the section's teacher or
the school decides; an approved leave fills those lessons' attendance with 请假. A teacher asks leave for a lesson it
teaches; the school approves it by assigning a substitute or cancelling the lesson, or rejects it.

Rules
- A student leave request covers lessons of one section: lessons of several sections make several requests. Refused
  (each naming the lesson, "11月10日 15:40 的课已开始，不能请假"): a lesson that started (its wall-clock start is
  now or past), a cancelled lesson, a lesson of a section where the child holds no active place, a lesson already
  covered by a pending or approved request of the child. The child's row is locked while checking, so two requests
  at once cannot cover one lesson twice.
- A decision locks the request row (SELECT … FOR UPDATE): only a pending request is decided; the second of two
  decisions at once gets a Conflict (409). On approval each lesson not started yet gets the attendance row "leave"
  (a row a teacher has already marked — `marked_by` set — stays as it is); lessons that started before the decision
  are skipped and named in the notice. Approval locks those lessons' rows first, as the roll does before marking.
  Rejection needs a reason.
- Only the family (a guardian with a login, the student itself) withdraws, and only while pending.
- A teacher leave: one pending request per lesson and teacher (constraint); decided by the school admin, who assigns
  a substitute (scheduling's `lesson_substitute` checks dispatch and conflicts) or cancels the lesson (scheduling's
  `lesson_cancel` tells the guardians), or rejects with a reason.
Every write is audited; the people concerned are notified (NotificationKind.LEAVE).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from django.db import IntegrityError, transaction
from django.urls import reverse

from afterschool.accounts.choices import AuditEventType
from afterschool.accounts.models import User
from afterschool.accounts.services import record_write
from afterschool.core import timeutil
from afterschool.core.errors import AppError, Conflict, NotFound, PermissionDenied, ValidationFailed
from afterschool.notifications.choices import NotificationKind
from afterschool.notifications.services.inbox import notify
from afterschool.scheduling.choices import LessonStatus
from afterschool.scheduling.models import Lesson
from afterschool.scheduling.services.lessons import lesson_cancel, lesson_substitute
from afterschool.schools.models import Student
from afterschool.tenancy.actor import Actor

from ..choices import AttendanceStatus, LeaveStatus, TeacherLeaveResolution
from ..models import LeaveRequest, StudentAttendance, TeacherLeave
from ..selectors import leave as selectors
from ..selectors.common import TEACHING_ROLES, guardian_user_ids, lesson_started, taught_lessons

MAX_TEXT = 200


def _text(value: str | None, *, field: str, label: str, required: bool) -> str:
    text = (value or "").strip()
    message = ""
    if required and not text:
        message = f"请填写{label}"
    elif len(text) > MAX_TEXT:
        message = f"{label}最多 {MAX_TEXT} 字"
    elif "\x00" in text:
        message = f"{label}含有不允许的字符"
    if message:
        raise ValidationFailed({field: [message]}, message=message, code=f"{field}_invalid")
    return text


def _whens(lessons: Iterable[Lesson]) -> str:
    return "、".join(selectors.lesson_when(lesson) for lesson in lessons)


def _review_link(section_id: int) -> str:
    return f"{reverse('attendance:leaves')}?status=pending&section={section_id}"


def _family_ids(leave: LeaveRequest) -> list[int]:
    student = leave.student
    ids = list(guardian_user_ids([student]).get(student.pk, []))
    ids += [i for i in (student.user_id, leave.requested_by_id) if i is not None]
    return ids


# --- student leave requests ------------------------------------------------------------------------------------


@transaction.atomic
def leave_request(*, actor: Actor, student: Student, lessons: Iterable[Lesson], reason: str) -> list[LeaveRequest]:
    """A family (a guardian with a login, or the student itself) asks leave for the child from lessons that have not
    started, of sections where it holds an active place: one request per section; the section's teachers are told."""
    if not selectors.is_family(actor, student):
        raise NotFound()
    reason = _text(reason, field="reason", label="请假原因", required=True)
    wanted = {lesson.pk for lesson in lessons}
    if not wanted:
        raise ValidationFailed({"lessons": ["请选择要请假的课次"]}, message="请选择要请假的课次", code="no_lessons")
    student = Student.objects.select_for_update().get(pk=student.pk)  # one child's requests one at a time
    now = timeutil.local_now()
    fresh = list(
        Lesson.objects.filter(pk__in=wanted)
        .select_related("section", "section__course", "chapter")
        .order_by("date", "starts_at", "pk")
    )
    placed = set(selectors.placed_section_ids(student).values_list("section_id", flat=True))
    covered = selectors.covered_lesson_ids(student, list(wanted))
    errors: list[tuple[str, str]] = []
    if len(fresh) != len(wanted):
        errors.append(("not_placed", f"所选课次中有不属于{student.name}的课次"))
    for lesson in fresh:
        when = selectors.lesson_when(lesson)
        if lesson.section_id not in placed or lesson.section.school_id != student.school_id:
            errors.append(("not_placed", f"{when} 的课不是{student.name}所在课班的课"))
        elif lesson.status == LessonStatus.CANCELLED:
            errors.append(("lesson_cancelled", f"{when} 的课已停课，不用请假"))
        elif lesson_started(lesson, now):
            errors.append(("lesson_started", f"{when} 的课已开始，不能请假"))
        elif lesson.pk in covered:
            errors.append(("already_covered", f"{when} 的课已经请过假（待审批或已批准）"))
    if errors:
        raise ValidationFailed({"lessons": [m for _, m in errors]}, message=errors[0][1], code=errors[0][0])
    by_section: dict[int, list[Lesson]] = defaultdict(list)
    for lesson in fresh:
        by_section[lesson.section_id].append(lesson)
    created: list[LeaveRequest] = []
    for section_lessons in by_section.values():
        section = section_lessons[0].section
        leave = LeaveRequest.objects.create(student=student, section=section, reason=reason, requested_by=actor.user)
        leave.lessons.set(section_lessons)
        record_write(
            actor=actor, event=AuditEventType.CREATE, obj=leave,
            detail={"student": student.pk, "section": section.pk, "lessons": [x.pk for x in section_lessons],
                    "reason": reason},
        )  # fmt: skip
        notify(
            recipients=selectors.section_teacher_ids(section, section_lessons),
            kind=NotificationKind.LEAVE,
            title=f"请假申请：{student.name}",
            body=f"{student.name}申请“{section.name}” {_whens(section_lessons)} 的课请假：{reason}",
            link=_review_link(section.pk),
            data={"leave_id": leave.pk, "section_id": section.pk, "student_id": student.pk},
        )
        created.append(leave)
    return created


def _lock(leave: LeaveRequest) -> LeaveRequest:
    locked = LeaveRequest.objects.select_for_update().get(pk=leave.pk)
    # Related rows are read after the lock (a FOR UPDATE with joins would lock them too).
    return LeaveRequest.objects.select_related("student", "section", "section__school").get(pk=locked.pk)


def _mark_leave(leave: LeaveRequest, lesson: Lesson) -> bool:
    """Write "leave" for the lesson unless a teacher has marked it already (then it stays). True when written."""
    note = f"请假：{leave.reason}"[:MAX_TEXT]
    row = StudentAttendance.objects.select_for_update().filter(lesson=lesson, student_id=leave.student_id).first()
    if row is None:
        try:
            with transaction.atomic():
                StudentAttendance.objects.create(
                    lesson=lesson, student_id=leave.student_id, status=AttendanceStatus.LEAVE, leave=leave, note=note
                )
            return True
        except IntegrityError:  # the teacher marked it in the meantime
            row = StudentAttendance.objects.select_for_update().get(lesson=lesson, student_id=leave.student_id)
    if row.marked_by_id is not None:
        return False
    row.status, row.leave, row.note = AttendanceStatus.LEAVE, leave, note
    row.save(update_fields=["status", "leave", "note", "updated_at"])
    return True


@transaction.atomic
def leave_decide(*, actor: Actor, leave: LeaveRequest, approve: bool, note: str = "") -> LeaveRequest:
    """The section's teacher or the school admin approves or rejects (with a reason) a pending request; approval
    writes "leave" for its lessons not started yet; the family is told."""
    leave = _lock(leave)
    if not selectors.may_decide_leave(actor, leave):
        raise PermissionDenied("只有该课班的任课教师或学校管理员可以审批请假")
    if leave.status != LeaveStatus.PENDING:
        raise Conflict("leave_decided", f"该请假申请{leave.get_status_display()}，不能再审批")
    note = _text(note, field="note", label="驳回原因" if not approve else "审批意见", required=not approve)
    student, section = leave.student, leave.section
    lessons = list(leave.lessons.order_by("date", "starts_at", "pk"))
    marked: list[Lesson] = []
    kept: list[Lesson] = []
    skipped: list[Lesson] = []
    if approve:
        # The roll locks the lesson row before writing attendance; so do we, so a teacher marking at this moment
        # queues behind the approval (or the approval behind it) instead of both inserting a row.
        list(Lesson.objects.select_for_update().filter(pk__in=[x.pk for x in lessons]).order_by("pk").values("pk"))
        now = timeutil.local_now()
        for lesson in lessons:
            if lesson.status == LessonStatus.CANCELLED or lesson_started(lesson, now):
                skipped.append(lesson)
            elif _mark_leave(leave, lesson):
                marked.append(lesson)
            else:
                kept.append(lesson)
    leave.status = LeaveStatus.APPROVED if approve else LeaveStatus.REJECTED
    leave.decided_by = actor.user
    leave.decided_at = timeutil.now()
    leave.decision_note = note
    leave.save(update_fields=["status", "decided_by", "decided_at", "decision_note", "updated_at"])
    record_write(
        actor=actor, event=AuditEventType.UPDATE, obj=leave,
        detail={"decision": leave.status, "note": note, "marked": [x.pk for x in marked],
                "kept": [x.pk for x in kept], "skipped": [x.pk for x in skipped]},
    )  # fmt: skip
    if approve:
        title = f"请假已批准：{student.name}"
        body = f"{student.name}“{section.name}” {_whens(lessons)} 的请假已批准。"
        if skipped:
            body += f"{_whens(skipped)} 的课在审批前已开始或已停课，未记为请假。"
        if note:
            body += f"审批意见：{note}"
    else:
        title = f"请假已驳回：{student.name}"
        body = f"{student.name}“{section.name}” {_whens(lessons)} 的请假已驳回：{note}"
    notify(
        recipients=_family_ids(leave), kind=NotificationKind.LEAVE, title=title, body=body,
        link=reverse("attendance:my_leaves"), data={"leave_id": leave.pk, "status": leave.status},
    )  # fmt: skip
    leave.skipped_lessons = skipped  # type: ignore[attr-defined]
    return leave


@transaction.atomic
def leave_withdraw(*, actor: Actor, leave: LeaveRequest) -> LeaveRequest:
    """The family withdraws its request while it is pending; the section's teachers are told."""
    leave = _lock(leave)
    if not selectors.is_family(actor, leave.student):
        raise PermissionDenied("只有学生本人或家长可以撤回请假申请")
    if leave.status != LeaveStatus.PENDING:
        raise Conflict("leave_not_pending", f"该请假申请{leave.get_status_display()}，只能撤回待审批的申请")
    leave.status = LeaveStatus.WITHDRAWN
    leave.save(update_fields=["status", "updated_at"])
    record_write(actor=actor, event=AuditEventType.UPDATE, obj=leave, detail={"withdrawn": True})
    lessons = list(leave.lessons.order_by("date", "starts_at", "pk"))
    notify(
        recipients=selectors.section_teacher_ids(leave.section, lessons), kind=NotificationKind.LEAVE,
        title=f"请假已撤回：{leave.student.name}",
        body=f"{leave.student.name}撤回了“{leave.section.name}” {_whens(lessons)} 的请假申请。",
        link=_review_link(leave.section_id), data={"leave_id": leave.pk, "status": leave.status},
    )  # fmt: skip
    return leave


# --- teacher leaves --------------------------------------------------------------------------------------------


def _teacher_links() -> tuple[str, str]:
    return reverse("attendance:teacher_leaves") + "?status=pending", reverse("attendance:my_leaves")


@transaction.atomic
def teacher_leave_request(*, actor: Actor, lesson: Lesson, reason: str) -> TeacherLeave:
    """A teacher (school or organization) asks leave for one lesson it teaches that has not started; the school's
    admins are told."""
    if actor.role not in TEACHING_ROLES or actor.user is None:
        raise PermissionDenied("只有教师可以申请教师请假")
    if not taught_lessons(actor).filter(pk=lesson.pk).exists():
        raise NotFound()
    reason = _text(reason, field="reason", label="请假原因", required=True)
    Lesson.objects.select_for_update().filter(pk=lesson.pk).first()
    lesson = Lesson.objects.select_related("section", "section__school").get(pk=lesson.pk)
    when = selectors.lesson_when(lesson)
    if lesson.status == LessonStatus.CANCELLED:
        message = f"{when} 的课已停课，不用请假"
        raise ValidationFailed({"lesson": [message]}, message=message, code="lesson_cancelled")
    if lesson_started(lesson):
        message = f"{when} 的课已开始，不能请假"
        raise ValidationFailed({"lesson": [message]}, message=message, code="lesson_started")
    pending = Conflict("teacher_leave_pending", f"{when} 的课已有待审批的请假申请")
    if TeacherLeave.objects.filter(lesson=lesson, teacher=actor.user, status=LeaveStatus.PENDING).exists():
        raise pending
    try:
        with transaction.atomic():
            leave = TeacherLeave.objects.create(lesson=lesson, teacher=actor.user, reason=reason)
    except IntegrityError:
        raise pending from None
    record_write(actor=actor, event=AuditEventType.CREATE, obj=leave, detail={"lesson": lesson.pk, "reason": reason})
    section = lesson.section
    notify(
        recipients=selectors.school_admin_ids(section.school_id), kind=NotificationKind.LEAVE,
        title=f"教师请假：{actor.user}",
        body=f"{actor.user}申请“{section.name}” {when} 的课请假：{reason}",
        link=_teacher_links()[0], data={"teacher_leave_id": leave.pk, "lesson_id": lesson.pk},
    )  # fmt: skip
    return leave


def _scheduling_refusal(exc: AppError) -> AppError:
    """Scheduling's refusal of a substitute or a cancellation, placed on this form (the substitute field, or the whole
    form)."""
    if isinstance(exc, ValidationFailed) and isinstance(exc.detail, dict):
        detail: dict[str, list[str]] = {}
        for key, messages in exc.detail.items():
            target = "substitute" if key == "new_teacher" else "__all__"
            detail.setdefault(target, []).extend(str(m) for m in messages)
        first = next(iter(detail.values()))[0]
        return ValidationFailed(detail, message=first, code=exc.code)
    return exc


@transaction.atomic
def teacher_leave_decide(
    *, actor: Actor, leave: TeacherLeave, approve: bool, resolution: str = "", substitute: User | int | None = None,
    note: str = "",
) -> TeacherLeave:  # fmt: skip
    """The school admin approves a pending teacher leave with a substitute (a user or its id: one of the school's
    teachers) or by cancelling the lesson, or rejects it with a reason; the teacher is told (scheduling tells the
    lesson's teachers and the guardians of the change)."""
    TeacherLeave.objects.select_for_update().filter(pk=leave.pk).first()
    leave = TeacherLeave.objects.select_related("lesson", "lesson__section", "lesson__section__school", "teacher").get(
        pk=leave.pk
    )
    if not selectors.may_decide_teacher_leave(actor, leave):
        raise PermissionDenied("只有学校管理员可以审批教师请假")
    if leave.status != LeaveStatus.PENDING:
        raise Conflict("leave_decided", f"该请假申请{leave.get_status_display()}，不能再审批")
    note = _text(note, field="note", label="驳回原因" if not approve else "审批意见", required=not approve)
    lesson, section = leave.lesson, leave.lesson.section
    when = selectors.lesson_when(lesson)
    if not approve:
        leave.status = LeaveStatus.REJECTED
        body = f"“{section.name}” {when} 的请假已驳回：{note}"
    elif resolution == TeacherLeaveResolution.SUBSTITUTE:
        if substitute is None:
            raise ValidationFailed({"substitute": ["请选择代课教师"]}, message="请选择代课教师", code="substitute")
        substitute = selectors.substitute_get(
            lesson=lesson, user_id=substitute if isinstance(substitute, int) else substitute.pk
        )
        try:
            lesson_substitute(
                actor=actor, lesson=lesson, old_teacher=leave.teacher, new_teacher=substitute,
                reason=f"教师请假：{leave.reason}",
            )  # fmt: skip
        except AppError as exc:
            raise _scheduling_refusal(exc) from None
        leave.status, leave.resolution, leave.substitute = LeaveStatus.APPROVED, resolution, substitute
        body = f"“{section.name}” {when} 的请假已批准，由{substitute}代课。"
    elif resolution == TeacherLeaveResolution.CANCEL:
        try:
            lesson_cancel(actor=actor, lesson=lesson, reason=note or "任课教师请假")
        except ValidationFailed as exc:
            raise _scheduling_refusal(exc) from None
        leave.status, leave.resolution = LeaveStatus.APPROVED, resolution
        body = f"“{section.name}” {when} 的请假已批准，该课停课。"
    else:
        message = "请选择处理方式：安排代课或停课"
        raise ValidationFailed({"resolution": [message]}, message=message, code="resolution")
    leave.decided_by = actor.user
    leave.decided_at = timeutil.now()
    leave.decision_note = note
    leave.save(
        update_fields=["status", "resolution", "substitute", "decided_by", "decided_at", "decision_note", "updated_at"]
    )
    record_write(
        actor=actor, event=AuditEventType.UPDATE, obj=leave,
        detail={"decision": leave.status, "resolution": leave.resolution, "note": note,
                "substitute": leave.substitute_id},
    )  # fmt: skip
    if approve and note:
        body += f"审批意见：{note}"
    notify(
        recipients=[leave.teacher_id], kind=NotificationKind.LEAVE,
        title="请假已批准" if approve else "请假已驳回", body=body, link=_teacher_links()[1],
        data={"teacher_leave_id": leave.pk, "status": leave.status},
    )  # fmt: skip
    return leave


@transaction.atomic
def teacher_leave_withdraw(*, actor: Actor, leave: TeacherLeave) -> TeacherLeave:
    """The teacher withdraws its own leave while it is pending."""
    TeacherLeave.objects.select_for_update().filter(pk=leave.pk).first()
    leave = TeacherLeave.objects.select_related("lesson", "lesson__section").get(pk=leave.pk)
    if actor.user_id is None or leave.teacher_id != actor.user_id:
        raise PermissionDenied("只有请假的教师本人可以撤回")
    if leave.status != LeaveStatus.PENDING:
        raise Conflict("leave_not_pending", f"该请假申请{leave.get_status_display()}，只能撤回待审批的申请")
    leave.status = LeaveStatus.WITHDRAWN
    leave.save(update_fields=["status", "updated_at"])
    record_write(actor=actor, event=AuditEventType.UPDATE, obj=leave, detail={"withdrawn": True})
    return leave

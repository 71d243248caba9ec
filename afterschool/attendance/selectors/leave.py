"""Reads of leave (请假): students' leave requests and teachers' leaves.

Who reads which student leave request: the family (its guardians with a login, the student itself) its own; a
teacher (school or organization) the requests of the sections it teaches (a lesson teacher of the section, or a
teacher linked to the section); the school admin its school's; the bureau its region's. Teacher leaves: a teacher its
own; the school admin its school's; the bureau its region's. Anything else answers as missing (404).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q, QuerySet

from afterschool.accounts.choices import Role
from afterschool.accounts.models import RoleMembership, User
from afterschool.core import timeutil
from afterschool.core.errors import NotFound, ValidationFailed
from afterschool.enrollment.choices import EnrollmentStatus
from afterschool.enrollment.models import Enrollment
from afterschool.scheduling.choices import LessonStatus
from afterschool.scheduling.models import Lesson, Section, SectionTeacher
from afterschool.scheduling.selectors.sections import teacher_choices
from afterschool.schools.models import Student
from afterschool.tenancy.actor import Actor
from afterschool.tenancy.scoping import get_or_404, scoped

from ..choices import LeaveStatus
from ..models import LeaveRequest, TeacherLeave
from .common import TEACHING_ROLES, may_manage_school, taught_lessons

WEEKDAYS = "一二三四五六日"
FAMILY_ROLES = (Role.PARENT, Role.STUDENT)
LEAVE_READERS = (Role.PARENT, Role.STUDENT, Role.TEACHER, Role.ORG_TEACHER, Role.SCHOOL_ADMIN, Role.BUREAU_ADMIN)
TEACHER_LEAVE_READERS = (Role.TEACHER, Role.ORG_TEACHER, Role.SCHOOL_ADMIN, Role.BUREAU_ADMIN)
COVERING = (LeaveStatus.PENDING, LeaveStatus.APPROVED)
MAX_ID = 2**62


# --- words shared by pages, notices and exports --------------------------------------------------------------


def lesson_when(lesson: Lesson) -> str:
    """ "11月10日 15:40": how a lesson is named in refusals and notices."""
    return f"{lesson.date.month}月{lesson.date.day}日 {lesson.starts_at:%H:%M}"


def lesson_label(lesson: Lesson) -> str:
    """ "11月10日 周二 15:40–16:40"."""
    d = lesson.date
    return f"{d.month}月{d.day}日 周{WEEKDAYS[d.weekday()]} {lesson.starts_at:%H:%M}–{lesson.ends_at:%H:%M}"


def chapter_label(lesson: Lesson) -> str:
    chapter = lesson.chapter
    if chapter is None:
        return f"第{lesson.number}次课"
    return f"第{chapter.number}章 {chapter.title}"


# --- the family ------------------------------------------------------------------------------------------------


def children(*, actor: Actor) -> list[Student]:
    """The students a family login asks leave for: a parent's children, a student's own record."""
    if actor.user_id is None:
        return []
    qs = Student.objects.filter(is_active=True).select_related("school", "school_class", "grade")
    if actor.has_role(Role.PARENT):
        qs = qs.filter(guardians__user_id=actor.user_id)
    elif actor.has_role(Role.STUDENT):
        qs = qs.filter(user_id=actor.user_id)
    else:
        return []
    return list(qs.distinct().order_by("name", "pk"))


def child_get(*, actor: Actor, student_id: Any) -> Student:
    """One of those students, or NotFound exactly as for a student that does not exist."""
    try:
        wanted = int(student_id)
    except (TypeError, ValueError):
        raise NotFound() from None
    for child in children(actor=actor):
        if child.pk == wanted:
            return child
    raise NotFound()


def is_family(actor: Actor, student: Student) -> bool:
    """The actor is a guardian (with a login) of the student, or the student itself."""
    if actor.user_id is None:
        return False
    if actor.has_role(Role.PARENT):
        return student.guardians.filter(user_id=actor.user_id).exists()
    if actor.has_role(Role.STUDENT):
        return student.user_id == actor.user_id
    return False


def placed_section_ids(student: Student) -> QuerySet[Enrollment, Any]:
    """The sections where the student holds an active place (as a values() subquery)."""
    return Enrollment.objects.filter(student=student, status=EnrollmentStatus.ACTIVE).values("section_id")


def not_started(qs: QuerySet[Lesson], now: dt.datetime) -> QuerySet[Lesson]:
    """Lessons whose wall-clock start is after `now` (a lesson starting this very minute has started)."""
    return qs.filter(Q(date__gt=now.date()) | Q(date=now.date(), starts_at__gt=now.time()))


def covered_lesson_ids(student: Student, lesson_ids: list[int] | None = None) -> set[int]:
    """The lessons of the student already covered by a pending or approved leave request."""
    through = LeaveRequest.lessons.through
    qs = through.objects.filter(leaverequest__student=student, leaverequest__status__in=COVERING)
    if lesson_ids is not None:
        qs = qs.filter(lesson_id__in=lesson_ids)
    return set(qs.values_list("lesson_id", flat=True))


@dataclass
class LessonChoice:
    lesson: Lesson
    label: str
    chapter: str
    covered: bool


@dataclass
class SectionGroup:
    section: Section
    lessons: list[LessonChoice] = field(default_factory=list)


def upcoming_lessons(*, student: Student, now: dt.datetime | None = None, limit: int = 200) -> list[SectionGroup]:
    """The student's lessons that have not started, are not cancelled and belong to sections where it holds an
    active place, grouped by section (course) in date order; those already covered by a leave are marked."""
    now = now or timeutil.local_now()
    qs = not_started(
        Lesson.objects.filter(section_id__in=placed_section_ids(student), status=LessonStatus.SCHEDULED), now
    )
    lessons = list(
        qs.select_related("section", "section__course", "chapter").order_by("date", "starts_at", "pk")[:limit]
    )
    covered = covered_lesson_ids(student, [lesson.pk for lesson in lessons])
    groups: dict[int, SectionGroup] = {}
    for lesson in lessons:
        group = groups.setdefault(lesson.section_id, SectionGroup(section=lesson.section))
        group.lessons.append(
            LessonChoice(lesson, lesson_label(lesson), chapter_label(lesson), covered=lesson.pk in covered)
        )
    return list(groups.values())


def leave_lessons(*, student: Student, lesson_ids: list[int]) -> list[Lesson]:
    """The lessons a family picked (of the student's school), in date order; an id that is not one of them is
    refused without saying whether it exists elsewhere."""
    if not lesson_ids:
        raise ValidationFailed({"lessons": ["请选择要请假的课次"]}, message="请选择要请假的课次")
    valid = [i for i in lesson_ids if isinstance(i, int) and not isinstance(i, bool) and 0 < i < MAX_ID]
    ids = sorted(set(valid))
    lessons = list(
        Lesson.objects.filter(pk__in=ids, section__school_id=student.school_id)
        .select_related("section", "section__school", "section__course", "chapter")
        .order_by("date", "starts_at", "pk")
    )
    if len(valid) != len(lesson_ids) or len(lessons) != len(ids):
        message = f"所选课次中有不属于{student.name}的课次"
        raise ValidationFailed({"lessons": [message]}, message=message)
    return lessons


# --- student leave requests ----------------------------------------------------------------------------------


def taught_section_ids(actor: Actor) -> QuerySet[Section, Any]:
    """The sections a teacher teaches: a lesson teacher of one of its lessons, or linked to the section (as a
    values() subquery); none for other roles."""
    if actor.role not in TEACHING_ROLES or actor.user_id is None:
        return Section.objects.none().values("pk")
    links = SectionTeacher.objects.filter(user_id=actor.user_id)
    if actor.role == Role.TEACHER:
        links = links.filter(section__school_id=actor.school_id or 0)
    return Section.objects.filter(
        Q(pk__in=taught_lessons(actor).values("section_id")) | Q(pk__in=links.values("section_id"))
    ).values("pk")


def _leave_base(actor: Actor) -> QuerySet[LeaveRequest]:
    qs = LeaveRequest.objects.all()
    if actor.role in TEACHING_ROLES:
        qs = qs.filter(section_id__in=taught_section_ids(actor))
    elif actor.is_system_admin or actor.has_role(*LEAVE_READERS):
        qs = scoped(qs, actor)
    else:
        return LeaveRequest.objects.none()
    return qs.select_related(
        "student", "student__school_class", "section", "section__school", "section__course", "requested_by",
        "decided_by",
    ).prefetch_related("lessons", "lessons__chapter")  # fmt: skip


def leave_list(*, actor: Actor, filters: dict[str, Any] | None = None) -> QuerySet[LeaveRequest]:
    """Filters: status, section, student, date (a lesson of the request on that day), q (student name)."""
    filters = filters or {}
    qs = _leave_base(actor)
    if filters.get("status"):
        qs = qs.filter(status=filters["status"])
    if filters.get("section"):
        qs = qs.filter(section_id=filters["section"])
    if filters.get("student"):
        qs = qs.filter(student_id=filters["student"])
    if filters.get("date"):
        qs = qs.filter(pk__in=LeaveRequest.lessons.through.objects.filter(lesson__date=filters["date"]).values(
            "leaverequest_id"
        ))  # fmt: skip
    q = (filters.get("q") or "").strip()
    if q:
        qs = qs.filter(student__name__icontains=q)
    return qs.order_by("-created_at", "-pk")


def leave_get(*, actor: Actor, leave_id: Any) -> LeaveRequest:
    return get_or_404(_leave_base(actor), pk=leave_id)


def leave_section_choices(*, actor: Actor) -> list[tuple[str, str]]:
    """The sections of the requests the actor sees (for the section filter)."""
    rows = (
        _leave_base(actor)
        .order_by()
        .values_list("section_id", "section__name", "section__course__name")
        .distinct()[:300]
    )
    return sorted(((str(pk), f"{name}（{course}）") for pk, name, course in rows), key=lambda c: c[1])


def may_decide_leave(actor: Actor, leave: LeaveRequest) -> bool:
    """The school's admin, or a teacher of the section."""
    if actor.is_system_admin:
        return True
    if actor.has_role(Role.SCHOOL_ADMIN):
        return actor.school_id is not None and leave.section.school_id == actor.school_id
    if actor.role in TEACHING_ROLES:
        return taught_section_ids(actor).filter(pk=leave.section_id).exists()
    return False


def section_teacher_ids(section: Section, lessons: list[Lesson] | None = None) -> set[int]:
    """Who teaches the section: the teachers linked to it and those of the given lessons."""
    ids = set(SectionTeacher.objects.filter(section=section).values_list("user_id", flat=True))
    if lessons:
        through = Lesson.teachers.through
        ids |= set(through.objects.filter(lesson_id__in=[x.pk for x in lessons]).values_list("user_id", flat=True))
    return ids


# --- teacher leaves ------------------------------------------------------------------------------------------


def lesson_for_teacher_leave(*, actor: Actor, lesson_id: Any) -> Lesson:
    """A lesson the actor teaches (404 otherwise)."""
    qs = taught_lessons(actor).select_related("section", "section__school", "section__course", "chapter", "venue")
    return get_or_404(qs, pk=lesson_id)


def _teacher_leave_base(actor: Actor) -> QuerySet[TeacherLeave]:
    qs = TeacherLeave.objects.all()
    if actor.role in TEACHING_ROLES:
        qs = qs.filter(teacher_id=actor.user_id or 0)
    elif actor.is_system_admin or actor.has_role(*TEACHER_LEAVE_READERS):
        qs = scoped(qs, actor)
    else:
        return TeacherLeave.objects.none()
    return qs.select_related(
        "lesson", "lesson__section", "lesson__section__school", "lesson__section__course", "lesson__chapter",
        "teacher", "substitute", "decided_by",
    )  # fmt: skip


def teacher_leave_list(*, actor: Actor, filters: dict[str, Any] | None = None) -> QuerySet[TeacherLeave]:
    """Filters: status, date (of the lesson), q (teacher's name or login)."""
    filters = filters or {}
    qs = _teacher_leave_base(actor)
    if filters.get("status"):
        qs = qs.filter(status=filters["status"])
    if filters.get("date"):
        qs = qs.filter(lesson__date=filters["date"])
    if filters.get("section"):
        qs = qs.filter(lesson__section_id=filters["section"])
    q = (filters.get("q") or "").strip()
    if q:
        qs = qs.filter(Q(teacher__display_name__icontains=q) | Q(teacher__username__icontains=q))
    return qs.order_by("-created_at", "-pk")


def teacher_leave_get(*, actor: Actor, leave_id: Any) -> TeacherLeave:
    return get_or_404(_teacher_leave_base(actor), pk=leave_id)


def may_decide_teacher_leave(actor: Actor, leave: TeacherLeave) -> bool:
    """The school admin of the lesson's school."""
    if not may_manage_school(actor):
        return False
    return actor.is_system_admin or (actor.school_id is not None and leave.lesson.section.school_id == actor.school_id)


def substitute_choices(*, lesson: Lesson) -> QuerySet[User]:
    """Who may be offered as a substitute: the school's staff with logins and the organization teachers dispatched
    to the school, other than the lesson's teachers (scheduling checks the dispatch and conflicts on saving)."""
    return teacher_choices(school=lesson.section.school).exclude(pk__in=lesson.teachers.values("pk"))


def substitute_get(*, lesson: Lesson, user_id: int) -> User:
    """The substitute chosen (by id): one of the school's teachers — its staff with logins, the organization
    teachers dispatched to it; refused as a field error otherwise (another school's teacher reads as a wrong id)."""
    found = teacher_choices(school=lesson.section.school).filter(pk=user_id).first() if 0 < user_id < MAX_ID else None
    if found is None:
        message = "代课教师须是本校有账号的教职工或外派到本校的机构教师"
        raise ValidationFailed({"substitute": [message]}, message=message, code="substitute")
    return found


def school_admin_ids(school_id: int) -> list[int]:
    return list(
        RoleMembership.objects.filter(role=Role.SCHOOL_ADMIN, school_id=school_id, is_active=True)
        .values_list("user_id", flat=True)
        .distinct()
    )

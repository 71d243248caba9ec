"""What the home page shows a teacher and a family first thing in the morning: today's lessons, with whether the
teacher has checked in and how far the roll is, or each child's lessons today with its attendance status."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count

from afterschool.accounts.choices import Role
from afterschool.core import timeutil
from afterschool.enrollment.choices import EnrollmentStatus
from afterschool.enrollment.models import Enrollment
from afterschool.scheduling.choices import LessonStatus
from afterschool.scheduling.models import Lesson
from afterschool.schools.models import Student
from afterschool.tenancy.actor import Actor
from afterschool.tenancy.scoping import scoped

from ..choices import AttendanceStatus, LeaveStatus
from ..models import LeaveRequest, StudentAttendance, TeacherCheckin
from .common import TEACHING_ROLES, lesson_end, lesson_start, taught_lessons


@dataclass
class HomeLesson:
    lesson: Lesson
    state: str  # 未开始 / 进行中 / 已结束
    checked_in: bool = False
    marked: int = 0
    status: str = ""  # a child's attendance status label


@dataclass
class HomeChild:
    student: Student
    lessons: list[HomeLesson] = field(default_factory=list)


def _state(lesson: Lesson, now: Any) -> str:
    if now < lesson_start(lesson):
        return "未开始"
    return "进行中" if now < lesson_end(lesson) else "已结束"


def teacher_today(actor: Actor) -> dict[str, Any]:
    """Today's lessons of a teacher or an organization teacher, and the leave requests waiting for it."""
    if actor.role not in TEACHING_ROLES:
        return {"lessons": [], "pending_leaves": 0}
    now = timeutil.local_now()
    lessons = list(
        taught_lessons(actor)
        .filter(date=now.date())
        .exclude(status=LessonStatus.CANCELLED)
        .select_related("section", "section__course", "venue", "chapter")
        .annotate(marked=Count("student_attendance", distinct=True))
        .order_by("starts_at")
    )
    checked = set(
        TeacherCheckin.objects.filter(lesson__in=lessons, teacher_id=actor.user_id).values_list("lesson_id", flat=True)
    )
    sections = taught_lessons(actor).values("section_id")
    pending = LeaveRequest.objects.filter(section_id__in=sections, status=LeaveStatus.PENDING).count()
    return {
        "lessons": [
            HomeLesson(
                lesson=lesson,
                state=_state(lesson, now),
                checked_in=lesson.pk in checked,
                marked=lesson.marked,  # type: ignore[attr-defined]
            )
            for lesson in lessons
        ],
        "pending_leaves": pending,
    }


def family_today(actor: Actor) -> list[HomeChild]:
    """Each of a parent's children (or a student itself) with its lessons today and their attendance status."""
    if actor.role not in (Role.PARENT, Role.STUDENT):
        return []
    now = timeutil.local_now()
    if actor.role == Role.STUDENT:  # a student's login is its own Student row
        children = list(Student.objects.filter(user_id=actor.user_id or 0))
    else:
        children = list(scoped(Student.objects.all(), actor).order_by("name", "pk"))
    students_of: dict[int, list[int]] = {}
    places = Enrollment.objects.filter(student__in=children, status=EnrollmentStatus.ACTIVE)
    for section_id, student_id in places.values_list("section_id", "student_id"):
        students_of.setdefault(section_id, []).append(student_id)
    lessons = list(
        Lesson.objects.filter(date=now.date(), section_id__in=list(students_of))
        .exclude(status=LessonStatus.CANCELLED)
        .select_related("section", "section__course", "venue")
        .order_by("starts_at")
    )
    rows = {
        (r.lesson_id, r.student_id): r
        for r in StudentAttendance.objects.filter(lesson__in=lessons, student__in=children)
    }
    by_child: dict[int, list[HomeLesson]] = {c.pk: [] for c in children}
    for lesson in lessons:
        for student_id in students_of[lesson.section_id]:
            row = rows.get((lesson.pk, student_id))
            status = AttendanceStatus(row.status).label if row is not None else ""
            by_child[student_id].append(HomeLesson(lesson=lesson, state=_state(lesson, now), status=status))
    return [HomeChild(student=c, lessons=by_child[c.pk]) for c in children]

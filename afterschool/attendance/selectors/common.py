"""What every attendance area shares: a school's settings (or the defaults), a lesson's wall-clock start and end,
who may take attendance of a lesson, the students a lesson's roll lists, and the guardians to tell.

A lesson's teachers (the school's staff or organization teachers dispatched to it) act on the lessons they teach:
`Lesson.teachers` is the authority, because the school put them there (an organization teacher may teach a
school's own course, which the organization's scope does not reach). The school's admins act on every lesson of
their school through `scoped()`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db.models import Q, QuerySet
from django.utils import timezone

from afterschool.accounts.choices import Role
from afterschool.core import timeutil
from afterschool.core.errors import NotFound
from afterschool.enrollment.choices import EnrollmentStatus
from afterschool.scheduling.choices import LessonStatus
from afterschool.scheduling.models import Lesson
from afterschool.schools.models import Student
from afterschool.tenancy.actor import Actor
from afterschool.tenancy.models import School
from afterschool.tenancy.scoping import get_or_404, get_scoped_or_404, scoped

from ..models import AttendanceSettings

TEACHING_ROLES = (Role.TEACHER, Role.ORG_TEACHER)


def settings_for(school: School | int) -> AttendanceSettings:
    """The school's attendance settings; an unsaved row with the defaults (and the school's own coordinates as the
    centre) when it has none."""
    school_id = school if isinstance(school, int) else school.pk
    found = AttendanceSettings.objects.filter(school_id=school_id).first()
    if found is not None:
        return found
    school_obj = school if isinstance(school, School) else School.objects.get(pk=school_id)
    return AttendanceSettings(school=school_obj, latitude=school_obj.latitude, longitude=school_obj.longitude)


def lesson_start(lesson: Lesson) -> dt.datetime:
    """Wall-clock (naive, Asia/Shanghai) start of the lesson."""
    return dt.datetime.combine(lesson.date, lesson.starts_at)


def lesson_end(lesson: Lesson) -> dt.datetime:
    return dt.datetime.combine(lesson.date, lesson.ends_at)


def aware(wall: dt.datetime) -> dt.datetime:
    """A wall-clock time of the school as an aware datetime (for comparing with stored timestamps)."""
    return timezone.make_aware(wall, timezone.get_default_timezone())


def lesson_started(lesson: Lesson, now: dt.datetime | None = None) -> bool:
    return lesson_start(lesson) <= (now or timeutil.local_now())


def taught_lessons(actor: Actor) -> QuerySet[Lesson]:
    """The lessons the actor teaches (teacher, org teacher); none for other roles."""
    if actor.role not in TEACHING_ROLES or actor.user_id is None:
        return Lesson.objects.none()
    qs = Lesson.objects.filter(teachers=actor.user_id)
    if actor.role == Role.TEACHER:
        qs = qs.filter(section__school_id=actor.school_id or 0)
    return qs


def may_manage_school(actor: Actor) -> bool:
    """School admins (and system admins) run their school's attendance: settings, corrections, approvals."""
    return actor.is_system_admin or actor.role == Role.SCHOOL_ADMIN


def lessons_for_attendance(actor: Actor) -> QuerySet[Lesson]:
    """The lessons whose roll the actor may take or correct: its own as a teacher, its school's as school admin."""
    if may_manage_school(actor):
        return scoped(Lesson.objects.all(), actor)
    return taught_lessons(actor)


def lesson_for_attendance(actor: Actor, lesson_id: int) -> Lesson:
    """One such lesson (not cancelled), or NotFound exactly as if it did not exist."""
    qs = lessons_for_attendance(actor).select_related("section", "section__school", "section__course", "chapter")
    lesson = get_or_404(qs, pk=lesson_id)
    if lesson.status == LessonStatus.CANCELLED:
        raise NotFound()
    return lesson


def lesson_visible(actor: Actor, lesson_id: int) -> Lesson:
    """A lesson the actor may read (its school's, its region's, its organization's, its child's), or one it
    teaches."""
    if actor.role in TEACHING_ROLES:
        taught = taught_lessons(actor).filter(pk=lesson_id) if 0 < lesson_id < 2**62 else Lesson.objects.none()
        if taught.exists():
            return taught.select_related("section", "section__school", "section__course", "chapter").get()
    return get_scoped_or_404(
        Lesson.objects.select_related("section", "section__school", "section__course", "chapter"), actor, pk=lesson_id
    )


def roll_students(lesson: Lesson) -> QuerySet[Student]:
    """The students a lesson's roll lists: those placed in the section now, and those who have an attendance row
    for it already (moved out or withdrawn since), by class and name."""
    return (
        Student.objects.filter(
            Q(enrollments__section_id=lesson.section_id, enrollments__status=EnrollmentStatus.ACTIVE)
            | Q(attendance__lesson_id=lesson.pk)
        )
        .distinct()
        .select_related("school_class", "grade")
        .order_by("school_class__grade__level", "school_class__name", "name", "pk")
    )


def guardian_user_ids(students: Iterable[Student | int]) -> dict[int, list[int]]:
    """student id → the user ids of its guardians who have a login."""
    from afterschool.schools.models import StudentGuardian

    ids = [s if isinstance(s, int) else s.pk for s in students]
    out: dict[int, list[int]] = {i: [] for i in ids}
    links = StudentGuardian.objects.filter(student_id__in=ids, guardian__user__isnull=False)
    for student_id, user_id in links.values_list("student_id", "guardian__user_id"):
        out[student_id].append(user_id)
    return out

"""Factories and a realistic day for the attendance, leave and patrol tests.

`make_day(world)`: school_a (centre 39.959000 N, 116.298000 E) runs 少儿创意美术 on Tuesdays 15:40–16:40, taught by
teacher_a (a staff member of the school), with lessons on 3, 10, 17 and 24 November 2026 and three enrolled
students of 三年级1班; the first student's guardian is the world's parent. school_b runs a section with a lesson
the same day (for cross-tenant checks). `freeze(monkeypatch, when)` sets "now" (a naive Asia/Shanghai wall-clock
time) for every service that reads the clock through afterschool.core.timeutil.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import factory
from django.utils import timezone

from afterschool.accounts.models import User
from afterschool.attendance.models import (
    AttendanceSettings,
    LeaveRequest,
    StudentAttendance,
    TeacherCheckin,
    TeacherLeave,
    VenueCheckinArea,
)
from afterschool.core import timeutil
from afterschool.enrollment.tests.factories import EnrollmentFactory
from afterschool.scheduling.models import Lesson, Section
from afterschool.scheduling.tests.factories import LessonFactory, SectionFactory, SectionTeacherFactory
from afterschool.schools.models import SchoolClass, Student
from afterschool.schools.tests.factories import (
    GradeFactory,
    GuardianFactory,
    SchoolClassFactory,
    StaffFactory,
    StudentFactory,
    StudentGuardianFactory,
    TermFactory,
    VenueFactory,
)
from afterschool.tenancy.models import School

D = dt.date
T = dt.time

CENTRE = (Decimal("39.959000"), Decimal("116.298000"))


class AttendanceSettingsFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AttendanceSettings

    latitude = CENTRE[0]
    longitude = CENTRE[1]
    radius_m = 300


class VenueCheckinAreaFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = VenueCheckinArea

    latitude = CENTRE[0]
    longitude = CENTRE[1]
    radius_m = 100


class StudentAttendanceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StudentAttendance

    status = "present"


class TeacherCheckinFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TeacherCheckin

    checked_in_at = factory.LazyFunction(timezone.now)
    in_latitude = CENTRE[0]
    in_longitude = CENTRE[1]
    in_accuracy_m = 20
    in_distance_m = 0


class LeaveRequestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LeaveRequest
        skip_postgeneration_save = True

    reason = "身体不适"

    @factory.post_generation
    def lessons(obj: LeaveRequest, create: bool, extracted: object, **kwargs: object) -> None:
        if create and extracted:
            obj.lessons.set(extracted)  # type: ignore[arg-type]


class TeacherLeaveFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TeacherLeave

    reason = "外出培训"


def freeze(monkeypatch: Any, when: dt.datetime) -> None:
    """Make "now" the wall-clock time `when` (naive, Asia/Shanghai) for timeutil and everything reading it."""
    aware = timezone.make_aware(when, timezone.get_default_timezone())
    monkeypatch.setattr(timeutil, "now", lambda: aware)


@dataclass
class Day:
    world: Any
    school: School
    section: Section
    teacher: User
    school_class: SchoolClass
    lessons: list[Lesson]  # 3, 10, 17, 24 November 2026 (Tuesdays), 15:40–16:40
    students: list[Student]
    other_section: Section  # at school_b
    other_lesson: Lesson  # school_b's lesson on 10 November
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def past(self) -> Lesson:
        return self.lessons[0]

    @property
    def today(self) -> Lesson:
        return self.lessons[1]

    @property
    def future(self) -> Lesson:
        return self.lessons[2]

    @property
    def child(self) -> Student:
        """The student whose guardian is the world's parent."""
        return self.students[0]


LESSON_DATES = [D(2026, 11, 3), D(2026, 11, 10), D(2026, 11, 17), D(2026, 11, 24)]


def make_day(world: Any) -> Day:
    school = world.school_a
    school.latitude, school.longitude = CENTRE
    school.save(update_fields=["latitude", "longitude"])
    teacher = world.users["teacher_a"]
    StaffFactory(school=school, user=teacher, name="王老师")
    term = TermFactory(school=school, starts_on=D(2026, 9, 1), ends_on=D(2027, 1, 20))
    grade = GradeFactory(school=school, level=3, name="三年级")
    school_class = SchoolClassFactory(grade=grade, name="1班")
    venue = VenueFactory(school=school, name="美术教室", capacity=40)
    section = SectionFactory(
        school=school, term=term, venue=venue, name="少儿创意美术", status="running",
        starts_on=D(2026, 9, 1), ends_on=D(2026, 12, 31),
    )  # fmt: skip
    section.grades.set([grade])
    SectionTeacherFactory(section=section, user=teacher)
    lessons = [
        LessonFactory(section=section, number=n, date=date, starts_at=T(15, 40), ends_at=T(16, 40), teachers=[teacher])
        for n, date in enumerate(LESSON_DATES, start=1)
    ]
    students = [StudentFactory(school_class=school_class, grade=grade, name=f"学生{i}") for i in range(1, 4)]
    for student in students:
        EnrollmentFactory(section=section, student=student)
    guardian = GuardianFactory(name="刘女士", user=world.users["parent"])
    StudentGuardianFactory(student=students[0], guardian=guardian)
    for student in students[1:]:
        StudentGuardianFactory(student=student)

    other_section = SectionFactory(school=world.school_b, name="朝阳机器人", status="running")
    other_lesson = LessonFactory(section=other_section, number=1, date=D(2026, 11, 10))
    return Day(world, school, section, teacher, school_class, lessons, students, other_section, other_lesson)

"""A small timetable world on top of the shared `world`: two sections at school_a (a 走班 school course taught by
teacher_a, a 原班 organization course taught by orgteacher_a), one at school_a2 and one at school_b, their lessons in
the week of Monday 2026-09-07, and enrolments of the world parent's child (also the world student)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from afterschool.accounts.tests.factories import UserFactory
from afterschool.courses.tests.factories import ChapterFactory, CourseFactory
from afterschool.enrollment.tests.factories import EnrollmentFactory
from afterschool.scheduling.models import Lesson, Section
from afterschool.scheduling.tests.factories import LessonFactory, SectionFactory
from afterschool.schools.models import Grade, SchoolClass, Student, Term, Venue
from afterschool.schools.tests.factories import (
    GradeFactory,
    GuardianFactory,
    SchoolClassFactory,
    StudentFactory,
    StudentGuardianFactory,
    TermFactory,
    VenueFactory,
)

MONDAY = dt.date(2026, 9, 7)


@dataclass
class TimetableWorld:
    term: Term
    grade: Grade
    grade2: Grade
    class1: SchoolClass
    class2: SchoolClass
    venue1: Venue
    venue2: Venue
    walking: Section  # 走班, school course, teacher_a
    class_section: Section  # 原班 class1, org_a course, orgteacher_a
    other_school: Section  # school_a2
    other_district: Section  # school_b
    tue: Lesson  # walking, Tue 09-08, chapter 1
    thu_cancelled: Lesson  # walking, Thu 09-10, cancelled
    wed: Lesson  # class_section, Wed 09-09, venue2
    next_month: Lesson  # walking, 2026-10-06
    a2_lesson: Lesson
    b_lesson: Lesson
    child: Student  # the world parent's child and the world student, class2, enrolled in `walking`
    other_child: Student  # another family's child, class1, enrolled in class_section
    other_teacher: Any


def build(world: Any) -> TimetableWorld:
    school = world.school_a
    term = TermFactory(school=school)
    grade = GradeFactory(school=school, level=3, name="三年级")
    grade2 = GradeFactory(school=school, level=4, name="四年级")
    class1 = SchoolClassFactory(grade=grade, name="1班")
    class2 = SchoolClassFactory(grade=grade, name="2班")
    venue1 = VenueFactory(school=school, name="美术教室")
    venue2 = VenueFactory(school=school, name="科学教室")
    teacher = world.users["teacher_a"]
    org_teacher = world.users["orgteacher_a"]
    other_teacher = UserFactory(username="t_other", display_name="王老师")

    walking = SectionFactory(
        school=school, term=term, name="美术走班A", mode="walking", venue=venue1,
        course=CourseFactory(owner_school=school, owner_organization=None, name="创意美术"),
    )  # fmt: skip
    walking.grades.set([grade])
    org_course = CourseFactory(owner_organization=world.org_a, name="机器人")
    class_section = SectionFactory(
        school=school, term=term, name="机器人原班", mode="class", venue=venue2, course=org_course
    )
    class_section.classes.set([class1])
    chapter = ChapterFactory(course=walking.course, number=1, title="认识色彩")
    tue = LessonFactory(section=walking, number=1, date=MONDAY + dt.timedelta(days=1), chapter=chapter,
                        teachers=[teacher])  # fmt: skip
    thu = LessonFactory(section=walking, number=2, date=MONDAY + dt.timedelta(days=3), status="cancelled",
                        cancel_reason="运动会", teachers=[teacher, other_teacher])  # fmt: skip
    wed = LessonFactory(section=class_section, number=1, date=MONDAY + dt.timedelta(days=2),
                        starts_at=dt.time(16, 50), ends_at=dt.time(17, 50), teachers=[org_teacher])  # fmt: skip
    next_month = LessonFactory(section=walking, number=3, date=dt.date(2026, 10, 6), teachers=[other_teacher])
    other_school = SectionFactory(school=world.school_a2, name="二小合唱")
    a2_lesson = LessonFactory(section=other_school, date=MONDAY + dt.timedelta(days=1), teachers=[other_teacher])
    other_district = SectionFactory(school=world.school_b, name="朝阳篮球")
    b_lesson = LessonFactory(section=other_district, date=MONDAY + dt.timedelta(days=1))

    child = StudentFactory(school_class=class2, name="小明", user=world.users["student"])
    guardian = GuardianFactory(user=world.users["parent"])
    StudentGuardianFactory(student=child, guardian=guardian)
    EnrollmentFactory(section=walking, student=child)
    EnrollmentFactory(section=class_section, student=child, status="withdrawn")
    other_child = StudentFactory(school_class=class1, name="小红")
    EnrollmentFactory(section=class_section, student=other_child)
    return TimetableWorld(
        term=term, grade=grade, grade2=grade2, class1=class1, class2=class2, venue1=venue1, venue2=venue2,
        walking=walking, class_section=class_section, other_school=other_school, other_district=other_district,
        tue=tue, thu_cancelled=thu, wed=wed, next_month=next_month, a2_lesson=a2_lesson, b_lesson=b_lesson,
        child=child, other_child=other_child, other_teacher=other_teacher,
    )  # fmt: skip

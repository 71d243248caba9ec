"""Helpers for enrolment, split, move and cancel tests: a section of a school with grades, classes and students
whose guardians have accounts (so notifications have recipients)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from afterschool.accounts.tests.factories import UserFactory
from afterschool.scheduling.models import Section
from afterschool.scheduling.tests.factories import SectionFactory, SectionSlotFactory
from afterschool.schools.models import Grade, SchoolClass, Student
from afterschool.schools.tests.factories import (
    GradeFactory,
    GuardianFactory,
    SchoolClassFactory,
    StudentFactory,
    StudentGuardianFactory,
)


@dataclass
class Setup:
    section: Section
    grade: Grade
    classes: list[SchoolClass]
    students: list[Student] = field(default_factory=list)


def student_with_guardian(school_class: SchoolClass, **kwargs: Any) -> Student:
    student = StudentFactory(school_class=school_class, **kwargs)
    guardian = GuardianFactory(user=UserFactory())
    StudentGuardianFactory(student=student, guardian=guardian)
    return student


def make_setup(
    school: Any, *, mode: str = "walking", max_students: int = 30, classes: int = 2, per_class: int = 2,
    weekday: int | None = 2, grade: Grade | None = None, **section_kwargs: Any,
) -> Setup:  # fmt: skip
    """A section (course approved, 2026 autumn term) with a weekly slot (Tuesday 15:40–16:40 unless weekday=None),
    one grade, `classes` classes of `per_class` students each — not enrolled."""
    grade = grade or GradeFactory(school=school, level=3, name="三年级")
    section = SectionFactory(school=school, mode=mode, max_students=max_students, **section_kwargs)
    section.grades.set([grade])
    made = [SchoolClassFactory(grade=grade, name=f"{i + 1}班") for i in range(classes)]
    if mode == "class":
        section.classes.set(made)
    if weekday is not None:
        SectionSlotFactory(section=section, weekday=weekday, starts_at=dt.time(15, 40), ends_at=dt.time(16, 40))
    students = [student_with_guardian(c) for c in made for _ in range(per_class)]
    return Setup(section=section, grade=grade, classes=made, students=students)


def sibling_section(setup: Setup, *, same_course: bool = False, **kwargs: Any) -> Section:
    """Another section of the same school and term (of the same course when same_course), with the setup's grade."""
    if same_course:
        kwargs.update(course=setup.section.course, approved=False)
    section = SectionFactory(school=setup.section.school, term=setup.section.term, **kwargs)
    section.grades.set([setup.grade])
    return section

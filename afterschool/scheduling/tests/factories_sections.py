"""A realistic setup for the section, lesson and conflict tests: school_a's autumn 2026 term with a grade, two
classes, a staff teacher with an account, an art room, a school course with 12 chapters approved for the school,
and "now" fixed before the term (lessons are in the future) unless a test moves it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from afterschool.accounts.models import User
from afterschool.accounts.tests.factories import UserFactory
from afterschool.courses.models import Course
from afterschool.courses.tests.factories import ChapterFactory, CourseFactory, CourseOfferFactory
from afterschool.scheduling.models import Section
from afterschool.scheduling.services import lessons as lesson_services
from afterschool.scheduling.services import sections as services
from afterschool.schools.models import Grade, SchoolClass, Term, Venue
from afterschool.schools.tests.factories import (
    GradeFactory,
    SchoolClassFactory,
    StaffFactory,
    TermFactory,
    VenueFactory,
)
from afterschool.tenancy.models import School

D = dt.date
T = dt.time


@dataclass
class Sched:
    world: Any
    school: School
    term: Term
    grade: Grade
    class_1: SchoolClass
    class_2: SchoolClass
    teacher: User
    teacher_2: User
    venue: Venue
    course: Course
    extra: dict[str, Any] = field(default_factory=dict)

    def data(self, **overrides: Any) -> dict[str, Any]:
        data: dict[str, Any] = {
            "term": self.term,
            "course": self.course,
            "name": "少儿创意美术",
            "mode": "walking",
            "fee_fen": 30000,
            "materials_fee_fen": 5000,
            "materials_included": True,
            "min_students": 5,
            "max_students": 30,
            "grades": [self.grade],
            "classes": [],
            "starts_on": D(2026, 9, 7),
            "ends_on": D(2026, 10, 31),
            "venue": self.venue,
            "registration_window": None,
            "teachers": [self.teacher],
            "slots": [{"weekday": 2, "starts_at": T(15, 40), "ends_at": T(16, 40), "time_slot": None}],
        }
        data.update(overrides)
        return data

    def create(self, **overrides: Any) -> Section:
        return services.section_create(actor=self.world.actor("school_a"), data=self.data(**overrides))


def set_now(monkeypatch: Any, when: dt.datetime) -> None:
    monkeypatch.setattr(lesson_services, "_now_local", lambda: when)


def make_sched(world: Any) -> Sched:
    school = world.school_a
    term = TermFactory(school=school, starts_on=D(2026, 9, 1), ends_on=D(2027, 1, 20))
    grade = GradeFactory(school=school, level=3, name="三年级")
    class_1 = SchoolClassFactory(grade=grade, name="1班")
    class_2 = SchoolClassFactory(grade=grade, name="2班")
    teacher = UserFactory(display_name="王老师")
    StaffFactory(school=school, user=teacher, name="王老师")
    teacher_2 = UserFactory(display_name="李老师")
    StaffFactory(school=school, user=teacher_2, name="李老师")
    venue = VenueFactory(school=school, name="美术教室", capacity=40)
    course = CourseFactory(owner_school=school, owner_organization=None, name="创意美术", category="arts")
    CourseOfferFactory(course=course, school=school, status="approved")
    for n in range(1, 13):
        ChapterFactory(course=course, number=n, title=f"第{n}章")
    return Sched(world, school, term, grade, class_1, class_2, teacher, teacher_2, venue, course)


def start(world: Any, monkeypatch: Any) -> Sched:
    """What each test module's `sched` fixture returns."""
    set_now(monkeypatch, dt.datetime(2026, 8, 25, 10, 0))
    return make_sched(world)

"""Factories for sections and lessons. A SectionFactory section belongs to a school course with one approved
offer, in a 2026 autumn term of its school, with no slots, teachers or lessons unless given."""

from __future__ import annotations

import datetime as dt

import factory

from afterschool.courses.tests.factories import CourseFactory, CourseOfferFactory
from afterschool.scheduling.models import Lesson, Section, SectionSlot, SectionTeacher, TimeSlot
from afterschool.schools.tests.factories import TermFactory, VenueFactory
from afterschool.tenancy.tests.factories import SchoolFactory


class TimeSlotFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TimeSlot

    school = factory.SubFactory(SchoolFactory)
    weekday = 2
    starts_at = dt.time(15, 40)
    ends_at = dt.time(16, 40)
    name = "第一时段"


class SectionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Section
        skip_postgeneration_save = True

    school = factory.SubFactory(SchoolFactory)
    term = factory.SubFactory(TermFactory, school=factory.SelfAttribute("..school"))
    course = factory.SubFactory(CourseFactory, owner_school=factory.SelfAttribute("..school"), owner_organization=None)
    name = factory.Sequence(lambda n: f"课班{n}")
    fee_fen = 0
    min_students = 1
    max_students = 30
    starts_on = dt.date(2026, 9, 7)
    ends_on = dt.date(2027, 1, 15)
    venue = factory.SubFactory(VenueFactory, school=factory.SelfAttribute("..school"))

    @factory.post_generation
    def approved(obj: Section, create: bool, extracted: object, **kwargs: object) -> None:
        """The course is approved for the school (pass approved=False to skip)."""
        if create and extracted is not False:
            CourseOfferFactory(course=obj.course, school=obj.school, status="approved")


class SectionSlotFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SectionSlot

    section = factory.SubFactory(SectionFactory)
    weekday = 2
    starts_at = dt.time(15, 40)
    ends_at = dt.time(16, 40)


class SectionTeacherFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SectionTeacher

    section = factory.SubFactory(SectionFactory)
    user = factory.SubFactory("afterschool.accounts.tests.factories.UserFactory")
    is_main = True


class LessonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Lesson
        skip_postgeneration_save = True

    section = factory.SubFactory(SectionFactory)
    number = factory.Sequence(lambda n: n + 1)
    date = dt.date(2026, 9, 8)
    starts_at = dt.time(15, 40)
    ends_at = dt.time(16, 40)
    venue = factory.SelfAttribute("section.venue")

    @factory.post_generation
    def teachers(obj: Lesson, create: bool, extracted: object, **kwargs: object) -> None:
        if create and extracted:
            obj.teachers.set(extracted)  # type: ignore[arg-type]

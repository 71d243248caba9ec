from __future__ import annotations

import datetime as dt

import factory

from afterschool.core.choices import CourseCategory
from afterschool.courses.choices import BackgroundCheck, OfferStatus
from afterschool.courses.models import Chapter, Course, CourseOffer, Dispatch, Material, OrgTeacher
from afterschool.schools.tests.factories import make_id_number
from afterschool.tenancy.tests.factories import OrganizationFactory, SchoolFactory


class CourseFactory(factory.django.DjangoModelFactory):
    """An organization's course by default; pass owner_school=… (and owner_organization=None) for a school's."""

    class Meta:
        model = Course

    owner_organization = factory.SubFactory(OrganizationFactory)
    owner_school = None
    name = factory.Sequence(lambda n: f"课程{n}")
    category = CourseCategory.ARTS
    introduction = "课程简介"
    grade_levels = factory.LazyFunction(lambda: [1, 2, 3])


class ChapterFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Chapter

    course = factory.SubFactory(CourseFactory)
    number = factory.Sequence(lambda n: n + 1)
    title = factory.Sequence(lambda n: f"第{n + 1}课")
    goals = "教学目标"


class MaterialFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Material

    course = factory.SubFactory(CourseFactory)
    name = factory.Sequence(lambda n: f"材料{n}")
    quantity = 1
    price_fen = 3500


class CourseOfferFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CourseOffer

    course = factory.SubFactory(CourseFactory)
    school = factory.SubFactory(SchoolFactory)
    status = OfferStatus.SUBMITTED
    submitted_at = factory.LazyFunction(lambda: dt.datetime(2026, 8, 20, 9, 0, tzinfo=dt.UTC))


class OrgTeacherFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrgTeacher
        skip_postgeneration_save = True

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"机构教师{n}")
    certificate_number = factory.Sequence(lambda n: f"2026110{n:09d}")
    subjects = "美术"
    background_check = BackgroundCheck.PASSED
    background_checked_on = dt.date(2026, 8, 1)

    @factory.post_generation
    def personal(obj: OrgTeacher, create: bool, extracted: object, **kwargs: object) -> None:
        n = obj.pk or 0
        obj.set_mobile(f"136{(n * 7919) % 100_000_000:08d}")
        obj.set_id_number(make_id_number(500 + n % 400, birth=dt.date(1990, 5, 1)))
        if create:
            obj.save()


class DispatchFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Dispatch

    teacher = factory.SubFactory(OrgTeacherFactory)
    organization = factory.LazyAttribute(lambda d: d.teacher.organization)
    school = factory.SubFactory(SchoolFactory)
    starts_on = dt.date(2026, 9, 1)
    ends_on = dt.date(2027, 1, 20)
    course_categories = factory.LazyFunction(lambda: [CourseCategory.ARTS.value])

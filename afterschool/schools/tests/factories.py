from __future__ import annotations

import datetime as dt

import factory

from afterschool.schools.models import (
    EmergencyContact,
    Grade,
    Guardian,
    SchoolClass,
    Staff,
    Student,
    StudentGuardian,
    Term,
    TimetableEntry,
    Venue,
)
from afterschool.schools.validators import id_number_check_char
from afterschool.tenancy.tests.factories import SchoolFactory


def make_id_number(n: int, birth: dt.date = dt.date(2017, 3, 1)) -> str:
    first17 = f"110108{birth:%Y%m%d}{n % 1000:03d}"
    return first17 + id_number_check_char(first17)


def make_mobile(n: int) -> str:
    return f"139{n % 100_000_000:08d}"


class TermFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Term

    school = factory.SubFactory(SchoolFactory)
    academic_year = 2026
    term_number = 1
    starts_on = dt.date(2026, 9, 1)
    ends_on = dt.date(2027, 1, 20)


class GradeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Grade

    school = factory.SubFactory(SchoolFactory)
    name = factory.LazyAttribute(lambda o: f"{o.level}年级")

    @factory.lazy_attribute_sequence
    def level(self, n: int) -> int:
        """A level the school does not have yet (levels are unique per school), varied by the sequence."""
        school = self.school
        taken = set(Grade.objects.filter(school=school).values_list("level", flat=True)) if school.pk else set()
        order = [(n + i) % 9 + 1 for i in range(9)] + [10, 11, 12]
        return next((level for level in order if level not in taken), n % 9 + 1)


class StaffFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Staff
        skip_postgeneration_save = True

    school = factory.SubFactory(SchoolFactory)
    employee_number = factory.Sequence(lambda n: f"T{n:05d}")
    name = factory.Sequence(lambda n: f"教师{n}")
    subjects = "语文"

    @factory.post_generation
    def mobile(self, create, extracted, **kwargs):  # type: ignore[no-untyped-def]
        if extracted:
            self.set_mobile(extracted)
            if create:
                self.save()


class SchoolClassFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SchoolClass

    grade = factory.SubFactory(GradeFactory)
    school = factory.SelfAttribute("grade.school")
    # Unique within a test process and above the small numbers tests name classes by ("1班", "2班" …): a class made
    # by the factory in the grade of a fixed-name class must never take its name.
    name = factory.Sequence(lambda n: f"{n + 21}班")


class GuardianFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Guardian
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"家长{n}")
    mobile_encrypted = ""
    mobile_index = ""

    @factory.post_generation
    def mobile(self, create, extracted, **kwargs):  # type: ignore[no-untyped-def]
        # Factory defaults use the 137 prefix, so they never equal a fixed make_mobile(n) (139…) of a test.
        self.set_mobile(extracted or f"137{(self.pk or 0) % 100_000_000:08d}")
        if create:
            self.save()


class StudentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Student
        skip_postgeneration_save = True

    school_class = factory.SubFactory(SchoolClassFactory)
    grade = factory.SelfAttribute("school_class.grade")
    school = factory.SelfAttribute("school_class.school")
    student_number = factory.Sequence(lambda n: f"G110108201703{n:06d}")
    name = factory.Sequence(lambda n: f"学生{n}")
    gender = "male"
    birth_date = dt.date(2017, 3, 1)

    @factory.post_generation
    def id_number(self, create, extracted, **kwargs):  # type: ignore[no-untyped-def]
        # Factory defaults are born in 2016, so they never equal a fixed make_id_number(n) (2017) of a test.
        self.set_id_number(extracted or make_id_number(self.pk or 0, birth=dt.date(2016, 5, 1)))
        if create:
            self.save()


class StudentGuardianFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StudentGuardian

    student = factory.SubFactory(StudentFactory)
    guardian = factory.SubFactory(GuardianFactory)
    relation = "mother"
    is_primary = True


class VenueFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Venue

    school = factory.SubFactory(SchoolFactory)
    name = factory.Sequence(lambda n: f"多功能教室{n}")
    capacity = 40
    kind = "classroom"


class EmergencyContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EmergencyContact

    school = factory.SubFactory(SchoolFactory)
    name = factory.Sequence(lambda n: f"联系人{n}")
    title = "安全副校长"
    phone = "010-62001234"


class TimetableEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TimetableEntry

    school_class = factory.SubFactory(SchoolClassFactory)
    weekday = 1
    period = factory.Sequence(lambda n: n % 8 + 1)
    starts_at = dt.time(8, 0)
    ends_at = dt.time(8, 40)
    subject = "语文"

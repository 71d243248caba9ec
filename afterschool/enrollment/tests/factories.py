from __future__ import annotations

import factory

from afterschool.enrollment.models import Enrollment
from afterschool.scheduling.tests.factories import SectionFactory
from afterschool.schools.tests.factories import StudentFactory


class EnrollmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Enrollment

    section = factory.SubFactory(SectionFactory)
    student = factory.SubFactory(
        StudentFactory, school_class__grade__school=factory.SelfAttribute("....section.school")
    )
    status = "active"
    source = "school"

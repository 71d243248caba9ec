"""Helpers for order tests: an open section (with an open registration window) and the world parent's child."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from afterschool.enrollment.tests.factories_enrollment import Setup, make_setup, student_with_guardian
from afterschool.schools.models import RegistrationWindow, SchoolClass, Student
from afterschool.schools.tests.factories import GuardianFactory, StudentGuardianFactory


def open_window(
    section: Any, *, opens: dt.timedelta = dt.timedelta(days=-1), closes: dt.timedelta = dt.timedelta(days=1)
) -> RegistrationWindow:
    now = timezone.now()
    window = RegistrationWindow.objects.create(
        term=section.term, name="秋季报名", opens_at=now + opens, closes_at=now + closes
    )
    section.registration_window = window
    section.save(update_fields=["registration_window"])
    return window


def open_setup(school: Any, **kwargs: Any) -> Setup:
    kwargs.setdefault("status", "open")
    kwargs.setdefault("fee_fen", 30000)
    setup = make_setup(school, **kwargs)
    open_window(setup.section)
    return setup


def child_of(user: Any, school_class: SchoolClass, **kwargs: Any) -> Student:
    """A student whose guardian account is `user` (e.g. world.users["parent"])."""
    from afterschool.schools.tests.factories import StudentFactory

    student = StudentFactory(school_class=school_class, **kwargs)
    guardian = GuardianFactory(user=user)
    StudentGuardianFactory(student=student, guardian=guardian)
    return student


__all__ = ["Setup", "child_of", "open_setup", "open_window", "student_with_guardian"]

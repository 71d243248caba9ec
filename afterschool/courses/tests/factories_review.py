"""Helpers for the review tests: courses with chapters on the shared world, partnerships with fixed dates."""

from __future__ import annotations

import datetime as dt
from typing import Any

from afterschool.accounts.choices import OrgPermission, Role
from afterschool.accounts.tests.factories import MembershipFactory, UserFactory
from afterschool.courses.models import Course
from afterschool.courses.tests.factories import ChapterFactory, CourseFactory
from afterschool.tenancy.actor import Actor
from afterschool.tenancy.models import Partnership

PARTNERSHIP_START = dt.date(2020, 1, 1)


def fix_partnerships(world: Any) -> None:
    """The world's partnerships start on a fixed date, so schedulability dates are predictable."""
    Partnership.objects.update(starts_on=PARTNERSHIP_START, ends_on=None, status="active")


def org_course(world: Any, *, org: Any = None, chapters: int = 1, **kwargs: Any) -> Course:
    course = CourseFactory(owner_organization=org or world.org_a, **kwargs)
    for _ in range(chapters):
        ChapterFactory(course=course)
    return course


def school_course(world: Any, *, school: Any = None, chapters: int = 1, **kwargs: Any) -> Course:
    course = CourseFactory(owner_school=school or world.school_a, owner_organization=None, **kwargs)
    for _ in range(chapters):
        ChapterFactory(course=course)
    return course


def org_staff(world: Any, *, permissions: list[str], username: str = "orgstaff_a") -> Actor:
    user = UserFactory(username=username)
    membership = MembershipFactory(user=user, role=Role.ORG_STAFF, organization=world.org_a, permissions=permissions)
    return Actor(user=user, membership=membership, client_ip="127.0.0.1", permissions=frozenset(permissions))


SUBMITTER = [OrgPermission.COURSE_VIEW.value, OrgPermission.COURSE_SUBMIT.value]

"""The bureau's view of one organization (§5.1.2 信息查看): page and API, counts, access."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from afterschool.core.errors import NotFound
from afterschool.courses.models import CourseFile
from afterschool.courses.selectors.stats import organization_overview
from afterschool.courses.tests.factories import (
    CourseFactory,
    CourseOfferFactory,
    DispatchFactory,
    OrgTeacherFactory,
)


@pytest.fixture
def busy_org(world: Any) -> Any:
    """org_a: 2 courses (one approved at school_a, one submitted to school_a2), one file, 3 teachers."""
    c1 = CourseFactory(owner_organization=world.org_a)
    c2 = CourseFactory(owner_organization=world.org_a)
    CourseFactory(owner_organization=world.org_b)
    CourseOfferFactory(course=c1, school=world.school_a, status="approved")
    CourseOfferFactory(course=c2, school=world.school_a, status="approved")
    CourseOfferFactory(course=c2, school=world.school_a2, status="submitted")
    CourseFile.objects.create(course=c1, name="讲义", file="courses/x.pdf", media_kind="document",
                              content_type="application/pdf", size=10)  # fmt: skip
    t1 = OrgTeacherFactory(organization=world.org_a)
    OrgTeacherFactory(organization=world.org_a, certificate_number="", background_check="pending")
    OrgTeacherFactory(organization=world.org_a, is_active=False)
    DispatchFactory(teacher=t1, school=world.school_a)
    DispatchFactory(teacher=t1, school=world.school_a)  # same teacher twice counts once
    # Sections of its courses at school_a: two running (one shared student), one cancelled (not counted).
    from afterschool.enrollment.tests.factories import EnrollmentFactory
    from afterschool.scheduling.tests.factories import SectionFactory
    from afterschool.schools.tests.factories import TermFactory

    term = TermFactory(school=world.school_a)
    s1 = SectionFactory(school=world.school_a, term=term, course=c1, approved=False, status="running")
    s2 = SectionFactory(school=world.school_a, term=term, course=c2, approved=False, status="open")
    cancelled = SectionFactory(school=world.school_a, term=term, course=c2, approved=False, status="cancelled")
    shared = EnrollmentFactory(section=s1).student
    EnrollmentFactory(section=s2, student=shared)
    EnrollmentFactory(section=s2)
    EnrollmentFactory(section=s2, status="withdrawn")
    EnrollmentFactory(section=cancelled, status="cancelled")
    return world.org_a


def test_given_bureau_when_reading_overview_then_counts_are_aggregated(world: Any, busy_org: Any) -> None:
    with CaptureQueriesContext(connection) as queries:
        o = organization_overview(actor=world.actor("bureau_a"), organization_id=busy_org.pk)
    assert len(queries) <= 15  # a fixed number of aggregate queries, whatever the row counts
    assert o.courses == 2 and o.files == 1
    assert o.offers_by_status["approved"] == 2 and o.offers_by_status["submitted"] == 1
    assert o.teachers == {"total": 3, "active": 2, "with_certificate": 2, "background_passed": 2}
    rows = {r.school.pk: r for r in o.schools}
    assert set(rows) == {world.school_a.pk}  # schools it cooperates with, has courses approved at or dispatches to
    assert rows[world.school_a.pk].approved_courses == 2 and rows[world.school_a.pk].dispatched_teachers == 1
    assert rows[world.school_a.pk].partnership_status == "合作中"
    assert (rows[world.school_a.pk].sections, rows[world.school_a.pk].students) == (2, 2)


def test_given_bureau_when_opening_page_then_sections_and_students_are_shown(
    world: Any, busy_org: Any, login: Any
) -> None:
    response = login(world.users["bureau_a"]).get(reverse("courses:organization_overview", args=[busy_org.pk]))
    body = response.content.decode()
    assert response.status_code == 200
    assert "课班数" in body and "服务学生数" in body and "海淀实验小学" in body
    assert '<td data-label="课班数">2</td><td data-label="服务学生数">2</td>' in body


@pytest.mark.parametrize("key", ["bureau_a", "system", "org_a"])
def test_given_allowed_role_when_calling_api_then_overview_returned(
    world: Any, busy_org: Any, login: Any, key: str
) -> None:
    response = login(world.users[key]).get(f"/api/v1/courses/organizations/{busy_org.pk}/overview")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["courses"] == 2 and body["teachers"]["total"] == 3
    assert body["partnerships"][0]["school_name"] == "海淀实验小学"
    assert [(s["sections"], s["students"]) for s in body["schools"]] == [(2, 2)]


@pytest.mark.parametrize("key", ["bureau_b", "org_b", "school_a", "teacher_a", "orgteacher_a"])
def test_given_other_tenant_or_role_when_reading_overview_then_404(
    world: Any, busy_org: Any, login: Any, key: str
) -> None:
    with pytest.raises(NotFound):
        organization_overview(actor=world.actor(key), organization_id=busy_org.pk)
    client = login(world.users[key])
    assert client.get(reverse("courses:organization_overview", args=[busy_org.pk])).status_code == 404
    assert client.get(f"/api/v1/courses/organizations/{busy_org.pk}/overview").status_code == 404


def test_given_unknown_or_huge_id_when_calling_api_then_404(world: Any, login: Any) -> None:
    client = login(world.users["system"])
    assert client.get("/api/v1/courses/organizations/999999/overview").status_code == 404
    assert client.get(f"/api/v1/courses/organizations/{2**63}/overview").status_code in (404, 422)

"""Reads for the bureau's view of one organization (§5.1.2 信息查看): a few aggregate queries, no per-row loops."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q

from afterschool.accounts.choices import Role
from afterschool.core.errors import NotFound
from afterschool.courses.choices import BackgroundCheck, DispatchStatus, OfferStatus
from afterschool.courses.models import Course, CourseFile, CourseOffer, Dispatch, OrgTeacher
from afterschool.tenancy import selectors as tenancy_selectors
from afterschool.tenancy.actor import Actor
from afterschool.tenancy.models import Organization, Partnership, School

NOTE = "不含已取消的课班；服务学生数为在读学生（去重）"


@dataclass
class SchoolRow:
    school: School
    partnership_status: str  # label of the latest partnership, "" if none
    approved_courses: int
    dispatched_teachers: int
    sections: int = 0  # 课班数 of the organization's courses at the school (cancelled ones not counted)
    students: int = 0  # 服务学生数: distinct students with an active enrolment in those sections


@dataclass
class OrganizationOverview:
    organization: Organization
    partnerships: list[Partnership]
    courses: int
    offers_by_status: dict[str, int]
    files: int
    teachers: dict[str, int]
    schools: list[SchoolRow] = field(default_factory=list)
    note: str = NOTE


def _may_view(actor: Actor, organization_id: Any) -> bool:
    if actor.is_system_admin or actor.has_role(Role.BUREAU_ADMIN):
        return True
    return actor.has_role(Role.ORG_ADMIN) and str(actor.organization_id) == str(organization_id)


def organization_overview(*, actor: Actor, organization_id: Any) -> OrganizationOverview:
    """Bureau and system admins (through scoping), and the organization's own admin; anyone else: 404."""
    if not _may_view(actor, organization_id):
        raise NotFound()
    organization = tenancy_selectors.organization_get(actor=actor, organization_id=organization_id)
    partnerships = list(
        Partnership.objects.filter(organization=organization).select_related("school").order_by("-starts_on", "-id")
    )
    offers_by_status = dict.fromkeys(OfferStatus.values, 0)
    for row in (
        CourseOffer.objects.filter(course__owner_organization=organization).values("status").annotate(n=Count("id"))
    ):
        offers_by_status[row["status"]] = row["n"]
    teachers = OrgTeacher.objects.filter(organization=organization).aggregate(
        total=Count("id"),
        active=Count("id", filter=Q(is_active=True)),
        with_certificate=Count("id", filter=~Q(certificate_number="")),
        background_passed=Count("id", filter=Q(background_check=BackgroundCheck.PASSED)),
    )
    approved = dict(
        CourseOffer.objects.filter(course__owner_organization=organization, status=OfferStatus.APPROVED)
        .values_list("school_id")
        .annotate(n=Count("id"))
    )
    dispatched = dict(
        Dispatch.objects.filter(organization=organization, status=DispatchStatus.ACTIVE)
        .values_list("school_id")
        .annotate(n=Count("teacher_id", distinct=True))
    )
    from afterschool.enrollment.models import Enrollment
    from afterschool.scheduling.choices import SectionStatus
    from afterschool.scheduling.models import Section

    sections = dict(
        Section.objects.filter(course__owner_organization=organization)
        .exclude(status=SectionStatus.CANCELLED)
        .values_list("school_id")
        .annotate(n=Count("id"))
    )
    students = dict(
        Enrollment.objects.filter(section__course__owner_organization=organization, status="active")
        .values_list("section__school_id")
        .annotate(n=Count("student_id", distinct=True))
    )
    latest_status: dict[int, str] = {}
    for p in partnerships:  # newest first: the first seen per school is its latest
        latest_status.setdefault(p.school_id, p.get_status_display())
    school_ids = set(latest_status) | set(approved) | set(dispatched) | set(sections)
    schools = School.objects.filter(pk__in=school_ids).order_by("code")
    rows = [
        SchoolRow(
            school=s,
            partnership_status=latest_status.get(s.pk, ""),
            approved_courses=approved.get(s.pk, 0),
            dispatched_teachers=dispatched.get(s.pk, 0),
            sections=sections.get(s.pk, 0),
            students=students.get(s.pk, 0),
        )
        for s in schools
    ]
    return OrganizationOverview(
        organization=organization,
        partnerships=partnerships,
        courses=Course.objects.filter(owner_organization=organization).count(),
        offers_by_status=offers_by_status,
        files=CourseFile.objects.filter(course__owner_organization=organization).count(),
        teachers={k: int(v or 0) for k, v in teachers.items()},
        schools=rows,
    )

"""schemas: stats (the bureau's view of one organization)."""

from __future__ import annotations

import datetime as dt

from ninja import Schema


class OverviewPartnershipOut(Schema):
    id: int
    school_id: int
    school_name: str
    starts_on: dt.date
    ends_on: dt.date | None
    status: str
    end_reason: str


class OverviewTeachersOut(Schema):
    total: int
    active: int
    with_certificate: int
    background_passed: int


class OverviewSchoolOut(Schema):
    school_id: int
    school_name: str
    partnership_status: str
    approved_courses: int
    dispatched_teachers: int
    sections: int = 0
    students: int = 0


class OrganizationOverviewOut(Schema):
    organization_id: int
    organization_name: str
    status: str
    partnerships: list[OverviewPartnershipOut]
    courses: int
    offers_by_status: dict[str, int]
    files: int
    teachers: OverviewTeachersOut
    schools: list[OverviewSchoolOut]
    note: str

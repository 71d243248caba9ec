"""API schemas of the bureau's school overview."""

from __future__ import annotations

import datetime as dt

from ninja import Field, Schema

from afterschool.core.api import Text
from afterschool.tenancy.choices import SchoolNature, SchoolType


class OverviewFilters(Schema):
    q: Text | None = Field(None, max_length=64, description="学校名称或标识码前缀")
    school_type: SchoolType | None = None
    nature: SchoolNature | None = None


class SchoolOverviewOut(Schema):
    id: int
    code: str
    name: str
    region_id: int
    region_name: str = Field(..., alias="region.name")
    school_type: SchoolType
    nature: SchoolNature
    staff_count: int
    class_count: int
    student_count: int


class GradeOverviewOut(Schema):
    id: int
    name: str
    level: int
    class_count: int
    student_count: int


class VenueOverviewOut(Schema):
    id: int
    name: str
    location: str
    kind: str
    capacity: int
    is_active: bool


class EmergencyContactOverviewOut(Schema):
    id: int
    name: str
    title: str
    phone: str
    note: str


class RegistrationWindowOverviewOut(Schema):
    id: int
    name: str
    opens_at: dt.datetime
    closes_at: dt.datetime


class TermOverviewOut(Schema):
    id: int
    name: str
    academic_year: int
    term_number: int
    starts_on: dt.date
    ends_on: dt.date


class SchoolInformationOut(Schema):
    id: int
    code: str
    name: str
    region_id: int
    region_name: str
    school_type: SchoolType
    nature: SchoolNature
    address: str
    contact_phone: str
    is_active: bool
    staff_count: int
    student_count: int
    grades: list[GradeOverviewOut]
    venues: list[VenueOverviewOut]
    emergency_contacts: list[EmergencyContactOverviewOut]
    term: TermOverviewOut | None
    registration_windows: list[RegistrationWindowOverviewOut]

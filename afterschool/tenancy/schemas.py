from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from ninja import Field, Schema

from afterschool.core.api import PatchSchema, Text

from .choices import (
    ApplicationStatus,
    OrganizationKind,
    OrganizationStatus,
    PartnershipStatus,
    RegionLevel,
    SchoolNature,
    SchoolType,
)


class RegionOut(Schema):
    id: int
    code: str
    name: str
    level: RegionLevel
    parent_id: int | None


class RegionFilters(Schema):
    q: Text | None = Field(None, max_length=64, description="名称或代码前缀")
    level: RegionLevel | None = None


class SchoolOut(Schema):
    id: int
    code: str
    name: str
    region_id: int
    school_type: SchoolType
    nature: SchoolNature
    address: str
    longitude: Decimal | None
    latitude: Decimal | None
    contact_phone: str
    is_active: bool


class SchoolFilters(Schema):
    q: Text | None = Field(None, max_length=64, description="名称、标识码前缀或地址")
    school_type: SchoolType | None = None
    nature: SchoolNature | None = None
    region: int | None = Field(None, ge=1, le=2**62)


class SchoolIn(Schema):
    code: Text = Field(..., min_length=1, max_length=10)
    name: Text = Field(..., min_length=1, max_length=128)
    region_id: int = Field(..., ge=1, le=2**62)
    school_type: SchoolType
    nature: SchoolNature = SchoolNature.PUBLIC
    address: Text = Field("", max_length=255)
    longitude: Decimal | None = Field(None, ge=-180, le=180, max_digits=9, decimal_places=6)
    latitude: Decimal | None = Field(None, ge=-90, le=90, max_digits=9, decimal_places=6)
    contact_phone: Text = Field("", max_length=32)
    is_active: bool = True


class SchoolPatch(PatchSchema):
    nullable = frozenset({"longitude", "latitude"})

    code: Text | None = Field(None, min_length=1, max_length=10)
    name: Text | None = Field(None, min_length=1, max_length=128)
    region_id: int | None = Field(None, ge=1, le=2**62)
    school_type: SchoolType | None = None
    nature: SchoolNature | None = None
    address: Text | None = Field(None, max_length=255)
    longitude: Decimal | None = Field(None, ge=-180, le=180, max_digits=9, decimal_places=6)
    latitude: Decimal | None = Field(None, ge=-90, le=90, max_digits=9, decimal_places=6)
    contact_phone: Text | None = Field(None, max_length=32)
    is_active: bool | None = None


class OrganizationOut(Schema):
    id: int
    credit_code: str
    name: str
    kind: OrganizationKind
    region_id: int
    status: OrganizationStatus
    contact_name: str
    contact_phone: str
    address: str


class OrganizationFilters(Schema):
    q: Text | None = Field(None, max_length=64, description="名称或信用代码前缀")
    status: OrganizationStatus | None = None
    kind: OrganizationKind | None = None


class OrganizationIn(Schema):
    credit_code: Text = Field(..., min_length=1, max_length=18)
    name: Text = Field(..., min_length=1, max_length=128)
    kind: OrganizationKind = OrganizationKind.OTHER
    region_id: int = Field(..., ge=1, le=2**62)
    contact_name: Text = Field("", max_length=64)
    contact_phone: Text = Field("", max_length=32)
    address: Text = Field("", max_length=255)


class OrganizationPatch(PatchSchema):
    credit_code: Text | None = Field(None, min_length=1, max_length=18)
    name: Text | None = Field(None, min_length=1, max_length=128)
    kind: OrganizationKind | None = None
    region_id: int | None = Field(None, ge=1, le=2**62)
    contact_name: Text | None = Field(None, max_length=64)
    contact_phone: Text | None = Field(None, max_length=32)
    address: Text | None = Field(None, max_length=255)


class OrganizationStatusIn(Schema):
    status: OrganizationStatus
    reason: Text = Field("", max_length=200)


class OrganizationStatusChangeOut(Schema):
    id: int
    from_status: str
    to_status: OrganizationStatus
    reason: str
    changed_by_id: int | None
    changed_at: datetime


class ApplicationOut(Schema):
    id: int
    reference: str
    credit_code: str
    name: str
    kind: OrganizationKind
    region_id: int
    contact_name: str
    contact_phone: str
    contact_email: str
    address: str
    course_categories: list[str]
    teacher_summary: str
    status: ApplicationStatus
    created_at: datetime
    reviewed_at: datetime | None
    reviewed_by_id: int | None
    review_comment: str
    organization_id: int | None


class ApplicationFilters(Schema):
    q: Text | None = Field(None, max_length=64, description="机构名称、信用代码前缀或申请编号")
    status: ApplicationStatus | None = None
    kind: OrganizationKind | None = None
    region: int | None = Field(None, ge=1, le=2**62)


class ApplicationApproveIn(Schema):
    comment: Text = Field("", max_length=500)


class ApplicationRejectIn(Schema):
    reason: Text = Field(..., min_length=1, max_length=500)


class ApprovalOut(Schema):
    application: ApplicationOut
    organization: OrganizationOut
    username: str
    initial_password: str = Field(..., description="只在此响应中出现一次，平台不保存明文")


class PartnershipOut(Schema):
    id: int
    school_id: int
    organization_id: int
    starts_on: date
    ends_on: date | None
    status: PartnershipStatus
    end_reason: str


class PartnershipFilters(Schema):
    q: Text | None = Field(None, max_length=64, description="学校或机构名称")
    school: int | None = Field(None, ge=1, le=2**62)
    organization: int | None = Field(None, ge=1, le=2**62)
    status: PartnershipStatus | None = None


class PartnershipIn(Schema):
    school_id: int | None = Field(None, ge=1, le=2**62, description="学校管理员可不填（本校）")
    organization_id: int = Field(..., ge=1, le=2**62)
    starts_on: date
    ends_on: date | None = None


class PartnershipPatch(PatchSchema):
    nullable = frozenset({"ends_on"})

    starts_on: date | None = None
    ends_on: date | None = None


class PartnershipEndIn(Schema):
    reason: Text = Field(..., min_length=1, max_length=200)
    ends_on: date | None = None

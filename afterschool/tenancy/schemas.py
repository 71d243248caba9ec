from __future__ import annotations

from decimal import Decimal

from ninja import Field, Schema

from afterschool.core.api import PatchSchema, Text

from .choices import OrganizationKind, OrganizationStatus, RegionLevel, SchoolNature, SchoolType


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

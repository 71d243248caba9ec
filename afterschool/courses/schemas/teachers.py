"""Schemas: organization teachers, certificates, the bureau summary. Personal data leaves masked only."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from ninja import Field, Schema

from afterschool.core.api import PatchSchema, Text

from ..choices import BackgroundCheck


class TeacherOut(Schema):
    id: int
    organization_id: int
    organization_name: str = Field(..., alias="organization.name")
    name: str
    mobile_masked: str
    id_number_masked: str
    certificate_number: str
    subjects: str
    background_check: BackgroundCheck
    background_checked_on: dt.date | None
    is_active: bool
    user_id: int | None


class TeacherCreated(TeacherOut):
    initial_password: str | None = Field(None, description="新建账号的初始密码，只返回这一次")


class TeacherFilters(Schema):
    q: Text | None = Field(None, max_length=64, description="姓名，或完整手机号、身份证号")
    organization: int | None = Field(None, ge=1, le=2**62)
    background_check: BackgroundCheck | None = None
    is_active: bool | None = None
    has_certificate: bool | None = None


class TeacherIn(Schema):
    name: Text = Field(..., min_length=1, max_length=64)
    mobile: Text = Field(..., max_length=20)
    id_number: Text = Field(..., max_length=18)
    certificate_number: Text = Field("", max_length=32)
    subjects: Text = Field("", max_length=128)
    background_check: BackgroundCheck = BackgroundCheck.PENDING
    background_checked_on: dt.date | None = None
    is_active: bool = True
    create_account: bool = Field(False, description="开通机构教师账号（以手机号登录；已有账号则关联）")
    organization_id: int | None = Field(None, ge=1, le=2**62, description="仅系统管理员使用；机构总是本机构")


class TeacherPatch(PatchSchema):
    nullable = frozenset({"background_checked_on"})

    name: Text | None = Field(None, min_length=1, max_length=64)
    mobile: Text | None = Field(None, max_length=20)
    id_number: Text | None = Field(None, max_length=18)
    certificate_number: Text | None = Field(None, max_length=32)
    subjects: Text | None = Field(None, max_length=128)
    background_check: BackgroundCheck | None = None
    background_checked_on: dt.date | None = None
    is_active: bool | None = None


class OrgTeacherRevealIn(Schema):
    field: Literal["mobile", "id_number"]


class OrgTeacherRevealOut(Schema):
    field: str
    value: str


class CertificateOut(Schema):
    id: int
    teacher_id: int
    name: str
    media_kind: str
    content_type: str
    size: int
    created_at: dt.datetime


class SummaryFilters(Schema):
    q: Text | None = Field(None, max_length=64, description="机构名称")


class SummaryOut(Schema):
    organization_id: int = Field(..., alias="pk")
    organization_name: str = Field(..., alias="name")
    teacher_count: int
    with_certificate_number: int
    with_certificate_files: int
    check_passed: int
    check_pending: int
    check_failed: int

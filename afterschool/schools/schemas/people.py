"""API schemas of students, guardians and staff. Outputs carry only masked personal data."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from ninja import Field, Schema

from afterschool.core.api import PatchSchema, Text

from ..choices import Gender, GuardianRelation, StaffRole

ID = Field(..., ge=1, le=2**62)


class StudentOut(Schema):
    id: int
    school_id: int
    student_number: str
    name: str
    gender: Gender
    birth_date: dt.date | None
    grade_id: int
    school_class_id: int
    id_number_masked: str
    is_active: bool


class StudentFilters(Schema):
    q: Text | None = Field(None, max_length=64, description="姓名、学籍号，或完整身份证号、监护人完整手机号")
    grade: int | None = Field(None, ge=1, le=2**62)
    school_class: int | None = Field(None, ge=1, le=2**62)
    gender: Gender | None = None
    is_active: bool | None = None


class StudentIn(Schema):
    student_number: Text = Field(..., min_length=1, max_length=32)
    name: Text = Field(..., min_length=1, max_length=64)
    gender: Gender
    birth_date: dt.date | None = None
    grade_id: int = ID
    school_class_id: int = ID
    id_number: Text = Field("", max_length=18, description="18 位身份证号，可不填")
    is_active: bool = True
    school_id: int | None = Field(None, ge=1, le=2**62, description="仅系统管理员使用；学校管理员总是本校")


class StudentPatch(PatchSchema):
    student_number: Text | None = Field(None, min_length=1, max_length=32)
    name: Text | None = Field(None, min_length=1, max_length=64)
    gender: Gender | None = None
    birth_date: dt.date | None = None
    grade_id: int | None = Field(None, ge=1, le=2**62)
    school_class_id: int | None = Field(None, ge=1, le=2**62)
    id_number: Text | None = Field(None, max_length=18, description="空字符串表示清除")
    is_active: bool | None = None

    nullable = frozenset({"birth_date"})


class GuardianOut(Schema):
    id: int
    name: str
    mobile_masked: str
    has_account: bool

    @staticmethod
    def resolve_has_account(obj: object) -> bool:
        return getattr(obj, "user_id", None) is not None


class GuardianFilters(Schema):
    q: Text | None = Field(None, max_length=64, description="姓名或完整手机号")
    relation: GuardianRelation | None = Field(None, description="与本范围内某个子女的关系")
    has_account: bool | None = Field(None, description="是否已开通家长账号")


class GuardianPatch(PatchSchema):
    name: Text | None = Field(None, min_length=1, max_length=64)
    mobile: Text | None = Field(
        None, min_length=1, max_length=20, description="不能与其他监护人重复；已开通家长账号的不能由学校修改"
    )


class GuardianLinkOut(Schema):
    id: int
    student_id: int
    guardian: GuardianOut
    relation: GuardianRelation
    is_primary: bool


class GuardianLinkIn(Schema):
    name: Text = Field(..., min_length=1, max_length=64)
    mobile: Text = Field(..., min_length=1, max_length=20)
    relation: GuardianRelation
    is_primary: bool = False


class GuardianLinkCreated(GuardianLinkOut):
    initial_password: str | None = Field(None, description="新建家长账号的初始密码，只返回这一次")
    username: str | None = None


class StaffOut(Schema):
    id: int
    school_id: int
    employee_number: str
    name: str
    mobile_masked: str
    subjects: str
    roles: list[StaffRole]
    is_active: bool
    user_id: int | None


class StaffCreated(StaffOut):
    initial_password: str | None = Field(None, description="新建教师账号的初始密码，只返回这一次")
    username: str | None = None


class StaffFilters(Schema):
    q: Text | None = Field(None, max_length=64, description="姓名、工号或完整手机号")
    role: StaffRole | None = None
    subject: Text | None = Field(None, max_length=32)
    is_active: bool | None = None


class StaffIn(Schema):
    employee_number: Text = Field(..., min_length=1, max_length=32)
    name: Text = Field(..., min_length=1, max_length=64)
    mobile: Text = Field("", max_length=20)
    subjects: Text = Field("", max_length=128)
    roles: list[StaffRole] = Field(default_factory=list)
    is_active: bool = True
    school_id: int | None = Field(None, ge=1, le=2**62, description="仅系统管理员使用；学校管理员总是本校")


class StaffPatch(PatchSchema):
    employee_number: Text | None = Field(None, min_length=1, max_length=32)
    name: Text | None = Field(None, min_length=1, max_length=64)
    mobile: Text | None = Field(None, max_length=20, description="空字符串表示清除")
    subjects: Text | None = Field(None, max_length=128)
    roles: list[StaffRole] | None = None
    is_active: bool | None = None


class RevealIn(Schema):
    field: Literal["id_number", "mobile"]


class RevealOut(Schema):
    field: str
    value: str

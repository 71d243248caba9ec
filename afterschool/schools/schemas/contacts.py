from __future__ import annotations

from ninja import Field, Schema

from afterschool.core.api import PatchSchema, Text


class ContactOut(Schema):
    id: int
    school_id: int
    name: str
    title: str
    phone: str
    order: int
    note: str


class ContactFilters(Schema):
    q: Text | None = Field(None, max_length=64, description="姓名、职务或电话")
    school: int | None = Field(None, ge=1, le=2**62)


class ContactIn(Schema):
    school_id: int | None = Field(None, ge=1, le=2**62, description="仅系统管理员需要；学校管理员总是本校")
    name: Text = Field(..., min_length=1, max_length=64)
    title: Text = Field(..., min_length=1, max_length=64)
    phone: Text = Field(..., min_length=1, max_length=32, description="手机号或座机号，如 010-62001234")
    order: int = Field(0, ge=0, le=32767)
    note: Text = Field("", max_length=128)


class ContactPatch(PatchSchema):
    name: Text | None = Field(None, min_length=1, max_length=64)
    title: Text | None = Field(None, min_length=1, max_length=64)
    phone: Text | None = Field(None, min_length=1, max_length=32)
    order: int | None = Field(None, ge=0, le=32767)
    note: Text | None = Field(None, max_length=128)

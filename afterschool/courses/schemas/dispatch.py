"""Schemas: teacher dispatch and the may-teach rule."""

from __future__ import annotations

import datetime as dt

from ninja import Field, Schema

from afterschool.core.api import PatchSchema, Text
from afterschool.core.choices import CourseCategory

from ..choices import DispatchStatus


class DispatchOut(Schema):
    id: int
    organization_id: int
    teacher_id: int
    teacher_name: str = Field(..., alias="teacher.name")
    school_id: int
    school_name: str = Field(..., alias="school.name")
    starts_on: dt.date
    ends_on: dt.date
    course_categories: list[CourseCategory]
    status: DispatchStatus
    cancel_reason: str
    cancelled_at: dt.datetime | None


class DispatchFilters(Schema):
    q: Text | None = Field(None, max_length=64, description="教师或学校名称")
    school: int | None = Field(None, ge=1, le=2**62)
    teacher: int | None = Field(None, ge=1, le=2**62)
    status: DispatchStatus | None = None
    date: dt.date | None = Field(None, description="外派期限包含该日")


class DispatchIn(Schema):
    teacher_id: int = Field(..., ge=1, le=2**62)
    school_id: int = Field(..., ge=1, le=2**62)
    starts_on: dt.date
    ends_on: dt.date
    course_categories: list[CourseCategory] = Field(..., min_length=1, max_length=len(CourseCategory.values))


class DispatchPatch(PatchSchema):
    ends_on: dt.date | None = None
    course_categories: list[CourseCategory] | None = Field(None, min_length=1, max_length=len(CourseCategory.values))


class DispatchCancelIn(Schema):
    reason: Text = Field(..., min_length=1, max_length=200)


class MayTeachQuery(Schema):
    school_id: int = Field(..., ge=1, le=2**62)
    user_id: int = Field(..., ge=1, le=2**62)
    starts_on: dt.date
    ends_on: dt.date
    category: CourseCategory | None = None


class MayTeachOut(Schema):
    allowed: bool
    reason: str | None

from __future__ import annotations

import datetime as dt

from ninja import Field, Schema

from afterschool.core.api import PatchSchema, Text
from afterschool.core.choices import Weekday


class TimetableEntryOut(Schema):
    id: int
    school_class_id: int
    weekday: Weekday
    period: int
    starts_at: dt.time
    ends_at: dt.time
    subject: str
    teacher_id: int | None
    teacher_name: str | None

    @staticmethod
    def resolve_teacher_name(obj: object) -> str | None:
        teacher = obj.teacher  # type: ignore[attr-defined]
        return teacher.name if teacher is not None else None


class TimetableEntryFilters(Schema):
    q: Text | None = Field(None, max_length=64, description="学科或教师姓名")
    school_class: int | None = Field(None, ge=1, le=2**62, description="班级")
    weekday: Weekday | None = None
    teacher: int | None = Field(None, ge=1, le=2**62)


class TimetableEntryIn(Schema):
    school_class_id: int = Field(..., ge=1, le=2**62)
    weekday: Weekday
    period: int = Field(..., ge=1, le=20)
    starts_at: dt.time
    ends_at: dt.time
    subject: Text = Field(..., min_length=1, max_length=32)
    teacher_id: int | None = Field(None, ge=1, le=2**62)


class TimetableEntryPatch(PatchSchema):
    nullable = frozenset({"teacher_id"})

    weekday: Weekday | None = None
    period: int | None = Field(None, ge=1, le=20)
    starts_at: dt.time | None = None
    ends_at: dt.time | None = None
    subject: Text | None = Field(None, min_length=1, max_length=32)
    teacher_id: int | None = Field(None, ge=1, le=2**62)

from __future__ import annotations

import datetime as dt

from ninja import Field, Schema

from afterschool.core.api import PatchSchema, Text
from afterschool.core.choices import Weekday

from ..choices import CalendarDayKind, TermNumber


class TermOut(Schema):
    id: int
    school_id: int
    academic_year: int
    term_number: TermNumber
    name: str
    starts_on: dt.date
    ends_on: dt.date

    @staticmethod
    def resolve_name(obj: object) -> str:
        return str(obj)


class TermFilters(Schema):
    q: Text | None = Field(None, max_length=64, description="学年（如 2026）或学校名称")
    academic_year: int | None = Field(None, ge=2000, le=2100)
    term_number: TermNumber | None = None
    school: int | None = Field(None, ge=1, le=2**62)


class TermIn(Schema):
    school_id: int | None = Field(None, ge=1, le=2**62, description="仅系统管理员需要；学校管理员总是本校")
    academic_year: int = Field(..., ge=2000, le=2100)
    term_number: TermNumber
    starts_on: dt.date
    ends_on: dt.date


class TermPatch(PatchSchema):
    academic_year: int | None = Field(None, ge=2000, le=2100)
    term_number: TermNumber | None = None
    starts_on: dt.date | None = None
    ends_on: dt.date | None = None


class WindowOut(Schema):
    id: int
    term_id: int
    name: str
    opens_at: dt.datetime
    closes_at: dt.datetime


class WindowIn(Schema):
    name: Text = Field(..., min_length=1, max_length=64)
    opens_at: dt.datetime
    closes_at: dt.datetime


class CalendarDayOut(Schema):
    id: int
    term_id: int
    date: dt.date
    kind: CalendarDayKind
    follows_weekday: Weekday | None
    note: str


class CalendarDayIn(Schema):
    date: dt.date
    kind: CalendarDayKind
    follows_weekday: Weekday | None = None
    note: Text = Field("", max_length=128)

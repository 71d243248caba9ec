"""schemas: slots (课后服务时段)."""

from __future__ import annotations

import datetime as dt

from ninja import Field, Schema

from afterschool.core.api import PatchSchema, Text, WallTime


class TimeSlotOut(Schema):
    id: int
    school_id: int
    weekday: int
    starts_at: WallTime
    ends_at: WallTime
    name: str


class TimeSlotFilters(Schema):
    q: Text | None = Field(None, max_length=64, description="时段名称")
    weekday: int | None = Field(None, ge=1, le=7)
    school: int | None = Field(None, ge=1, le=2**62)


class TimeSlotIn(Schema):
    school_id: int | None = Field(None, ge=1, le=2**62, description="仅系统管理员需要；学校管理员总是本校")
    weekday: int = Field(..., ge=1, le=7, description="1 = 星期一 … 7 = 星期日")
    starts_at: WallTime
    ends_at: WallTime
    name: Text = Field("", max_length=32)


class TimeSlotPatch(PatchSchema):
    weekday: int | None = Field(None, ge=1, le=7)
    starts_at: WallTime | None = None
    ends_at: WallTime | None = None
    name: Text | None = Field(None, max_length=32)


class TimeRange(Schema):
    starts_at: WallTime
    ends_at: WallTime


class StandardWeekIn(Schema):
    school_id: int | None = Field(None, ge=1, le=2**62, description="仅系统管理员需要")
    weekdays: list[int] = Field([1, 2, 3, 4, 5], min_length=1, max_length=7)
    times: list[TimeRange] = Field(
        [TimeRange(starts_at=dt.time(15, 40), ends_at=dt.time(16, 40)),
         TimeRange(starts_at=dt.time(16, 50), ends_at=dt.time(17, 50))],
        min_length=1, max_length=8,
    )  # fmt: skip

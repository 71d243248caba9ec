"""Schemas of teachers' check-in (/api/v1/attendance/lessons/{id}/checkin, /checkout, /checkins)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from ninja import Field, Schema
from pydantic import StringConstraints

from afterschool.core.api import Text

Id = Annotated[int, Field(ge=1, le=2**62)]


class PositionIn(Schema):
    latitude: float = Field(..., description="WGS-84 纬度 −90..90")
    longitude: float = Field(..., description="WGS-84 经度 −180..180")
    accuracy_m: float = Field(..., description="定位精度（米），手机定位给出的 accuracy")


class CheckinFilters(Schema):
    date_from: dt.date | None = Field(None, description="课次日期起")
    date_to: dt.date | None = Field(None, description="课次日期止")
    school: Id | None = None
    teacher: Id | None = None
    section: Id | None = None
    flagged: bool = Field(False, description="仅定位精度差的")
    missing: bool = Field(False, description="改为列出已下课却未签到的课次（此时签到字段为空）")
    q: Annotated[Text, StringConstraints(max_length=64)] | None = Field(None, description="教师姓名")


class CheckinOut(Schema):
    id: int | None = Field(..., description="签到记录；未签到的课次为 null")
    lesson_id: int
    lesson_date: dt.date
    starts_at: str
    ends_at: str
    section_id: int
    section_name: str
    school_id: int
    school_name: str
    teacher_id: int
    teacher_name: str
    checked_in: bool
    checked_in_at: dt.datetime | None
    in_latitude: float | None
    in_longitude: float | None
    in_accuracy_m: int | None
    in_distance_m: int | None
    in_flagged: bool
    checked_out_at: dt.datetime | None
    out_latitude: float | None
    out_longitude: float | None
    out_accuracy_m: int | None
    out_distance_m: int | None
    out_flagged: bool


class CheckinResultOut(CheckinOut):
    message: str = Field(..., description="给教师看的结果，定位精度差时会说明已标记")
    flagged: bool = Field(..., description="本次定位精度差，已标记待核实")

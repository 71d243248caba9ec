"""Schemas of the check-in area (/api/v1/attendance/settings, /venue-areas). Ranges are checked by the service,
which names each bad field in Chinese (422)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from ninja import Field, Schema

Id = Annotated[int, Field(ge=1, le=2**62)]
Coordinate = Annotated[float, Field(description="WGS-84 度数")]
WholeNumber = Annotated[int, Field(ge=-(2**31), le=2**31)]


class SettingsQuery(Schema):
    school_id: Id | None = Field(None, description="学校（教育局、系统管理员须指定；学校管理员默认本校）")


class SettingsIn(Schema):
    """The whole of a school's 考勤设置 (PUT): a centre left out or null is cleared."""

    latitude: Coordinate | None = Field(None, description="签到中心纬度 −90..90")
    longitude: Coordinate | None = Field(None, description="签到中心经度 −180..180")
    radius_m: WholeNumber = Field(..., description="签到半径（米）10..10000")
    checkin_opens_minutes: WholeNumber = Field(..., description="上课前可签到（分钟）")
    checkin_closes_minutes: WholeNumber = Field(..., description="上课后仍可签到（分钟）")
    checkout_opens_minutes: WholeNumber = Field(..., description="下课前可签退（分钟）")
    checkout_closes_minutes: WholeNumber = Field(..., description="下课后仍可签退（分钟）")
    max_accuracy_m: WholeNumber = Field(..., description="定位精度要求（米），更差的定位被标记")
    correction_hours: WholeNumber = Field(..., description="课后可更正考勤（小时）")
    notify_guardians: bool = Field(..., description="学生签到签退通知家长")


class SettingsOut(Schema):
    school_id: int
    school_name: str
    saved: bool = Field(..., description="false：学校尚未保存设置，显示的是默认值")
    latitude: float | None
    longitude: float | None
    radius_m: int
    checkin_opens_minutes: int
    checkin_closes_minutes: int
    checkout_opens_minutes: int
    checkout_closes_minutes: int
    max_accuracy_m: int
    correction_hours: int
    notify_guardians: bool
    updated_at: dt.datetime | None


class VenueAreaFilters(Schema):
    school: Id | None = None
    venue: Id | None = None


class VenueAreaIn(Schema):
    venue_id: Id
    latitude: Coordinate
    longitude: Coordinate
    radius_m: WholeNumber


class VenueAreaPut(Schema):
    latitude: Coordinate
    longitude: Coordinate
    radius_m: WholeNumber


class VenueAreaOut(Schema):
    id: int
    venue_id: int
    venue_name: str
    school_id: int
    latitude: float
    longitude: float
    radius_m: int
    updated_at: dt.datetime

"""/api/v1/attendance/ — the check-in area: a school's 考勤设置 and its venues' own areas."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Status

from afterschool.core.api import ERRORS, Paged, PageParams, actor_of
from afterschool.core.errors import NotFound, ValidationFailed
from afterschool.core.pagination import paginate

from ..models import AttendanceSettings, VenueCheckinArea
from ..schemas.geofence import (
    SettingsIn,
    SettingsOut,
    SettingsQuery,
    VenueAreaFilters,
    VenueAreaIn,
    VenueAreaOut,
    VenueAreaPut,
)
from ..selectors import geofence as selectors
from ..services import geofence as services

router = Router(tags=["考勤与请假"])


def settings_out(row: AttendanceSettings) -> dict[str, Any]:
    school = row.school
    return {
        "school_id": school.pk, "school_name": school.name, "saved": row.pk is not None,
        **{field: getattr(row, field) for field in services.SETTINGS_FIELDS},
        "updated_at": row.updated_at if row.pk is not None else None,
    }  # fmt: skip


def area_out(area: VenueCheckinArea) -> dict[str, Any]:
    return {
        "id": area.pk, "venue_id": area.venue_id, "venue_name": area.venue.name, "school_id": area.venue.school_id,
        "latitude": area.latitude, "longitude": area.longitude, "radius_m": area.radius_m,
        "updated_at": area.updated_at,
    }  # fmt: skip


def _school(request: HttpRequest, school_id: int | None) -> Any:
    actor = actor_of(request)
    try:
        return selectors.geofence_school(actor, school_id)
    except NotFound:
        if school_id is None:
            raise ValidationFailed({"school_id": ["请指定学校"]}) from None
        raise


@router.get("/settings", response={200: SettingsOut, **ERRORS}, summary="考勤设置（签到范围与时间）")
def settings_get(request: HttpRequest, query: Query[SettingsQuery]) -> Any:
    actor = actor_of(request)
    school = _school(request, query.school_id)
    return settings_out(selectors.attendance_settings_get(actor, school))


@router.put("/settings", response={200: SettingsOut, **ERRORS}, summary="保存考勤设置（学校管理员）")
def settings_put(request: HttpRequest, query: Query[SettingsQuery], payload: SettingsIn) -> Any:
    actor = actor_of(request)
    school = _school(request, query.school_id)
    services.attendance_settings_save(actor, school, payload.dict())
    return settings_out(selectors.attendance_settings_get(actor, school))


@router.get("/venue-areas", response={200: Paged[VenueAreaOut], **ERRORS}, summary="场地签到范围列表")
def venue_area_list(request: HttpRequest, filters: Query[VenueAreaFilters], paging: Query[PageParams]) -> Any:
    result = paginate(
        selectors.venue_area_list(actor_of(request), filters.dict()), page=paging.page, page_size=paging.page_size
    )
    return {
        "items": [area_out(a) for a in result.items], "count": result.count, "page": result.page,
        "page_size": result.page_size, "num_pages": result.num_pages,
    }  # fmt: skip


@router.post("/venue-areas", response={201: VenueAreaOut, **ERRORS}, summary="设置场地签到范围")
def venue_area_create(request: HttpRequest, payload: VenueAreaIn) -> Any:
    actor = actor_of(request)
    data = payload.dict()
    try:
        venue = selectors.geofence_venue(actor, data.pop("venue_id"))
    except NotFound:
        raise ValidationFailed({"venue_id": ["场地不存在"]}) from None
    area = services.venue_area_create(actor, venue, data)
    return Status(201, area_out(selectors.venue_area_get(actor, area.pk)))


@router.get("/venue-areas/{area_id}", response={200: VenueAreaOut, **ERRORS}, summary="场地签到范围详情")
def venue_area_detail(request: HttpRequest, area_id: int) -> Any:
    return area_out(selectors.venue_area_get(actor_of(request), area_id))


@router.put("/venue-areas/{area_id}", response={200: VenueAreaOut, **ERRORS}, summary="修改场地签到范围")
def venue_area_update(request: HttpRequest, area_id: int, payload: VenueAreaPut) -> Any:
    actor = actor_of(request)
    area = services.venue_area_update(actor, selectors.venue_area_get(actor, area_id), payload.dict())
    return area_out(selectors.venue_area_get(actor, area.pk))


@router.delete("/venue-areas/{area_id}", response={204: None, **ERRORS}, summary="删除场地签到范围（改用学校范围）")
def venue_area_delete(request: HttpRequest, area_id: int) -> Any:
    actor = actor_of(request)
    services.venue_area_delete(actor, selectors.venue_area_get(actor, area_id))
    return Status(204, None)

"""Writes of the check-in area (签到范围, §5.3.2 "支持签到地理范围设置"): a school's attendance settings (centre,
radius, check-in and check-out windows, accuracy, correction time, guardian notices) and a venue's own area.

Only the school's admins (and system admins) write; the bureau reads. Every write is audited with what changed.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction

from afterschool.accounts.choices import AuditEventType
from afterschool.accounts.services import record_write
from afterschool.core.errors import Conflict, PermissionDenied, ValidationFailed
from afterschool.schools.models import Venue
from afterschool.tenancy.actor import Actor
from afterschool.tenancy.models import School

from .. import geo
from ..models import AttendanceSettings, VenueCheckinArea
from ..selectors.geofence import may_edit_geofence

# (minimum, maximum, label) of each whole-number setting. The radius minimum is the database's check constraint.
INT_LIMITS: dict[str, tuple[int, int, str]] = {
    "radius_m": (10, 10000, "签到半径"),
    "checkin_opens_minutes": (0, 720, "上课前可签到分钟数"),
    "checkin_closes_minutes": (0, 720, "上课后仍可签到分钟数"),
    "checkout_opens_minutes": (0, 720, "下课前可签退分钟数"),
    "checkout_closes_minutes": (0, 720, "下课后仍可签退分钟数"),
    "max_accuracy_m": (1, 10000, "定位精度要求"),
    "correction_hours": (0, 720, "课后可更正考勤小时数"),
}
UNITS = {"radius_m": "米", "max_accuracy_m": "米", "correction_hours": "小时"}
SETTINGS_FIELDS = ("latitude", "longitude", *INT_LIMITS, "notify_guardians")
AREA_FIELDS = ("latitude", "longitude", "radius_m")


def _may_write(actor: Actor, school_id: int) -> None:
    if not may_edit_geofence(actor, school_id):
        raise PermissionDenied("只有本校管理员可以修改签到范围和考勤设置")


def _whole_number(field: str, value: Any, errors: dict[str, list[str]]) -> int | None:
    low, high, label = INT_LIMITS[field]
    unit = UNITS.get(field, "分钟")
    number = geo.as_number(value)
    if number is None or number != number.to_integral_value():
        errors[field] = [f"{label}须是整数"]
        return None
    if not low <= number <= high:
        errors[field] = [f"{label}须在 {low} 到 {high} {unit}之间"]
        return None
    return int(number)


def _centre(data: dict[str, Any], errors: dict[str, list[str]], *, required: bool) -> dict[str, Decimal | None]:
    """latitude and longitude: both given (and in range) or, unless required, both empty."""
    lat, lng = data.get("latitude"), data.get("longitude")
    lat_empty, lng_empty = lat in (None, ""), lng in (None, "")
    if lat_empty and lng_empty:
        if required:
            errors["latitude"] = ["请填写纬度"]
            errors["longitude"] = ["请填写经度"]
        return {"latitude": None, "longitude": None}
    if lat_empty or lng_empty:
        errors["latitude" if lat_empty else "longitude"] = ["纬度和经度须同时填写"]
        return {}
    out: dict[str, Decimal | None] = {}
    for field, error in (("latitude", geo.latitude_error(lat)), ("longitude", geo.longitude_error(lng))):
        if error:
            errors[field] = [error]
        else:
            out[field] = geo.as_coordinate(data[field])
    return out


def _changes(obj: Any, values: dict[str, Any]) -> dict[str, list[str | None]]:
    """{field: [old, new]} of what differs, as text (the audit detail is JSON)."""
    out = {}
    for field, new in values.items():
        old = getattr(obj, field)
        if old != new:
            out[field] = [None if old is None else str(old), None if new is None else str(new)]
    return out


def _clean_settings(data: dict[str, Any]) -> dict[str, Any]:
    """The given settings fields, checked; ValidationFailed naming each bad field in Chinese."""
    errors: dict[str, list[str]] = {}
    values: dict[str, Any] = {}
    if "latitude" in data or "longitude" in data:
        values.update(_centre(data, errors, required=False))
    for field in INT_LIMITS:
        if field in data:
            number = _whole_number(field, data[field], errors)
            if number is not None:
                values[field] = number
    if "notify_guardians" in data:
        flag = data["notify_guardians"]
        if not isinstance(flag, bool):
            errors["notify_guardians"] = ["请选择是否通知家长"]
        else:
            values["notify_guardians"] = flag
    if errors:
        raise ValidationFailed(errors)
    return values


@transaction.atomic
def attendance_settings_save(actor: Actor, school: School, data: dict[str, Any]) -> AttendanceSettings:
    """Save the school's 考勤设置 (creating the row on first save); only the given fields change. School admins of
    the school and system admins."""
    _may_write(actor, school.pk)
    given = {k: v for k, v in data.items() if k in SETTINGS_FIELDS}
    row = AttendanceSettings.objects.select_for_update().filter(school=school).first()
    created = False
    if row is None:
        try:
            with transaction.atomic():
                row = AttendanceSettings.objects.create(
                    school=school, latitude=school.latitude, longitude=school.longitude
                )
                created = True
        except IntegrityError:  # another save created it a moment ago
            row = AttendanceSettings.objects.select_for_update().get(school=school)
    if ("latitude" in given) != ("longitude" in given):  # one half of the centre: the other stays as it is
        given.setdefault("latitude", row.latitude)
        given.setdefault("longitude", row.longitude)
    values = _clean_settings(given)
    changes = _changes(row, values)
    for field, value in values.items():
        setattr(row, field, value)
    if changes or created:
        row.save()
        record_write(
            actor=actor, event=AuditEventType.CREATE if created else AuditEventType.UPDATE, obj=row,
            detail={"what": "attendance_settings", "school": school.pk, "changes": changes},
        )  # fmt: skip
    return row


def _clean_area(data: dict[str, Any]) -> dict[str, Any]:
    """A venue's centre (required) and radius, checked."""
    errors: dict[str, list[str]] = {}
    values: dict[str, Any] = dict(_centre(data, errors, required=True))
    if data.get("radius_m") in (None, ""):
        errors["radius_m"] = ["请填写签到半径"]
    else:
        number = _whole_number("radius_m", data["radius_m"], errors)
        if number is not None:
            values["radius_m"] = number
    if errors:
        raise ValidationFailed(errors)
    return values


@transaction.atomic
def venue_area_create(actor: Actor, venue: Venue, data: dict[str, Any]) -> VenueCheckinArea:
    """Give a venue its own check-in area (a sports field across the road); one per venue. School admins."""
    _may_write(actor, venue.school_id)
    values = _clean_area(data)
    Venue.objects.select_for_update().filter(pk=venue.pk).first()
    if VenueCheckinArea.objects.filter(venue=venue).exists():
        raise Conflict("venue_area_exists", f"场地“{venue.name}”已有签到范围，请直接修改")
    try:
        with transaction.atomic():
            area = VenueCheckinArea.objects.create(venue=venue, **values)
    except IntegrityError:
        raise Conflict("venue_area_exists", f"场地“{venue.name}”已有签到范围，请直接修改") from None
    record_write(
        actor=actor, event=AuditEventType.CREATE, obj=area,
        detail={"what": "venue_checkin_area", "venue": venue.pk, "values": {k: str(v) for k, v in values.items()}},
    )  # fmt: skip
    return area


@transaction.atomic
def venue_area_update(actor: Actor, area: VenueCheckinArea, data: dict[str, Any]) -> VenueCheckinArea:
    """Change a venue's area; only the given fields. School admins."""
    _may_write(actor, area.venue.school_id)
    locked = VenueCheckinArea.objects.select_for_update().get(pk=area.pk)
    current = {"latitude": locked.latitude, "longitude": locked.longitude, "radius_m": locked.radius_m}
    values = _clean_area({**current, **{k: v for k, v in data.items() if k in AREA_FIELDS}})
    changes = _changes(locked, values)
    for field, value in values.items():
        setattr(locked, field, value)
    if changes:
        locked.save()
        record_write(
            actor=actor, event=AuditEventType.UPDATE, obj=locked,
            detail={"what": "venue_checkin_area", "venue": locked.venue_id, "changes": changes},
        )  # fmt: skip
    return locked


@transaction.atomic
def venue_area_delete(actor: Actor, area: VenueCheckinArea) -> None:
    """Remove a venue's own area; its lessons use the school's area again. School admins."""
    _may_write(actor, area.venue.school_id)
    record_write(
        actor=actor, event=AuditEventType.DELETE, obj=area,
        detail={
            "what": "venue_checkin_area", "venue": area.venue_id,
            "values": {"latitude": str(area.latitude), "longitude": str(area.longitude), "radius_m": area.radius_m},
        },
    )  # fmt: skip
    VenueCheckinArea.objects.filter(pk=area.pk).delete()

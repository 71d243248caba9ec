"""Reads of the check-in area (签到范围): a school's attendance settings, its venues' own areas, and the area a
lesson's check-in is measured against.

School admins read and edit their school's; the bureau reads its region's schools' (choosing the school);
system admins any school's. Everything starts from `scoped()`: another school's settings or venue answer as
missing (404).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, NamedTuple

from django.db.models import QuerySet

from afterschool.accounts.choices import Role
from afterschool.core.errors import Conflict, NotFound, PermissionDenied
from afterschool.scheduling.models import Lesson
from afterschool.schools.models import Venue
from afterschool.tenancy.actor import Actor
from afterschool.tenancy.models import School
from afterschool.tenancy.scoping import get_scoped_or_404, scoped

from ..models import AttendanceSettings, VenueCheckinArea
from .common import may_manage_school, settings_for

GEOFENCE_READERS = (Role.SCHOOL_ADMIN, Role.BUREAU_ADMIN, Role.SYSTEM_ADMIN)
NO_AREA_MESSAGE = "学校尚未设置签到范围，请联系学校管理员在“考勤设置”中设置签到中心"


class CheckinArea(NamedTuple):
    """The circle a check-in must fall in: centre, radius and what it is called on the page."""

    latitude: Decimal
    longitude: Decimal
    radius_m: int
    label: str


def may_read_geofence(actor: Actor) -> bool:
    return actor.is_system_admin or actor.has_role(*GEOFENCE_READERS)


def may_edit_geofence(actor: Actor, school_id: int) -> bool:
    """The school's admins (and system admins) change its check-in areas and attendance settings."""
    return may_manage_school(actor) and (actor.is_system_admin or actor.school_id == school_id)


def geofence_schools(actor: Actor) -> QuerySet[School]:
    """The schools whose settings the actor may read (its own as school admin, its region's as bureau)."""
    if not may_read_geofence(actor):
        return School.objects.none()
    return scoped(School.objects.select_related("region"), actor).order_by("code")


def geofence_school(actor: Actor, school_id: Any = None) -> School:
    """The school whose settings are shown: a school admin's own; for the bureau and system admins the one chosen
    (NotFound when it is not in scope). PermissionDenied for roles that do not read settings at all."""
    if not may_read_geofence(actor):
        raise PermissionDenied("只有学校管理员和教育局可以查看考勤设置")
    if actor.has_role(Role.SCHOOL_ADMIN) and school_id in (None, ""):
        school_id = actor.school_id
    if school_id in (None, ""):
        raise NotFound("请选择学校")
    return get_scoped_or_404(School.objects.select_related("region"), actor, pk=school_id)


def attendance_settings_get(actor: Actor, school: School) -> AttendanceSettings:
    """The school's settings (an unsaved row with the defaults and the school's coordinates when it has none)."""
    geofence_school(actor, school.pk)
    return settings_for(school)


def school_venue_count(actor: Actor, school: School) -> int:
    """How many venues the school has (the settings page says how many may have their own area)."""
    return scoped(Venue.objects.filter(school=school), actor).count()


def venue_area_rows(actor: Actor, school: School) -> list[tuple[Venue, VenueCheckinArea | None]]:
    """Every venue of the school (active first, by name) with its own check-in area or None."""
    geofence_school(actor, school.pk)
    venues = scoped(Venue.objects.filter(school=school), actor).select_related("checkin_area")
    out: list[tuple[Venue, VenueCheckinArea | None]] = []
    for venue in venues.order_by("-is_active", "name", "pk"):
        try:
            area: VenueCheckinArea | None = venue.checkin_area
        except VenueCheckinArea.DoesNotExist:
            area = None
        out.append((venue, area))
    return out


def geofence_venue(actor: Actor, venue_id: Any) -> Venue:
    """A venue of a school the actor reads settings of; NotFound otherwise."""
    if not may_read_geofence(actor):
        raise NotFound()
    return get_scoped_or_404(Venue.objects.select_related("school"), actor, pk=venue_id)


def venue_area_of(venue: Venue) -> VenueCheckinArea | None:
    return VenueCheckinArea.objects.filter(venue=venue).first()


def venue_area_list(actor: Actor, filters: dict[str, Any] | None = None) -> QuerySet[VenueCheckinArea]:
    """Filters: school (id), venue (id)."""
    filters = filters or {}
    if not may_read_geofence(actor):
        return VenueCheckinArea.objects.none()
    qs = scoped(VenueCheckinArea.objects.select_related("venue", "venue__school"), actor)
    if filters.get("school"):
        qs = qs.filter(venue__school_id=filters["school"])
    if filters.get("venue"):
        qs = qs.filter(venue_id=filters["venue"])
    return qs.order_by("venue__school_id", "venue__name", "pk")


def venue_area_get(actor: Actor, area_id: Any) -> VenueCheckinArea:
    if not may_read_geofence(actor):
        raise NotFound()
    return get_scoped_or_404(VenueCheckinArea.objects.select_related("venue", "venue__school"), actor, pk=area_id)


def lesson_venue_id(lesson: Lesson) -> int | None:
    """Where the lesson meets: its own venue, else its section's."""
    return lesson.venue_id or lesson.section.venue_id


def area_or_none(lesson: Lesson) -> CheckinArea | None:
    """The lesson's check-in area: its venue's own area if it has one, else the school's; None when neither has
    a centre."""
    venue_id = lesson_venue_id(lesson)
    if venue_id is not None:
        area = VenueCheckinArea.objects.filter(venue_id=venue_id).select_related("venue").first()
        if area is not None:
            return CheckinArea(area.latitude, area.longitude, area.radius_m, f"{area.venue.name}签到范围")
    settings = settings_for(lesson.section.school_id)
    if settings.latitude is None or settings.longitude is None:
        return None
    school_name = settings.school.name if settings.school_id else ""
    return CheckinArea(settings.latitude, settings.longitude, settings.radius_m, f"{school_name}签到范围")


def area_for(lesson: Lesson) -> CheckinArea:
    """As area_or_none, but a lesson without any centre refuses check-in (409 no_checkin_area)."""
    area = area_or_none(lesson)
    if area is None:
        raise Conflict("no_checkin_area", NO_AREA_MESSAGE)
    return area

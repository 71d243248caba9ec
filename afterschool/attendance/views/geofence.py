"""Pages of the check-in area: 考勤设置 (the school's centre, radius, windows) and the venues' own areas. School
admins edit their school's; the bureau reads its region's schools' (choosing the school)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse

from afterschool.core.errors import AppError, NotFound, PermissionDenied
from afterschool.core.views import call_form, page_error
from afterschool.schools.models import Venue
from afterschool.tenancy.actor import Actor
from afterschool.tenancy.models import School

from ..forms.geofence import SettingsForm, VenueAreaForm
from ..models import AttendanceSettings
from ..selectors import geofence as selectors
from ..selectors.common import settings_for
from ..services import geofence as services


def _actor(request: HttpRequest) -> Actor:
    return request.actor  # type: ignore[attr-defined]


def _school(actor: Actor, school_id: Any) -> School:
    try:
        return selectors.geofence_school(actor, school_id)
    except (NotFound, PermissionDenied) as exc:
        raise page_error(exc) from None


def _venue(actor: Actor, venue_id: int) -> Venue:
    try:
        return selectors.geofence_venue(actor, venue_id)
    except NotFound:
        raise Http404() from None


def _school_query(actor: Actor, school: School) -> str:
    """?school=… for readers who chose the school (a school admin's pages need none)."""
    return "" if actor.school_id == school.pk else f"?school={school.pk}"


def _initial(row: AttendanceSettings, school: School) -> dict[str, Any]:
    data = {field: getattr(row, field) for field in services.SETTINGS_FIELDS}
    if data["latitude"] is None and data["longitude"] is None:  # prefilled from the school's own coordinates
        data["latitude"], data["longitude"] = school.latitude, school.longitude
    return data


def _chooser(request: HttpRequest, actor: Actor, title: str, url_name: str) -> HttpResponse:
    schools = selectors.geofence_schools(actor)
    return render(
        request, "attendance/geofence/choose_school.html", {"schools": schools, "title": title, "url_name": url_name}
    )


@login_required
def attendance_settings(request: HttpRequest) -> HttpResponse:
    """考勤设置: the school's check-in area and windows (edit for the school's admins, read for the bureau)."""
    actor = _actor(request)
    if not selectors.may_read_geofence(actor):
        raise DjangoPermissionDenied("只有学校管理员和教育局可以查看考勤设置")
    school_id = request.GET.get("school")
    if not school_id and actor.school_id is None:
        return _chooser(request, actor, "考勤设置", "attendance:settings")
    school = _school(actor, school_id)
    row = settings_for(school)
    can_edit = selectors.may_edit_geofence(actor, school.pk)
    form = SettingsForm(request.POST if request.method == "POST" else None, initial=_initial(row, school))
    if request.method == "POST":
        if not can_edit:
            raise DjangoPermissionDenied("只有本校管理员可以修改考勤设置")
        saved = form.is_valid() and call_form(
            form, services.attendance_settings_save, actor=actor, school=school, data=dict(form.cleaned_data)
        )
        if saved:
            messages.success(request, "考勤设置已保存。")
            return redirect(reverse("attendance:settings") + _school_query(actor, school))
    context = {
        "school": school, "row": row, "saved": row.pk is not None, "form": form, "can_edit": can_edit,
        "school_query": _school_query(actor, school), "venue_count": selectors.school_venue_count(actor, school),
    }  # fmt: skip
    return render(request, "attendance/geofence/settings.html", context)


@login_required
def venue_areas(request: HttpRequest) -> HttpResponse:
    """The school's venues, each with its own check-in area or the school's."""
    actor = _actor(request)
    if not selectors.may_read_geofence(actor):
        raise DjangoPermissionDenied("只有学校管理员和教育局可以查看签到范围")
    school_id = request.GET.get("school")
    if not school_id and actor.school_id is None:
        return _chooser(request, actor, "场地签到范围", "attendance:venue_areas")
    school = _school(actor, school_id)
    row = settings_for(school)
    context = {
        "school": school, "settings_row": row, "rows": selectors.venue_area_rows(actor, school),
        "can_edit": selectors.may_edit_geofence(actor, school.pk), "school_query": _school_query(actor, school),
    }  # fmt: skip
    return render(request, "attendance/geofence/venue_areas.html", context)


def _back(actor: Actor, venue: Venue) -> str:
    return reverse("attendance:venue_areas") + _school_query(actor, venue.school)


@login_required
def venue_area_edit(request: HttpRequest, venue_id: int) -> HttpResponse:
    """Set or change a venue's own check-in area."""
    actor = _actor(request)
    venue = _venue(actor, venue_id)
    if not selectors.may_edit_geofence(actor, venue.school_id):
        raise DjangoPermissionDenied("只有本校管理员可以设置场地签到范围")
    area = selectors.venue_area_of(venue)
    if area is not None:
        initial: dict[str, Any] = {"latitude": area.latitude, "longitude": area.longitude, "radius_m": area.radius_m}
    else:
        school_row = settings_for(venue.school)
        initial = {"latitude": school_row.latitude, "longitude": school_row.longitude, "radius_m": 100}
    form = VenueAreaForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        if area is None:
            saved = call_form(form, services.venue_area_create, actor=actor, venue=venue, data=data)
        else:
            saved = call_form(form, services.venue_area_update, actor=actor, area=area, data=data)
        if saved is not None:
            messages.success(request, f"场地“{venue.name}”的签到范围已保存。")
            return redirect(_back(actor, venue))
    context = {"venue": venue, "area": area, "form": form, "back": _back(actor, venue)}
    return render(request, "attendance/geofence/venue_area_form.html", context)


@login_required
def venue_area_delete(request: HttpRequest, venue_id: int) -> HttpResponse:
    """Remove a venue's own area (asks first); its lessons use the school's area again."""
    actor = _actor(request)
    venue = _venue(actor, venue_id)
    if not selectors.may_edit_geofence(actor, venue.school_id):
        raise DjangoPermissionDenied("只有本校管理员可以删除场地签到范围")
    area = selectors.venue_area_of(venue)
    if area is None:
        messages.info(request, f"场地“{venue.name}”没有单独的签到范围。")
        return redirect(_back(actor, venue))
    if request.method == "POST":
        try:
            services.venue_area_delete(actor, area)
        except AppError as exc:
            raise page_error(exc) from None
        messages.success(request, f"已删除场地“{venue.name}”的签到范围，该场地改用学校签到范围。")
        return redirect(_back(actor, venue))
    return render(
        request,
        "attendance/geofence/venue_area_delete.html",
        {"venue": venue, "area": area, "back": _back(actor, venue)},
    )


urlpatterns: list[URLPattern] = [
    path("settings/", attendance_settings, name="settings"),
    path("venue-areas/", venue_areas, name="venue_areas"),
    path("venue-areas/<int:venue_id>/edit/", venue_area_edit, name="venue_area_edit"),
    path("venue-areas/<int:venue_id>/delete/", venue_area_delete, name="venue_area_delete"),
]

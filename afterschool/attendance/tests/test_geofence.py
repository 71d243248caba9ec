"""The check-in area: the school's 考勤设置 and venues' own areas — services (rules, audit), pages (school admins
edit, the bureau reads, Chinese form errors, delete asks first) and the API (status codes, shape, scoping)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse

from afterschool.accounts.models import AuditEvent
from afterschool.attendance.models import AttendanceSettings, VenueCheckinArea
from afterschool.attendance.selectors.geofence import area_for, area_or_none
from afterschool.attendance.services.geofence import (
    attendance_settings_save,
    venue_area_create,
    venue_area_delete,
    venue_area_update,
)
from afterschool.core.errors import AppError, Conflict, PermissionDenied, ValidationFailed
from afterschool.schools.models import Venue
from afterschool.schools.tests.factories import VenueFactory

from .factories import CENTRE, AttendanceSettingsFactory, Day, VenueCheckinAreaFactory, make_day

pytestmark = pytest.mark.django_db

LAT, LNG = CENTRE
API = "/api/v1/attendance"
FULL = {
    "latitude": 39.96, "longitude": 116.3, "radius_m": 250, "checkin_opens_minutes": 20, "checkin_closes_minutes": 5,
    "checkout_opens_minutes": 5, "checkout_closes_minutes": 20, "max_accuracy_m": 80, "correction_hours": 24,
    "notify_guardians": False,
}  # fmt: skip


@pytest.fixture
def day(world: Any) -> Day:
    return make_day(world)


def refusal(call: Any) -> AppError:
    with pytest.raises(AppError) as info:
        call()
    return info.value


# --- services -------------------------------------------------------------------------------------------------------


def test_given_no_settings_when_saving_then_the_row_is_created_and_audited(day: Day, world: Any) -> None:
    row = attendance_settings_save(world.actor("school_a"), day.school, {"radius_m": 200, "notify_guardians": False})
    assert row.pk and row.radius_m == 200 and not row.notify_guardians
    assert (row.latitude, row.longitude) == CENTRE  # the school's coordinates were the starting centre
    assert row.checkin_opens_minutes == 15  # untouched fields keep their defaults
    event = AuditEvent.objects.filter(object_type="attendance.attendancesettings").get()
    assert event.event == "create" and event.detail["changes"] == {
        "radius_m": ["300", "200"], "notify_guardians": ["True", "False"],
    }  # fmt: skip


def test_given_settings_when_saving_again_then_updated_with_the_changes_audited(day: Day, world: Any) -> None:
    actor = world.actor("school_a")
    attendance_settings_save(actor, day.school, {"radius_m": 200})
    row = attendance_settings_save(actor, day.school, {"latitude": "39.9601234", "radius_m": 200})
    assert row.latitude == Decimal("39.960123") and row.longitude == LNG
    assert AttendanceSettings.objects.count() == 1
    event = AuditEvent.objects.filter(object_type="attendance.attendancesettings", event="update").get()
    assert event.detail["changes"] == {"latitude": ["39.959000", "39.960123"]}
    attendance_settings_save(actor, day.school, {"radius_m": 200})  # nothing changed: no audit row
    assert AuditEvent.objects.filter(object_type="attendance.attendancesettings").count() == 2


def test_given_the_centre_cleared_then_check_in_has_no_area(day: Day, world: Any) -> None:
    attendance_settings_save(world.actor("school_a"), day.school, {"latitude": None, "longitude": None})
    assert area_or_none(day.today) is None
    assert refusal(lambda: area_for(day.today)).code == "no_checkin_area"


@pytest.mark.parametrize(
    ("data", "errors"),
    [
        ({"latitude": 91, "longitude": 116}, {"latitude": ["纬度须在 -90 到 90 之间"]}),
        ({"latitude": 39, "longitude": "东经"}, {"longitude": ["经度须是数字"]}),
        ({"latitude": 39, "longitude": None}, {"longitude": ["纬度和经度须同时填写"]}),
        ({"radius_m": 5}, {"radius_m": ["签到半径须在 10 到 10000 米之间"]}),
        ({"radius_m": 12.5}, {"radius_m": ["签到半径须是整数"]}),
        ({"checkin_opens_minutes": -1}, {"checkin_opens_minutes": ["上课前可签到分钟数须在 0 到 720 分钟之间"]}),
        ({"max_accuracy_m": 0}, {"max_accuracy_m": ["定位精度要求须在 1 到 10000 米之间"]}),
        ({"correction_hours": 10**20}, {"correction_hours": ["课后可更正考勤小时数须在 0 到 720 小时之间"]}),
        ({"notify_guardians": "yes"}, {"notify_guardians": ["请选择是否通知家长"]}),
    ],
)
def test_given_bad_settings_then_refused_in_chinese(
    day: Day, world: Any, data: dict[str, Any], errors: dict[str, list[str]]
) -> None:
    exc = refusal(lambda: attendance_settings_save(world.actor("school_a"), day.school, data))
    assert isinstance(exc, ValidationFailed) and exc.detail == errors
    assert not AttendanceSettings.objects.exists()


@pytest.mark.parametrize("key", ["bureau_a", "teacher_a", "school_a2", "school_b", "org_a"])
def test_given_someone_else_when_saving_settings_then_permission_denied(day: Day, world: Any, key: str) -> None:
    exc = refusal(lambda: attendance_settings_save(world.actor(key), day.school, {"radius_m": 100}))
    assert isinstance(exc, PermissionDenied)
    assert not AttendanceSettings.objects.exists()


def test_given_a_venue_area_then_create_update_delete_are_audited(day: Day, world: Any) -> None:
    actor = world.actor("school_a")
    venue = day.section.venue
    area = venue_area_create(actor, venue, {"latitude": "39.97", "longitude": "116.31", "radius_m": 60})
    assert area_for(day.today) == (Decimal("39.970000"), Decimal("116.310000"), 60, "美术教室签到范围")
    exc = refusal(lambda: venue_area_create(actor, venue, {"latitude": 1, "longitude": 1, "radius_m": 60}))
    assert isinstance(exc, Conflict) and exc.code == "venue_area_exists"
    area = venue_area_update(actor, area, {"radius_m": 90})
    assert area.radius_m == 90 and area.latitude == Decimal("39.970000")
    assert refusal(lambda: venue_area_update(actor, area, {"radius_m": 9})).detail == {
        "radius_m": ["签到半径须在 10 到 10000 米之间"]
    }
    venue_area_delete(actor, area)
    assert not VenueCheckinArea.objects.exists()
    assert area_for(day.today).radius_m == 300  # the school's again
    events = AuditEvent.objects.filter(object_type="attendance.venuecheckinarea")
    assert sorted(events.values_list("event", flat=True)) == ["create", "delete", "update"]
    exc = refusal(lambda: venue_area_create(actor, venue, {"latitude": None, "longitude": None, "radius_m": None}))
    assert exc.detail == {"latitude": ["请填写纬度"], "longitude": ["请填写经度"], "radius_m": ["请填写签到半径"]}


def test_given_another_schools_admin_then_venue_area_writes_refused(day: Day, world: Any) -> None:
    area = VenueCheckinAreaFactory(venue=day.section.venue)
    for key in ("school_b", "bureau_a", "teacher_a"):
        assert isinstance(refusal(lambda k=key: venue_area_delete(world.actor(k), area)), PermissionDenied)
    assert VenueCheckinArea.objects.exists()


# --- pages ----------------------------------------------------------------------------------------------------------


def test_given_a_school_admin_then_settings_page_prefilled_from_the_school(day: Day, login: Any) -> None:
    response = login(day.world.users["school_a"]).get(reverse("attendance:settings"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "考勤设置 · 海淀实验小学" in html and "本校尚未保存考勤设置" in html
    assert 'value="39.959000"' in html and 'value="116.298000"' in html and "使用当前位置" in html
    assert "js/geofence.js" in html and 'value="300"' in html
    venues = Venue.objects.filter(school=day.school).count()
    assert venues > 0 and f"场地签到范围（{venues} 个场地）" in html


def test_given_settings_with_an_empty_centre_then_the_page_prefills_the_schools(day: Day, login: Any) -> None:
    AttendanceSettingsFactory(school=day.school, latitude=None, longitude=None, radius_m=120)
    html = login(day.world.users["school_a"]).get(reverse("attendance:settings")).content.decode()
    assert 'value="39.959000"' in html and 'value="120"' in html and "本校尚未保存" not in html


def test_given_a_school_admin_when_posting_settings_then_saved(day: Day, login: Any) -> None:
    client = login(day.world.users["school_a"])
    data = {**FULL, "notify_guardians": ""}
    response = client.post(reverse("attendance:settings"), data)
    assert response.status_code == 302 and response.url == reverse("attendance:settings")
    row = AttendanceSettings.objects.get(school=day.school)
    assert row.latitude == Decimal("39.960000") and row.radius_m == 250 and row.checkin_opens_minutes == 20
    assert not row.notify_guardians and row.max_accuracy_m == 80
    assert "考勤设置已保存" in client.get(reverse("attendance:settings")).content.decode()


def test_given_bad_settings_on_the_page_then_chinese_errors(day: Day, login: Any) -> None:
    client = login(day.world.users["school_a"])
    data = {**FULL, "latitude": "95", "longitude": "", "radius_m": "5", "checkin_opens_minutes": "abc"}
    response = client.post(reverse("attendance:settings"), data)
    assert response.status_code == 200
    html = response.content.decode()
    assert "签到中心纬度须在 -90 到 90 之间" in html
    assert "签到半径须在 10 到 10000 米之间" in html
    assert "上课前可签到分钟数须是整数" in html
    assert not AttendanceSettings.objects.exists()
    response = client.post(reverse("attendance:settings"), {**FULL, "longitude": ""})
    assert "纬度和经度须同时填写" in response.content.decode()
    response = client.post(reverse("attendance:settings"), {**FULL, "radius_m": ""})
    assert "请填写签到半径" in response.content.decode()


def test_given_the_bureau_then_it_reads_its_regions_school_settings_only(day: Day, login: Any) -> None:
    client = login(day.world.users["bureau_a"])
    chooser = client.get(reverse("attendance:settings"))
    assert chooser.status_code == 200 and "海淀实验小学" in chooser.content.decode()
    assert "朝阳实验小学" not in chooser.content.decode()
    page = client.get(reverse("attendance:settings"), {"school": day.school.pk})
    html = page.content.decode()
    assert page.status_code == 200 and "300 米" in html and "<form" not in html.split('id="main"')[1]
    assert client.post(f"{reverse('attendance:settings')}?school={day.school.pk}", FULL).status_code == 403
    assert client.get(reverse("attendance:settings"), {"school": day.world.school_b.pk}).status_code == 404
    assert client.get(reverse("attendance:settings"), {"school": "x"}).status_code == 404
    assert not AttendanceSettings.objects.exists()


@pytest.mark.parametrize(("key", "status"), [("teacher_a", 403), ("parent", 403), ("org_a", 403)])
def test_given_other_roles_then_settings_page_forbidden(day: Day, login: Any, key: str, status: int) -> None:
    assert login(day.world.users[key]).get(reverse("attendance:settings")).status_code == status


def test_given_another_schools_admin_then_this_schools_settings_are_404(day: Day, login: Any) -> None:
    client = login(day.world.users["school_b"])
    assert client.get(reverse("attendance:settings"), {"school": day.school.pk}).status_code == 404
    own = client.get(reverse("attendance:settings")).content.decode()
    assert "朝阳实验小学" in own and "海淀实验小学" not in own


def test_given_venues_then_the_list_shows_their_own_area_or_the_schools(day: Day, login: Any) -> None:
    VenueFactory(school=day.school, name="操场", capacity=300)
    VenueCheckinAreaFactory(venue=day.section.venue, radius_m=70)
    html = login(day.world.users["school_a"]).get(reverse("attendance:venue_areas")).content.decode()
    assert "美术教室" in html and "半径 70 米" in html and "操场" in html and "使用学校签到范围" in html
    bureau = login(day.world.users["bureau_a"]).get(reverse("attendance:venue_areas"), {"school": day.school.pk})
    assert bureau.status_code == 200 and "半径 70 米" in bureau.content.decode()
    assert "单独设置" not in bureau.content.decode()


def test_given_a_school_admin_then_venue_area_add_edit_delete_through_pages(day: Day, login: Any) -> None:
    client = login(day.world.users["school_a"])
    venue = day.section.venue
    edit = reverse("attendance:venue_area_edit", args=[venue.pk])
    form = client.get(edit).content.decode()
    assert 'value="39.959000"' in form and "使用当前位置" in form  # starts from the school's centre
    bad = client.post(edit, {"latitude": "39.96", "longitude": "200", "radius_m": "80"}).content.decode()
    assert "经度须在 -180 到 180 之间" in bad
    response = client.post(edit, {"latitude": "39.96", "longitude": "116.3", "radius_m": "80"})
    assert response.status_code == 302 and response.url == reverse("attendance:venue_areas")
    assert VenueCheckinArea.objects.get(venue=venue).radius_m == 80
    client.post(edit, {"latitude": "39.96", "longitude": "116.3", "radius_m": "90"})
    assert VenueCheckinArea.objects.get(venue=venue).radius_m == 90
    delete = reverse("attendance:venue_area_delete", args=[venue.pk])
    confirm = client.get(delete)
    assert confirm.status_code == 200 and "确认删除" in confirm.content.decode()
    assert VenueCheckinArea.objects.exists()  # asking does not delete
    assert client.post(delete).status_code == 302
    assert not VenueCheckinArea.objects.exists()
    assert AuditEvent.objects.filter(object_type="attendance.venuecheckinarea", event="delete").exists()


def test_given_others_then_venue_area_pages_refused(day: Day, login: Any) -> None:
    venue = day.section.venue
    VenueCheckinAreaFactory(venue=venue)
    edit = reverse("attendance:venue_area_edit", args=[venue.pk])
    delete = reverse("attendance:venue_area_delete", args=[venue.pk])
    assert login(day.world.users["school_b"]).get(edit).status_code == 404
    assert login(day.world.users["school_b"]).post(delete).status_code == 404
    assert login(day.world.users["bureau_a"]).post(delete).status_code == 403
    assert login(day.world.users["bureau_b"]).get(edit).status_code == 404
    assert login(day.world.users["teacher_a"]).get(edit).status_code == 404
    assert VenueCheckinArea.objects.count() == 1


# --- API ------------------------------------------------------------------------------------------------------------


def test_given_the_api_then_settings_get_and_put(day: Day, login: Any) -> None:
    client = login(day.world.users["school_a"])
    body = client.get(f"{API}/settings").json()
    assert body["saved"] is False and body["school_id"] == day.school.pk and body["latitude"] == float(LAT)
    assert body["radius_m"] == 300 and body["updated_at"] is None
    response = client.put(f"{API}/settings", FULL, content_type="application/json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["saved"] is True and body["radius_m"] == 250 and body["latitude"] == 39.96
    assert body["notify_guardians"] is False and body["checkout_closes_minutes"] == 20
    bad = client.put(f"{API}/settings", {**FULL, "latitude": 95, "radius_m": 3}, content_type="application/json")
    assert bad.status_code == 422 and bad.json()["detail"] == {
        "latitude": ["纬度须在 -90 到 90 之间"], "radius_m": ["签到半径须在 10 到 10000 米之间"],
    }  # fmt: skip
    cleared = client.put(
        f"{API}/settings", {k: v for k, v in FULL.items() if k != "longitude"}, content_type="application/json"
    )
    assert cleared.status_code == 422 and cleared.json()["detail"] == {"longitude": ["纬度和经度须同时填写"]}


def test_given_the_api_then_settings_scoped(day: Day, login: Any) -> None:
    bureau = login(day.world.users["bureau_a"])
    assert bureau.get(f"{API}/settings").status_code == 422
    assert bureau.get(f"{API}/settings", {"school_id": day.school.pk}).json()["radius_m"] == 300
    assert bureau.get(f"{API}/settings", {"school_id": day.world.school_b.pk}).status_code == 404
    put = bureau.put(f"{API}/settings?school_id={day.school.pk}", FULL, content_type="application/json")
    assert put.status_code == 403
    school_b = login(day.world.users["school_b"])
    assert school_b.get(f"{API}/settings", {"school_id": day.school.pk}).status_code == 404
    assert (
        school_b.put(f"{API}/settings?school_id={day.school.pk}", FULL, content_type="application/json").status_code
        == 404
    )
    assert login(day.world.users["teacher_a"]).get(f"{API}/settings").status_code == 403
    assert login(day.world.users["system"]).put(
        f"{API}/settings?school_id={day.school.pk}", FULL, content_type="application/json"
    ).status_code == 200  # fmt: skip
    assert AttendanceSettings.objects.get().radius_m == 250


def test_given_the_api_then_venue_areas_crud(day: Day, login: Any) -> None:
    client = login(day.world.users["school_a"])
    venue = day.section.venue
    body = {"venue_id": venue.pk, "latitude": 39.97, "longitude": 116.31, "radius_m": 60}
    created = client.post(f"{API}/venue-areas", body, content_type="application/json")
    assert created.status_code == 201, created.content
    area = created.json()
    assert area["venue_name"] == "美术教室" and area["school_id"] == day.school.pk and area["radius_m"] == 60
    again = client.post(f"{API}/venue-areas", body, content_type="application/json")
    assert again.status_code == 409 and again.json()["code"] == "venue_area_exists"
    assert client.get(f"{API}/venue-areas").json()["count"] == 1
    assert client.get(f"{API}/venue-areas/{area['id']}").json()["latitude"] == 39.97
    put = client.put(
        f"{API}/venue-areas/{area['id']}", {"latitude": 39.98, "longitude": 116.31, "radius_m": 70},
        content_type="application/json",
    )  # fmt: skip
    assert put.status_code == 200 and put.json()["radius_m"] == 70 and put.json()["latitude"] == 39.98
    other_venue = VenueFactory(school=day.world.school_b, name="机房", capacity=30)
    foreign = client.post(f"{API}/venue-areas", {**body, "venue_id": other_venue.pk}, content_type="application/json")
    assert foreign.status_code == 422 and foreign.json()["detail"] == {"venue_id": ["场地不存在"]}
    school_b = login(day.world.users["school_b"])
    assert school_b.get(f"{API}/venue-areas/{area['id']}").status_code == 404
    assert school_b.delete(f"{API}/venue-areas/{area['id']}").status_code == 404
    assert school_b.get(f"{API}/venue-areas").json()["count"] == 0
    bureau = login(day.world.users["bureau_a"])
    assert bureau.get(f"{API}/venue-areas", {"school": day.school.pk}).json()["count"] == 1
    assert bureau.delete(f"{API}/venue-areas/{area['id']}").status_code == 403
    assert client.delete(f"{API}/venue-areas/{area['id']}").status_code == 204
    assert client.get(f"{API}/venue-areas/{area['id']}").status_code == 404

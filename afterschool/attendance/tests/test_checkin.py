"""Teacher check-in and check-out rules (services): who, when (window edges), where (geofence edges), accuracy
flags, one check-in per lesson, check-out rules, the panel."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from afterschool.accounts.models import AuditEvent
from afterschool.attendance import geo
from afterschool.attendance.models import AttendanceSettings, TeacherCheckin
from afterschool.attendance.selectors.checkin import checkin_panel
from afterschool.attendance.selectors.geofence import area_for
from afterschool.attendance.services.checkin import outcome_message, teacher_check_in, teacher_check_out
from afterschool.core.errors import AppError, Conflict, NotFound, ValidationFailed
from afterschool.scheduling.tests.factories import LessonFactory

from .factories import (
    CENTRE,
    AttendanceSettingsFactory,
    Day,
    TeacherCheckinFactory,
    VenueCheckinAreaFactory,
    freeze,
    make_day,
)

pytestmark = pytest.mark.django_db

LAT, LNG = CENTRE
TUE = dt.date(2026, 11, 10)  # day.today: 15:40–16:40; check-in 15:25–15:50, check-out 16:30–17:10 by default


def at(hour: int, minute: int, second: int = 0) -> dt.datetime:
    return dt.datetime(2026, 11, 10, hour, minute, second)


def north(metres: float, lat: Decimal = LAT) -> float:
    return geo.latitude_north_of(lat, metres)


@pytest.fixture
def day(world: Any) -> Day:
    return make_day(world)


def check_in(day: Day, key: str = "teacher_a", lat: Any = None, lng: Any = LNG, acc: Any = 10) -> TeacherCheckin:
    actor = day.world.actor(key)
    return teacher_check_in(actor, day.today, LAT if lat is None else lat, lng, acc)


def check_out(day: Day, key: str = "teacher_a", lat: Any = None, lng: Any = LNG, acc: Any = 10) -> TeacherCheckin:
    actor = day.world.actor(key)
    return teacher_check_out(actor, day.today, LAT if lat is None else lat, lng, acc)


def refusal(call: Any) -> AppError:
    with pytest.raises(AppError) as info:
        call()
    return info.value


# --- where ----------------------------------------------------------------------------------------------------------


def test_given_a_position_exactly_on_the_radius_then_check_in_passes(day: Day, monkeypatch: Any) -> None:
    freeze(monkeypatch, at(15, 35))
    row = check_in(day, lat=north(300))
    assert row.in_distance_m == 300 and not row.in_flagged
    assert row.in_latitude == Decimal(str(round(north(300), 6)))
    assert row.checked_in_at is not None and TeacherCheckin.objects.count() == 1


def test_given_a_position_one_metre_outside_then_refused_naming_distance_and_radius(day: Day, monkeypatch: Any) -> None:
    freeze(monkeypatch, at(15, 35))
    exc = refusal(lambda: check_in(day, lat=north(301)))
    assert isinstance(exc, Conflict) and exc.code == "outside_area" and exc.status == 409
    assert exc.message.startswith("您距签到点 301 米，超出 300 米范围")
    assert exc.detail["distance_m"] == 301 and exc.detail["radius_m"] == 300
    assert not TeacherCheckin.objects.exists()


def test_given_far_away_then_refused_naming_the_rounded_distance(day: Day, monkeypatch: Any) -> None:
    freeze(monkeypatch, at(15, 35))
    exc = refusal(lambda: check_in(day, lat=north(355.6)))
    assert "您距签到点 356 米，超出 300 米范围" in exc.message


def test_given_the_school_radius_changed_then_the_boundary_moves(day: Day, monkeypatch: Any) -> None:
    freeze(monkeypatch, at(15, 35))
    AttendanceSettingsFactory(school=day.school, radius_m=50)
    assert "您距签到点 51 米，超出 50 米范围" in refusal(lambda: check_in(day, lat=north(51))).message
    assert check_in(day, lat=north(50)).in_distance_m == 50


def test_given_poor_accuracy_then_accepted_but_flagged_and_the_answer_says_so(day: Day, monkeypatch: Any) -> None:
    freeze(monkeypatch, at(15, 35))
    row = check_in(day, lat=north(20), acc=150.2)
    assert row.in_flagged and row.in_accuracy_m == 151 and row.in_distance_m == 20
    message = outcome_message(row, out=False)
    assert message.startswith("签到成功（15:35，距签到点 20 米）")
    assert "定位误差 151 米，超过学校要求的 100 米，已标记" in message


def test_given_accuracy_exactly_at_the_limit_then_not_flagged(day: Day, monkeypatch: Any) -> None:
    freeze(monkeypatch, at(15, 35))
    row = check_in(day, acc=100)
    assert not row.in_flagged
    assert "已标记" not in outcome_message(row, out=False)


def test_given_a_venue_area_then_it_overrides_the_school_area(day: Day, monkeypatch: Any) -> None:
    freeze(monkeypatch, at(15, 35))
    field = (LAT + Decimal("0.010000"), LNG)  # about 1.1 km north: the sports field across the road
    VenueCheckinAreaFactory(venue=day.section.venue, latitude=field[0], longitude=field[1], radius_m=80)
    area = area_for(day.today)
    assert (area.latitude, area.longitude, area.radius_m) == (field[0], field[1], 80)
    assert area.label == "美术教室签到范围"
    exc = refusal(lambda: check_in(day))  # at the school's centre: far from the venue's
    assert exc.code == "outside_area" and "超出 80 米范围" in exc.message
    row = check_in(day, lat=north(80, field[0]))
    assert row.in_distance_m == 80


def test_given_a_lesson_in_another_venue_then_that_venues_area_counts(day: Day, monkeypatch: Any) -> None:
    freeze(monkeypatch, at(15, 35))
    VenueCheckinAreaFactory(venue=day.section.venue, latitude=LAT + 1, radius_m=80)
    from afterschool.schools.tests.factories import VenueFactory

    hall = VenueFactory(school=day.school, name="礼堂", capacity=200)
    day.today.venue = hall
    day.today.save(update_fields=["venue"])
    area = area_for(day.today)
    assert area.label.endswith("签到范围") and area.latitude == LAT and area.radius_m == 300  # the school's
    assert check_in(day).in_distance_m == 0


def test_given_no_centre_anywhere_then_check_in_refused_clearly(day: Day, monkeypatch: Any) -> None:
    freeze(monkeypatch, at(15, 35))
    day.school.latitude = day.school.longitude = None
    day.school.save(update_fields=["latitude", "longitude"])
    exc = refusal(lambda: check_in(day))
    assert exc.code == "no_checkin_area" and exc.message.startswith("学校尚未设置签到范围")
    AttendanceSettingsFactory(school=day.school, latitude=None, longitude=None)
    assert refusal(lambda: check_in(day)).code == "no_checkin_area"
    assert not TeacherCheckin.objects.exists()


def test_given_settings_with_their_own_centre_then_they_beat_the_school_coordinates(day: Day, monkeypatch: Any) -> None:
    freeze(monkeypatch, at(15, 35))
    AttendanceSettingsFactory(school=day.school, latitude=LAT + Decimal("0.01"), radius_m=300)
    assert refusal(lambda: check_in(day)).code == "outside_area"


# --- when -----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("moment", [at(15, 25), at(15, 25, 0), at(15, 40), at(15, 50), at(15, 50, 59)])
def test_given_the_window_edges_then_check_in_passes(day: Day, monkeypatch: Any, moment: dt.datetime) -> None:
    freeze(monkeypatch, moment)
    assert check_in(day).pk


@pytest.mark.parametrize(
    ("moment", "now_text"), [(at(15, 24), "15:24"), (at(15, 24, 59), "15:24"), (at(15, 51), "15:51")]
)
def test_given_a_minute_outside_the_window_then_refused_naming_the_times(
    day: Day, monkeypatch: Any, moment: dt.datetime, now_text: str
) -> None:
    freeze(monkeypatch, moment)
    exc = refusal(lambda: check_in(day))
    assert exc.code == "outside_checkin_window" and exc.status == 409
    assert exc.message == f"签到时间为 15:25–15:50，现在是 {now_text}"


def test_given_the_school_window_then_the_refusal_names_it(day: Day, monkeypatch: Any) -> None:
    AttendanceSettingsFactory(school=day.school, checkin_opens_minutes=30, checkin_closes_minutes=0)
    freeze(monkeypatch, at(15, 10))
    assert check_in(day).pk
    TeacherCheckin.objects.all().delete()
    freeze(monkeypatch, at(15, 41))
    assert refusal(lambda: check_in(day)).message == "签到时间为 15:10–15:40，现在是 15:41"


def test_given_another_day_then_the_refusal_names_the_dates(day: Day, monkeypatch: Any) -> None:
    freeze(monkeypatch, dt.datetime(2026, 11, 9, 15, 30))
    exc = refusal(lambda: check_in(day))
    assert exc.message == "签到时间为 11月10日 15:25–15:50，现在是 11月9日 15:30"


# --- who ------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["school_a", "bureau_a", "parent", "orgteacher_a", "school_b"])
def test_given_someone_not_teaching_the_lesson_then_not_found(day: Day, monkeypatch: Any, key: str) -> None:
    freeze(monkeypatch, at(15, 35))
    exc = refusal(lambda: check_in(day, key=key))
    assert isinstance(exc, NotFound)


def test_given_a_teacher_of_the_school_who_does_not_teach_it_then_not_found(
    day: Day, monkeypatch: Any, world: Any
) -> None:
    freeze(monkeypatch, at(15, 35))
    other = LessonFactory(section=day.section, date=TUE, teachers=[])
    exc = refusal(lambda: teacher_check_in(world.actor("teacher_a"), other, LAT, LNG, 10))
    assert isinstance(exc, NotFound)


def test_given_another_schools_lesson_then_not_found(day: Day, monkeypatch: Any, world: Any) -> None:
    freeze(monkeypatch, at(15, 35))
    exc = refusal(lambda: teacher_check_in(world.actor("teacher_a"), day.other_lesson, LAT, LNG, 10))
    assert isinstance(exc, NotFound)


def test_given_an_org_teacher_of_the_lesson_then_checks_in_at_the_school(
    day: Day, monkeypatch: Any, world: Any
) -> None:
    freeze(monkeypatch, at(15, 35))
    day.today.teachers.add(world.users["orgteacher_a"])
    row = check_in(day, key="orgteacher_a", lat=north(120))
    assert row.teacher == world.users["orgteacher_a"] and row.in_distance_m == 120
    assert check_in(day).teacher == world.users["teacher_a"]  # each teacher of the lesson checks in once
    assert TeacherCheckin.objects.filter(lesson=day.today).count() == 2


def test_given_a_cancelled_lesson_then_refused(day: Day, monkeypatch: Any) -> None:
    freeze(monkeypatch, at(15, 35))
    day.today.status = "cancelled"
    day.today.save(update_fields=["status"])
    exc = refusal(lambda: check_in(day))
    assert exc.code == "lesson_cancelled"


# --- input ----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lat", "lng", "acc", "field", "message"),
    [
        (91, LNG, 10, "latitude", "纬度须在 -90 到 90 之间"),
        (LAT, -180.5, 10, "longitude", "经度须在 -180 到 180 之间"),
        ("abc", LNG, 10, "latitude", "纬度须是数字"),
        (float("nan"), LNG, 10, "latitude", "纬度须是数字"),
        (LAT, float("inf"), 10, "longitude", "经度须是数字"),
        (LAT, LNG, -1, "accuracy_m", "定位精度须是 0 以上的米数"),
        (LAT, LNG, "x", "accuracy_m", "定位精度须是 0 以上的米数"),
        ("", "", "", "latitude", "未获取到位置：请允许浏览器使用定位后重试"),
    ],
)
def test_given_bad_coordinates_then_validation_failed(
    day: Day, monkeypatch: Any, lat: Any, lng: Any, acc: Any, field: str, message: str
) -> None:
    freeze(monkeypatch, at(15, 35))
    exc = refusal(lambda: check_in(day, lat=lat, lng=lng, acc=acc))
    assert isinstance(exc, ValidationFailed) and exc.status == 422
    assert exc.detail[field] == [message]
    assert not TeacherCheckin.objects.exists()


# --- once -----------------------------------------------------------------------------------------------------------


def test_given_a_second_check_in_then_conflict(day: Day, monkeypatch: Any) -> None:
    freeze(monkeypatch, at(15, 35))
    check_in(day)
    exc = refusal(lambda: check_in(day, lat=north(5)))
    assert isinstance(exc, Conflict) and exc.code == "already_checked_in" and exc.status == 409
    assert TeacherCheckin.objects.count() == 1


def test_given_a_check_in_then_audited_with_position_and_distance(day: Day, monkeypatch: Any) -> None:
    freeze(monkeypatch, at(15, 35))
    row = check_in(day, lat=north(42), acc=30)
    event = AuditEvent.objects.filter(object_type="attendance.teachercheckin", object_id=str(row.pk)).get()
    assert event.event == "create" and event.detail["what"] == "teacher_check_in"
    assert event.detail["distance_m"] == 42 and event.detail["accuracy_m"] == 30 and event.detail["flagged"] is False


# --- check-out ------------------------------------------------------------------------------------------------------


def test_given_no_check_in_then_check_out_refused(day: Day, monkeypatch: Any) -> None:
    freeze(monkeypatch, at(16, 35))
    exc = refusal(lambda: check_out(day))
    assert exc.code == "not_checked_in" and exc.message == "您还没有签到，不能签退"


def test_given_a_check_in_then_check_out_in_its_window_and_area(day: Day, monkeypatch: Any) -> None:
    freeze(monkeypatch, at(15, 35))
    check_in(day)
    freeze(monkeypatch, at(16, 29))
    exc = refusal(lambda: check_out(day))
    assert exc.code == "outside_checkout_window" and exc.message == "签退时间为 16:30–17:10，现在是 16:29"
    freeze(monkeypatch, at(17, 10, 30))
    exc = refusal(lambda: check_out(day, lat=north(301)))
    assert exc.code == "outside_area" and "您距签到点 301 米，超出 300 米范围" in exc.message
    row = check_out(day, lat=north(300), acc=250)
    assert row.checked_out_at is not None and row.out_distance_m == 300 and row.out_flagged
    assert row.out_accuracy_m == 250 and not row.in_flagged
    assert outcome_message(row, out=True).startswith("签退成功（17:10，距签到点 300 米）")
    event = AuditEvent.objects.filter(object_type="attendance.teachercheckin", event="update").get()
    assert event.detail["what"] == "teacher_check_out" and event.detail["flagged"] is True


def test_given_a_check_out_then_a_second_is_refused(day: Day, monkeypatch: Any) -> None:
    freeze(monkeypatch, at(15, 35))
    check_in(day)
    freeze(monkeypatch, at(16, 40))
    check_out(day)
    assert refusal(lambda: check_out(day)).code == "already_checked_out"
    freeze(monkeypatch, at(17, 11))
    assert refusal(lambda: check_out(day)).code == "already_checked_out"


def test_given_the_check_out_window_closed_then_refused(day: Day, monkeypatch: Any) -> None:
    freeze(monkeypatch, at(15, 35))
    check_in(day)
    freeze(monkeypatch, at(17, 11))
    assert refusal(lambda: check_out(day)).message == "签退时间为 16:30–17:10，现在是 17:11"


# --- the panel ------------------------------------------------------------------------------------------------------


def test_given_a_teacher_before_the_window_then_panel_offers_check_in_not_yet_open(
    day: Day, monkeypatch: Any, world: Any
) -> None:
    freeze(monkeypatch, at(15, 0))
    panel = checkin_panel(world.actor("teacher_a"), day.today)
    assert panel["teaches"] and panel["action"] == "checkin" and panel["action_label"] == "签到"
    assert not panel["window_open"] and panel["hint"] == "签到时间 15:25–15:50，尚未开始"
    assert panel["action_url"] == f"/attendance/lessons/{day.today.pk}/checkin/"
    assert panel["radius_m"] == 300 and panel["area_label"] == "海淀实验小学签到范围"


def test_given_a_teacher_in_each_phase_then_panel_shows_the_right_button(
    day: Day, monkeypatch: Any, world: Any
) -> None:
    actor = world.actor("teacher_a")
    freeze(monkeypatch, at(15, 30))
    assert checkin_panel(actor, day.today)["window_open"] is True
    check_in(day)
    panel = checkin_panel(actor, day.today)
    assert panel["action"] == "checkout" and not panel["window_open"] and panel["state"].startswith("已签到 15:30")
    freeze(monkeypatch, at(16, 45))
    assert checkin_panel(actor, day.today)["hint"] == "签退时间 16:30–17:10，现在可以签退"
    check_out(day)
    panel = checkin_panel(actor, day.today)
    assert panel["action"] is None and panel["state"] == "已签到 15:30 · 已签退 16:45"


def test_given_the_window_passed_without_check_in_then_panel_has_no_button(
    day: Day, monkeypatch: Any, world: Any
) -> None:
    freeze(monkeypatch, at(16, 0))
    panel = checkin_panel(world.actor("teacher_a"), day.today)
    assert panel["action"] is None and panel["state"] == "签到时间（15:25–15:50）已过，未签到"


def test_given_no_centre_then_panel_says_so_and_offers_no_button(day: Day, monkeypatch: Any, world: Any) -> None:
    freeze(monkeypatch, at(15, 30))
    day.school.latitude = day.school.longitude = None
    day.school.save(update_fields=["latitude", "longitude"])
    panel = checkin_panel(world.actor("teacher_a"), day.today)
    assert panel["area_missing"] and panel["action"] is None and "学校尚未设置签到范围" in panel["hint"]


def test_given_a_school_admin_then_panel_lists_the_teachers_check_ins(day: Day, monkeypatch: Any, world: Any) -> None:
    freeze(monkeypatch, at(15, 45))
    day.today.teachers.add(world.users["orgteacher_a"])
    TeacherCheckinFactory(lesson=day.today, teacher=world.users["teacher_a"], in_distance_m=12)
    panel = checkin_panel(world.actor("school_a"), day.today)
    assert not panel["teaches"] and panel["action"] is None
    rows = {teacher.username: row for teacher, row in panel["teacher_rows"]}
    assert rows["teacher_a"] is not None and rows["teacher_a"].in_distance_m == 12 and rows["orgteacher_a"] is None


def test_given_settings_saved_then_windows_follow_them(day: Day, monkeypatch: Any, world: Any) -> None:
    AttendanceSettings.objects.create(
        school=day.school, latitude=LAT, longitude=LNG, checkin_opens_minutes=5, checkin_closes_minutes=5,
        checkout_opens_minutes=0, checkout_closes_minutes=15,
    )  # fmt: skip
    freeze(monkeypatch, at(15, 30))
    panel = checkin_panel(world.actor("teacher_a"), day.today)
    assert panel["checkin_window"] == "15:35–15:45" and panel["checkout_window"] == "16:40–16:55"

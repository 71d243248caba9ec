"""The demo attendance: plausible rows for the lessons that are over, the check-in area, the demo child's pending
leave; the same on a second run."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from afterschool.attendance.models import AttendanceSettings, LeaveRequest, StudentAttendance, TeacherCheckin
from afterschool.attendance.selectors.common import aware, lesson_end, lesson_start
from afterschool.attendance.services.demo import demo_attendance_ensure
from afterschool.attendance.tests.factories import CENTRE, freeze, make_day
from afterschool.enrollment.tests.factories import EnrollmentFactory
from afterschool.scheduling.tests.factories import LessonFactory
from afterschool.schools.tests.factories import StudentFactory

pytestmark = pytest.mark.django_db


def _counts() -> tuple[int, ...]:
    return (
        AttendanceSettings.objects.count(), StudentAttendance.objects.count(), LeaveRequest.objects.count(),
        TeacherCheckin.objects.count(),
    )  # fmt: skip


@pytest.fixture
def demo(world: Any, monkeypatch: Any) -> Any:
    """make_day's school with the demo's names: the art section 少儿创意美术（周二班）, 刘雨涵 (the parent's child)
    among its students, and 20 more students so the draws have room; now is Wednesday 18 November 2026, noon:
    the lessons of 3, 10 and 17 November are over, 24 November to come."""
    freeze(monkeypatch, dt.datetime(2026, 11, 18, 12, 0))
    day = make_day(world)
    day.section.name = "少儿创意美术（周二班）"
    day.section.save()
    day.child.name = "刘雨涵"
    day.child.save()
    for i in range(20):
        student = StudentFactory(school_class=day.school_class, grade=day.school_class.grade, name=f"同学{i}")
        EnrollmentFactory(section=day.section, student=student)
    LessonFactory(section=day.section, number=5, date=dt.date(2026, 11, 11), status="cancelled", teachers=[day.teacher])
    return day


def test_given_the_demo_school_when_ensured_twice_then_plausible_rows_once(world: Any, demo: Any) -> None:
    result = demo_attendance_ensure(school=world.school_a)
    over = demo.lessons[:3]
    assert result["settings"] == 1 and result["student_attendance"] == 3 * 23 and result["pending_leave"] == 1
    assert result["leave_requests"] == StudentAttendance.objects.filter(status="leave").count()
    assert 2 <= result["teacher_checkins"] <= 3
    counts = _counts()
    assert demo_attendance_ensure(school=world.school_a) == dict.fromkeys(result, 0)
    assert _counts() == counts

    settings = AttendanceSettings.objects.get(school=world.school_a)
    assert (settings.latitude, settings.longitude, settings.radius_m) == (*CENTRE, 300)
    rows = StudentAttendance.objects.select_related("lesson", "leave")
    assert {row.lesson for row in rows} == set(over)  # not the cancelled one, not the one to come
    statuses = [row.status for row in rows]
    assert statuses.count("present") >= 55 and set(statuses) <= {"present", "late", "absent", "leave"}
    for row in rows:
        start, end = aware(lesson_start(row.lesson)), aware(lesson_end(row.lesson))
        assert row.marked_by_id == demo.teacher.pk
        if row.status == "present":
            assert start - dt.timedelta(minutes=10) <= row.checked_in_at <= start < end <= row.checked_out_at
        elif row.status == "late":
            assert start < row.checked_in_at <= start + dt.timedelta(minutes=20) and row.checked_out_at >= end
        else:
            assert row.checked_in_at is None and row.checked_out_at is None
        if row.status == "leave":
            assert row.leave is not None and row.leave.status == "approved"
            assert list(row.leave.lessons.all()) == [row.lesson] and row.leave.student_id == row.student_id
    for checkin in TeacherCheckin.objects.select_related("lesson"):
        start = aware(lesson_start(checkin.lesson))
        assert start - dt.timedelta(minutes=15) <= checkin.checked_in_at <= start + dt.timedelta(minutes=10)
        assert checkin.in_distance_m <= 300 and checkin.teacher_id == demo.teacher.pk
    flagged = TeacherCheckin.objects.get(in_flagged=True)
    assert (flagged.lesson, flagged.in_accuracy_m) == (demo.lessons[1], 160)

    pending = LeaveRequest.objects.get(status="pending")
    assert (pending.student, pending.reason, pending.requested_by) == (demo.child, "家中有事", world.users["parent"])
    assert list(pending.lessons.all()) == [demo.lessons[3]]


def test_given_a_school_without_coordinates_or_sections_when_ensured_then_the_default_centre_only(
    world: Any,
) -> None:
    result = demo_attendance_ensure(school=world.school_a2)
    assert result == {"settings": 1, "student_attendance": 0, "leave_requests": 0, "teacher_checkins": 0,
                      "pending_leave": 0}  # fmt: skip
    settings = AttendanceSettings.objects.get(school=world.school_a2)
    assert (str(settings.latitude), str(settings.longitude), settings.radius_m) == ("39.959000", "116.298000", 300)


def test_given_a_lesson_marked_already_when_ensured_then_its_rows_are_kept(world: Any, demo: Any) -> None:
    StudentAttendance.objects.create(lesson=demo.lessons[0], student=demo.child, status="absent", note="老师登记")
    demo_attendance_ensure(school=world.school_a)
    kept = StudentAttendance.objects.get(lesson=demo.lessons[0], student=demo.child)
    assert (kept.status, kept.note) == ("absent", "老师登记")
    assert StudentAttendance.objects.filter(lesson=demo.lessons[0]).count() == 23

"""Attendance statistics (§5.2.4.2): rates on a hand-computed example, who is on a roll (placed students and rows),
which lessons count (held: not cancelled, started), teachers' check-ins, the per-lesson detail with patrols."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from afterschool.attendance.selectors import stats as selectors
from afterschool.attendance.tests.factories import (
    Day,
    StudentAttendanceFactory,
    TeacherCheckinFactory,
    TeacherLeaveFactory,
    freeze,
    make_day,
)
from afterschool.core.errors import PermissionDenied, ValidationFailed
from afterschool.enrollment.tests.factories import EnrollmentFactory
from afterschool.patrol.tests.factories import PatrolFactory
from afterschool.scheduling.tests.factories import LessonFactory
from afterschool.schools.tests.factories import SchoolClassFactory, StudentFactory

pytestmark = pytest.mark.django_db

NOV = {"date_from": dt.date(2026, 11, 1), "date_to": dt.date(2026, 11, 30)}


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime(2026, 11, day, hour, minute), timezone.get_default_timezone())


def make_example(world: Any, monkeypatch: Any) -> Day:
    """Now is Tuesday 10 November 2026, 17:00: the lessons of 3 and 10 November are over, 17 and 24 to come.

    3 Nov:  学生1 出勤, 学生2 迟到, 学生3 缺勤.
    10 Nov: 学生1 请假, 学生2 早退, 学生3 not marked yet.
    """
    freeze(monkeypatch, dt.datetime(2026, 11, 10, 17, 0))
    d = make_day(world)
    s1, s2, s3 = d.students
    first, second = d.lessons[0], d.lessons[1]
    for student, lesson, status in [
        (s1, first, "present"), (s2, first, "late"), (s3, first, "absent"),
        (s1, second, "leave"), (s2, second, "left_early"),
    ]:  # fmt: skip
        StudentAttendanceFactory(lesson=lesson, student=student, status=status)
    return d


@pytest.fixture
def day(world: Any, monkeypatch: Any) -> Day:
    return make_example(world, monkeypatch)


def _stats(actor: Any, group_by: str, **filters: Any) -> list[selectors.StudentStatsRow]:
    return selectors.student_stats(actor=actor, filters={**NOV, **filters}, group_by=group_by)


def _figures(row: selectors.StudentStatsRow) -> tuple[Any, ...]:
    return (
        row.lessons, row.expected, row.marked, row.present, row.late, row.left_early, row.absent, row.leave,
        row.unmarked, row.attendance_rate, row.absence_rate, row.leave_rate,
    )  # fmt: skip


D = Decimal


# --- the hand-computed example ------------------------------------------------------------------------------


def test_given_two_lessons_of_three_students_when_grouped_by_student_then_counts_and_rates_as_computed_by_hand(
    world: Any, day: Day
) -> None:
    rows = {r.label: r for r in _stats(world.actor("school_a"), "student")}
    assert set(rows) == {"学生1", "学生2", "学生3"}
    # 学生1: present + leave → 1 / (2 − 1) = 100%, absent 0 / 1, leave 1 / 2.
    assert _figures(rows["学生1"]) == (2, 2, 2, 1, 0, 0, 0, 1, 0, D("100.0"), D("0.0"), D("50.0"))
    # 学生2: late + left early both attended → 2 / 2.
    assert _figures(rows["学生2"]) == (2, 2, 2, 0, 1, 1, 0, 0, 0, D("100.0"), D("0.0"), D("0.0"))
    # 学生3: absent + not marked → 0 / 2 attended, 1 / 2 absent.
    assert _figures(rows["学生3"]) == (2, 2, 1, 0, 0, 0, 1, 0, 1, D("0.0"), D("50.0"), D("0.0"))
    assert rows["学生1"].detail == "三年级1班"


def test_given_the_example_when_grouped_by_section_class_grade_school_then_one_row_with_the_totals(
    world: Any, day: Day
) -> None:
    # 6 expected, 5 marked: attended 3 / (6 − 1) = 60%, absent 1 / 5 = 20%, leave 1 / 6 = 16.666… → 16.7%.
    expected = (2, 6, 5, 1, 1, 1, 1, 1, 1, D("60.0"), D("20.0"), D("16.7"))
    for group_by, label in [("section", "少儿创意美术"), ("class", "三年级1班"), ("grade", "三年级"),
                            ("school", "海淀实验小学")]:  # fmt: skip
        rows = _stats(world.actor("school_a"), group_by)
        assert [(r.label, _figures(r)) for r in rows] == [(label, expected)], group_by


def test_given_the_example_when_grouped_by_date_then_one_row_per_lesson_day(world: Any, day: Day) -> None:
    rows = _stats(world.actor("school_a"), "date")
    assert [r.key for r in rows] == ["2026-11-03", "2026-11-10"]
    # 3 Nov: 2 of 3 attended, 1 of 3 absent. 10 Nov: 1 leave, 1 left early, 1 unmarked → 1 / 2, 0 / 2, 1 / 3.
    assert _figures(rows[0]) == (1, 3, 3, 1, 1, 0, 1, 0, 0, D("66.7"), D("33.3"), D("0.0"))
    assert _figures(rows[1]) == (1, 3, 2, 0, 0, 1, 0, 1, 1, D("50.0"), D("0.0"), D("33.3"))


def test_given_filters_when_listing_then_only_matching_students_and_their_lessons(world: Any, day: Day) -> None:
    actor = world.actor("school_a")
    assert [r.label for r in _stats(actor, "student", q="学生2")] == ["学生2"]
    (only,) = _stats(actor, "section", q="学生3")
    assert _figures(only) == (2, 2, 1, 0, 0, 0, 1, 0, 1, D("0.0"), D("50.0"), D("0.0"))
    assert _stats(actor, "section", school_class=SchoolClassFactory(grade=day.school_class.grade).pk) == []
    assert _stats(actor, "student", grade=day.school_class.grade_id)[0].label == "学生1"
    (third,) = _stats(actor, "date", date_from=dt.date(2026, 11, 4))
    assert third.key == "2026-11-10"
    assert _stats(actor, "student", section=day.other_section.pk) == []


def test_given_no_denominator_when_rates_then_none_shown_as_a_dash(world: Any, day: Day) -> None:
    from afterschool.attendance.views.stats import pct

    rows = {r.label: r for r in _stats(world.actor("school_a"), "student", date_from=dt.date(2026, 11, 10))}
    # 学生1 has only its leave on 10 November: nothing left to attend.
    assert rows["学生1"].attendance_rate is None and rows["学生1"].leave_rate == D("100.0")
    assert pct(rows["学生1"].attendance_rate) == "—" and pct(D("93.3")) == "93.3%"
    assert selectors.rate(2, 3) == D("66.7") and selectors.rate(1, 0) is None


# --- who is on a roll, which lessons count --------------------------------------------------------------------


def test_given_a_withdrawn_student_with_a_row_when_counting_then_on_that_lessons_roll_only(
    world: Any, day: Day
) -> None:
    gone = StudentFactory(school_class=day.school_class, grade=day.school_class.grade, name="转出生")
    EnrollmentFactory(section=day.section, student=gone, status="withdrawn")
    StudentAttendanceFactory(lesson=day.lessons[0], student=gone, status="present")
    never = StudentFactory(school_class=day.school_class, grade=day.school_class.grade, name="未到生")
    EnrollmentFactory(section=day.section, student=never, status="withdrawn")
    rows = {r.label: r for r in _stats(world.actor("school_a"), "student")}
    assert "未到生" not in rows
    assert _figures(rows["转出生"])[:4] == (1, 1, 1, 1)
    (section,) = _stats(world.actor("school_a"), "section")
    assert (section.expected, section.marked, section.unmarked) == (7, 6, 1)


def test_given_cancelled_future_and_running_lessons_when_counting_then_only_started_not_cancelled(
    world: Any, day: Day, monkeypatch: Any
) -> None:
    cancelled = LessonFactory(section=day.section, number=9, date=dt.date(2026, 11, 5), status="cancelled")
    StudentAttendanceFactory(lesson=cancelled, student=day.students[0], status="absent")
    (section,) = _stats(world.actor("school_a"), "section")
    assert (section.lessons, section.expected) == (2, 6)
    # At 15:50 on 10 November the lesson of the day has started (3 placed, 2 marked); at 15:30 it has not.
    freeze(monkeypatch, dt.datetime(2026, 11, 10, 15, 50))
    (section,) = _stats(world.actor("school_a"), "section")
    assert (section.lessons, section.expected, section.unmarked) == (2, 6, 1)
    freeze(monkeypatch, dt.datetime(2026, 11, 10, 15, 30))
    (section,) = _stats(world.actor("school_a"), "section")
    assert (section.lessons, section.expected) == (1, 3)


def test_given_a_walking_section_of_two_classes_when_grouped_by_class_then_its_lessons_count_for_each(
    world: Any, day: Day
) -> None:
    other_class = SchoolClassFactory(grade=day.school_class.grade, name="2班")
    newcomer = StudentFactory(school_class=other_class, grade=other_class.grade, name="二班生")
    EnrollmentFactory(section=day.section, student=newcomer)
    rows = {r.label: r for r in _stats(world.actor("school_a"), "class")}
    assert (rows["三年级1班"].lessons, rows["三年级1班"].expected) == (2, 6)
    assert (rows["三年级2班"].lessons, rows["三年级2班"].expected, rows["三年级2班"].unmarked) == (2, 2, 2)
    (grade,) = _stats(world.actor("school_a"), "grade")
    assert (grade.lessons, grade.expected) == (2, 8)


def test_given_no_dates_when_ranging_then_the_current_term_so_far_else_the_last_30_days(world: Any, day: Day) -> None:
    filters = selectors.with_range(actor=world.actor("school_a"), filters={})
    assert (filters["date_from"], filters["date_to"]) == (dt.date(2026, 9, 1), dt.date(2026, 11, 10))
    filters = selectors.with_range(actor=world.actor("school_a2"), filters={})
    assert filters["date_from"] == dt.date(2026, 10, 11)
    filters = selectors.with_range(actor=world.actor("school_a"), filters={"date_to": dt.date(2026, 8, 1)})
    assert filters["date_from"] == dt.date(2026, 7, 2)  # before the term: the 30 days up to the end
    filters = selectors.with_range(actor=world.actor("school_a"), filters={"date_to": dt.date(1, 1, 5)})
    assert filters["date_from"] == dt.date(1, 1, 1)
    with pytest.raises(ValidationFailed):
        selectors.with_range(
            actor=world.actor("school_a"),
            filters={"date_from": dt.date(2026, 11, 5), "date_to": dt.date(2026, 11, 4)},
        )


def test_given_a_bad_group_or_a_teacher_when_asking_then_refused(world: Any, day: Day) -> None:
    with pytest.raises(ValidationFailed):
        _stats(world.actor("school_a"), "course")
    for key in ("teacher_a", "orgteacher_a", "org_a", "parent"):
        with pytest.raises(PermissionDenied):
            _stats(world.actor(key), "student")
        with pytest.raises(PermissionDenied):
            selectors.teacher_stats(actor=world.actor(key), filters=NOV)


# --- scoping ------------------------------------------------------------------------------------------------


def test_given_two_districts_when_each_reads_then_only_its_own_schools(world: Any, day: Day) -> None:
    student_b = StudentFactory(school_class__grade__school=world.school_b, name="朝阳生")
    EnrollmentFactory(section=day.other_section, student=student_b)
    StudentAttendanceFactory(lesson=day.other_lesson, student=student_b, status="absent")
    by_school = {r.label: r.expected for r in _stats(world.actor("bureau_a"), "school")}
    assert by_school == {"海淀实验小学": 6}
    assert {r.label: r.expected for r in _stats(world.actor("bureau_b"), "school")} == {"朝阳实验小学": 1}
    assert [r.label for r in _stats(world.actor("school_b"), "student")] == ["朝阳生"]
    assert _stats(world.actor("school_a2"), "student") == []
    assert {r.label for r in _stats(world.actor("system"), "school")} == {"海淀实验小学", "朝阳实验小学"}
    # A bureau naming another district's school gets nothing from it.
    assert _stats(world.actor("bureau_a"), "school", school=world.school_b.pk) == []
    assert selectors.teacher_stats(actor=world.actor("school_b"), filters=NOV) == []
    lessons = selectors.lesson_stats(actor=world.actor("school_b"), filters=NOV)
    assert [lesson.pk for lesson in lessons] == [day.other_lesson.pk]


# --- teachers -----------------------------------------------------------------------------------------------


def add_checkins(world: Any, day: Day) -> dict[str, Any]:
    """teacher_a: checked in on time on 3 Nov (out flagged), late on 10 Nov (no check-out); an approved leave for
    17 Nov. The organization teacher teaches a lesson of the school on 5 Nov without checking in."""
    first, second, third = day.lessons[:3]
    TeacherCheckinFactory(
        lesson=first, teacher=day.teacher, checked_in_at=at(3, 15, 35), in_distance_m=12, in_accuracy_m=20,
        checked_out_at=at(3, 16, 45), out_latitude=D("39.959000"), out_longitude=D("116.298000"),
        out_accuracy_m=180, out_distance_m=40, out_flagged=True,
    )  # fmt: skip
    TeacherCheckinFactory(lesson=second, teacher=day.teacher, checked_in_at=at(10, 15, 45), in_distance_m=30)
    TeacherLeaveFactory(lesson=third, teacher=day.teacher, status="approved", resolution="substitute")
    TeacherLeaveFactory(lesson=day.lessons[3], teacher=day.teacher, status="rejected")
    org_teacher = world.users["orgteacher_a"]
    org_teacher.display_name = "赵老师"
    org_teacher.save()
    org_lesson = LessonFactory(
        section=day.section, number=8, date=dt.date(2026, 11, 5), starts_at=dt.time(15, 40),
        ends_at=dt.time(16, 40), teachers=[org_teacher],
    )  # fmt: skip
    return {"org_teacher": org_teacher, "org_lesson": org_lesson}


@pytest.fixture
def checkins(world: Any, day: Day) -> dict[str, Any]:
    return add_checkins(world, day)


def test_given_check_ins_when_teacher_stats_then_on_time_late_missing_flagged_and_leave(
    world: Any, day: Day, checkins: Any
) -> None:
    rows = {r.teacher_id: r for r in selectors.teacher_stats(actor=world.actor("school_a"), filters=NOV)}
    mine = rows[day.teacher.pk]
    figures = (mine.taught, mine.checked_in, mine.on_time, mine.late, mine.missing, mine.checked_out,
               mine.flagged, mine.leave, mine.checkin_rate, mine.on_time_rate)  # fmt: skip
    assert figures == (2, 2, 1, 1, 0, 1, 1, 1, D("100.0"), D("50.0"))
    assert mine.organization == ""
    org = rows[checkins["org_teacher"].pk]
    assert (org.taught, org.checked_in, org.missing, org.checkin_rate, org.teacher_name) == (
        1, 0, 1, D("0.0"), "赵老师",
    )  # fmt: skip
    assert org.organization == "海淀活动中心"
    assert [
        r.teacher_name for r in selectors.teacher_stats(actor=world.actor("school_a"), filters={**NOV, "q": "赵"})
    ] == ["赵老师"]


def test_given_a_lesson_running_without_check_in_when_teacher_stats_then_not_yet_missing(
    world: Any, day: Day, monkeypatch: Any
) -> None:
    freeze(monkeypatch, dt.datetime(2026, 11, 10, 16, 0))
    rows = selectors.teacher_stats(actor=world.actor("school_a"), filters=NOV)
    (mine,) = rows
    # 3 Nov over without check-in: missing; 10 Nov started, not over: taught, not yet missing.
    assert (mine.taught, mine.checked_in, mine.missing) == (2, 0, 1)


# --- lessons ------------------------------------------------------------------------------------------------


def test_given_check_ins_and_patrols_when_lesson_stats_then_roll_counts_teachers_and_average_score(
    world: Any, day: Day, checkins: Any
) -> None:
    PatrolFactory(lesson=day.lessons[1], patroller=world.users["school_a"], score_percent=D("80.0"))
    PatrolFactory(lesson=day.lessons[1], patroller=world.users["system"], score_percent=D("91.0"))
    lessons = list(selectors.lesson_stats(actor=world.actor("school_a"), filters=NOV))
    assert [lesson.date.day for lesson in lessons] == [10, 5, 3]
    tenth, fifth, third = lessons
    counts = (tenth.present, tenth.late, tenth.left_early, tenth.absent, tenth.leave, tenth.unmarked, tenth.marked)
    assert counts == (0, 0, 1, 0, 1, 1, 2)
    assert (tenth.patrol_count, tenth.patrol_score) == (2, D("85.5"))
    assert (third.patrol_count, third.patrol_score, third.present, third.late, third.absent) == (0, None, 1, 1, 1)
    (check,) = selectors.lesson_teacher_checks(tenth)
    assert (check.name, check.late, check.in_distance_m, check.checked_out_at) == (str(day.teacher), True, 30, None)
    (check,) = selectors.lesson_teacher_checks(third)
    assert (check.late, check.out_flagged, check.out_accuracy_m) == (False, True, 180)
    (missing,) = selectors.lesson_teacher_checks(fifth)
    assert (missing.name, missing.checked_in_at, missing.late) == ("赵老师", None, None)
    # Searching by teacher name finds the organization teacher's lesson only.
    found = selectors.lesson_stats(actor=world.actor("school_a"), filters={**NOV, "q": "赵老师"})
    assert [lesson.pk for lesson in found] == [checkins["org_lesson"].pk]

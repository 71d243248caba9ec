"""Timetables: who sees which lessons, every dimension filter, week/month windows, exports, calendar feeds."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from icalendar import Calendar
from openpyxl import load_workbook

from afterschool.accounts.models import AuditEvent
from afterschool.core.crypto import sm3_hexdigest
from afterschool.core.errors import NotFound, PermissionDenied, ValidationFailed
from afterschool.scheduling.models import CalendarFeed
from afterschool.scheduling.selectors import timetables as selectors
from afterschool.scheduling.services import timetables as services
from afterschool.scheduling.tests.factories import LessonFactory
from afterschool.schools.tests.factories import StudentFactory

from .factories_timetables import MONDAY, build

pytestmark = pytest.mark.django_db

WEEK = (MONDAY, MONDAY + dt.timedelta(days=6))


@pytest.fixture
def tt(world: Any) -> Any:
    return build(world)


def _ids(
    world: Any, key: str, filters: dict[str, Any] | None = None, *, mine: bool = False, window: Any = WEEK
) -> set[int]:
    lessons = selectors.lessons_in_window(
        actor=world.actor(key), start=window[0], end=window[1], filters=filters, mine=mine
    )
    return {lesson.pk for lesson in lessons}


# --- scoping ---------------------------------------------------------------------------------------------------


def test_school_admin_sees_its_schools_lessons_including_cancelled_ones(world, tt):  # type: ignore[no-untyped-def]
    assert _ids(world, "school_a") == {tt.tue.pk, tt.thu_cancelled.pk, tt.wed.pk}


def test_other_school_of_the_same_district_sees_none_of_school_a(world, tt):  # type: ignore[no-untyped-def]
    assert _ids(world, "school_a2") == {tt.a2_lesson.pk}


def test_bureau_sees_its_region_only(world, tt):  # type: ignore[no-untyped-def]
    assert _ids(world, "bureau_a") == {tt.tue.pk, tt.thu_cancelled.pk, tt.wed.pk, tt.a2_lesson.pk}
    assert _ids(world, "bureau_b") == {tt.b_lesson.pk}


def test_system_admin_sees_everything(world, tt):  # type: ignore[no-untyped-def]
    assert len(_ids(world, "system")) == 5


def test_org_admin_sees_its_courses_sections_only(world, tt):  # type: ignore[no-untyped-def]
    assert _ids(world, "org_a") == {tt.wed.pk}
    assert _ids(world, "org_b") == set()


def test_org_teacher_sees_only_the_lessons_it_teaches(world, tt):  # type: ignore[no-untyped-def]
    LessonFactory(section=tt.class_section, date=MONDAY + dt.timedelta(days=4), teachers=[tt.other_teacher])
    assert _ids(world, "orgteacher_a") == {tt.wed.pk}
    # Dispatched to teach a school's own course: still its lesson.
    dispatched = LessonFactory(section=tt.walking, date=MONDAY, teachers=[world.users["orgteacher_a"]])
    assert _ids(world, "orgteacher_a") == {tt.wed.pk, dispatched.pk}


def test_teacher_sees_school_timetable_but_my_view_only_its_lessons(world, tt):  # type: ignore[no-untyped-def]
    assert _ids(world, "teacher_a") == {tt.tue.pk, tt.thu_cancelled.pk, tt.wed.pk}
    assert _ids(world, "teacher_a", mine=True) == {tt.tue.pk, tt.thu_cancelled.pk}


def test_parent_sees_only_its_childrens_active_enrolments(world, tt):  # type: ignore[no-untyped-def]
    # The child withdrew from class_section: its lessons are not shown; the other family's child's are not either.
    assert _ids(world, "parent") == {tt.tue.pk, tt.thu_cancelled.pk}


def test_student_sees_its_own_lessons(world, tt):  # type: ignore[no-untyped-def]
    assert _ids(world, "student") == {tt.tue.pk, tt.thu_cancelled.pk}


# --- filters ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("school", {"tue", "thu_cancelled", "wed"}),
        ("term", {"tue", "thu_cancelled", "wed"}),
        ("grade", {"tue", "thu_cancelled", "wed"}),
        ("class1", {"wed"}),
        ("class2", {"tue", "thu_cancelled"}),
        ("teacher", {"thu_cancelled", "a2_lesson"}),
        ("venue", {"wed"}),
        ("course", {"tue", "thu_cancelled"}),
        ("section", {"wed"}),
        ("student", {"wed"}),
    ],
)
def test_each_dimension_filter_narrows_the_lessons(world, tt, name, expected):  # type: ignore[no-untyped-def]
    filters = {
        "school": {"school": world.school_a.pk},
        "term": {"term": tt.term.pk},
        "grade": {"grade": tt.grade.pk},  # walking by its grades, class_section by its class's grade
        "class1": {"school_class": tt.class1.pk},  # 原班 section of class1
        "class2": {"class": tt.class2.pk},  # 走班 section attended by class2's child
        "teacher": {"teacher": tt.other_teacher.pk},
        "venue": {"venue": tt.venue2.pk},
        "course": {"course": tt.walking.course_id},
        "section": {"section": tt.class_section.pk},
        "student": {"student": tt.other_child.pk},
    }[name]
    assert _ids(world, "bureau_a", filters) == {getattr(tt, key).pk for key in expected}


def test_filters_without_a_match_give_nothing(world, tt):  # type: ignore[no-untyped-def]
    assert _ids(world, "school_a", {"grade": tt.grade2.pk}) == set()
    assert _ids(world, "school_a", {"school": world.school_b.pk}) == set()


def test_a_filter_cannot_widen_the_scope(world, tt):  # type: ignore[no-untyped-def]
    assert _ids(world, "school_a2", {"section": tt.walking.pk}) == set()
    assert _ids(world, "parent", {"student": tt.other_child.pk}) == set()


def test_bad_filter_values_and_windows_are_refused(world, tt):  # type: ignore[no-untyped-def]
    actor = world.actor("school_a")
    with pytest.raises(ValidationFailed):
        selectors.lessons_in_window(actor=actor, start=MONDAY, end=MONDAY, filters={"venue": "abc"})
    with pytest.raises(ValidationFailed):
        selectors.lessons_in_window(actor=actor, start=MONDAY, end=MONDAY, filters={"venue": 2**63})
    with pytest.raises(ValidationFailed):
        selectors.lessons_in_window(actor=actor, start=MONDAY, end=MONDAY - dt.timedelta(days=1))
    with pytest.raises(ValidationFailed):
        selectors.lessons_in_window(actor=actor, start=MONDAY, end=MONDAY + dt.timedelta(days=62))
    assert selectors.lessons_in_window(actor=actor, start=MONDAY, end=MONDAY + dt.timedelta(days=61)).exists()


# --- windows and grids -----------------------------------------------------------------------------------------


def test_week_bounds_run_monday_to_sunday():  # type: ignore[no-untyped-def]
    assert selectors.week_bounds(dt.date(2026, 9, 13)) == (MONDAY, dt.date(2026, 9, 13))
    assert selectors.week_bounds(MONDAY) == (MONDAY, dt.date(2026, 9, 13))


def test_month_bounds_cover_whole_weeks_around_the_month():  # type: ignore[no-untyped-def]
    # September 2026 starts on a Tuesday and ends on a Wednesday.
    assert selectors.month_bounds(dt.date(2026, 9, 15)) == (dt.date(2026, 8, 31), dt.date(2026, 10, 4))
    # February 2027 starts on a Monday and ends on a Sunday: exactly four weeks.
    assert selectors.month_bounds(dt.date(2027, 2, 10)) == (dt.date(2027, 2, 1), dt.date(2027, 2, 28))


def test_lessons_on_the_window_edges_are_included_and_outside_excluded(world, tt):  # type: ignore[no-untyped-def]
    sunday = LessonFactory(section=tt.walking, date=MONDAY + dt.timedelta(days=6), teachers=[])
    LessonFactory(section=tt.walking, date=MONDAY - dt.timedelta(days=1))
    LessonFactory(section=tt.walking, date=MONDAY + dt.timedelta(days=7))
    assert _ids(world, "school_a") == {tt.tue.pk, tt.thu_cancelled.pk, tt.wed.pk, sunday.pk}
    month = selectors.month_bounds(dt.date(2026, 9, 1))
    assert tt.next_month.pk not in _ids(world, "school_a", window=month)
    assert tt.next_month.pk in _ids(world, "school_a", window=selectors.month_bounds(dt.date(2026, 10, 1)))


def test_week_grid_has_time_rows_and_weekend_only_when_used(world, tt):  # type: ignore[no-untyped-def]
    lessons = selectors.lessons_in_window(actor=world.actor("school_a"), start=WEEK[0], end=WEEK[1])
    grid = selectors.week_grid(selectors.lesson_views(lessons), MONDAY, today=MONDAY)
    assert [d.date.weekday() for d in grid.columns] == [0, 1, 2, 3, 4]
    assert [r.time_label for r in grid.rows] == ["15:40–16:40", "16:50–17:50"]
    assert [v.lesson.pk for v in grid.rows[0].cells[1]] == [tt.tue.pk]
    assert grid.rows[0].cells[3][0].cancelled is True
    assert len(grid.days) == 7 and grid.days[0].is_today
    LessonFactory(section=tt.walking, date=MONDAY + dt.timedelta(days=5))
    lessons = selectors.lessons_in_window(actor=world.actor("school_a"), start=WEEK[0], end=WEEK[1])
    grid = selectors.week_grid(selectors.lesson_views(lessons), MONDAY)
    assert [d.date.weekday() for d in grid.columns] == [0, 1, 2, 3, 4, 5]


def test_month_grid_places_lessons_on_their_days(world, tt):  # type: ignore[no-untyped-def]
    start, end = selectors.month_bounds(MONDAY)
    lessons = selectors.lessons_in_window(actor=world.actor("school_a"), start=start, end=end)
    grid = selectors.month_grid(selectors.lesson_views(lessons), MONDAY)
    assert len(grid.weeks) == 5 and all(len(w) == 7 for w in grid.weeks)
    assert grid.weeks[0][0].in_month is False  # 08-31
    days = {d.date: d for w in grid.weeks for d in w}
    assert [v.lesson.pk for v in days[MONDAY + dt.timedelta(days=1)].lessons] == [tt.tue.pk]


def test_lesson_view_names_chapter_and_class_or_section(world, tt):  # type: ignore[no-untyped-def]
    views = {v.lesson.pk: v for v in selectors.lesson_views([tt.tue, tt.wed])}
    assert views[tt.tue.pk].chapter == "第 1 章 认识色彩"
    assert views[tt.tue.pk].group == "美术走班A"  # 走班: the section name
    assert views[tt.wed.pk].group == "三年级1班"  # 原班: the class name


# --- export ----------------------------------------------------------------------------------------------------


def test_export_lists_the_lessons_and_is_audited(world, tt):  # type: ignore[no-untyped-def]
    actor = world.actor("school_a")
    lessons = selectors.lessons_in_window(actor=actor, start=WEEK[0], end=WEEK[1])
    content = services.timetable_export(actor=actor, lessons=lessons, what="课后服务课表", detail={"start": "x"})
    sheet = load_workbook(io.BytesIO(content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "日期" and len(rows) == 4
    assert rows[1][5] == "创意美术" and rows[1][8] == "第 1 章 认识色彩" and rows[1][9] == "美术教室"
    assert "已取消" in [r[11] for r in rows[1:]]
    event = AuditEvent.objects.filter(event="export").latest("pk")
    assert event.detail["what"] == "课后服务课表" and event.detail["rows"] == 3


# --- calendar feeds --------------------------------------------------------------------------------------------


def test_parent_creates_a_feed_for_its_child_storing_only_the_digest(world, tt):  # type: ignore[no-untyped-def]
    feed, raw = services.calendar_feed_create(actor=world.actor("parent"), student_id=tt.child.pk)
    assert feed.student == tt.child and feed.user == world.users["parent"]
    assert raw not in feed.token_digest and feed.token_digest == sm3_hexdigest(raw.encode())
    assert AuditEvent.objects.filter(event="create", object_id=str(feed.pk)).exists()


def test_parent_cannot_create_a_feed_for_another_familys_child(world, tt):  # type: ignore[no-untyped-def]
    with pytest.raises(NotFound):
        services.calendar_feed_create(actor=world.actor("parent"), student_id=tt.other_child.pk)
    with pytest.raises(ValidationFailed):
        services.calendar_feed_create(actor=world.actor("parent"), student_id=None)
    assert not CalendarFeed.objects.exists()


def test_student_feed_is_its_own_and_admins_have_none(world, tt):  # type: ignore[no-untyped-def]
    feed, _raw = services.calendar_feed_create(actor=world.actor("student"))
    assert feed.student == tt.child
    with pytest.raises(NotFound):
        services.calendar_feed_create(actor=world.actor("student"), student_id=tt.other_child.pk)
    with pytest.raises(PermissionDenied):
        services.calendar_feed_create(actor=world.actor("school_a"))


def test_revoke_is_owner_only_and_audited_once(world, tt):  # type: ignore[no-untyped-def]
    feed, raw = services.calendar_feed_create(actor=world.actor("teacher_a"))
    with pytest.raises(NotFound):
        selectors.calendar_feed_get(actor=world.actor("parent"), feed_id=feed.pk)
    services.calendar_feed_revoke(actor=world.actor("teacher_a"), feed=feed)
    services.calendar_feed_revoke(actor=world.actor("teacher_a"), feed=feed)
    feed.refresh_from_db()
    assert feed.revoked_at is not None
    assert AuditEvent.objects.filter(event="update", object_id=str(feed.pk)).count() == 1
    with pytest.raises(NotFound):
        selectors.calendar_feed_by_token(raw)


def test_child_feed_stops_when_guardianship_ends(world, tt):  # type: ignore[no-untyped-def]
    _feed, raw = services.calendar_feed_create(actor=world.actor("parent"), student_id=tt.child.pk)
    assert selectors.calendar_feed_by_token(raw)
    tt.child.guardian_links.all().delete()
    with pytest.raises(NotFound):
        selectors.calendar_feed_by_token(raw)


def test_feed_window_runs_to_the_end_of_the_next_term(world, tt):  # type: ignore[no-untyped-def]
    from afterschool.schools.tests.factories import TermFactory

    TermFactory(school=world.school_a, academic_year=2026, term_number=2, starts_on=dt.date(2027, 2, 20),
                ends_on=dt.date(2027, 7, 5))  # fmt: skip
    TermFactory(school=world.school_a, academic_year=2027, term_number=1, starts_on=dt.date(2027, 9, 1),
                ends_on=dt.date(2028, 1, 20))  # fmt: skip
    start, end = selectors.feed_window(school_ids=[world.school_a.pk], today=dt.date(2026, 10, 1))
    assert start == dt.date(2026, 9, 1) and end == dt.date(2027, 7, 5)


def test_calendar_document_is_valid_ics_with_cancelled_lessons_marked(world, tt):  # type: ignore[no-untyped-def]
    feed, _raw = services.calendar_feed_create(actor=world.actor("teacher_a"))
    content = services.calendar_document(feed=feed, domain="example.cn", today=MONDAY)
    cal = Calendar.from_ical(content)
    assert cal["VERSION"] == "2.0" and cal.get("PRODID")
    assert [c.name for c in cal.walk("VTIMEZONE")] == ["VTIMEZONE"]
    events = {str(e["UID"]): e for e in cal.walk("VEVENT")}
    assert set(events) == {f"lesson-{tt.tue.pk}@example.cn", f"lesson-{tt.thu_cancelled.pk}@example.cn"}
    tue = events[f"lesson-{tt.tue.pk}@example.cn"]
    assert tue.decoded("DTSTART") == dt.datetime(2026, 9, 8, 15, 40, tzinfo=tue.decoded("DTSTART").tzinfo)
    assert tue["DTSTART"].params["TZID"] == "Asia/Shanghai"
    assert str(tue["SUMMARY"]).startswith("创意美术") and str(tue["LOCATION"]) == "美术教室"
    assert "第 1 章 认识色彩" in str(tue["DESCRIPTION"]) and str(tue["STATUS"]) == "CONFIRMED"
    assert str(events[f"lesson-{tt.thu_cancelled.pk}@example.cn"]["STATUS"]) == "CANCELLED"
    for event in events.values():  # RFC 5545 §3.6.1: UID and DTSTAMP required, DTEND after DTSTART
        assert event.get("DTSTAMP") and event.decoded("DTEND") > event.decoded("DTSTART")
    text = content.decode()
    assert text.startswith("BEGIN:VCALENDAR\r\n") and text.endswith("END:VCALENDAR\r\n")
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))


def test_child_feed_lists_the_childs_active_sections_only(world, tt):  # type: ignore[no-untyped-def]
    feed, _raw = services.calendar_feed_create(actor=world.actor("parent"), student_id=tt.child.pk)
    ids = {lesson.pk for lesson in selectors.feed_lessons(feed=feed, today=MONDAY)}
    assert ids == {tt.tue.pk, tt.thu_cancelled.pk, tt.next_month.pk}
    lonely = StudentFactory(school_class=tt.class1)
    assert lonely.pk not in ids


def test_feed_fetches_are_throttled_per_token(world, tt, settings):  # type: ignore[no-untyped-def]
    feed, _raw = services.calendar_feed_create(actor=world.actor("teacher_a"))
    assert not any(services.calendar_feed_throttled(feed) for _ in range(services.FEED_FETCHES_PER_HOUR))
    assert services.calendar_feed_throttled(feed)

"""Attendance statistics pages and API: who gets them, what they show, xlsx exports (audited), another school's
data absent, a constant number of queries whatever the size of the school."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from afterschool.accounts.models import AuditEvent
from afterschool.attendance.tests.factories import Day, StudentAttendanceFactory, TeacherCheckinFactory
from afterschool.attendance.tests.test_stats import add_checkins, at, make_example
from afterschool.enrollment.tests.factories import EnrollmentFactory
from afterschool.patrol.tests.factories import PatrolFactory
from afterschool.scheduling.tests.factories import LessonFactory, SectionFactory
from afterschool.schools.tests.factories import SchoolClassFactory, StudentFactory

pytestmark = pytest.mark.django_db

NOV = {"date_from": "2026-11-01", "date_to": "2026-11-30"}
PAGES = ["attendance:stats", "attendance:teacher_stats", "attendance:lesson_stats"]
API = "/api/v1/attendance/stats"


@pytest.fixture
def day(world: Any, monkeypatch: Any) -> Day:
    """The hand-computed example of test_stats: 3 students, 2 lessons held (see make_example)."""
    return make_example(world, monkeypatch)


@pytest.fixture
def checkins(world: Any, day: Day) -> dict[str, Any]:
    return add_checkins(world, day)


def _sheet(response: Any) -> list[tuple[Any, ...]]:
    return list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))


# --- pages --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["school_a", "bureau_a", "system"])
@pytest.mark.parametrize("page", PAGES)
def test_given_an_admin_when_opening_a_stats_page_then_it_renders(
    world: Any, login: Any, day: Day, key: str, page: str
) -> None:
    response = login(world.users[key]).get(reverse(page), NOV)
    assert response.status_code == 200
    assert "2026-11-01 至 2026-11-30" in response.content.decode()


@pytest.mark.parametrize("key", ["teacher_a", "orgteacher_a", "org_a", "parent", "student"])
@pytest.mark.parametrize("page", PAGES)
def test_given_a_teacher_or_parent_when_opening_a_stats_page_then_forbidden(
    world: Any, login: Any, day: Day, key: str, page: str
) -> None:
    assert login(world.users[key]).get(reverse(page)).status_code == 403


def test_given_the_school_admin_when_grouping_then_rows_and_rates_shown(world: Any, login: Any, day: Day) -> None:
    client = login(world.users["school_a"])
    html = client.get(reverse("attendance:stats"), NOV).content.decode()
    assert "学生1" in html and "学生3" in html and "三年级1班" in html
    assert "按班级" in html and "按学校" not in html
    html = client.get(reverse("attendance:stats"), {**NOV, "group_by": "section"}).content.decode()
    assert "少儿创意美术" in html and "60.0%" in html and "16.7%" in html
    html = client.get(reverse("attendance:stats"), {**NOV, "date_from": "2026-11-10", "group_by": "student"})
    assert "—" in html.content.decode()


def test_given_the_bureau_when_opening_then_grouped_by_school_with_a_school_filter(
    world: Any, login: Any, day: Day
) -> None:
    html = login(world.users["bureau_a"]).get(reverse("attendance:stats"), NOV).content.decode()
    assert "按学校" in html and "海淀实验小学" in html and "海淀二小" in html  # the second is in the school filter
    assert "朝阳实验小学" not in html
    assert "60.0%" in html


def test_given_bad_filters_when_opening_then_chinese_errors_and_defaults(world: Any, login: Any, day: Day) -> None:
    client = login(world.users["school_a"])
    response = client.get(reverse("attendance:stats"), {"date_from": "2026-13-45", "group_by": "course"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "日期格式不正确" in html and "统计方式" in html
    assert "2026-09-01 至 2026-11-10" in html  # the current term so far
    response = client.get(reverse("attendance:stats"), {"date_from": "2026-11-10", "date_to": "2026-11-01"})
    assert "结束日期不能早于开始日期" in response.content.decode()
    assert client.get(reverse("attendance:stats"), {"school": str(2**70), "page": "x"}).status_code == 200


def test_given_another_school_when_its_admin_opens_the_pages_then_none_of_school_a(
    world: Any, login: Any, day: Day, checkins: Any
) -> None:
    client = login(world.users["school_b"])
    for page in PAGES:
        html = client.get(reverse(page), NOV).content.decode()
        assert "学生1" not in html and "少儿创意美术" not in html and "赵老师" not in html, page
    # Naming school_a in the filter changes nothing for a school admin: it stays in its own school.
    html = client.get(reverse("attendance:stats"), {**NOV, "school": world.school_a.pk}).content.decode()
    assert "学生1" not in html


def test_given_check_ins_and_patrols_when_opening_teachers_and_lessons_then_shown(
    world: Any, login: Any, day: Day, checkins: Any
) -> None:
    PatrolFactory(lesson=day.lessons[1], patroller=world.users["school_a"], score_percent=85)
    client = login(world.users["school_a"])
    html = client.get(reverse("attendance:teacher_stats"), NOV).content.decode()
    assert "赵老师" in html and "海淀活动中心" in html and "50.0%" in html
    html = client.get(reverse("attendance:lesson_stats"), NOV).content.decode()
    assert "未巡课" in html and "1 次 · 平均 85.0%" in html
    assert "定位精度差" in html and "未签到" in html and "签到 15:45" in html


# --- exports ------------------------------------------------------------------------------------------------


def test_given_the_student_stats_when_exported_then_xlsx_with_the_figures_and_audited(
    world: Any, login: Any, day: Day
) -> None:
    response = login(world.users["school_a"]).get(reverse("attendance:stats"), {**NOV, "group_by": "section"})
    assert response.status_code == 200
    response = login(world.users["school_a"]).get(
        reverse("attendance:stats"), {**NOV, "group_by": "section", "export": "xlsx"}
    )
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    rows = _sheet(response)
    assert rows[0][:4] == ("课班", "课程", "课次", "应到")
    assert rows[1][0] == "少儿创意美术" and rows[1][2:] == (2, 6, 5, 1, 1, 1, 1, 1, 1, "60.0%", "20.0%", "16.7%")
    audit = AuditEvent.objects.get(event="export")
    assert audit.detail["what"] == "attendance_students" and audit.detail["rows"] == 1
    assert audit.detail["filters"]["group_by"] == "section"
    assert audit.detail["filters"]["date_from"] == "2026-11-01"


def test_given_teachers_and_lessons_when_exported_then_xlsx_and_audited(
    world: Any, login: Any, day: Day, checkins: Any
) -> None:
    client = login(world.users["bureau_a"])
    teachers = _sheet(client.get(reverse("attendance:teacher_stats"), {**NOV, "export": "xlsx"}))
    assert teachers[0][:3] == ("教师", "所属机构", "学校")
    assert {row[0] for row in teachers[1:]} == {str(day.teacher), "赵老师"}
    lessons = _sheet(client.get(reverse("attendance:lesson_stats"), {**NOV, "export": "xlsx"}))
    assert [row[0] for row in lessons[1:]] == ["2026-11-10", "2026-11-05", "2026-11-03"]
    first = lessons[3]
    assert first[5:10] == ("15:35", "16:45", "12", "20", "是")
    assert lessons[2][5] == "未签到"
    assert sorted(a.detail["what"] for a in AuditEvent.objects.filter(event="export")) == [
        "attendance_lessons", "attendance_teachers",
    ]  # fmt: skip


# --- API ----------------------------------------------------------------------------------------------------


def test_given_the_api_when_reading_students_then_paged_rows_with_rates(world: Any, login: Any, day: Day) -> None:
    client = login(world.users["school_a"])
    data = client.get(f"{API}/students", {**NOV, "group_by": "date"}).json()
    assert (data["count"], data["date_from"], data["date_to"]) == (2, "2026-11-01", "2026-11-30")
    first = data["items"][0]
    assert (first["key"], first["expected"], first["attendance_rate"], first["absence_rate"]) == (
        "2026-11-03", 3, 66.7, 33.3,
    )  # fmt: skip
    data = client.get(f"{API}/students", {**NOV, "page_size": 2}).json()
    assert (data["count"], data["num_pages"], len(data["items"])) == (3, 2, 2)
    assert data["items"][0]["label"] == "学生1" and data["items"][0]["attendance_rate"] == 100.0
    data = client.get(f"{API}/students", {**NOV, "date_from": "2026-11-10"}).json()
    assert data["items"][0]["attendance_rate"] is None


@pytest.mark.parametrize(
    "params",
    [{"group_by": "course"}, {"date_from": "2026-02-30"}, {"date_to": "tomorrow"},
     {"date_from": "2026-11-10", "date_to": "2026-11-01"}, {"school": 0}, {"q": "a\x00"}],
)  # fmt: skip
def test_given_bad_parameters_when_calling_the_api_then_422(
    world: Any, login: Any, day: Day, params: dict[str, Any]
) -> None:
    response = login(world.users["school_a"]).get(f"{API}/students", params)
    assert response.status_code == 422
    assert set(response.json()) == {"code", "message", "detail"}


@pytest.mark.parametrize("path", ["students", "teachers", "lessons"])
def test_given_a_teacher_when_calling_the_api_then_403(world: Any, login: Any, day: Day, path: str) -> None:
    assert login(world.users["teacher_a"]).get(f"{API}/{path}").status_code == 403
    assert login(world.users["parent"]).get(f"{API}/{path}").status_code == 403


def test_given_the_api_when_reading_teachers_and_lessons_then_check_ins_and_patrols(
    world: Any, login: Any, day: Day, checkins: Any
) -> None:
    PatrolFactory(lesson=day.lessons[0], patroller=world.users["school_a"], score_percent=70)
    client = login(world.users["school_a"])
    teachers = {t["teacher_name"]: t for t in client.get(f"{API}/teachers", NOV).json()["items"]}
    mine = teachers[str(day.teacher)]
    assert (mine["taught"], mine["on_time"], mine["late"], mine["flagged"], mine["leave"]) == (2, 1, 1, 1, 1)
    assert teachers["赵老师"]["missing"] == 1 and teachers["赵老师"]["organization"] == "海淀活动中心"
    lessons = client.get(f"{API}/lessons", NOV).json()["items"]
    assert [item["date"] for item in lessons] == ["2026-11-10", "2026-11-05", "2026-11-03"]
    third = lessons[2]
    assert (third["starts_at"][:5], third["expected"], third["patrols"], third["patrol_score"]) == ("15:40", 3, 1, 70.0)
    (check,) = third["teachers"]
    assert (check["in_distance_m"], check["out_flagged"], check["late"]) == (12, True, False)
    assert lessons[0]["patrol_score"] is None and lessons[1]["teachers"][0]["checked_in_at"] is None


def test_given_another_district_when_calling_the_api_then_none_of_school_a(
    world: Any, login: Any, day: Day, checkins: Any
) -> None:
    for key in ("bureau_b", "school_b", "school_a2"):
        client = login(world.users[key])
        students = client.get(f"{API}/students", {**NOV, "group_by": "school"}).json()["items"]
        assert "海淀实验小学" not in {row["label"] for row in students}, key
        assert client.get(f"{API}/teachers", NOV).json()["count"] == 0, key
        lessons = client.get(f"{API}/lessons", {**NOV, "school": world.school_a.pk}).json()
        assert lessons["count"] == 0, key
    bureau = login(world.users["bureau_a"]).get(f"{API}/students", {**NOV, "group_by": "school"}).json()
    assert [row["label"] for row in bureau["items"]] == ["海淀实验小学"]


# --- a constant number of queries ---------------------------------------------------------------------------


def _grow(world: Any, day: Day, *, classes: int, per_class: int, lessons: int) -> None:
    """More classes, students, a second section with its own lessons; every student marked on every lesson."""
    second = SectionFactory(school=world.school_a, term=day.section.term, name="合唱团", status="running")
    new_lessons = [
        LessonFactory(section=second, number=n, date=dt.date(2026, 11, 2 + n), teachers=[day.teacher])
        for n in range(1, lessons + 1)
    ]
    for c in range(classes):
        school_class = SchoolClassFactory(grade=day.school_class.grade, name=f"{c + 2}班")
        for i in range(per_class):
            student = StudentFactory(school_class=school_class, grade=school_class.grade, name=f"合唱{c}-{i}")
            EnrollmentFactory(section=second, student=student)
            for n, lesson in enumerate(new_lessons):
                StudentAttendanceFactory(lesson=lesson, student=student, status="late" if (i + n) % 5 else "absent")
        TeacherCheckinFactory(lesson=new_lessons[c % lessons], teacher=day.teacher, checked_in_at=at(2, 15))
    for lesson in new_lessons[:2]:
        PatrolFactory(lesson=lesson, patroller=world.users["school_a"])


MAX_QUERIES = 17


@pytest.mark.parametrize("size", [(1, 2, 2), (4, 6, 5)])
def test_given_a_bigger_school_when_opening_the_pages_then_a_small_constant_number_of_queries(
    world: Any, login: Any, day: Day, checkins: Any, django_assert_max_num_queries: Any, size: tuple[int, int, int]
) -> None:
    # The limit includes the base layout's own queries (session, actor, menu, the unread badge); what matters is that
    # it does not grow with the school (both sizes share it).
    classes, per_class, lessons = size
    _grow(world, day, classes=classes, per_class=per_class, lessons=lessons)
    client = login(world.users["school_a"])
    client.get(reverse("attendance:stats"))  # the session and the actor are cached from here on
    for group_by in ("student", "section", "class", "grade", "school", "date"):
        with django_assert_max_num_queries(MAX_QUERIES):
            response = client.get(reverse("attendance:stats"), {**NOV, "group_by": group_by, "page_size": 200})
        assert response.status_code == 200
    with django_assert_max_num_queries(MAX_QUERIES):
        assert client.get(reverse("attendance:teacher_stats"), NOV).status_code == 200
    with django_assert_max_num_queries(MAX_QUERIES):
        assert client.get(reverse("attendance:lesson_stats"), {**NOV, "page_size": 200}).status_code == 200
    data = client.get(f"{API}/students", {**NOV, "group_by": "class"}).json()
    assert data["count"] == classes + 1

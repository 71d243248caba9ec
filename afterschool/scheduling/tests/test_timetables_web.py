"""Timetable pages, the public iCalendar endpoint and the /api/v1/scheduling/ timetable and feed endpoints."""

from __future__ import annotations

import datetime as dt
import io
import re
from typing import Any

import pytest
from django.urls import reverse
from icalendar import Calendar
from openpyxl import load_workbook

from afterschool.accounts.models import AuditEvent
from afterschool.core.timeutil import local_today
from afterschool.scheduling.models import CalendarFeed
from afterschool.scheduling.tests.factories import LessonFactory
from afterschool.schools.tests.factories import TimetableEntryFactory

from .factories_timetables import build

pytestmark = pytest.mark.django_db

TIMETABLE = "/scheduling/timetable/"
API = "/api/v1/scheduling"


@pytest.fixture
def tt(world: Any) -> Any:
    return build(world)


def _lesson_ids(html: str) -> set[int]:
    return {int(m) for m in re.findall(r'data-lesson="(\d+)"', html)}


# --- the school timetable --------------------------------------------------------------------------------------


def test_week_view_shows_grid_and_phone_day_list_with_cancelled_struck(world, tt, login):  # type: ignore[no-untyped-def]
    response = login(world.users["school_a"]).get(TIMETABLE, {"date": "2026-09-09"})
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="week-grid"' in html and 'data-testid="day-list"' in html
    assert _lesson_ids(html) == {tt.tue.pk, tt.thu_cancelled.pk, tt.wed.pk}
    assert "美术走班A" in html and "美术教室" in html and "15:40–16:40" in html
    cancelled = html[html.index(f'data-lesson="{tt.thu_cancelled.pk}"') :][:600]
    assert "<s>" in cancelled and "已停课" in cancelled
    assert "2026-09-07 至 2026-09-13" in html
    assert "date=2026-08-31" in html and "date=2026-09-14" in html  # prev / next week
    assert "data-print" in html and "js/timetables.js" in html and "<script>" not in html


def test_month_view_shows_the_calendar_of_the_month(world, tt, login):  # type: ignore[no-untyped-def]
    html = login(world.users["school_a"]).get(TIMETABLE, {"view": "month", "date": "2026-10-15"}).content.decode()
    assert 'data-testid="month-grid"' in html and "2026 年 10 月" in html
    assert _lesson_ids(html) == {tt.next_month.pk}
    assert "date=2026-09-01" in html and "date=2026-11-01" in html


def test_page_filters_narrow_and_bad_ones_are_ignored(world, tt, login):  # type: ignore[no-untyped-def]
    client = login(world.users["school_a"])
    html = client.get(TIMETABLE, {"date": "2026-09-09", "venue": tt.venue2.pk}).content.decode()
    assert _lesson_ids(html) == {tt.wed.pk}
    html = client.get(TIMETABLE, {"date": "2026-09-09", "class": tt.class2.pk}).content.decode()
    assert _lesson_ids(html) == {tt.tue.pk, tt.thu_cancelled.pk}
    response = client.get(TIMETABLE, {"date": "bad", "venue": "x' or 1=1"})
    assert response.status_code == 200 and "部分筛选条件无效" in response.content.decode()


def test_school_admin_gets_a_student_picker_of_its_school(world, tt, login):  # type: ignore[no-untyped-def]
    html = login(world.users["school_a"]).get(TIMETABLE, {"date": "2026-09-09"}).content.decode()
    assert 'data-testid="student-picker"' in html and "小明" in html and "小红" in html
    html = login(world.users["school_a"]).get(TIMETABLE, {"date": "2026-09-09", "student": tt.child.pk}).content
    assert _lesson_ids(html.decode()) == {tt.tue.pk, tt.thu_cancelled.pk}


def test_other_school_admin_sees_none_of_school_a_even_when_asking(world, tt, login):  # type: ignore[no-untyped-def]
    client = login(world.users["school_a2"])
    html = client.get(TIMETABLE, {"date": "2026-09-09", "school": world.school_a.pk}).content.decode()
    assert _lesson_ids(html) == set() and "小明" not in html
    html = client.get(TIMETABLE, {"date": "2026-09-09"}).content.decode()
    assert _lesson_ids(html) == {tt.a2_lesson.pk}


def test_bureau_picks_a_school(world, tt, login):  # type: ignore[no-untyped-def]
    client = login(world.users["bureau_a"])
    html = client.get(TIMETABLE, {"date": "2026-09-09"}).content.decode()
    assert _lesson_ids(html) == {tt.tue.pk, tt.thu_cancelled.pk, tt.wed.pk, tt.a2_lesson.pk}
    assert "海淀二小" in html and "朝阳实验小学" not in html
    html = client.get(TIMETABLE, {"date": "2026-09-09", "school": world.school_a2.pk}).content.decode()
    assert _lesson_ids(html) == {tt.a2_lesson.pk}


def test_page_export_is_xlsx_and_audited(world, tt, login):  # type: ignore[no-untyped-def]
    response = login(world.users["school_a"]).get(TIMETABLE, {"date": "2026-09-09", "export": "xlsx"})
    assert response.status_code == 200 and "spreadsheetml" in response["Content-Type"]
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert len(rows) == 4 and {r[6] for r in rows[1:]} == {"美术走班A", "机器人原班"}
    event = AuditEvent.objects.filter(event="export").latest("pk")
    assert event.detail["start"] == "2026-09-07" and event.username == "school_a"


def test_anonymous_is_sent_to_login(world, tt, client):  # type: ignore[no-untyped-def]
    assert client.get(TIMETABLE).status_code == 302


# --- my timetable ----------------------------------------------------------------------------------------------


def test_teachers_my_timetable_shows_course_chapter_and_group(world, tt, login):  # type: ignore[no-untyped-def]
    html = login(world.users["teacher_a"]).get(reverse("scheduling:my_timetable"), {"date": "2026-09-08"})
    text = html.content.decode()
    assert _lesson_ids(text) == {tt.tue.pk, tt.thu_cancelled.pk}
    assert "创意美术" in text and "第 1 章 认识色彩" in text and "美术走班A" in text


def test_org_teachers_my_timetable_names_the_class_of_a_class_section(world, tt, login):  # type: ignore[no-untyped-def]
    text = login(world.users["orgteacher_a"]).get(reverse("scheduling:my_timetable"), {"date": "2026-09-08"})
    html = text.content.decode()
    assert _lesson_ids(html) == {tt.wed.pk} and "三年级1班" in html


def test_parent_switches_between_its_children_only(world, tt, login):  # type: ignore[no-untyped-def]
    from afterschool.enrollment.tests.factories import EnrollmentFactory
    from afterschool.schools.tests.factories import StudentFactory, StudentGuardianFactory

    second = StudentFactory(school_class=tt.class1, name="小刚")
    StudentGuardianFactory(student=second, guardian=tt.child.guardians.get())
    EnrollmentFactory(section=tt.class_section, student=second)
    client = login(world.users["parent"])
    url = reverse("scheduling:my_timetable")
    html = client.get(url, {"date": "2026-09-08"}).content.decode()
    assert 'data-testid="child-switcher"' in html and "小明" in html and "小刚" in html
    html = client.get(url, {"date": "2026-09-08", "child": tt.child.pk}).content.decode()
    assert _lesson_ids(html) == {tt.tue.pk, tt.thu_cancelled.pk}
    html = client.get(url, {"date": "2026-09-08", "child": second.pk}).content.decode()
    assert _lesson_ids(html) == {tt.wed.pk}
    assert client.get(url, {"child": tt.other_child.pk}).status_code == 404
    response = client.get(url, {"date": "2026-09-08", "child": tt.child.pk, "export": "xlsx"})
    assert response.status_code == 200 and AuditEvent.objects.filter(event="export", username="parent1").exists()


def test_student_sees_its_own_timetable(world, tt, login):  # type: ignore[no-untyped-def]
    html = login(world.users["student"]).get(reverse("scheduling:my_timetable"), {"date": "2026-09-08"})
    assert _lesson_ids(html.content.decode()) == {tt.tue.pk, tt.thu_cancelled.pk}


# --- class timetable -------------------------------------------------------------------------------------------


def test_class_timetable_shows_regular_and_after_school_side_by_side(world, tt, login):  # type: ignore[no-untyped-def]
    TimetableEntryFactory(school_class=tt.class1, weekday=3, period=1, subject="数学")
    client = login(world.users["teacher_a"])
    url = reverse("scheduling:class_timetable")
    html = client.get(url, {"class": tt.class1.pk, "date": "2026-09-09"}).content.decode()
    assert 'data-testid="regular-grid"' in html and "数学" in html and "学科常规课表" in html
    assert _lesson_ids(html) == {tt.wed.pk}
    response = client.get(url, {"class": tt.class1.pk, "date": "2026-09-09", "export": "xlsx"})
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert [r[0] for r in rows[1:]] == ["常规课", "课后服务"]
    assert AuditEvent.objects.filter(event="export", object_id=str(tt.class1.pk)).exists()


def test_class_timetable_of_another_school_is_404_and_parents_403(world, tt, login):  # type: ignore[no-untyped-def]
    url = reverse("scheduling:class_timetable")
    assert login(world.users["school_a2"]).get(url, {"class": tt.class1.pk}).status_code == 404
    assert login(world.users["parent"]).get(url).status_code == 403


# --- feeds pages and the public endpoint -----------------------------------------------------------------------


def _create_feed(client: Any, data: dict[str, Any] | None = None) -> str:
    response = client.post(reverse("scheduling:calendar_feeds"), data or {})
    assert response.status_code == 200
    match = re.search(r'data-testid="feed-url">([^<]+)<', response.content.decode())
    assert match is not None
    return match.group(1)


def test_teacher_subscribes_and_the_feed_serves_ics(world, tt, login, client):  # type: ignore[no-untyped-def]
    today = local_today()
    soon = LessonFactory(section=tt.walking, date=today + dt.timedelta(days=1), teachers=[world.users["teacher_a"]])
    gone = LessonFactory(section=tt.walking, date=today + dt.timedelta(days=2), status="cancelled",
                         teachers=[world.users["teacher_a"]])  # fmt: skip
    url = _create_feed(login(world.users["teacher_a"]))
    path = url.replace("http://testserver", "")
    assert path.startswith("/scheduling/feeds/") and path.endswith(".ics")
    response = client.get(path)
    assert response.status_code == 200 and response["Content-Type"].startswith("text/calendar")
    cal = Calendar.from_ical(response.content)
    events = {str(e["UID"]): e for e in cal.walk("VEVENT")}
    assert f"lesson-{soon.pk}@testserver" in events
    assert str(events[f"lesson-{gone.pk}@testserver"]["STATUS"]) == "CANCELLED"
    assert CalendarFeed.objects.get().last_used_at is not None
    assert AuditEvent.objects.filter(event="create").count() == 1  # fetches are not audited
    # The token is shown once: the list page no longer has it.
    listing = login(world.users["teacher_a"]).get(reverse("scheduling:calendar_feeds")).content.decode()
    assert path.split("/")[-1][:-4] not in listing


def test_revoked_or_unknown_feed_is_404(world, tt, login, client):  # type: ignore[no-untyped-def]
    teacher = login(world.users["teacher_a"])
    path = _create_feed(teacher).replace("http://testserver", "")
    feed = CalendarFeed.objects.get()
    revoke = reverse("scheduling:calendar_feed_revoke", args=[feed.pk])
    assert "确认停用" in teacher.get(revoke).content.decode()
    assert login(world.users["parent"]).post(revoke).status_code == 404
    assert teacher.post(revoke).status_code == 302
    assert client.get(path).status_code == 404
    assert client.get("/scheduling/feeds/cal_nope.ics").status_code == 404


def test_parent_feed_form_refuses_another_familys_child(world, tt, login):  # type: ignore[no-untyped-def]
    client = login(world.users["parent"])
    response = client.post(reverse("scheduling:calendar_feeds"), {"student": tt.other_child.pk})
    assert response.status_code == 422 and "请选择您的孩子" in response.content.decode()
    assert not CalendarFeed.objects.exists()
    _create_feed(client, {"student": tt.child.pk})
    assert CalendarFeed.objects.get().student == tt.child


def test_feed_page_is_for_teachers_and_families_only(world, tt, login):  # type: ignore[no-untyped-def]
    assert login(world.users["school_a"]).get(reverse("scheduling:calendar_feeds")).status_code == 403


def test_feed_fetch_is_throttled(world, tt, login, client, monkeypatch):  # type: ignore[no-untyped-def]
    from afterschool.scheduling.services import timetables as services

    monkeypatch.setattr(services, "FEED_FETCHES_PER_HOUR", 2)
    path = _create_feed(login(world.users["teacher_a"])).replace("http://testserver", "")
    assert [client.get(path).status_code for _ in range(3)] == [200, 200, 429]


# --- API -------------------------------------------------------------------------------------------------------


def test_api_timetable_lists_lessons_with_their_details(world, tt, login):  # type: ignore[no-untyped-def]
    response = login(world.users["school_a"]).get(
        f"{API}/timetable", {"start": "2026-09-07", "end": "2026-09-13", "venue": tt.venue1.pk}
    )
    assert response.status_code == 200
    items = {i["id"]: i for i in response.json()["items"]}
    assert set(items) == {tt.tue.pk, tt.thu_cancelled.pk}
    tue = items[tt.tue.pk]
    assert tue["course"]["name"] == "创意美术" and tue["chapter"]["title"] == "认识色彩"
    assert tue["venue"]["name"] == "美术教室" and tue["teachers"][0]["id"] == world.users["teacher_a"].pk
    assert items[tt.thu_cancelled.pk]["status"] == "cancelled"


def test_api_timetable_is_scoped_and_mine_works(world, tt, login):  # type: ignore[no-untyped-def]
    params = {"start": "2026-09-07", "end": "2026-09-13"}
    ids = {i["id"] for i in login(world.users["school_a2"]).get(f"{API}/timetable", params).json()["items"]}
    assert ids == {tt.a2_lesson.pk}
    ids = {i["id"] for i in login(world.users["parent"]).get(f"{API}/timetable", params).json()["items"]}
    assert ids == {tt.tue.pk, tt.thu_cancelled.pk}
    mine = login(world.users["teacher_a"]).get(f"{API}/timetable", {**params, "mine": "true"}).json()["items"]
    assert {i["id"] for i in mine} == {tt.tue.pk, tt.thu_cancelled.pk}


def test_api_window_beyond_62_days_or_reversed_is_422(world, tt, login):  # type: ignore[no-untyped-def]
    client = login(world.users["school_a"])
    assert client.get(f"{API}/timetable", {"start": "2026-09-01", "end": "2026-11-01"}).status_code == 200
    response = client.get(f"{API}/timetable", {"start": "2026-09-01", "end": "2026-11-02"})
    assert response.status_code == 422 and response.json()["code"] == "invalid"
    assert client.get(f"{API}/timetable", {"start": "2026-09-02", "end": "2026-09-01"}).status_code == 422
    assert client.get(f"{API}/timetable", {"start": "x", "end": "2026-09-01"}).status_code == 422
    assert client.get(f"{API}/timetable", {"start": "2026-09-01", "end": "2026-09-02", "venue": 0}).status_code == 422


def test_api_export_is_xlsx_and_audited(world, tt, login):  # type: ignore[no-untyped-def]
    response = login(world.users["bureau_a"]).get(
        f"{API}/timetable/export", {"start": "2026-09-07", "end": "2026-09-13", "school": world.school_a2.pk}
    )
    assert response.status_code == 200 and "spreadsheetml" in response["Content-Type"]
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert len(rows) == 2 and rows[1][6] == "二小合唱"
    assert AuditEvent.objects.filter(event="export", username="bureau_a").exists()


def test_api_feeds_create_list_revoke(world, tt, login, client):  # type: ignore[no-untyped-def]
    parent = login(world.users["parent"])
    refused = parent.post(f"{API}/feeds", {"student": tt.other_child.pk}, content_type="application/json")
    assert refused.status_code == 404
    created = parent.post(f"{API}/feeds", {"student": tt.child.pk}, content_type="application/json")
    assert created.status_code == 201
    body = created.json()
    assert body["student_id"] == tt.child.pk and body["url"].endswith(".ics")
    listed = parent.get(f"{API}/feeds").json()
    assert [f["id"] for f in listed["items"]] == [body["id"]] and "url" not in listed["items"][0]
    assert login(world.users["teacher_a"]).get(f"{API}/feeds").json()["count"] == 0
    assert login(world.users["teacher_a"]).post(f"{API}/feeds/{body['id']}/revoke").status_code == 404
    assert client.get(body["url"].replace("http://testserver", "")).status_code == 200
    revoked = parent.post(f"{API}/feeds/{body['id']}/revoke")
    assert revoked.status_code == 200 and revoked.json()["revoked_at"]
    assert client.get(body["url"].replace("http://testserver", "")).status_code == 404
    assert login(world.users["school_a"]).post(f"{API}/feeds", {}, content_type="application/json").status_code == 403

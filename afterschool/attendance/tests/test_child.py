"""The parent's attendance view (孩子考勤, §5.4.4): every lesson of each enrolled course with its status, current to the
minute; parents see only their own children, students themselves — page and API."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from afterschool.attendance.models import StudentAttendance
from afterschool.attendance.tests.factories import freeze, make_day
from afterschool.courses.tests.factories import ChapterFactory
from afterschool.enrollment.tests.factories import EnrollmentFactory
from afterschool.scheduling.tests.factories import LessonFactory, SectionFactory
from afterschool.schools.tests.factories import StudentFactory, StudentGuardianFactory, TermFactory

API = "/api/v1/attendance"
NOW = dt.datetime(2026, 11, 10, 16, 0)  # the 10 November lesson is under way


def at(when: dt.datetime) -> dt.datetime:
    return timezone.make_aware(when, timezone.get_default_timezone())


@pytest.fixture
def day(world: Any, monkeypatch: Any) -> Any:
    day = make_day(world)
    freeze(monkeypatch, NOW)
    StudentAttendance.objects.create(
        lesson=day.past, student=day.child, status="present",
        checked_in_at=at(dt.datetime(2026, 11, 3, 15, 41)), checked_out_at=at(dt.datetime(2026, 11, 3, 16, 42)),
    )  # fmt: skip
    cancelled = day.lessons[3]
    cancelled.status, cancelled.cancel_reason = "cancelled", "学校活动"
    cancelled.save(update_fields=["status", "cancel_reason"])
    day.past.chapter = ChapterFactory(course=day.section.course, number=1, title="认识色彩")
    day.past.save(update_fields=["chapter"])
    return day


def child_url(student: Any = None) -> str:
    return reverse("attendance:child", args=[student.pk]) if student is not None else reverse("attendance:child")


def statuses(html: str) -> list[str]:
    import re

    return re.findall(r'data-testid="lesson-status">([^<]+)<', html)


def test_parent_sees_every_lesson_with_its_status(day, login):
    response = login(day.world.users["parent"]).get(child_url(day.child))
    assert response.status_code == 200
    html = response.content.decode()
    assert statuses(html) == ["出勤", "未点名", "待上课", "已停课"]
    assert "签到 15:41 · 签退 16:42" in html
    assert "第 1 章 认识色彩" in html
    assert "11月3日 周二 15:40–16:40" in html
    assert "教师：" in html and str(day.teacher) in html
    assert day.section.course.name in html
    assert "出勤 1 / 已上 2" in html
    assert "停课原因：学校活动" in html
    assert 'hx-trigger="every 60s"' in html


def current_marks(html: str) -> list[str]:
    import re

    return re.findall(r'data-lesson="(\d+)">\s*<div class="child-lesson-head">\s*<strong>[^<]*</strong>\s*'
                      r'<span class="tag tag-current" data-testid="current-lesson">([^<]+)<', html)  # fmt: skip


def test_the_lesson_under_way_is_marked_today_and_offered_as_a_jump(day, login):
    html = login(day.world.users["parent"]).get(child_url(day.child)).content.decode()
    today = day.lessons[1]
    assert current_marks(html) == [(str(today.pk), "今天")]
    assert f'href="#lesson-{today.pk}"' in html and "跳到今天的课（11月10日）" in html
    assert f'id="lesson-{today.pk}"' in html


def test_after_the_lesson_ends_the_next_one_not_cancelled_is_marked(day, login, monkeypatch):
    freeze(monkeypatch, dt.datetime(2026, 11, 10, 16, 40))  # the 10 November lesson has just ended
    html = login(day.world.users["parent"]).get(child_url(day.child)).content.decode()
    following = day.lessons[2]
    assert following.status != "cancelled" and following.date > dt.date(2026, 11, 10)
    assert current_marks(html) == [(str(following.pk), "下次课")]
    assert "跳到下次课（" in html


def test_when_every_lesson_is_over_or_cancelled_nothing_is_marked(day, login, monkeypatch):
    freeze(monkeypatch, dt.datetime(2027, 3, 1, 8, 0))
    html = login(day.world.users["parent"]).get(child_url(day.child)).content.decode()
    assert current_marks(html) == [] and 'data-testid="jump-current"' not in html


def test_children_page_picks_the_first_child_and_switches(day, login):
    second = StudentFactory(school_class=day.school_class, name="阿二")
    EnrollmentFactory(section=day.section, student=second)
    guardian = day.child.guardians.get()
    StudentGuardianFactory(student=second, guardian=guardian)
    client = login(day.world.users["parent"])
    html = client.get(child_url()).content.decode()
    assert 'data-testid="child-switcher"' in html
    assert f"{day.child.name} 的考勤" in html  # the first by name
    assert child_url(second) in html
    html = client.get(child_url(second)).content.decode()
    assert "阿二 的考勤" in html
    assert statuses(html) == ["未点名", "未点名", "待上课", "已停课"]


def test_a_parent_asking_for_another_child_gets_404(day, login):
    client = login(day.world.users["parent"])
    assert client.get(child_url(day.students[1])).status_code == 404
    assert client.get(f"{API}/children/{day.students[1].pk}/lessons").status_code == 404
    assert client.get(reverse("attendance:child", args=[10**12])).status_code == 404


def test_a_student_sees_itself_only(day, login):
    student_user = day.world.users["student"]
    day.students[1].user = student_user
    day.students[1].save(update_fields=["user"])
    client = login(student_user)
    html = client.get(child_url()).content.decode()
    assert f"{day.students[1].name} 的考勤" in html
    assert statuses(html) == ["未点名", "未点名", "待上课", "已停课"]
    assert client.get(child_url(day.child)).status_code == 404


def test_the_list_refreshes_as_a_partial(day, login):
    client = login(day.world.users["parent"])
    response = client.get(child_url(day.child), HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="child-courses"') and "<html" not in html
    StudentAttendance.objects.create(lesson=day.today, student=day.child, status="late", checked_in_at=at(NOW))
    html = client.get(child_url(day.child), HTTP_HX_REQUEST="true").content.decode()
    assert statuses(html) == ["出勤", "迟到", "待上课", "已停课"]  # no caching
    assert "出勤 2 / 已上 2 · 迟到 1" in html


def test_a_parent_without_children_is_told(world, login):
    html = login(world.users["parent"]).get(child_url()).content.decode()
    assert "还没有关联的学生" in html


def test_other_roles_have_no_child_view(day, login):
    assert login(day.teacher).get(child_url()).status_code == 403
    assert login(day.world.users["school_a"]).get(child_url(day.child)).status_code == 403


def test_a_withdrawn_course_of_the_current_term_shows_the_lessons_until_leaving(day, login):
    enrollment = day.child.enrollments.get(section=day.section)
    enrollment.status, enrollment.ended_at = "withdrawn", at(dt.datetime(2026, 11, 12, 9, 0))
    enrollment.save(update_fields=["status", "ended_at"])
    html = login(day.world.users["parent"]).get(child_url(day.child)).content.decode()
    assert "已退课" in html
    assert statuses(html) == ["出勤", "未点名"]


def test_a_finished_section_of_an_earlier_term_is_not_shown(day, login):
    old_term = TermFactory(school=day.school, academic_year=2025, term_number=2,
                           starts_on=dt.date(2026, 2, 20), ends_on=dt.date(2026, 7, 10))  # fmt: skip
    old = SectionFactory(school=day.school, term=old_term, name="春季书法", status="finished")
    LessonFactory(section=old, date=dt.date(2026, 3, 3))
    EnrollmentFactory(section=old, student=day.child)
    html = login(day.world.users["parent"]).get(child_url(day.child)).content.decode()
    assert old.course.name not in html
    assert len(statuses(html)) == 4


# --- API ----------------------------------------------------------------------------------------------------------


def test_api_lists_the_childs_lessons_paged_and_filtered(day, login):
    client = login(day.world.users["parent"])
    response = client.get(f"{API}/children/{day.child.pk}/lessons")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 4
    assert [(i["lesson"]["date"], i["status"], i["status_label"]) for i in body["items"]] == [
        ("2026-11-03", "present", "出勤"),
        ("2026-11-10", "unmarked", "未点名"),
        ("2026-11-17", "upcoming", "待上课"),
        ("2026-11-24", "cancelled", "已停课"),
    ]
    first = body["items"][0]
    assert first["lesson"]["chapter"] == "第 1 章 认识色彩" and first["lesson"]["weekday"] == "周二"
    assert first["checked_in_at"] in ("2026-11-03T07:41:00Z", "2026-11-03T15:41:00+08:00")

    body = client.get(f"{API}/children/{day.child.pk}/lessons", {"start": "2026-11-10", "end": "2026-11-17"}).json()
    assert [i["lesson"]["date"] for i in body["items"]] == ["2026-11-10", "2026-11-17"]
    body = client.get(f"{API}/children/{day.child.pk}/lessons", {"page_size": 3, "page": 2}).json()
    assert (body["count"], body["num_pages"], len(body["items"])) == (4, 2, 1)
    body = client.get(f"{API}/children/{day.child.pk}/lessons", {"section": day.other_section.pk}).json()
    assert body["count"] == 0
    response = client.get(f"{API}/children/{day.child.pk}/lessons", {"start": "2026-11-17", "end": "2026-11-10"})
    assert response.status_code == 422


def test_api_refuses_other_roles_and_other_children(day, login):
    assert login(day.teacher).get(f"{API}/children/{day.child.pk}/lessons").status_code == 404
    assert login(day.world.users["school_b"]).get(f"{API}/children/{day.child.pk}/lessons").status_code == 404

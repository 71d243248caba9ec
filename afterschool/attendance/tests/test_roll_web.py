"""Pages of the roll: a teacher's day (今日课程), the school's day, the roll page with its one-tap htmx marks."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse

from afterschool.attendance.models import StudentAttendance
from afterschool.attendance.tests.factories import TeacherCheckinFactory, freeze, make_day
from afterschool.courses.tests.factories import ChapterFactory
from afterschool.schools.tests.factories import StudentFactory

DURING = dt.datetime(2026, 11, 10, 15, 45)
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def day(world: Any) -> Any:
    return make_day(world)


def client_of(day: Any, login: Any, key: str) -> Any:
    return login(day.world.users[key])


def lesson_url(lesson: Any, name: str = "attendance:lesson") -> str:
    return reverse(name, args=[lesson.pk])


# --- today ------------------------------------------------------------------------------------------------------


def test_teacher_today_shows_todays_cards_with_progress_and_the_next_week(day, login, monkeypatch):
    freeze(monkeypatch, DURING)
    StudentAttendance.objects.create(lesson=day.today, student=day.child, status="present")
    TeacherCheckinFactory(lesson=day.today, teacher=day.teacher)
    response = client_of(day, login, "teacher_a").get(reverse("attendance:today"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "今日课程" in html
    assert "已点名 1/3" in html
    assert "已签到" in html
    assert lesson_url(day.today) in html
    assert "三年级1班" in html and "美术教室" in html
    assert "接下来 7 天" in html and lesson_url(day.future) in html  # 17 November
    assert lesson_url(day.lessons[3]) not in html  # 24 November: beyond the week
    assert lesson_url(day.past) not in html


def test_teacher_today_without_lessons_says_so(day, login, monkeypatch):
    freeze(monkeypatch, dt.datetime(2026, 11, 11, 9, 0))
    html = client_of(day, login, "teacher_a").get(reverse("attendance:today")).content.decode()
    assert "今天没有课。" in html
    assert lesson_url(day.future) in html


def test_school_admin_picks_a_day_and_sees_the_schools_lessons(day, login, monkeypatch):
    freeze(monkeypatch, DURING)
    client = client_of(day, login, "school_a")
    html = client.get(reverse("attendance:today")).content.decode()
    assert lesson_url(day.today) in html and "教师签到 0/1" in html
    html = client.get(reverse("attendance:today"), {"date": "2026-11-17"}).content.decode()
    assert lesson_url(day.future) in html and lesson_url(day.today) not in html
    assert "11月17日课程" in html
    response = client.get(reverse("attendance:today"), {"date": "not-a-date"})
    assert response.status_code == 200 and "请填写有效的日期" in response.content.decode()


def test_another_schools_admin_does_not_see_the_lessons(day, login, monkeypatch):
    freeze(monkeypatch, DURING)
    html = client_of(day, login, "school_b").get(reverse("attendance:today")).content.decode()
    assert lesson_url(day.today) not in html
    assert lesson_url(day.other_lesson) in html


def test_a_parent_has_no_teachers_day(day, login, monkeypatch):
    freeze(monkeypatch, DURING)
    assert client_of(day, login, "parent").get(reverse("attendance:today")).status_code == 403


# --- the roll page ----------------------------------------------------------------------------------------------


def test_roll_page_shows_the_header_roster_and_tap_buttons(day, login, monkeypatch):
    freeze(monkeypatch, DURING)
    day.today.chapter = ChapterFactory(course=day.section.course, number=2, title="色彩的冷暖")
    day.today.save(update_fields=["chapter"])
    response = client_of(day, login, "teacher_a").get(lesson_url(day.today))
    assert response.status_code == 200
    html = response.content.decode()
    assert day.section.course.name in html and "第 2 章 色彩的冷暖" in html
    assert "15:40–16:40" in html and "美术教室" in html
    for student in day.students:
        assert student.name in html
    for label in ("出勤", "迟到", "缺勤", "早退", "请假"):
        assert f">{label}</button>" in html
    assert "未点名的全部出勤" in html and "全部签退" in html
    assert "已点名 0/3" in html
    assert "disabled" not in html


def test_roll_page_before_the_window_names_the_opening_and_disables_the_buttons(day, login, monkeypatch):
    freeze(monkeypatch, dt.datetime(2026, 11, 10, 14, 0))
    html = client_of(day, login, "teacher_a").get(lesson_url(day.today)).content.decode()
    assert "课次尚未开始，15:25 起可点名" in html
    assert "disabled" in html and "未点名的全部出勤" not in html


def test_one_tap_saves_and_rerenders_the_row_and_counts(day, login, monkeypatch):
    freeze(monkeypatch, DURING)
    client = client_of(day, login, "teacher_a")
    response = client.post(
        lesson_url(day.today, "attendance:lesson_mark"), {"student": day.child.pk, "status": "late"}, **HTMX
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert f'id="roll-row-{day.child.pk}"' in html
    assert 'value="late" class="btn roll-btn btn-primary" aria-pressed="true"' in html
    assert "签到 15:45" in html
    assert 'id="roll-counts" class="roll-counts" hx-swap-oob="true"' in html and "已点名 1/3" in html
    assert StudentAttendance.objects.get(lesson=day.today, student=day.child).status == "late"


def test_a_refused_tap_shows_the_reason_in_the_row(day, login, monkeypatch):
    freeze(monkeypatch, dt.datetime(2026, 11, 10, 15, 0))
    client = client_of(day, login, "teacher_a")
    response = client.post(
        lesson_url(day.today, "attendance:lesson_mark"), {"student": day.child.pk, "status": "present"}, **HTMX
    )
    assert "课次尚未开始，15:25 起可点名" in response.content.decode()
    response = client.post(
        lesson_url(day.today, "attendance:lesson_mark"), {"student": day.child.pk, "status": "nope"}, **HTMX
    )
    assert "考勤状态应为" in response.content.decode()
    assert not StudentAttendance.objects.exists()


def test_a_tap_for_a_student_not_on_the_roll_answers_with_the_roster(day, login, monkeypatch):
    freeze(monkeypatch, DURING)
    outsider = StudentFactory(school_class=day.school_class)  # of the school, not of this section
    response = client_of(day, login, "teacher_a").post(
        lesson_url(day.today, "attendance:lesson_mark"), {"student": outsider.pk, "status": "present"}, **HTMX
    )
    assert response.status_code == 200
    assert response.headers["HX-Retarget"] == "#roster"
    assert f"不在本课次的点名名单中：{outsider.name}" in response.content.decode()


def test_bulk_buttons_mark_the_unmarked_and_check_everyone_out(day, login, monkeypatch):
    freeze(monkeypatch, DURING)
    client = client_of(day, login, "teacher_a")
    client.post(lesson_url(day.today, "attendance:lesson_mark"), {"student": day.child.pk, "status": "absent"}, **HTMX)
    html = client.post(lesson_url(day.today, "attendance:lesson_mark_all"), **HTMX).content.decode()
    assert 'id="roster"' in html and "已点名 3/3" in html
    statuses = dict(StudentAttendance.objects.filter(lesson=day.today).values_list("student_id", "status"))
    assert statuses == {day.child.pk: "absent", day.students[1].pk: "present", day.students[2].pk: "present"}
    freeze(monkeypatch, dt.datetime(2026, 11, 10, 16, 40))
    html = client.post(lesson_url(day.today, "attendance:lesson_checkout"), **HTMX).content.decode()
    assert "已签退 2" in html
    html = client.post(lesson_url(day.today, "attendance:lesson_mark_all"), **HTMX).content.decode()
    assert "所有学生都已点名" in html


def test_one_students_check_out_rerenders_its_row(day, login, monkeypatch):
    freeze(monkeypatch, DURING)
    client = client_of(day, login, "teacher_a")
    client.post(lesson_url(day.today, "attendance:lesson_mark"), {"student": day.child.pk, "status": "present"})
    html = client.post(
        lesson_url(day.today, "attendance:lesson_checkout"), {"student": day.child.pk}, **HTMX
    ).content.decode()
    assert f'id="roll-row-{day.child.pk}"' in html and "签退 15:45" in html


def test_without_htmx_a_tap_redirects_back_with_a_message(day, login, monkeypatch):
    freeze(monkeypatch, DURING)
    client = client_of(day, login, "teacher_a")
    response = client.post(
        lesson_url(day.today, "attendance:lesson_mark"), {"student": day.child.pk, "status": "present"}
    )
    assert response.status_code == 302 and response.url == lesson_url(day.today)
    html = client.get(response.url).content.decode()
    assert "已保存" in html and "已点名 1/3" in html


def test_the_roll_of_another_school_or_section_is_not_found(day, login, monkeypatch):
    freeze(monkeypatch, DURING)
    assert client_of(day, login, "teacher_a").get(lesson_url(day.other_lesson)).status_code == 404
    assert client_of(day, login, "school_b").get(lesson_url(day.today)).status_code == 404
    assert client_of(day, login, "orgteacher_a").get(lesson_url(day.today)).status_code == 404
    assert client_of(day, login, "parent").get(lesson_url(day.today)).status_code == 404
    response = client_of(day, login, "school_b").post(
        lesson_url(day.today, "attendance:lesson_mark"), {"student": day.child.pk, "status": "present"}
    )
    assert response.status_code == 404
    assert not StudentAttendance.objects.exists()


def test_school_admin_and_org_teacher_of_the_lesson_open_the_roll(day, login, monkeypatch):
    freeze(monkeypatch, DURING)
    day.today.teachers.add(day.world.users["orgteacher_a"])
    assert client_of(day, login, "school_a").get(lesson_url(day.today)).status_code == 200
    assert client_of(day, login, "orgteacher_a").get(lesson_url(day.today)).status_code == 200


def test_a_cancelled_lessons_roll_is_not_found_and_its_card_says_cancelled(day, login, monkeypatch):
    freeze(monkeypatch, DURING)
    day.today.status = "cancelled"
    day.today.save(update_fields=["status"])
    client = client_of(day, login, "teacher_a")
    assert client.get(lesson_url(day.today)).status_code == 404
    html = client.get(reverse("attendance:today")).content.decode()
    assert "已停课" in html and lesson_url(day.today) not in html

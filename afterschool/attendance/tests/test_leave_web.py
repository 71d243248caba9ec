"""Leave pages (family request and list, review with htmx, teacher leave and the school's decision) and the API
(/api/v1/attendance/leave-requests, /teacher-leaves): roles, scoping (404), Chinese errors, status codes, shape."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse

from afterschool.accounts.choices import Role
from afterschool.accounts.models import AuditEvent
from afterschool.accounts.tests.factories import MembershipFactory, UserFactory
from afterschool.attendance.models import LeaveRequest, StudentAttendance, TeacherLeave
from afterschool.attendance.tests.factories import LeaveRequestFactory, T, TeacherLeaveFactory, freeze, make_day
from afterschool.scheduling.tests.factories import LessonFactory, SectionFactory
from afterschool.schools.tests.factories import StaffFactory

API = "/api/v1/attendance"
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def day(world: Any, monkeypatch: Any) -> Any:
    freeze(monkeypatch, dt.datetime(2026, 11, 9, 10, 0))
    return make_day(world)


@pytest.fixture
def clients(day: Any, login: Any) -> Any:
    users = day.world.users
    return {key: login(users[key]) for key in ("parent", "teacher_a", "school_a", "school_b", "bureau_a")}


def _pending(day: Any, *lessons: Any) -> LeaveRequest:
    return LeaveRequestFactory(
        student=day.child, section=day.section, lessons=list(lessons or [day.future]),
        requested_by=day.world.users["parent"],
    )  # fmt: skip


def _post(client: Any, url: str, body: Any = None) -> Any:
    return client.post(url, body if body is not None else "", content_type="application/json")


def _user_with(role: str, **scope: Any) -> Any:
    user = UserFactory()
    MembershipFactory(user=user, role=role, **scope)
    return user


# --- the family's pages ----------------------------------------------------------------------------------------


def test_parent_sees_the_childs_upcoming_lessons_as_checkboxes(day: Any, clients: Any) -> None:
    response = clients["parent"].get(reverse("attendance:leave_new"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "学生1" in html and "少儿创意美术" in html
    assert "11月10日 周二 15:40–16:40" in html and "11月24日 周二 15:40–16:40" in html
    assert "11月3日" not in html  # past lesson
    assert f'name="lessons" value="{day.future.pk}"' in html


def test_parent_submits_leave_and_lands_on_its_list(day: Any, clients: Any) -> None:
    url = reverse("attendance:leave_new") + f"?student={day.child.pk}"
    response = clients["parent"].post(url, {"lessons": [day.future.pk, day.lessons[3].pk], "reason": "外出比赛"})
    assert response.status_code == 302 and response.url == reverse("attendance:my_leaves")
    leave = LeaveRequest.objects.get()
    assert sorted(leave.lessons.values_list("pk", flat=True)) == sorted([day.future.pk, day.lessons[3].pk])
    mine = clients["parent"].get(reverse("attendance:my_leaves")).content.decode()
    assert "待审批" in mine and "外出比赛" in mine and "11月17日 15:40" in mine
    assert reverse("attendance:leave_withdraw", args=[leave.pk]) in mine and "data-confirm" in mine


def test_leave_form_shows_chinese_errors(day: Any, clients: Any, monkeypatch: Any) -> None:
    url = reverse("attendance:leave_new") + f"?student={day.child.pk}"
    no_reason = clients["parent"].post(url, {"lessons": [day.future.pk], "reason": ""})
    assert no_reason.status_code == 200 and "请填写请假原因" in no_reason.content.decode()
    no_lessons = clients["parent"].post(url, {"reason": "病"})
    assert "请选择要请假的课次" in no_lessons.content.decode()
    freeze(monkeypatch, dt.datetime(2026, 11, 10, 15, 41))
    started = clients["parent"].post(url, {"lessons": [day.today.pk], "reason": "病"})
    assert "11月10日 15:40 的课已开始，不能请假" in started.content.decode()
    assert not LeaveRequest.objects.exists()


def test_parent_of_another_child_gets_404_and_staff_403(day: Any, clients: Any, login: Any) -> None:
    stranger = login(_user_with(Role.PARENT))
    assert stranger.get(reverse("attendance:leave_new") + f"?student={day.child.pk}").status_code == 404
    assert stranger.get(reverse("attendance:leave_new") + "?student=abc").status_code == 404
    leave = _pending(day)
    assert stranger.get(reverse("attendance:leave_withdraw", args=[leave.pk])).status_code == 404
    assert stranger.post(reverse("attendance:leave_withdraw", args=[leave.pk])).status_code == 404
    assert clients["teacher_a"].get(reverse("attendance:leave_new")).status_code == 403


def test_parent_withdraws_after_confirming(day: Any, clients: Any) -> None:
    leave = _pending(day)
    url = reverse("attendance:leave_withdraw", args=[leave.pk])
    confirm = clients["parent"].get(url)
    assert confirm.status_code == 200 and "确认撤回" in confirm.content.decode()
    leave.refresh_from_db()
    assert leave.status == "pending"
    assert clients["parent"].post(url).status_code == 302
    leave.refresh_from_db()
    assert leave.status == "withdrawn"
    again = clients["parent"].get(url).content.decode()
    assert "只能撤回待审批的申请" in again
    assert clients["teacher_a"].post(reverse("attendance:leave_withdraw", args=[_pending(day).pk])).status_code == 403


# --- review ----------------------------------------------------------------------------------------------------


def test_review_page_lists_the_schools_requests_for_admin_and_teacher(day: Any, clients: Any) -> None:
    leave = _pending(day)
    foreign = LeaveRequestFactory(student=day.students[2], section=day.other_section, lessons=[day.other_lesson])
    for key in ("school_a", "teacher_a", "bureau_a"):
        html = clients[key].get(reverse("attendance:leaves")).content.decode()
        assert f'id="leave-{leave.pk}"' in html, key
        assert f'id="leave-{foreign.pk}"' not in html, key
    assert "批准" in clients["teacher_a"].get(reverse("attendance:leaves")).content.decode()
    assert (
        reverse("attendance:leave_approve", args=[leave.pk])
        not in clients["bureau_a"].get(reverse("attendance:leaves")).content.decode()
    )
    school_b = clients["school_b"].get(reverse("attendance:leaves")).content.decode()
    assert f'id="leave-{leave.pk}"' not in school_b and f'id="leave-{foreign.pk}"' in school_b
    assert clients["parent"].get(reverse("attendance:leaves")).status_code == 403


def test_review_filters_and_htmx_table(day: Any, clients: Any) -> None:
    leave = _pending(day)
    other = LeaveRequestFactory(student=day.students[1], section=day.section, lessons=[day.lessons[3]])
    url = reverse("attendance:leaves")
    html = clients["school_a"].get(url, {"q": "学生2"}, **HTMX).content.decode()
    assert "<html" not in html and f'id="leave-{other.pk}"' in html and f'id="leave-{leave.pk}"' not in html
    by_date = clients["school_a"].get(url, {"date": "2026-11-17"}).content.decode()
    assert f'id="leave-{leave.pk}"' in by_date and f'id="leave-{other.pk}"' not in by_date
    bad = clients["school_a"].get(url, {"date": "not-a-date"})
    assert bad.status_code == 200 and "请填写正确的日期" in bad.content.decode()


def test_one_tap_approve_with_htmx_returns_the_row(day: Any, clients: Any) -> None:
    leave = _pending(day)
    response = clients["teacher_a"].post(reverse("attendance:leave_approve", args=[leave.pk]), **HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert f'id="leave-{leave.pk}"' in html and "已批准" in html and "<html" not in html
    assert StudentAttendance.objects.get(student=day.child, lesson=day.future).status == "leave"
    twice = clients["school_a"].post(reverse("attendance:leave_approve", args=[leave.pk]), **HTMX)
    assert "该请假申请已批准，不能再审批" in twice.content.decode()


def test_reject_needs_a_reason(day: Any, clients: Any) -> None:
    leave = _pending(day)
    url = reverse("attendance:leave_reject", args=[leave.pk])
    empty = clients["school_a"].post(url, {"note": ""}, **HTMX)
    assert "驳回时请填写原因" in empty.content.decode()
    leave.refresh_from_db()
    assert leave.status == "pending"
    done = clients["school_a"].post(url, {"note": "名额已满"})
    assert done.status_code == 302
    leave.refresh_from_db()
    assert (leave.status, leave.decision_note) == ("rejected", "名额已满")
    assert clients["school_a"].get(url).status_code == 405


def test_teacher_of_another_section_and_another_school_get_404(day: Any, clients: Any, login: Any) -> None:
    leave = _pending(day)
    other_teacher = login(_user_with(Role.TEACHER, school=day.school))
    assert other_teacher.post(reverse("attendance:leave_approve", args=[leave.pk])).status_code == 404
    assert clients["school_b"].post(reverse("attendance:leave_approve", args=[leave.pk])).status_code == 404
    assert (
        clients["school_b"].post(reverse("attendance:leave_reject", args=[leave.pk]), {"note": "x"}).status_code == 404
    )
    assert clients["bureau_a"].post(reverse("attendance:leave_approve", args=[leave.pk])).status_code == 403
    leave.refresh_from_db()
    assert leave.status == "pending"


def test_review_export_is_xlsx_and_audited(day: Any, clients: Any) -> None:
    _pending(day)
    response = clients["school_a"].get(reverse("attendance:leaves"), {"export": "xlsx", "status": "pending"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    audit = AuditEvent.objects.get(event="export")
    assert audit.detail["what"] == "请假审批" and audit.detail["rows"] == 1


# --- teacher leave pages -----------------------------------------------------------------------------------------


def _substitute(day: Any) -> Any:
    user = UserFactory(display_name="李老师")
    StaffFactory(school=day.school, user=user, name="李老师")
    return user


def test_teacher_asks_leave_from_the_lesson_link(day: Any, clients: Any) -> None:
    url = reverse("attendance:teacher_leave_new", args=[day.future.pk])
    assert url == f"/attendance/lessons/{day.future.pk}/leave/"
    page = clients["teacher_a"].get(url)
    assert page.status_code == 200 and "11月17日 周二 15:40–16:40" in page.content.decode()
    assert "请填写请假原因" in clients["teacher_a"].post(url, {"reason": ""}).content.decode()
    assert clients["teacher_a"].post(url, {"reason": "外出培训"}).status_code == 302
    assert TeacherLeave.objects.get().reason == "外出培训"
    assert "已有待审批的请假申请" in clients["teacher_a"].get(url).content.decode()
    mine = clients["teacher_a"].get(reverse("attendance:my_leaves")).content.decode()
    assert "外出培训" in mine and "待审批" in mine
    other = reverse("attendance:teacher_leave_new", args=[day.other_lesson.pk])
    assert clients["teacher_a"].get(other).status_code == 404
    assert clients["school_a"].get(url).status_code == 403


def test_school_decides_a_teacher_leave_with_a_substitute(day: Any, clients: Any) -> None:
    leave = TeacherLeaveFactory(lesson=day.future, teacher=day.teacher)
    substitute = _substitute(day)
    listing = clients["school_a"].get(reverse("attendance:teacher_leaves")).content.decode()
    decide = reverse("attendance:teacher_leave_decide", args=[leave.pk])
    assert decide in listing
    page = clients["school_a"].get(decide).content.decode()
    assert "李老师" in page and "安排代课" in page
    missing = clients["school_a"].post(decide, {"action": "substitute"})
    assert "请选择代课教师" in missing.content.decode()
    done = clients["school_a"].post(decide, {"action": "substitute", "substitute": substitute.pk, "note": ""})
    assert done.status_code == 302
    assert list(day.future.teachers.values_list("pk", flat=True)) == [substitute.pk]
    assert clients["teacher_a"].get(decide).status_code == 403
    assert clients["school_b"].get(decide).status_code == 404
    assert clients["teacher_a"].get(reverse("attendance:teacher_leaves")).status_code == 403


def test_school_decide_shows_a_schedule_conflict_on_the_form(day: Any, clients: Any) -> None:
    leave = TeacherLeaveFactory(lesson=day.future, teacher=day.teacher)
    substitute = _substitute(day)
    busy = SectionFactory(school=day.school, term=day.section.term, status="running", name="合唱")
    LessonFactory(section=busy, date=day.future.date, starts_at=T(16, 0), ends_at=T(17, 0), teachers=[substitute])
    decide = reverse("attendance:teacher_leave_decide", args=[leave.pk])
    response = clients["school_a"].post(decide, {"action": "substitute", "substitute": substitute.pk})
    assert response.status_code == 200 and "时间冲突" in response.content.decode()
    leave.refresh_from_db()
    assert leave.status == "pending"


def test_school_decides_a_teacher_leave_by_cancelling(day: Any, clients: Any) -> None:
    leave = TeacherLeaveFactory(lesson=day.future, teacher=day.teacher)
    decide = reverse("attendance:teacher_leave_decide", args=[leave.pk])
    assert "驳回时请填写原因" in clients["school_a"].post(decide, {"action": "reject"}).content.decode()
    assert clients["school_a"].post(decide, {"action": "cancel", "note": "教师外出培训"}).status_code == 302
    day.future.refresh_from_db()
    assert (day.future.status, day.future.cancel_reason) == ("cancelled", "教师外出培训")
    export = clients["school_a"].get(reverse("attendance:teacher_leaves"), {"export": "xlsx"})
    assert export["Content-Type"].startswith("application/vnd.openxmlformats")


# --- API ----------------------------------------------------------------------------------------------------


def test_api_parent_creates_requests_one_per_section(day: Any, clients: Any) -> None:
    body = {"student_id": day.child.pk, "lesson_ids": [day.future.pk, day.lessons[3].pk], "reason": "外出比赛"}
    response = clients["parent"].post(f"{API}/leave-requests", body, content_type="application/json")
    assert response.status_code == 201
    [item] = response.json()
    assert item["student_name"] == "学生1" and item["status"] == "pending" and item["can_withdraw"] is True
    assert [x["starts_at"][:5] for x in item["lessons"]] == ["15:40", "15:40"]
    assert [x["date"] for x in item["lessons"]] == ["2026-11-17", "2026-11-24"]
    again = clients["parent"].post(f"{API}/leave-requests", body, content_type="application/json")
    assert again.status_code == 422 and again.json()["code"] == "already_covered"
    empty = clients["parent"].post(f"{API}/leave-requests", {**body, "lesson_ids": []}, content_type="application/json")
    assert empty.status_code == 422


def test_api_refuses_started_lesson_and_foreign_child(day: Any, clients: Any, login: Any, monkeypatch: Any) -> None:
    freeze(monkeypatch, dt.datetime(2026, 11, 10, 15, 41))
    body = {"student_id": day.child.pk, "lesson_ids": [day.today.pk], "reason": "病"}
    started = clients["parent"].post(f"{API}/leave-requests", body, content_type="application/json")
    assert started.status_code == 422
    assert started.json()["message"] == "11月10日 15:40 的课已开始，不能请假"
    stranger = login(_user_with(Role.PARENT))
    foreign = stranger.post(f"{API}/leave-requests", body, content_type="application/json")
    assert foreign.status_code == 404


def test_api_list_is_scoped_and_decisions_answer_with_codes(day: Any, clients: Any, login: Any) -> None:
    leave = _pending(day)
    foreign = LeaveRequestFactory(student=day.students[2], section=day.other_section, lessons=[day.other_lesson])
    assert [x["id"] for x in clients["parent"].get(f"{API}/leave-requests").json()["items"]] == [leave.pk]
    assert [x["id"] for x in clients["teacher_a"].get(f"{API}/leave-requests").json()["items"]] == [leave.pk]
    assert [x["id"] for x in clients["school_b"].get(f"{API}/leave-requests").json()["items"]] == [foreign.pk]
    assert clients["bureau_a"].get(f"{API}/leave-requests").json()["count"] == 1
    assert clients["school_b"].get(f"{API}/leave-requests/{leave.pk}").status_code == 404
    assert _post(clients["school_b"], f"{API}/leave-requests/{leave.pk}/approve").status_code == 404
    other_teacher = login(_user_with(Role.TEACHER, school=day.school))
    assert _post(other_teacher, f"{API}/leave-requests/{leave.pk}/approve").status_code == 404
    assert _post(clients["parent"], f"{API}/leave-requests/{leave.pk}/approve").status_code == 403
    no_reason = clients["teacher_a"].post(
        f"{API}/leave-requests/{leave.pk}/reject", {"reason": " "}, content_type="application/json"
    )
    assert no_reason.status_code == 422
    approved = clients["teacher_a"].post(
        f"{API}/leave-requests/{leave.pk}/approve", {"note": "好"}, content_type="application/json"
    )
    assert approved.status_code == 200
    assert (approved.json()["status"], approved.json()["decision_note"]) == ("approved", "好")
    assert _post(clients["school_a"], f"{API}/leave-requests/{leave.pk}/approve").status_code == 409
    assert _post(clients["parent"], f"{API}/leave-requests/{leave.pk}/withdraw").status_code == 409
    filtered = clients["school_a"].get(f"{API}/leave-requests", {"status": "pending"}).json()
    assert filtered["count"] == 0


def test_api_withdraw_by_the_family(day: Any, clients: Any) -> None:
    leave = _pending(day)
    assert _post(clients["teacher_a"], f"{API}/leave-requests/{leave.pk}/withdraw").status_code == 403
    done = _post(clients["parent"], f"{API}/leave-requests/{leave.pk}/withdraw")
    assert done.status_code == 200 and done.json()["status"] == "withdrawn"


def test_api_teacher_leaves(day: Any, clients: Any) -> None:
    created = clients["teacher_a"].post(
        f"{API}/teacher-leaves", {"lesson_id": day.future.pk, "reason": "培训"}, content_type="application/json"
    )
    assert created.status_code == 201 and created.json()["can_withdraw"] is True
    leave_id = created.json()["id"]
    twice = clients["teacher_a"].post(
        f"{API}/teacher-leaves", {"lesson_id": day.future.pk, "reason": "培训"}, content_type="application/json"
    )
    assert twice.status_code == 409
    foreign = clients["teacher_a"].post(
        f"{API}/teacher-leaves", {"lesson_id": day.other_lesson.pk, "reason": "培训"}, content_type="application/json"
    )
    assert foreign.status_code == 404
    assert clients["school_b"].get(f"{API}/teacher-leaves/{leave_id}").status_code == 404
    listing = clients["school_a"].get(f"{API}/teacher-leaves").json()
    assert [x["id"] for x in listing["items"]] == [leave_id] and listing["items"][0]["can_decide"] is True
    substitute = _substitute(day)
    no_sub = clients["school_a"].post(
        f"{API}/teacher-leaves/{leave_id}/approve", {"resolution": "substitute"}, content_type="application/json"
    )
    assert no_sub.status_code == 422 and no_sub.json()["detail"] == {"substitute": ["请选择代课教师"]}
    approved = clients["school_a"].post(
        f"{API}/teacher-leaves/{leave_id}/approve", {"resolution": "substitute", "substitute_id": substitute.pk},
        content_type="application/json",
    )  # fmt: skip
    assert approved.status_code == 200
    assert (approved.json()["resolution"], approved.json()["substitute_name"]) == ("substitute", "李老师")
    assert _post(clients["teacher_a"], f"{API}/teacher-leaves/{leave_id}/withdraw").status_code == 409


def test_api_teacher_leave_cancel_and_reject(day: Any, clients: Any) -> None:
    first = TeacherLeaveFactory(lesson=day.future, teacher=day.teacher)
    second = TeacherLeaveFactory(lesson=day.lessons[3], teacher=day.teacher)
    cancelled = clients["school_a"].post(
        f"{API}/teacher-leaves/{first.pk}/approve", {"resolution": "cancel"}, content_type="application/json"
    )
    assert cancelled.status_code == 200 and cancelled.json()["lesson"]["status"] == "cancelled"
    assert (
        clients["teacher_a"]
        .post(f"{API}/teacher-leaves/{second.pk}/approve", {"resolution": "cancel"}, content_type="application/json")
        .status_code
        == 403
    )
    rejected = clients["school_a"].post(
        f"{API}/teacher-leaves/{second.pk}/reject", {"reason": "人手不足"}, content_type="application/json"
    )
    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"

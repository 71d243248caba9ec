"""API of the roll: /api/v1/attendance/lessons/{id}/roll, /marks, /checkout and /today — shapes, status codes and
scoping (another school's lesson is a 404)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from afterschool.attendance.models import StudentAttendance
from afterschool.attendance.tests.factories import freeze, make_day

API = "/api/v1/attendance"
DURING = dt.datetime(2026, 11, 10, 15, 45)


@pytest.fixture
def day(world: Any) -> Any:
    return make_day(world)


def post(client: Any, path: str, data: Any) -> Any:
    return client.post(f"{API}{path}", data=data, content_type="application/json")


def test_roll_lists_the_students_with_status_and_the_window(day, login, monkeypatch):
    freeze(monkeypatch, DURING)
    StudentAttendance.objects.create(lesson=day.today, student=day.child, status="late")
    response = login(day.teacher).get(f"{API}/lessons/{day.today.pk}/roll")
    assert response.status_code == 200
    body = response.json()
    assert body["phase"] == "open"
    assert body["lesson"]["id"] == day.today.pk and body["lesson"]["starts_at"].startswith("15:40")
    assert body["lesson"]["teachers"] == [str(day.teacher)]
    assert body["counts"] == {"total": 3, "marked": 1, "attended": 1, "checked_out": 0, "by_status": {"late": 1}}
    assert [(s["name"], s["status"], s["status_label"]) for s in body["students"]] == [
        (day.child.name, "late", "迟到"),
        (day.students[1].name, None, "未点名"),
        (day.students[2].name, None, "未点名"),
    ]
    assert body["opens_at"].startswith("2026-11-10T15:25:00")


def test_marks_in_bulk_then_checkout(day, login, monkeypatch):
    freeze(monkeypatch, DURING)
    client = login(day.teacher)
    marks = [{"student_id": s.pk, "status": "present"} for s in day.students[:2]]
    marks.append({"student_id": day.students[2].pk, "status": "absent", "note": "未到校"})
    response = post(client, f"/lessons/{day.today.pk}/marks", {"marks": marks})
    assert response.status_code == 200
    body = response.json()
    assert body["changed"] == 3 and body["correction"] is False
    assert body["roll"]["counts"]["by_status"] == {"present": 2, "absent": 1}
    assert body["roll"]["students"][2]["note"] == "未到校"
    assert body["roll"]["students"][0]["checked_in_at"] is not None

    response = post(client, f"/lessons/{day.today.pk}/checkout", {})
    assert response.status_code == 200
    assert response.json()["changed"] == 2
    assert response.json()["roll"]["counts"]["checked_out"] == 2
    response = post(client, f"/lessons/{day.today.pk}/checkout", {"student_ids": [day.students[2].pk]})
    assert response.status_code == 422 and "未签到" in response.json()["detail"]["student_ids"][0]


def test_bad_marks_are_422_and_not_on_roll_is_422(day, login, monkeypatch):
    freeze(monkeypatch, DURING)
    client = login(day.teacher)
    url = f"/lessons/{day.today.pk}/marks"
    assert post(client, url, {"marks": [{"student_id": day.child.pk, "status": "gone"}]}).status_code == 422
    assert post(client, url, {"marks": []}).status_code == 422
    assert post(client, url, {"marks": [{"student_id": 0, "status": "present"}]}).status_code == 422
    response = post(client, url, {"marks": [{"student_id": 2**61, "status": "present"}]})
    assert response.status_code == 422 and response.json()["detail"]["student_id"]
    assert post(client, url, "not json").status_code in (400, 422)


def test_marking_before_the_window_is_409_with_the_time(day, login, monkeypatch):
    freeze(monkeypatch, dt.datetime(2026, 11, 10, 15, 0))
    response = post(
        login(day.teacher),
        f"/lessons/{day.today.pk}/marks",
        {"marks": [{"student_id": day.child.pk, "status": "present"}]},
    )
    assert response.status_code == 409
    assert response.json() == {
        "code": "roll_not_open",
        "message": "课次尚未开始，15:25 起可点名",
        "detail": {"opens": "2026-11-10T15:25:00"},
    }


@pytest.mark.parametrize("key", ["school_b", "parent", "orgteacher_a", "bureau_a"])
def test_another_schools_or_strangers_lesson_is_404(day, login, monkeypatch, key):
    freeze(monkeypatch, DURING)
    client = login(day.world.users[key])
    assert client.get(f"{API}/lessons/{day.today.pk}/roll").status_code == 404
    marks = {"marks": [{"student_id": day.child.pk, "status": "present"}]}
    assert post(client, f"/lessons/{day.today.pk}/marks", marks).status_code == 404
    assert post(client, f"/lessons/{day.today.pk}/checkout", {}).status_code == 404
    assert client.get(f"{API}/lessons/{2**70}/roll").status_code in (404, 422)
    assert not StudentAttendance.objects.exists()


def test_today_lists_my_lessons_and_the_schools_for_its_admin(day, login, monkeypatch):
    freeze(monkeypatch, DURING)
    response = login(day.teacher).get(f"{API}/today")
    assert response.status_code == 200
    body = response.json()
    assert [item["lesson"]["id"] for item in body] == [day.today.pk]
    assert body[0]["progress"] == "已点名 0/3" and body[0]["checkin"] == "未签到" and body[0]["state"] == "进行中"
    response = login(day.world.users["school_a"]).get(f"{API}/today", {"date": "2026-11-17"})
    assert [item["lesson"]["id"] for item in response.json()] == [day.future.pk]
    response = login(day.world.users["school_b"]).get(f"{API}/today")
    assert [item["lesson"]["id"] for item in response.json()] == [day.other_lesson.pk]
    assert login(day.world.users["parent"]).get(f"{API}/today").json() == []

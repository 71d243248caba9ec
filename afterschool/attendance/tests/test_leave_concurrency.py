"""Leave under concurrency, with real threads on their own PostgreSQL connections: two approvers deciding one request
at once (the request row lock: one decision, one 409), and two requests covering one lesson at once (the child's row
lock: one request, one refusal)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

from afterschool.attendance.models import LeaveRequest, StudentAttendance
from afterschool.attendance.services import leave as services
from afterschool.attendance.tests.factories import LeaveRequestFactory, freeze, make_day
from afterschool.core.tests.concurrency import race
from afterschool.notifications.models import Notification


def _race(jobs: list[Callable[[], Any]]) -> Counter[str]:
    return race(jobs)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_given_two_approvers_at_once_then_one_decision_and_one_conflict(world: Any, monkeypatch: Any) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs real concurrent connections (PostgreSQL)")
    freeze(monkeypatch, dt.datetime(2026, 11, 9, 10, 0))
    day = make_day(world)
    leave = LeaveRequestFactory(
        student=day.child, section=day.section, lessons=[day.future, day.lessons[3]],
        requested_by=world.users["parent"],
    )  # fmt: skip
    teacher, school = world.actor("teacher_a"), world.actor("school_a")
    results = _race(
        [
            lambda: services.leave_decide(actor=teacher, leave=leave, approve=True, note=""),
            lambda: services.leave_decide(actor=school, leave=leave, approve=False, note="不同意"),
        ]
    )
    assert results == Counter({"ok": 1, "leave_decided": 1})
    leave.refresh_from_db()
    assert leave.status in ("approved", "rejected")
    rows = StudentAttendance.objects.filter(student=day.child).count()
    assert rows == (2 if leave.status == "approved" else 0)
    assert Notification.objects.filter(kind="leave", recipient=world.users["parent"]).count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_given_two_requests_for_one_lesson_at_once_then_one_request(world: Any, monkeypatch: Any) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs real concurrent connections (PostgreSQL)")
    freeze(monkeypatch, dt.datetime(2026, 11, 9, 10, 0))
    day = make_day(world)
    parent = world.actor("parent")

    def ask() -> Any:
        return services.leave_request(actor=parent, student=day.child, lessons=[day.future], reason="发烧")

    results = _race([ask for _ in range(6)])
    assert results == Counter({"ok": 1, "already_covered": 5})
    assert LeaveRequest.objects.filter(student=day.child).count() == 1

"""One check-in per teacher and lesson under concurrency (PostgreSQL, real threads, each on its own connection):
the lesson row lock serialises the decision and the unique constraint is the last guard."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

import pytest
from django.db import connection

from afterschool.attendance import geo
from afterschool.attendance.models import TeacherCheckin
from afterschool.attendance.services.checkin import teacher_check_in, teacher_check_out
from afterschool.core.tests.concurrency import race

from .factories import CENTRE, freeze, make_day

LAT, LNG = CENTRE


def _race(calls: list[Any]) -> Counter[str]:
    return race(calls, label=lambda exc: f"{exc.status} {exc.code}")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_given_two_simultaneous_check_ins_then_exactly_one_row_and_one_409(world: Any, monkeypatch: Any) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs real concurrent connections (PostgreSQL)")
    day = make_day(world)
    freeze(monkeypatch, dt.datetime(2026, 11, 10, 15, 35))
    actor = world.actor("teacher_a")
    calls = [
        lambda: teacher_check_in(actor, day.today, LAT, LNG, 10),
        lambda: teacher_check_in(actor, day.today, geo.latitude_north_of(LAT, 20), LNG, 30),
    ]
    results = _race(calls)
    assert results == Counter({"ok": 1, "409 already_checked_in": 1})
    assert TeacherCheckin.objects.filter(lesson=day.today, teacher=day.teacher).count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_given_many_simultaneous_check_ins_and_outs_then_one_of_each(world: Any, monkeypatch: Any) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs real concurrent connections (PostgreSQL)")
    day = make_day(world)
    org_teacher = world.users["orgteacher_a"]
    day.today.teachers.add(org_teacher)
    freeze(monkeypatch, dt.datetime(2026, 11, 10, 15, 35))
    teacher, org = world.actor("teacher_a"), world.actor("orgteacher_a")
    results = _race([lambda a=a: teacher_check_in(a, day.today, LAT, LNG, 10) for a in [teacher, org] * 5])
    assert results == Counter({"ok": 2, "409 already_checked_in": 8})
    assert TeacherCheckin.objects.filter(lesson=day.today).count() == 2
    freeze(monkeypatch, dt.datetime(2026, 11, 10, 16, 45))
    results = _race([lambda: teacher_check_out(teacher, day.today, LAT, LNG, 10) for _ in range(6)])
    assert results == Counter({"ok": 1, "409 already_checked_out": 5})
    assert TeacherCheckin.objects.get(lesson=day.today, teacher=day.teacher).checked_out_at is not None

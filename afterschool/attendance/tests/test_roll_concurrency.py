"""Two teachers taking one roll at the same moment (PostgreSQL, real threads): the lesson row lock serialises the
writers, so no mark is lost, no student gets two rows, and a bulk "未点名的全部出勤" runs once."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

import pytest
from django.db import connection

from afterschool.accounts.models import AuditEvent
from afterschool.accounts.tests.factories import MembershipFactory, UserFactory
from afterschool.attendance.models import StudentAttendance
from afterschool.attendance.services import roll as services
from afterschool.attendance.tests.factories import freeze, make_day
from afterschool.core.tests.concurrency import race
from afterschool.enrollment.tests.factories import EnrollmentFactory
from afterschool.schools.tests.factories import StudentFactory
from afterschool.tenancy.actor import Actor

DURING = dt.datetime(2026, 11, 10, 15, 45)


def _setup(world: Any, monkeypatch: Any, students: int) -> tuple[Any, list[Actor], list[Any]]:
    day = make_day(world)
    freeze(monkeypatch, DURING)
    second = UserFactory(username="teacher_b")
    MembershipFactory(user=second, role="teacher", school=day.school)
    day.today.teachers.add(second)
    roll = list(day.students)
    for _ in range(students - len(roll)):
        student = StudentFactory(school_class=day.school_class)
        EnrollmentFactory(section=day.section, student=student)
        roll.append(student)
    actors = [
        world.actor("teacher_a"),
        Actor(user=second, membership=second.memberships.get()),
        world.actor("school_a"),
    ]
    return day, actors, roll


def _race(jobs: list[Any], workers: int) -> Counter[str]:
    return race(jobs, workers=workers)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_given_two_teachers_marking_one_by_one_at_once_then_no_mark_is_lost(world: Any, monkeypatch: Any) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs real concurrent connections (PostgreSQL)")
    day, actors, roll = _setup(world, monkeypatch, students=24)
    teacher_a, teacher_b, _ = actors
    wanted: dict[int, str] = {}
    jobs = []
    for index, student in enumerate(roll):
        actor, status = (teacher_a, "present") if index % 2 else (teacher_b, "late")
        wanted[student.pk] = status
        jobs.append(
            lambda actor=actor, student=student, status=status: services.attendance_mark(
                actor=actor, lesson=day.today, marks=[{"student_id": student.pk, "status": status}]
            )
        )
    audits_before = AuditEvent.objects.filter(event="update").count()
    results = _race(jobs, workers=len(jobs))
    assert results == Counter({"ok": len(roll)})
    saved = dict(StudentAttendance.objects.filter(lesson=day.today).values_list("student_id", "status"))
    assert saved == wanted
    assert AuditEvent.objects.filter(event="update").count() == audits_before + len(roll)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_given_both_teachers_marking_the_same_students_then_one_row_each_and_the_last_write_wins(
    world: Any, monkeypatch: Any
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs real concurrent connections (PostgreSQL)")
    day, actors, roll = _setup(world, monkeypatch, students=10)
    jobs = []
    for round_ in range(8):
        actor = actors[round_ % 2]
        status = ("present", "absent")[round_ % 2]
        marks = [{"student_id": s.pk, "status": status} for s in roll]
        jobs.append(
            lambda actor=actor, marks=marks: services.attendance_mark(actor=actor, lesson=day.today, marks=marks)
        )
    results = _race(jobs, workers=len(jobs))
    assert results == Counter({"ok": 8})
    rows = StudentAttendance.objects.filter(lesson=day.today)
    assert rows.count() == len(roll)
    assert len(set(rows.values_list("status", flat=True))) == 1  # every request wrote all students at once


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_given_everyone_pressing_mark_all_at_once_then_it_runs_once(world: Any, monkeypatch: Any) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs real concurrent connections (PostgreSQL)")
    day, actors, roll = _setup(world, monkeypatch, students=15)
    jobs = [
        lambda actor=actors[i % 3]: services.attendance_mark_unmarked(actor=actor, lesson=day.today) for i in range(9)
    ]
    results = _race(jobs, workers=len(jobs))
    assert results == Counter({"ok": 1, "nothing_to_mark": 8})
    assert StudentAttendance.objects.filter(lesson=day.today, status="present").count() == len(roll)

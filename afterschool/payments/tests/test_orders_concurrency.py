"""Never oversold (§5.4.1): concurrent orders with real threads, each on its own database connection.

PostgreSQL: the section row lock serialises seat counting; the student row lock serialises one child's requests
across sections; the partial unique constraint is the last guard. SQLite: every write transaction begins
IMMEDIATE (config), so writers queue on the database lock and the same checks hold (a smaller run)."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from django.db import OperationalError, connection, connections

from afterschool.core.errors import Conflict
from afterschool.enrollment.models import Enrollment
from afterschool.payments.models import Order
from afterschool.payments.services import orders as services
from afterschool.payments.tests.factories_orders import open_setup
from afterschool.scheduling.tests.factories import LessonFactory, SectionFactory
from afterschool.schools.tests.factories import StudentFactory


def _run(jobs: list[tuple[Any, Any]], actor: Any, workers: int, retry_locked: bool = False) -> Counter[str]:
    """Each job (section, student) in a pool of `workers` threads; every thread closes its connection at the end.

    retry_locked: SQLite's in-memory test database is shared-cache, where a second writer gets "database table is
    locked" at once instead of waiting for the busy timeout (a file database in WAL mode waits); the job is then
    retried, as a client would."""
    barrier = threading.Barrier(min(workers, len(jobs)))
    started = threading.local()

    def work(job: tuple[Any, Any]) -> str:
        section, student = job
        if not getattr(started, "done", False):
            started.done = True
            try:
                barrier.wait(timeout=30)
            except threading.BrokenBarrierError:  # pragma: no cover - fewer threads got a job
                pass
        try:
            return attempt(section, student)
        finally:
            connections.close_all()  # this thread's connection: one per job, never left open

    def attempt(section: Any, student: Any) -> str:
        for _attempt in range(500):
            try:
                services.order_create(actor=actor, section=section, student=student)
                return "ok"
            except Conflict as exc:
                return exc.code
            except OperationalError as exc:
                if not (retry_locked and "locked" in str(exc)):
                    return repr(exc)
                time.sleep(0.01)
            except BaseException as exc:  # pragma: no cover - shown in the assertion
                return repr(exc)
        return "gave up"  # pragma: no cover

    with ThreadPoolExecutor(max_workers=workers) as pool:
        results = list(pool.map(work, jobs))
    return Counter(results)


def _students(setup: Any, n: int) -> list[Any]:
    return [StudentFactory(school_class=setup.classes[i % len(setup.classes)]) for i in range(n)]


def _overlapping(world: Any, setup: Any) -> Any:
    LessonFactory(section=setup.section, date=dt.date(2026, 9, 8))
    other = SectionFactory(school=world.school_a, status="open", term=setup.section.term, fee_fen=100)
    other.grades.set([setup.grade])
    other.registration_window = setup.section.registration_window
    other.save(update_fields=["registration_window"])
    LessonFactory(section=other, date=dt.date(2026, 9, 8), starts_at=dt.time(16, 0), ends_at=dt.time(17, 0))
    return other


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_given_200_students_racing_for_10_seats_then_exactly_10_places_and_190_refusals(world: Any) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs real concurrent connections (PostgreSQL)")
    setup = open_setup(world.school_a, max_students=10, classes=2, per_class=0)
    students = _students(setup, 200)
    results = _run([(setup.section, s) for s in students], world.actor("school_a"), workers=40)
    assert results == Counter({"ok": 10, "section_full": 190})
    assert Enrollment.objects.filter(section=setup.section, status__in=("pending", "active")).count() == 10
    assert Order.objects.filter(section=setup.section, status="pending").count() == 10


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_given_one_student_racing_for_two_overlapping_sections_then_at_most_one_place(world: Any) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs real concurrent connections (PostgreSQL)")
    setup = open_setup(world.school_a, classes=1, per_class=1)
    other = _overlapping(world, setup)
    student = setup.students[0]
    jobs = [(setup.section if i % 2 else other, student) for i in range(20)]
    results = _run(jobs, world.actor("school_a"), workers=20)
    assert results["ok"] == 1 and set(results) <= {"ok", "already_enrolled", "time_conflict"}
    assert results["time_conflict"] >= 1
    assert Enrollment.objects.filter(student=student, status__in=("pending", "active")).count() == 1


@pytest.mark.django_db(transaction=True)
def test_given_sqlite_threads_racing_for_seats_then_never_oversold(world: Any) -> None:
    if connection.vendor != "sqlite":
        pytest.skip("the SQLite variant; PostgreSQL runs the 200-request test")
    setup = open_setup(world.school_a, max_students=3, classes=1, per_class=0)
    students = _students(setup, 12)
    other = _overlapping(world, setup)
    results = _run([(setup.section, s) for s in students], world.actor("school_a"), workers=6, retry_locked=True)
    assert results == Counter({"ok": 3, "section_full": 9})
    lone = StudentFactory(school_class=setup.classes[0])
    jobs = [(setup.section if i % 2 else other, lone) for i in range(6)]
    setup.section.max_students = 10
    setup.section.save(update_fields=["max_students"])
    results = _run(jobs, world.actor("school_a"), workers=6, retry_locked=True)
    assert results["ok"] == 1 and set(results) <= {"ok", "already_enrolled", "time_conflict"}
    assert Enrollment.objects.filter(student=lone, status__in=("pending", "active")).count() == 1
    taken = Enrollment.objects.filter(section=setup.section, status__in=("pending", "active")).exclude(student=lone)
    assert taken.count() == 3

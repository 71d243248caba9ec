"""One patroller patrolling one lesson twice at once (a double tap, two phones): exactly one patrol, the other
submission a 409. Real threads, each on its own connection. PostgreSQL: the lesson row lock serialises the two,
the unique constraint is the last guard. SQLite: write transactions begin IMMEDIATE (config), so they queue."""

from __future__ import annotations

import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from django.db import OperationalError, connection, connections

from afterschool.core.errors import Conflict
from afterschool.patrol.models import Patrol, PatrolScore
from afterschool.patrol.services import patrols as services

from .conftest import actor_of


def _race(day: Any, actors: list[Any], retry_locked: bool = False) -> Counter[str]:
    barrier = threading.Barrier(len(actors))
    scores = {c.pk: 4 for c in day.extra["rubric"]}

    def attempt(actor: Any) -> str:
        for _ in range(500):
            try:
                services.patrol_record(actor=actor, lesson=day.today, scores=scores, teacher_present=True, head_count=3)
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

    def work(actor: Any) -> str:
        try:
            barrier.wait(timeout=30)
            return attempt(actor)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=len(actors)) as pool:
        return Counter(pool.map(work, actors))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_given_two_simultaneous_submissions_by_one_patroller_then_one_patrol_and_one_409(
    world: Any, day: Any, during: None
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs real concurrent connections (PostgreSQL)")
    actor = actor_of(day.extra["patroller"])
    for _round in range(5):
        Patrol.objects.filter(lesson=day.today).delete()
        results = _race(day, [actor, actor])
        assert results == Counter({"ok": 1, "already_patrolled": 1})
        assert Patrol.objects.filter(lesson=day.today, patroller=actor.user).count() == 1
        assert PatrolScore.objects.filter(patrol__lesson=day.today).count() == 4


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_given_many_submissions_by_two_patrollers_then_one_patrol_each(world: Any, day: Any, during: None) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs real concurrent connections (PostgreSQL)")
    first, admin = actor_of(day.extra["patroller"]), world.actor("school_a")
    results = _race(day, [first, admin] * 6)
    assert results == Counter({"ok": 2, "already_patrolled": 10})
    assert sorted(Patrol.objects.filter(lesson=day.today).values_list("patroller__username", flat=True)) == [
        "school_a", "xunke_a",
    ]  # fmt: skip


@pytest.mark.django_db(transaction=True)
def test_given_sqlite_threads_then_one_patrol_per_patroller(world: Any, day: Any, during: None) -> None:
    if connection.vendor != "sqlite":
        pytest.skip("the SQLite variant; PostgreSQL runs the threaded tests above")
    actor = actor_of(day.extra["patroller"])
    results = _race(day, [actor] * 3, retry_locked=True)
    assert results == Counter({"ok": 1, "already_patrolled": 2})
    assert Patrol.objects.filter(lesson=day.today).count() == 1

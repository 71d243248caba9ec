"""Once per section and student, even at once: two guardians (or a double tap) submitting together write one row —
the child's row lock serialises the checks (PostgreSQL, real threads on their own connections); the unique
constraint is the last guard."""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from django.db import connection, connections

from afterschool.accounts.choices import Role
from afterschool.accounts.tests.factories import MembershipFactory, UserFactory
from afterschool.core.errors import AppError
from afterschool.feedback.models import Evaluation
from afterschool.feedback.services import evaluations as services
from afterschool.feedback.tests.factories import freeze_clock, make_evaluation_setup
from afterschool.schools.tests.factories import GuardianFactory, StudentGuardianFactory
from afterschool.tenancy.actor import Actor


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_given_guardians_submitting_at_once_when_racing_then_one_row_one_creation_the_rest_edits(
    world: Any, monkeypatch: Any
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs real concurrent connections (PostgreSQL)")
    freeze_clock(monkeypatch, dt.datetime(2026, 11, 10, 17, 0))
    setup = make_evaluation_setup(world)
    actors = [world.actor("parent")]
    for _ in range(3):  # the child's other guardians, each with a login
        user = UserFactory()
        membership = MembershipFactory(user=user, role=Role.PARENT)
        StudentGuardianFactory(student=setup.child, guardian=GuardianFactory(user=user), relation="father")
        actors.append(Actor(user=user, membership=membership))
    jobs = [actors[i % len(actors)] for i in range(16)]
    barrier = threading.Barrier(len(jobs))

    def work(index_actor: tuple[int, Actor]) -> str:
        index, actor = index_actor
        try:
            barrier.wait(timeout=30)
            scores = {"content_score": 1 + index % 5, "teacher_score": 4, "resources_score": 4, "management_score": 4}
            _, created = services.evaluation_submit(
                actor=actor, student=setup.child, section=setup.a, scores=scores, comment=f"第{index}次"
            )
            return "created" if created else "edited"
        except AppError as exc:
            return exc.code
        except BaseException as exc:  # pragma: no cover - shown in the assertion
            return repr(exc)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        results = Counter(pool.map(work, enumerate(jobs)))
    assert results == Counter({"created": 1, "edited": 15})
    assert Evaluation.objects.filter(section=setup.a, student=setup.child).count() == 1

"""Review under concurrency, with real threads on their own PostgreSQL connections: two admins of the school deciding
one moment at once — the row lock lets one decide, the other gets 409 (moment_decided); the families hear once."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

from afterschool.accounts.choices import Role
from afterschool.accounts.tests.factories import MembershipFactory, UserFactory
from afterschool.attendance.tests.factories import freeze, make_day
from afterschool.core.tests.concurrency import race
from afterschool.feedback.models import Moment
from afterschool.feedback.services import moments as services
from afterschool.feedback.tests.factories import MomentFactory
from afterschool.notifications.models import Notification
from afterschool.tenancy.actor import Actor


def _race(jobs: list[Callable[[], Any]]) -> Counter[str]:
    return race(jobs)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_given_two_admins_deciding_one_moment_at_once_then_one_decision_and_one_conflict(
    world: Any, monkeypatch: Any
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs real concurrent connections (PostgreSQL)")
    freeze(monkeypatch, dt.datetime(2026, 11, 10, 17, 0))
    day = make_day(world)
    moment = MomentFactory(lesson=day.today, author=day.teacher, status="pending")
    colleague = UserFactory()
    membership = MembershipFactory(user=colleague, role=Role.SCHOOL_ADMIN, school=day.school)
    first = world.actor("school_a")
    second = Actor(user=colleague, membership=membership)
    results = _race(
        [
            lambda: services.moment_review(actor=first, moment=moment, approve=True),
            lambda: services.moment_review(actor=second, moment=moment, approve=False, reason="不合适"),
        ]
    )
    assert results == Counter({"ok": 1, "moment_decided": 1})
    moment = Moment.objects.get(pk=moment.pk)
    assert moment.status in ("approved", "rejected")
    to_author = Notification.objects.filter(kind="moment", recipient=day.teacher).count()
    to_parent = Notification.objects.filter(kind="moment", recipient=world.users["parent"]).count()
    assert to_author == 1
    assert to_parent == (1 if moment.status == "approved" else 0)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_given_many_approvals_at_once_then_the_families_hear_once(world: Any, monkeypatch: Any) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs real concurrent connections (PostgreSQL)")
    freeze(monkeypatch, dt.datetime(2026, 11, 10, 17, 0))
    day = make_day(world)
    moment = MomentFactory(lesson=day.today, author=day.teacher, status="pending")
    admin = world.actor("school_a")
    results = _race([lambda: services.moment_review(actor=admin, moment=moment, approve=True) for _ in range(5)])
    assert results == Counter({"ok": 1, "moment_decided": 4})
    assert Notification.objects.filter(kind="moment", recipient=world.users["parent"]).count() == 1

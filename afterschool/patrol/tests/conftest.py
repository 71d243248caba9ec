"""Fixtures of the patrol tests: the attendance day (lessons of school_a on Tuesdays, 15:40–16:40, taught by
teacher_a; school_b's lesson the same day), school_a's rubric, and a patroller (a teacher of school_a holding the
patrol permission)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from afterschool.accounts.models import User
from afterschool.accounts.tests.factories import MembershipFactory, UserFactory
from afterschool.attendance.tests.factories import Day, freeze, make_day
from afterschool.tenancy.actor import Actor

from .factories import rubric

DURING = dt.datetime(2026, 11, 10, 16, 0)  # day.today is running
BEFORE = dt.datetime(2026, 11, 10, 15, 30)
AFTER = dt.datetime(2026, 11, 10, 17, 0)


def patroller_user(school: Any, username: str = "xunke_a", name: str = "巡课李老师") -> User:
    user = UserFactory(username=username, display_name=name)
    MembershipFactory(user=user, role="teacher", school=school, permissions=["patrol"])
    return user


def actor_of(user: User) -> Actor:
    membership = user.memberships.get()
    return Actor(user=user, membership=membership, client_ip="127.0.0.1", permissions=frozenset(membership.permissions))


@pytest.fixture
def day(world: Any) -> Day:
    d = make_day(world)
    d.teacher.display_name = "王老师"
    d.teacher.save(update_fields=["display_name"])
    d.extra["rubric"] = rubric(world.school_a)
    d.extra["patroller"] = patroller_user(world.school_a)
    return d


@pytest.fixture
def during(monkeypatch: Any) -> None:
    freeze(monkeypatch, DURING)

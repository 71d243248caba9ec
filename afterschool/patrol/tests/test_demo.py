"""The demo patrols of 海淀实验小学: the default rubric, about a third of the past lessons patrolled by the demo
teacher (never her own lessons), deterministic and idempotent."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from afterschool.attendance.tests.factories import freeze
from afterschool.core.demo import load_demo
from afterschool.patrol.models import Patrol, PatrolCriterion
from afterschool.patrol.services.demo import demo_patrol_ensure
from afterschool.scheduling.models import Lesson
from afterschool.tenancy.models import School

pytestmark = pytest.mark.django_db


def test_demo_patrols_are_of_past_lessons_of_others_and_idempotent(monkeypatch: Any) -> None:
    freeze(monkeypatch, dt.datetime(2026, 11, 28, 18, 0))
    created = load_demo()["patrols"]  # the demo loader runs demo_patrol_ensure
    school = School.objects.get(code="2111080001")
    assert list(PatrolCriterion.objects.filter(school=school).values_list("name", flat=True)) == [
        "课堂秩序", "教学效果", "安全管理", "学生出勤",
    ]  # fmt: skip
    patrols = list(Patrol.objects.select_related("lesson", "patroller").prefetch_related("lesson__teachers", "scores"))
    assert created == {"criteria": 4, "patrols": len(patrols)} and patrols
    past = Lesson.objects.filter(section__school=school, date__lt=dt.date(2026, 11, 28)).exclude(status="cancelled")
    patrolled = {p.lesson_id for p in patrols}
    assert 0.25 <= len(patrolled) / past.count() <= 0.4
    for patrol in patrols:
        assert patrol.lesson.date < dt.date(2026, 11, 28)
        assert patrol.patroller not in patrol.lesson.teachers.all()
        assert patrol.scores.count() == 4 and patrol.comment
        assert patrol.created_at.date() == patrol.lesson.date
    assert {p.patroller.username for p in patrols} == {"teacher"}
    assert demo_patrol_ensure(school=school) == {"criteria": 0, "patrols": 0}
    assert Patrol.objects.count() == len(patrols)

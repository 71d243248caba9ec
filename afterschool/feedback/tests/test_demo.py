"""The demo feedback: moments with pictures and thumbnails (one pending, one rejected), guardian logins without a
password, evaluations; a second run adds nothing."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from PIL import Image

from afterschool.attendance.tests.factories import freeze, make_day
from afterschool.feedback.models import Evaluation, Moment, MomentMedia
from afterschool.feedback.services.demo import demo_feedback_ensure
from afterschool.schools.models import Guardian

pytestmark = pytest.mark.django_db


def test_demo_feedback_is_plausible_and_idempotent(world: Any, monkeypatch: Any) -> None:
    day = make_day(world)
    freeze(monkeypatch, dt.datetime(2026, 11, 20, 9, 0))  # lessons of 3, 10 and 17 November are past
    counts = demo_feedback_ensure(school=day.school)

    moments = list(Moment.objects.order_by("lesson__date"))
    assert counts["moments"] == len(moments) == 3
    assert {m.lesson.date for m in moments} == {dt.date(2026, 11, 3), dt.date(2026, 11, 10), dt.date(2026, 11, 17)}
    assert moments[-1].status == "pending"  # the latest lesson's moment waits for review
    assert all(m.author == day.teacher for m in moments)
    media = list(MomentMedia.objects.all())
    assert counts["media"] == len(media) >= 3
    for item in media[:2]:
        with item.preview.open("rb") as preview:
            assert max(Image.open(preview).size) <= 480
        assert (item.width, item.height) == (960, 720)

    guardians = Guardian.objects.filter(students__in=day.students).distinct()
    assert all(g.user is not None for g in guardians)
    fresh = [g.user for g in guardians if g.user != world.users["parent"]]
    assert fresh and not any(u.has_usable_password() for u in fresh)
    assert all(u.memberships.filter(role="parent", is_active=True).exists() for u in fresh)
    evaluations = list(Evaluation.objects.all())
    assert counts["evaluations"] == len(evaluations) <= len(day.students)
    assert all(1 <= e.content_score <= 5 and e.section == day.section for e in evaluations)

    assert demo_feedback_ensure(school=day.school) == {"moments": 0, "media": 0, "evaluations": 0, "parent_logins": 0}

"""Factories for the patrol tests; `afterschool.attendance.tests.factories.make_day` gives the lessons."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import factory

from afterschool.accounts.models import User
from afterschool.core.tests.media_samples import sample_bytes
from afterschool.patrol.models import Patrol, PatrolCriterion, PatrolPhoto, PatrolScore
from afterschool.scheduling.models import Lesson
from afterschool.tenancy.models import School


class PatrolCriterionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PatrolCriterion

    name = factory.Sequence(lambda n: f"评价项{n}")
    scale = "five"
    position = factory.Sequence(lambda n: n)


class PatrolFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Patrol

    teacher_present = True
    head_count = 20
    score_percent = 80


class PatrolScoreFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PatrolScore

    name = factory.SelfAttribute("criterion.name")
    scale = factory.SelfAttribute("criterion.scale")
    score = 4


class PatrolPhotoFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PatrolPhoto

    file = factory.django.FileField(filename="photo.png", data=sample_bytes("png"))
    content_type = "image/png"
    size = factory.LazyAttribute(lambda o: len(sample_bytes("png")))


def rubric(school: School, scales: Sequence[str] = ("five", "five", "five", "five")) -> list[PatrolCriterion]:
    """Items 课堂秩序, 教学效果, 安全管理, 学生出勤 (then 评价项5 …) of the given scales, in order."""
    names = ["课堂秩序", "教学效果", "安全管理", "学生出勤"]
    return [
        PatrolCriterionFactory(school=school, name=names[i] if i < len(names) else f"评价项{i + 1}", scale=scale,
                               position=i + 1)
        for i, scale in enumerate(scales)
    ]  # fmt: skip


def patrol_of(
    lesson: Lesson, patroller: User, scores: Sequence[tuple[PatrolCriterion, int]] = (), **fields: Any
) -> Patrol:
    """A patrol written directly (for reads and summaries), with its scores; score_percent as given or 80."""
    patrol = PatrolFactory(lesson=lesson, patroller=patroller, **fields)
    for criterion, score in scores:
        PatrolScoreFactory(patrol=patrol, criterion=criterion, score=score)
    return patrol

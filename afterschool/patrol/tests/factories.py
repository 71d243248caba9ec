"""Factories for the patrol tests; `afterschool.attendance.tests.factories.make_day` gives the lessons."""

from __future__ import annotations

import factory

from afterschool.patrol.models import Patrol, PatrolCriterion, PatrolScore


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

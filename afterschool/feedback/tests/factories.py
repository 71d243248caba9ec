"""Factories for the feedback tests; `afterschool.attendance.tests.factories.make_day` gives a section with lessons,
its teacher and enrolled students (the first one's guardian is the world's parent)."""

from __future__ import annotations

import factory

from afterschool.feedback.models import ChapterMaterial, Evaluation, Moment, MomentMedia


class MomentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Moment

    section = factory.SelfAttribute("lesson.section")
    text = "今天我们学习了色彩搭配，同学们都完成了作品。"
    status = "pending"


class MomentMediaFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MomentMedia

    kind = "image"
    file = factory.django.FileField(filename="photo.png")
    content_type = "image/png"
    size = 100
    position = factory.Sequence(lambda n: n)


class ChapterMaterialFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ChapterMaterial

    title = factory.Sequence(lambda n: f"资料{n}")
    media_kind = "document"
    file = factory.django.FileField(filename="notes.pdf")
    content_type = "application/pdf"
    size = 100


class EvaluationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Evaluation

    content_score = 5
    teacher_score = 5
    resources_score = 4
    management_score = 4
    comment = ""

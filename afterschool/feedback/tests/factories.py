"""Factories for the feedback tests; `afterschool.attendance.tests.factories.make_day` gives a section with lessons,
its teacher and enrolled students (the first one's guardian is the world's parent)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import factory
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from afterschool.accounts.models import User
from afterschool.accounts.tests.factories import UserFactory
from afterschool.attendance.tests.factories import Day, make_day
from afterschool.core import timeutil
from afterschool.courses.tests.factories import CourseFactory
from afterschool.enrollment.tests.factories import EnrollmentFactory
from afterschool.feedback.models import ChapterMaterial, Evaluation, Moment, MomentMedia
from afterschool.scheduling.models import Section
from afterschool.scheduling.tests.factories import LessonFactory, SectionFactory, SectionTeacherFactory
from afterschool.schools.models import Student
from afterschool.schools.tests.factories import SchoolClassFactory, StudentFactory, StudentGuardianFactory


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


# --- course evaluations -------------------------------------------------------------------------------------------


def freeze_clock(monkeypatch: Any, when: dt.datetime) -> None:
    """Make "now" the wall-clock time `when` (naive, Asia/Shanghai) for timeutil *and* for the timestamps Django
    writes (an evaluation's created_at starts its edit window). Freeze before logging a client in."""
    aware = timezone.make_aware(when, timezone.get_default_timezone())
    monkeypatch.setattr(timeutil, "now", lambda: aware)
    monkeypatch.setattr(timezone, "now", lambda: aware)


@dataclass
class EvaluationSetup:
    """make_day's section A (school course 少儿创意美术 at school_a, teacher_a 王老师, lessons 3/10/17/24 Nov 15:40,
    three students, the first the world parent's child) and section B (org_a's course 趣味篮球 at school_a, taught by
    orgteacher_a 赵老师 with teacher_a as second teacher, lessons 2/9/16 Nov 16:00, the first student only), and
    school_b's section C (朝阳机器人, lessons 2/9 Nov, one student with its own guardian)."""

    day: Day
    section_b: Section
    section_c: Section
    student_c: Student
    org_teacher: User

    @property
    def a(self) -> Section:
        return self.day.section

    @property
    def child(self) -> Student:
        return self.day.child


def make_evaluation_setup(world: Any) -> EvaluationSetup:
    day = make_day(world)
    day.section.course.name = "少儿创意美术"
    day.section.course.save(update_fields=["name"])
    teacher = world.users["teacher_a"]
    teacher.display_name = "王老师"
    teacher.save(update_fields=["display_name"])
    org_teacher = world.users["orgteacher_a"]
    org_teacher.display_name = "赵老师"
    org_teacher.save(update_fields=["display_name"])
    course = CourseFactory(owner_organization=world.org_a, owner_school=None, name="趣味篮球", category="sports")
    section_b = SectionFactory(
        school=world.school_a, term=day.section.term, course=course, name="篮球一班", status="running",
        starts_on=dt.date(2026, 9, 1), ends_on=dt.date(2026, 12, 31),
    )  # fmt: skip
    SectionTeacherFactory(section=section_b, user=org_teacher, is_main=True)
    SectionTeacherFactory(section=section_b, user=teacher, is_main=False)
    for n, date in enumerate([dt.date(2026, 11, 2), dt.date(2026, 11, 9), dt.date(2026, 11, 16)], start=1):
        LessonFactory(
            section=section_b, number=n, date=date, starts_at=dt.time(16, 0), ends_at=dt.time(17, 0),
            teachers=[org_teacher],
        )  # fmt: skip
    EnrollmentFactory(section=section_b, student=day.child)

    section_c = day.other_section
    LessonFactory(section=section_c, number=2, date=dt.date(2026, 11, 2))
    student_c = StudentFactory(school_class=SchoolClassFactory(grade__school=world.school_b), name="朝阳学生")
    EnrollmentFactory(section=section_c, student=student_c)
    StudentGuardianFactory(student=student_c)
    return EvaluationSetup(
        day=day, section_b=section_b, section_c=section_c, student_c=student_c, org_teacher=org_teacher
    )


def evaluate(
    section: Section, student: Student, scores: tuple[int, int, int, int], comment: str = "", **kw: Any
) -> Evaluation:
    """An evaluation written directly (the statistics tests); its author is the student's first guardian login."""
    author = kw.pop("author", None) or User.objects.filter(guardian_records__students=student).first()
    if author is None:
        author = UserFactory()
    content, teacher, resources, management = scores
    return EvaluationFactory(
        section=section, student=student, author=author, content_score=content, teacher_score=teacher,
        resources_score=resources, management_score=management, comment=comment, **kw,
    )  # fmt: skip


# --- media for the moments and materials tests -------------------------------------------------------------------


def picture_bytes(size: tuple[int, int] = (1200, 900), *, fmt: str = "PNG", orientation: int | None = None,
                  mode: str = "RGB") -> bytes:  # fmt: skip
    """A real picture Pillow decodes (a JPEG may carry an EXIF orientation tag)."""
    import io

    from PIL import Image

    image = Image.new(mode, size, (30, 120, 200) if mode == "RGB" else (30, 120, 200, 128))
    image.paste((240, 200, 40) if mode == "RGB" else (240, 200, 40, 255), (0, 0, size[0] // 3, size[1] // 3))
    out = io.BytesIO()
    if orientation is not None:
        exif = Image.Exif()
        exif[0x0112] = orientation
        image.save(out, format=fmt, exif=exif)
    else:
        image.save(out, format=fmt)
    return out.getvalue()


def picture_upload(name: str = "photo.png", size: tuple[int, int] = (1200, 900), **kwargs: Any) -> SimpleUploadedFile:
    fmt = "JPEG" if name.lower().endswith((".jpg", ".jpeg")) else "PNG"
    return SimpleUploadedFile(name, picture_bytes(size, fmt=fmt, **kwargs))


def video_upload(name: str = "clip.mp4") -> SimpleUploadedFile:
    """A minimal MP4 (H.264/AAC) recognised by content (no frames to decode: the page draws the poster)."""
    from afterschool.core.tests.media_samples import sample_bytes

    return SimpleUploadedFile(name, sample_bytes("mp4"))

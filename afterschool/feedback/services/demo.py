"""Demo feedback for 海淀实验小学: classroom moments of the two running sections (approved ones with pictures, one
waiting for review, one rejected), logins for the guardians of those sections' students (accounts that have never
been used: no password), and their course evaluations — so the feed, the review queue and the evaluation
statistics have something to show. Idempotent; deterministic (fixed seed); bulk writes."""

from __future__ import annotations

import datetime as dt
import io
import random

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from afterschool.accounts.choices import Role
from afterschool.accounts.models import RoleMembership, User
from afterschool.core import timeutil
from afterschool.enrollment.choices import EnrollmentStatus
from afterschool.enrollment.models import Enrollment
from afterschool.scheduling.choices import LessonStatus, SectionStatus
from afterschool.scheduling.models import Lesson, Section
from afterschool.schools.models import Guardian, StudentGuardian
from afterschool.tenancy.models import School

from ..choices import MomentMediaKind, MomentStatus
from ..models import Evaluation, Moment, MomentMedia

SEED = "afterschool-demo-feedback"

ART_TEXTS = [
    "今天我们认识了三原色，同学们用红黄蓝调出了自己喜欢的颜色，每个人都完成了一幅小作品。",
    "本节课练习了线条的表现力，大家用粗细不同的线条画出了风吹过的树叶，课堂气氛很活跃。",
    "动手做拼贴画，孩子们分工合作，把彩纸剪成了一片海洋。",
]
READING_TEXTS = [
    "诵读《静夜思》，同学们分组比赛背诵，声音洪亮、感情饱满。",
    "对联欣赏：认识了上联、下联和横批，还尝试自己对了几副简单的对子。",
    "读《春晓》，大家边读边做动作，很快就背下来了。",
]
COLOURS = [(231, 76, 60), (241, 196, 15), (52, 152, 219), (46, 204, 113), (155, 89, 182), (230, 126, 34)]
COMMENTS = ["孩子很喜欢这门课", "老师很耐心", "希望多安排一些动手环节", "", "", "材料准备得很充分"]


def _picture(seed: int, size: tuple[int, int]) -> bytes:
    """A simple drawing (coloured shapes on paper) as PNG bytes."""
    from PIL import Image, ImageDraw

    rng = random.Random(seed)  # noqa: S311 (demo drawings, not secrets)
    image = Image.new("RGB", size, (250, 247, 240))
    draw = ImageDraw.Draw(image)
    width, height = size
    for _ in range(12):
        colour = rng.choice(COLOURS)
        x, y = rng.randrange(width), rng.randrange(height)
        r = rng.randrange(min(size) // 12, min(size) // 4)
        if rng.random() < 0.5:
            draw.ellipse((x - r, y - r, x + r, y + r), fill=colour)
        else:
            draw.rectangle((x - r, y - r // 2, x + r, y + r // 2), fill=colour)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _thumbnail(data: bytes) -> tuple[bytes, int, int]:
    from PIL import Image

    image = Image.open(io.BytesIO(data))
    width, height = image.size
    image.thumbnail((480, 480))
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, format="JPEG", quality=80)
    return buffer.getvalue(), width, height


def _guardian_logins(school: School, sections: list[Section]) -> dict[int, int]:
    """student id → the user id of its primary guardian's login; guardians without one get an unused account (no
    password: it can be given one by a password reset) named by its mobile, holding the parent role."""
    links = list(
        StudentGuardian.objects.filter(
            student__enrollments__section__in=sections, student__enrollments__status=EnrollmentStatus.ACTIVE
        )
        .select_related("guardian")
        .order_by("student_id", "-is_primary", "id")
        .distinct()
    )
    first: dict[int, Guardian] = {}
    for link in links:
        first.setdefault(link.student_id, link.guardian)
    without = {g.pk: g for g in first.values() if g.user_id is None and g.mobile}
    mobiles = [g.mobile for g in without.values()]
    taken = set(User.objects.filter(username__in=mobiles).values_list("username", flat=True))
    new_users = []
    for guardian in without.values():
        if guardian.mobile in taken:
            continue
        user = User(username=guardian.mobile, display_name=guardian.name)
        user.set_unusable_password()
        user.set_mobile(guardian.mobile)
        new_users.append(user)
    User.objects.bulk_create(new_users)
    by_name = {u.username: u for u in User.objects.filter(username__in=mobiles)}
    changed = []
    for guardian in without.values():
        login = by_name.get(guardian.mobile)
        if login is not None:
            guardian.user = login
            changed.append(guardian)
    Guardian.objects.bulk_update(changed, ["user"])
    RoleMembership.objects.bulk_create(
        [RoleMembership(user=u, role=Role.PARENT, school=school) for u in new_users], ignore_conflicts=True
    )
    return {sid: g.user_id for sid, g in first.items() if g.user_id is not None}


@transaction.atomic
def demo_feedback_ensure(*, school: School) -> dict[str, int]:
    counts = {"moments": 0, "media": 0, "evaluations": 0, "parent_logins": 0}
    now = timeutil.local_now()
    sections = list(
        Section.objects.filter(school=school, status__in=[SectionStatus.RUNNING, SectionStatus.FINISHED])
        .select_related("course")
        .order_by("pk")
    )
    if not sections:
        return counts
    rng = random.Random(SEED)  # noqa: S311 (a repeatable demo, not secrets)
    if not Moment.objects.filter(section__in=sections).exists():
        for section in sections:
            texts = READING_TEXTS if "诵读" in section.course.name else ART_TEXTS
            past = list(
                Lesson.objects.filter(section=section, date__lt=now.date())
                .exclude(status=LessonStatus.CANCELLED)
                .prefetch_related("teachers")
                .order_by("-date")[:5]
            )
            for index, lesson in enumerate(past):
                author = next(iter(lesson.teachers.all()), None)
                if author is None:
                    continue
                status = MomentStatus.APPROVED
                if index == 0:
                    status = MomentStatus.PENDING
                elif index == 3:
                    status = MomentStatus.REJECTED
                posted = timezone.make_aware(dt.datetime.combine(lesson.date, lesson.ends_at) + dt.timedelta(minutes=8))
                moment = Moment.objects.create(
                    section=section,
                    lesson=lesson,
                    author=author,
                    text=texts[index % len(texts)],
                    status=status,
                    reject_reason="照片中有学生正脸特写，请更换后重新发布" if status == MomentStatus.REJECTED else "",
                    reviewed_at=posted + dt.timedelta(hours=1) if status != MomentStatus.PENDING else None,
                )
                Moment.objects.filter(pk=moment.pk).update(created_at=posted, updated_at=posted)
                counts["moments"] += 1
                for position in range(rng.choice([1, 2, 3, 4])):
                    data = _picture(rng.randrange(10**6), (960, 720))
                    preview, width, height = _thumbnail(data)
                    media = MomentMedia(
                        moment=moment, kind=MomentMediaKind.IMAGE, content_type="image/png", size=len(data),
                        width=width, height=height, position=position,
                    )  # fmt: skip
                    media.file.save(f"demo-{moment.pk}-{position}.png", ContentFile(data), save=False)
                    media.preview.save(f"demo-{moment.pk}-{position}-thumb.jpg", ContentFile(preview), save=False)
                    media.save()
                    counts["media"] += 1
    if not Evaluation.objects.filter(section__in=sections).exists():
        logins = _guardian_logins(school, sections)
        counts["parent_logins"] = len(logins)
        keep_open = set(
            Enrollment.objects.filter(
                section__in=sections, student__guardians__user__username="13800000001"
            ).values_list("student_id", flat=True)[:1]
        )  # the demo parent's first child is left for the demo parent to evaluate
        rows: list[Evaluation] = []
        for section in sections:
            placed = Enrollment.objects.filter(section=section, status=EnrollmentStatus.ACTIVE).values_list(
                "student_id", flat=True
            )
            for student_id in placed:
                if student_id in keep_open or student_id not in logins or rng.random() < 0.35:
                    continue
                scores = [rng.choices([3, 4, 5], weights=[1, 3, 6])[0] for _ in range(4)]
                rows.append(
                    Evaluation(
                        section=section,
                        student_id=student_id,
                        author_id=logins[student_id],
                        content_score=scores[0],
                        teacher_score=scores[1],
                        resources_score=scores[2],
                        management_score=scores[3],
                        comment=rng.choice(COMMENTS),
                    )
                )
        Evaluation.objects.bulk_create(rows)
        counts["evaluations"] = len(rows)
    return counts

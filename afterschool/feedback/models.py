"""Feedback (§5.3.3, §5.4.5, §5.4.6, §5.2.4.3): classroom moments (课堂风采) a teacher posts for a lesson — reviewed
by the school before parents and the bureau see them —, materials a teacher uploads per chapter of a section, and
parents' course evaluations (课程评价)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from afterschool.core.choices import MediaKind
from afterschool.core.models import TimeStampedModel
from afterschool.tenancy.scoping import ScopeRule

from .choices import MomentMediaKind, MomentStatus


def _section_scope(prefix: str, *, families: bool) -> ScopeRule:
    """Rows of a section: its school and bureau, the organization whose course it is; with `families`, the parents
    and students of its students (selectors still limit families to what they may see, e.g. approved moments)."""
    people = (
        (f"{prefix}__enrollments__student__user", f"{prefix}__enrollments__student__guardians__user")
        if families
        else None
    )
    return ScopeRule(
        region=f"{prefix}__school__region",
        school=f"{prefix}__school",
        organization=f"{prefix}__course__owner_organization",
        user=people,
        distinct=True,
    )


class Moment(TimeStampedModel):
    """课堂风采: a teacher's summary of a lesson with up to 9 photos or short videos. Parents of the section's
    students and the bureau see it only once the school has approved it."""

    section = models.ForeignKey(
        "scheduling.Section", verbose_name=_("课班"), on_delete=models.CASCADE, related_name="moments"
    )
    lesson = models.ForeignKey(
        "scheduling.Lesson", verbose_name=_("课次"), on_delete=models.CASCADE, related_name="moments"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("发布教师"), on_delete=models.PROTECT, related_name="moments"
    )
    text = models.TextField(_("课堂小结"), max_length=1000)
    status = models.CharField(_("状态"), max_length=16, choices=MomentStatus.choices, default=MomentStatus.PENDING)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("审核人"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    reviewed_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    reject_reason = models.CharField(_("驳回原因"), max_length=200, blank=True)

    scope_rule = _section_scope("section", families=True)

    class Meta:
        verbose_name = _("课堂风采")
        verbose_name_plural = _("课堂风采")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["section", "status", "created_at"], name="moment_section_status")]

    def __str__(self) -> str:
        return f"{self.section} {self.created_at:%Y-%m-%d}"


class MomentMedia(models.Model):
    """A photo (with its thumbnail) or a short video (with its poster frame) of a moment."""

    moment = models.ForeignKey(Moment, verbose_name=_("课堂风采"), on_delete=models.CASCADE, related_name="media")
    kind = models.CharField(_("类型"), max_length=8, choices=MomentMediaKind.choices)
    file = models.FileField(_("文件"), upload_to="moments/%Y/%m/", max_length=255)
    content_type = models.CharField(_("内容类型"), max_length=100)
    size = models.PositiveIntegerField(_("大小（字节）"))
    # A photo's thumbnail; a video's poster frame (an image), shown before it plays.
    preview = models.FileField(_("缩略图/封面"), upload_to="moments/%Y/%m/", max_length=255, blank=True)
    width = models.PositiveIntegerField(_("宽"), null=True, blank=True)
    height = models.PositiveIntegerField(_("高"), null=True, blank=True)
    position = models.PositiveSmallIntegerField(_("顺序"), default=0)

    scope_rule = _section_scope("moment__section", families=True)

    class Meta:
        verbose_name = _("课堂风采图片/视频")
        verbose_name_plural = _("课堂风采图片/视频")
        ordering = ["moment_id", "position", "id"]

    def __str__(self) -> str:
        return self.file.name


class ChapterMaterial(TimeStampedModel):
    """A document, image, audio or video a teacher uploads for one chapter of its section (章节资料)."""

    section = models.ForeignKey(
        "scheduling.Section", verbose_name=_("课班"), on_delete=models.CASCADE, related_name="chapter_materials"
    )
    chapter = models.ForeignKey(
        "courses.Chapter", verbose_name=_("章节"), on_delete=models.CASCADE, related_name="section_materials"
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("上传教师"), on_delete=models.PROTECT, related_name="+"
    )
    title = models.CharField(_("标题"), max_length=100)
    media_kind = models.CharField(_("类型"), max_length=16, choices=MediaKind.choices)
    file = models.FileField(_("文件"), upload_to="chapter-materials/%Y/%m/", max_length=255)
    content_type = models.CharField(_("内容类型"), max_length=100)
    size = models.PositiveIntegerField(_("大小（字节）"))

    scope_rule = _section_scope("section", families=True)

    class Meta:
        verbose_name = _("章节资料")
        verbose_name_plural = _("章节资料")
        ordering = ["section_id", "chapter__number", "id"]

    def __str__(self) -> str:
        return self.title


def _score(label: Any) -> models.PositiveSmallIntegerField:  # type: ignore[type-arg]
    return models.PositiveSmallIntegerField(label, validators=[MinValueValidator(1), MaxValueValidator(5)])


class Evaluation(TimeStampedModel):
    """课程评价: a parent's scores of a section for one student (once per section, i.e. per term), editable for a
    while after it was given."""

    section = models.ForeignKey(
        "scheduling.Section", verbose_name=_("课班"), on_delete=models.CASCADE, related_name="evaluations"
    )
    student = models.ForeignKey(
        "schools.Student", verbose_name=_("学生"), on_delete=models.CASCADE, related_name="evaluations"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("评价人"), on_delete=models.PROTECT, related_name="evaluations"
    )
    content_score = _score(_("课程内容"))
    teacher_score = _score(_("授课教师"))
    resources_score = _score(_("课程资源"))
    management_score = _score(_("课堂管理"))
    comment = models.CharField(_("评语"), max_length=500, blank=True)

    scope_rule = ScopeRule(
        region="section__school__region",
        school="section__school",
        organization="section__course__owner_organization",
        user=("student__user", "student__guardians__user"),
        distinct=True,
    )

    class Meta:
        verbose_name = _("课程评价")
        verbose_name_plural = _("课程评价")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["section", "student"], name="evaluation_once_per_student"),
            *[
                models.CheckConstraint(
                    condition=models.Q(**{f"{field}__gte": 1, f"{field}__lte": 5}), name=f"evaluation_{field}_1_5"
                )
                for field in ("content_score", "teacher_score", "resources_score", "management_score")
            ],
        ]

    def __str__(self) -> str:
        return f"{self.student} 评价 {self.section}"

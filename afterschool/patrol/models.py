"""Patrol (巡课, §5.2.3): the rubric a school scores lessons on, and each patrol of a lesson by a staff member
with the patrol permission — scores, comment, photos, whether the teacher was there and the head count."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from afterschool.core.models import TimeStampedModel
from afterschool.tenancy.scoping import ScopeRule

from .choices import ScoreScale

_PATROL_SCOPE = ScopeRule(region="lesson__section__school__region", school="lesson__section__school")


class PatrolCriterion(TimeStampedModel):
    """One item of a school's patrol rubric (课堂秩序, 教学效果, 安全, 出勤 …), scored 1–5 or 0–10."""

    school = models.ForeignKey(
        "tenancy.School", verbose_name=_("学校"), on_delete=models.CASCADE, related_name="patrol_criteria"
    )
    name = models.CharField(_("评价项"), max_length=32)
    description = models.CharField(_("说明"), max_length=200, blank=True)
    scale = models.CharField(_("计分方式"), max_length=8, choices=ScoreScale.choices, default=ScoreScale.FIVE)
    position = models.PositiveSmallIntegerField(_("顺序"), default=0)
    is_active = models.BooleanField(_("启用"), default=True)

    scope_rule = ScopeRule(region="school__region", school="school")

    class Meta:
        verbose_name = _("巡课评价项")
        verbose_name_plural = _("巡课评价项")
        ordering = ["school_id", "position", "id"]
        constraints = [models.UniqueConstraint(fields=["school", "name"], name="patrol_criterion_name_unique")]

    def __str__(self) -> str:
        return self.name


class Patrol(TimeStampedModel):
    """One patrol of a lesson by one staff member (a patroller patrols a lesson once)."""

    lesson = models.ForeignKey(
        "scheduling.Lesson", verbose_name=_("课次"), on_delete=models.PROTECT, related_name="patrols"
    )
    patroller = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("巡课人"), on_delete=models.PROTECT, related_name="patrols"
    )
    teacher_present = models.BooleanField(_("教师在岗"), default=True)
    head_count = models.PositiveSmallIntegerField(_("实到人数"))
    comment = models.CharField(_("评语"), max_length=500, blank=True)
    # The scores as a share of the maximum (0–100), kept so summaries need no per-item arithmetic.
    score_percent = models.DecimalField(_("得分率（%）"), max_digits=5, decimal_places=1, default=0)

    scope_rule = _PATROL_SCOPE

    class Meta:
        verbose_name = _("巡课记录")
        verbose_name_plural = _("巡课记录")
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["lesson", "patroller"], name="patrol_once_per_patroller")]

    def __str__(self) -> str:
        return f"{self.patroller} 巡课 {self.lesson}"


class PatrolScore(models.Model):
    """The score of one rubric item in a patrol; the item's name and scale are copied so later rubric edits leave
    past patrols as they were."""

    patrol = models.ForeignKey(Patrol, verbose_name=_("巡课记录"), on_delete=models.CASCADE, related_name="scores")
    criterion = models.ForeignKey(
        PatrolCriterion, verbose_name=_("评价项"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    name = models.CharField(_("评价项"), max_length=32)
    scale = models.CharField(_("计分方式"), max_length=8, choices=ScoreScale.choices)
    score = models.PositiveSmallIntegerField(_("得分"))

    scope_rule = ScopeRule(region="patrol__lesson__section__school__region", school="patrol__lesson__section__school")

    class Meta:
        verbose_name = _("巡课得分")
        verbose_name_plural = _("巡课得分")
        ordering = ["patrol_id", "id"]

    def __str__(self) -> str:
        return f"{self.name} {self.score}"


class PatrolPhoto(TimeStampedModel):
    """A photo taken on patrol (jpg/png, checked by content)."""

    patrol = models.ForeignKey(Patrol, verbose_name=_("巡课记录"), on_delete=models.CASCADE, related_name="photos")
    file = models.FileField(_("照片"), upload_to="patrol/%Y/%m/", max_length=255)
    content_type = models.CharField(_("内容类型"), max_length=100)
    size = models.PositiveIntegerField(_("大小（字节）"))

    scope_rule = ScopeRule(region="patrol__lesson__section__school__region", school="patrol__lesson__section__school")

    class Meta:
        verbose_name = _("巡课照片")
        verbose_name_plural = _("巡课照片")
        ordering = ["patrol_id", "id"]

    def __str__(self) -> str:
        return self.file.name

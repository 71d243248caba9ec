"""A student's place in a section (选课报名): placed by the school (原班, free or compulsory sections, split and
move), or chosen by a parent, when it waits as `pending` for its order to be paid."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from afterschool.core.models import TimeStampedModel
from afterschool.tenancy.scoping import ScopeRule

from .choices import EnrollmentSource, EnrollmentStatus


class Enrollment(TimeStampedModel):
    section = models.ForeignKey(
        "scheduling.Section", verbose_name=_("课班"), on_delete=models.PROTECT, related_name="enrollments"
    )
    student = models.ForeignKey(
        "schools.Student", verbose_name=_("学生"), on_delete=models.PROTECT, related_name="enrollments"
    )
    status = models.CharField(
        _("状态"), max_length=16, choices=EnrollmentStatus.choices, default=EnrollmentStatus.ACTIVE
    )
    source = models.CharField(
        _("来源"), max_length=16, choices=EnrollmentSource.choices, default=EnrollmentSource.SCHOOL
    )
    ended_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    end_reason = models.CharField(_("结束原因"), max_length=200, blank=True)
    moved_to = models.ForeignKey(
        "self", verbose_name=_("调入"), null=True, blank=True, on_delete=models.SET_NULL, related_name="moved_from"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("操作人"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip

    scope_rule = ScopeRule(
        region="section__school__region",
        school="section__school",
        organization="section__course__owner_organization",
        user=("student__user", "student__guardians__user"),
        distinct=True,
    )

    class Meta:
        verbose_name = _("选课")
        verbose_name_plural = _("选课")
        ordering = ["section_id", "student_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["section", "student"],
                condition=models.Q(status__in=["active", "pending"]),
                name="enrollment_one_place_per_student",
            )
        ]

    def __str__(self) -> str:
        return f"{self.student} → {self.section}"

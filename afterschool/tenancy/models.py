from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from afterschool.core.models import TimeStampedModel

from .choices import (
    ApplicationStatus,
    OrganizationKind,
    OrganizationStatus,
    PartnershipStatus,
    RegionLevel,
    SchoolNature,
    SchoolType,
)
from .scoping import ScopeRule
from .validators import validate_credit_code, validate_region_code, validate_school_code


class Region(TimeStampedModel):
    """An administrative area (GB/T 2260): province → city → district. A bureau is scoped to one."""

    code = models.CharField(_("行政区划代码"), max_length=6, unique=True, validators=[validate_region_code])
    name = models.CharField(_("名称"), max_length=64)
    level = models.CharField(_("级别"), max_length=16, choices=RegionLevel.choices)
    parent = models.ForeignKey(
        "self", verbose_name=_("上级区域"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )

    scope_rule = ScopeRule(region="pk", school="schools", organization="organizations", distinct=True)

    class Meta:
        verbose_name = _("区域")
        verbose_name_plural = _("区域")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"


class School(TimeStampedModel):
    code = models.CharField(_("学校标识码"), max_length=10, unique=True, validators=[validate_school_code])
    name = models.CharField(_("学校名称"), max_length=128)
    region = models.ForeignKey(Region, verbose_name=_("所属区县"), on_delete=models.PROTECT, related_name="schools")
    school_type = models.CharField(_("办学类型"), max_length=32, choices=SchoolType.choices)
    nature = models.CharField(_("办学性质"), max_length=16, choices=SchoolNature.choices, default=SchoolNature.PUBLIC)
    address = models.CharField(_("地址"), max_length=255, blank=True)
    longitude = models.DecimalField(_("经度"), max_digits=9, decimal_places=6, null=True, blank=True)
    latitude = models.DecimalField(_("纬度"), max_digits=9, decimal_places=6, null=True, blank=True)
    contact_phone = models.CharField(_("联系电话"), max_length=32, blank=True)
    is_active = models.BooleanField(_("启用"), default=True)

    scope_rule = ScopeRule(region="region", school="pk", organization="partnerships__organization", distinct=True)

    class Meta:
        verbose_name = _("学校")
        verbose_name_plural = _("学校")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Organization(TimeStampedModel):
    """A third-party provider (第三方机构) registered in a region."""

    credit_code = models.CharField(_("统一社会信用代码"), max_length=18, unique=True, validators=[validate_credit_code])
    name = models.CharField(_("机构名称"), max_length=128)
    kind = models.CharField(
        _("机构类型"), max_length=32, choices=OrganizationKind.choices, default=OrganizationKind.OTHER
    )
    region = models.ForeignKey(
        Region, verbose_name=_("注册区县"), on_delete=models.PROTECT, related_name="organizations"
    )
    status = models.CharField(
        _("状态"), max_length=16, choices=OrganizationStatus.choices, default=OrganizationStatus.PENDING
    )
    contact_name = models.CharField(_("联系人"), max_length=64, blank=True)
    contact_phone = models.CharField(_("联系电话"), max_length=32, blank=True)
    address = models.CharField(_("地址"), max_length=255, blank=True)

    scope_rule = ScopeRule(region="region", school="partnerships__school", organization="pk", distinct=True)

    class Meta:
        verbose_name = _("第三方机构")
        verbose_name_plural = _("第三方机构")
        ordering = ["credit_code"]

    def __str__(self) -> str:
        return self.name


class Partnership(TimeStampedModel):
    """A school's cooperation (合作) with an organization for a period."""

    school = models.ForeignKey(School, verbose_name=_("学校"), on_delete=models.PROTECT, related_name="partnerships")
    organization = models.ForeignKey(
        Organization, verbose_name=_("机构"), on_delete=models.PROTECT, related_name="partnerships"
    )
    starts_on = models.DateField(_("开始日期"))
    ends_on = models.DateField(_("结束日期"), null=True, blank=True)
    status = models.CharField(
        _("状态"), max_length=16, choices=PartnershipStatus.choices, default=PartnershipStatus.ACTIVE
    )
    end_reason = models.CharField(_("结束原因"), max_length=200, blank=True)

    scope_rule = ScopeRule(region="school__region", school="school", organization="organization")

    class Meta:
        verbose_name = _("合作关系")
        verbose_name_plural = _("合作关系")
        ordering = ["-starts_on"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__isnull=True) | models.Q(ends_on__gte=models.F("starts_on")),
                name="partnership_ends_after_start",
            )
        ]

    def __str__(self) -> str:
        return f"{self.school} ↔ {self.organization}"


class OrganizationApplication(TimeStampedModel):
    """入驻申请 (§5.1.2): an organization asks through the public form; the bureau of the region reviews it.

    Every application is kept: a rejected organization may apply again, and its earlier applications stay as the
    history. Approval creates (or reactivates) the Organization and its org admin account.
    """

    reference = models.CharField(_("申请编号"), max_length=24, unique=True)
    credit_code = models.CharField(_("统一社会信用代码"), max_length=18, validators=[validate_credit_code])
    name = models.CharField(_("机构名称"), max_length=128)
    kind = models.CharField(
        _("机构类型"), max_length=32, choices=OrganizationKind.choices, default=OrganizationKind.OTHER
    )
    region = models.ForeignKey(
        Region, verbose_name=_("申请入驻区县"), on_delete=models.PROTECT, related_name="organization_applications"
    )
    licence = models.FileField(_("营业执照或登记证书"), upload_to="organizations/licences/%Y/%m/", max_length=255)
    contact_name = models.CharField(_("联系人"), max_length=64)
    contact_phone = models.CharField(_("联系电话"), max_length=32)
    contact_email = models.EmailField(_("电子邮箱"), blank=True)
    address = models.CharField(_("地址"), max_length=255)
    course_categories = models.JSONField(_("可提供的课程类别"), default=list)
    teacher_summary = models.TextField(_("师资情况"), max_length=2000)
    status = models.CharField(
        _("状态"), max_length=16, choices=ApplicationStatus.choices, default=ApplicationStatus.SUBMITTED
    )
    reviewed_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("审核人"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    review_comment = models.CharField(_("审核意见"), max_length=500, blank=True)
    organization = models.ForeignKey(
        Organization, verbose_name=_("机构"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="applications",
    )  # fmt: skip

    scope_rule = ScopeRule(region="region", organization="organization")

    class Meta:
        verbose_name = _("入驻申请")
        verbose_name_plural = _("入驻申请")
        ordering = ["-created_at"]
        constraints = [
            # One open application per organization at a time.
            models.UniqueConstraint(
                fields=["credit_code"],
                condition=models.Q(status="submitted"),
                name="application_one_open_per_credit_code",
            )
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.name}"


class OrganizationStatusChange(models.Model):
    """History of an organization's status (入驻, 暂停, 恢复, 退出) with the reason and who decided."""

    organization = models.ForeignKey(
        Organization, verbose_name=_("机构"), on_delete=models.CASCADE, related_name="status_changes"
    )
    from_status = models.CharField(_("原状态"), max_length=16, choices=OrganizationStatus.choices, blank=True)
    to_status = models.CharField(_("新状态"), max_length=16, choices=OrganizationStatus.choices)
    reason = models.CharField(_("原因"), max_length=500, blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("操作人"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    changed_at = models.DateTimeField(_("时间"), auto_now_add=True)

    scope_rule = ScopeRule(
        region="organization__region", school="organization__partnerships__school", organization="organization",
        distinct=True,
    )  # fmt: skip

    class Meta:
        verbose_name = _("机构状态变更")
        verbose_name_plural = _("机构状态变更")
        ordering = ["-changed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.organization} {self.from_status}→{self.to_status}"

"""Orders (缴费订单) that hold a seat until paid, the waitlist (候补), and each school's fee settings.
Payments through the bank gateway, refunds, reconciliation and settlements come next (see docs)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from afterschool.core.models import TimeStampedModel
from afterschool.tenancy.scoping import ScopeRule

from .choices import OrderStatus, WaitlistStatus

_STUDENT_SCOPE = ScopeRule(
    region="school__region",
    school="school",
    organization="section__course__owner_organization",
    user=("student__user", "student__guardians__user"),
    distinct=True,
)


class FeeSettings(TimeStampedModel):
    """A school's rules for orders: how long a held seat waits for payment (default 15 minutes)."""

    school = models.OneToOneField(
        "tenancy.School", verbose_name=_("学校"), on_delete=models.CASCADE, related_name="fee_settings"
    )
    payment_minutes = models.PositiveSmallIntegerField(_("支付时限（分钟）"), default=15)
    waitlist_offer_minutes = models.PositiveSmallIntegerField(_("候补递补支付时限（分钟）"), default=60)

    scope_rule = ScopeRule(region="school__region", school="school")

    class Meta:
        verbose_name = _("缴费设置")
        verbose_name_plural = _("缴费设置")

    def __str__(self) -> str:
        return f"{self.school} 缴费设置"


class Order(TimeStampedModel):
    """缴费订单: one student's place in one section, with the amount due and a payment deadline."""

    order_no = models.CharField(_("订单号"), max_length=32, unique=True)
    school = models.ForeignKey(
        "tenancy.School", verbose_name=_("学校"), on_delete=models.PROTECT, related_name="orders"
    )
    section = models.ForeignKey(
        "scheduling.Section", verbose_name=_("课班"), on_delete=models.PROTECT, related_name="orders"
    )
    student = models.ForeignKey(
        "schools.Student", verbose_name=_("学生"), on_delete=models.PROTECT, related_name="orders"
    )
    enrollment = models.ForeignKey(
        "enrollment.Enrollment", verbose_name=_("选课"), on_delete=models.PROTECT, related_name="orders"
    )
    payer = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("下单人"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="orders",
    )  # fmt: skip
    fee_fen = models.PositiveIntegerField(_("报名费（分）"))
    materials_fen = models.PositiveIntegerField(_("材料费（分）"), default=0)
    amount_fen = models.PositiveIntegerField(_("应付金额（分）"))
    materials_included = models.BooleanField(_("含材料"), default=False)
    status = models.CharField(_("状态"), max_length=16, choices=OrderStatus.choices, default=OrderStatus.PENDING)
    deadline = models.DateTimeField(_("支付截止时间"))
    paid_at = models.DateTimeField(_("支付时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("关闭时间"), null=True, blank=True)
    close_reason = models.CharField(_("关闭原因"), max_length=200, blank=True)

    scope_rule = _STUDENT_SCOPE

    class Meta:
        verbose_name = _("缴费订单")
        verbose_name_plural = _("缴费订单")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "deadline"], name="order_status_deadline")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount_fen=models.F("fee_fen") + models.F("materials_fen")), name="order_amount_sum"
            )
        ]

    def __str__(self) -> str:
        return self.order_no


class WaitlistEntry(TimeStampedModel):
    """候补: a student queued for a full section, in the order of joining; a freed seat is offered to the first."""

    school = models.ForeignKey(
        "tenancy.School", verbose_name=_("学校"), on_delete=models.PROTECT, related_name="waitlist_entries"
    )
    section = models.ForeignKey(
        "scheduling.Section", verbose_name=_("课班"), on_delete=models.PROTECT, related_name="waitlist_entries"
    )
    student = models.ForeignKey(
        "schools.Student", verbose_name=_("学生"), on_delete=models.PROTECT, related_name="waitlist_entries"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("申请人"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    materials_included = models.BooleanField(_("含材料"), default=False)
    status = models.CharField(_("状态"), max_length=16, choices=WaitlistStatus.choices, default=WaitlistStatus.WAITING)
    offered_at = models.DateTimeField(_("递补时间"), null=True, blank=True)
    offer_deadline = models.DateTimeField(_("递补支付截止"), null=True, blank=True)
    order = models.ForeignKey(
        Order, verbose_name=_("订单"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    scope_rule = _STUDENT_SCOPE

    class Meta:
        verbose_name = _("候补")
        verbose_name_plural = _("候补")
        ordering = ["section_id", "created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["section", "student"],
                condition=models.Q(status__in=["waiting", "offered"]),
                name="waitlist_one_open_per_student",
            )
        ]

    def __str__(self) -> str:
        return f"{self.student} 候补 {self.section}"

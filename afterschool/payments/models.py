"""Orders (缴费订单) that hold a seat until paid, the waitlist (候补), and each school's fee settings.
Payments through the bank gateway, refunds, reconciliation and settlements come next (see docs)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from afterschool.core.models import TimeStampedModel
from afterschool.tenancy.scoping import ScopeRule

from .choices import (
    BillRaisedBy,
    BillStatus,
    OrderStatus,
    PaymentStatus,
    ReconciliationKind,
    RefundReason,
    RefundStatus,
    SettlementMode,
    WaitlistStatus,
)

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
    # Refund policy (退费规则): in full before the first lesson; after it, prorated by the lessons remaining (or
    # nothing when this is off); materials refundable only while not handed out (and only if this is on).
    prorate_after_start = models.BooleanField(_("开课后按剩余课次比例退费"), default=True)
    materials_refundable = models.BooleanField(_("未发放的材料费可退"), default=True)

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
    materials_handed_out = models.BooleanField(_("材料已发放"), default=False)
    refunded_fen = models.PositiveIntegerField(_("已退金额（分）"), default=0)

    scope_rule = _STUDENT_SCOPE

    class Meta:
        verbose_name = _("缴费订单")
        verbose_name_plural = _("缴费订单")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "deadline"], name="order_status_deadline")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount_fen=models.F("fee_fen") + models.F("materials_fen")), name="order_amount_sum"
            ),
            models.CheckConstraint(
                condition=models.Q(refunded_fen__lte=models.F("amount_fen")), name="order_refund_within_amount"
            ),
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


class Payment(TimeStampedModel):
    """A payment of an order through the bank gateway. Credited once: the bank's transaction id is unique and the
    order moves to paid in the same transaction."""

    order = models.ForeignKey(Order, verbose_name=_("订单"), on_delete=models.PROTECT, related_name="payments")
    gateway = models.CharField(_("支付渠道"), max_length=32)
    bank_payment_id = models.CharField(_("银行支付单号"), max_length=64, blank=True)
    bank_txn_id = models.CharField(_("银行交易流水号"), max_length=64, null=True, blank=True, unique=True)
    amount_fen = models.PositiveIntegerField(_("金额（分）"))
    status = models.CharField(_("状态"), max_length=16, choices=PaymentStatus.choices, default=PaymentStatus.PENDING)
    paid_at = models.DateTimeField(_("支付时间"), null=True, blank=True)

    scope_rule = ScopeRule(
        region="order__school__region",
        school="order__school",
        organization="order__section__course__owner_organization",
        user=("order__student__user", "order__student__guardians__user"),
        distinct=True,
    )

    class Meta:
        verbose_name = _("支付")
        verbose_name_plural = _("支付")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.order} {self.get_status_display()}"


class BankNotice(models.Model):
    """Every asynchronous notice the bank sent, as received (kept for idempotency checks and disputes)."""

    received_at = models.DateTimeField(_("接收时间"), auto_now_add=True)
    kind = models.CharField(_("类型"), max_length=16)  # payment | refund
    reference = models.CharField(_("单号"), max_length=64, db_index=True)
    body = models.TextField(_("报文"))
    signature = models.TextField(_("签名"), blank=True)
    verified = models.BooleanField(_("验签通过"), default=False)
    outcome = models.CharField(_("处理结果"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("银行通知")
        verbose_name_plural = _("银行通知")
        ordering = ["-received_at", "-id"]

    def __str__(self) -> str:
        return f"{self.kind} {self.reference}"


class Refund(TimeStampedModel):
    """退款: money going back to the payer by the original route; idempotent by refund_no; never more than paid."""

    refund_no = models.CharField(_("退款单号"), max_length=32, unique=True)
    order = models.ForeignKey(Order, verbose_name=_("订单"), on_delete=models.PROTECT, related_name="refunds")
    payment = models.ForeignKey(
        Payment, verbose_name=_("原支付"), null=True, blank=True, on_delete=models.PROTECT, related_name="refunds"
    )
    reason = models.CharField(_("原因"), max_length=32, choices=RefundReason.choices)
    fee_part_fen = models.PositiveIntegerField(_("退报名费（分）"), default=0)
    materials_part_fen = models.PositiveIntegerField(_("退材料费（分）"), default=0)
    amount_fen = models.PositiveIntegerField(_("退款金额（分）"))
    policy = models.JSONField(_("计算依据"), default=dict, blank=True)
    status = models.CharField(_("状态"), max_length=16, choices=RefundStatus.choices, default=RefundStatus.REQUESTED)
    note = models.CharField(_("说明"), max_length=200, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("申请人"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("审核人"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    decided_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    reject_reason = models.CharField(_("驳回原因"), max_length=200, blank=True)
    bank_refund_id = models.CharField(_("银行退款流水号"), max_length=64, blank=True)
    completed_at = models.DateTimeField(_("退款完成时间"), null=True, blank=True)

    scope_rule = ScopeRule(
        region="order__school__region",
        school="order__school",
        organization="order__section__course__owner_organization",
        user=("order__student__user", "order__student__guardians__user"),
        distinct=True,
    )

    class Meta:
        verbose_name = _("退款")
        verbose_name_plural = _("退款")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount_fen=models.F("fee_part_fen") + models.F("materials_part_fen")),
                name="refund_amount_sum",
            )
        ]

    def __str__(self) -> str:
        return self.refund_no


_SCHOOL_ORG_SCOPE = ScopeRule(region="school__region", school="school", organization="organization")


class SettlementTerms(TimeStampedModel):
    """结算约定: how a school pays an organization for a period — per lesson delivered, per student-lesson, or a
    share (‰) of the fees collected net of refunds."""

    school = models.ForeignKey(
        "tenancy.School", verbose_name=_("学校"), on_delete=models.PROTECT, related_name="settlement_terms"
    )
    organization = models.ForeignKey(
        "tenancy.Organization", verbose_name=_("机构"), on_delete=models.PROTECT, related_name="settlement_terms"
    )
    mode = models.CharField(_("结算方式"), max_length=24, choices=SettlementMode.choices)
    rate_fen = models.PositiveIntegerField(_("单价（分）"), default=0, help_text=_("按课次或按人次时的单价"))
    share_permille = models.PositiveSmallIntegerField(_("分成（‰）"), default=0, help_text=_("按学费分成时，0–1000"))
    starts_on = models.DateField(_("开始日期"))
    ends_on = models.DateField(_("结束日期"), null=True, blank=True)
    note = models.CharField(_("说明"), max_length=200, blank=True)

    scope_rule = _SCHOOL_ORG_SCOPE

    class Meta:
        verbose_name = _("结算约定")
        verbose_name_plural = _("结算约定")
        ordering = ["school_id", "organization_id", "-starts_on"]
        constraints = [
            models.CheckConstraint(condition=models.Q(share_permille__lte=1000), name="terms_share_permille_range")
        ]

    def __str__(self) -> str:
        return f"{self.school} ↔ {self.organization} {self.get_mode_display()}"


class SettlementBill(TimeStampedModel):
    """结算单: what a school owes an organization for a period, computed from delivered lessons and the terms."""

    bill_no = models.CharField(_("结算单号"), max_length=32, unique=True)
    school = models.ForeignKey(
        "tenancy.School", verbose_name=_("学校"), on_delete=models.PROTECT, related_name="settlement_bills"
    )
    organization = models.ForeignKey(
        "tenancy.Organization", verbose_name=_("机构"), on_delete=models.PROTECT, related_name="settlement_bills"
    )
    terms = models.ForeignKey(
        SettlementTerms, verbose_name=_("结算约定"), on_delete=models.PROTECT, related_name="bills"
    )
    period_start = models.DateField(_("结算开始日期"))
    period_end = models.DateField(_("结算结束日期"))
    lessons_delivered = models.PositiveIntegerField(_("已上课次"), default=0)
    student_lessons = models.PositiveIntegerField(_("人次"), default=0)
    fees_net_fen = models.BigIntegerField(_("学费净额（分）"), default=0)
    amount_fen = models.BigIntegerField(_("结算金额（分）"), default=0)
    details = models.JSONField(_("明细"), default=list, blank=True)
    status = models.CharField(_("状态"), max_length=24, choices=BillStatus.choices, default=BillStatus.DRAFT)
    raised_by = models.CharField(_("发起方"), max_length=16, choices=BillRaisedBy.choices)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("发起人"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    paid_at = models.DateTimeField(_("支付时间"), null=True, blank=True)

    scope_rule = _SCHOOL_ORG_SCOPE

    class Meta:
        verbose_name = _("结算单")
        verbose_name_plural = _("结算单")
        ordering = ["-period_end", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(period_end__gte=models.F("period_start")), name="bill_period_range"
            )
        ]

    def __str__(self) -> str:
        return self.bill_no


class SettlementEvent(models.Model):
    """A step of a bill's approval (提交、学校确认、教育局复核、退回、支付), never changed."""

    bill = models.ForeignKey(SettlementBill, verbose_name=_("结算单"), on_delete=models.CASCADE, related_name="events")
    action = models.CharField(_("操作"), max_length=32)
    from_status = models.CharField(_("原状态"), max_length=24, blank=True)
    to_status = models.CharField(_("新状态"), max_length=24)
    comment = models.CharField(_("意见"), max_length=500, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("操作人"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    actor_role = models.CharField(_("操作角色"), max_length=32, blank=True)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)

    scope_rule = ScopeRule(region="bill__school__region", school="bill__school", organization="bill__organization")

    class Meta:
        verbose_name = _("结算记录")
        verbose_name_plural = _("结算记录")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.bill} {self.action}"


class BankStatement(TimeStampedModel):
    """对账单: the bank's daily statement as imported (CSV with a totals line), and what matched."""

    statement_date = models.DateField(_("对账日期"))
    gateway = models.CharField(_("支付渠道"), max_length=32)
    content = models.TextField(_("原始对账单"))
    line_count = models.PositiveIntegerField(_("明细笔数"), default=0)
    bank_total_fen = models.BigIntegerField(_("银行合计（分）"), default=0)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("导入人"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip

    # Statements are the platform's; schools and the bureau see their lines (ReconciliationItem).
    scope_rule = ScopeRule()

    class Meta:
        verbose_name = _("银行对账单")
        verbose_name_plural = _("银行对账单")
        ordering = ["-statement_date", "-id"]
        constraints = [models.UniqueConstraint(fields=["gateway", "statement_date"], name="statement_one_per_day")]

    def __str__(self) -> str:
        return f"{self.gateway} {self.statement_date}"


class ReconciliationItem(models.Model):
    """One line of a reconciliation: matched, bank-only (长款), platform-only (短款) or an amount mismatch."""

    statement = models.ForeignKey(
        BankStatement, verbose_name=_("对账单"), on_delete=models.CASCADE, related_name="items"
    )
    kind = models.CharField(_("结果"), max_length=24, choices=ReconciliationKind.choices)
    txn_type = models.CharField(_("交易类型"), max_length=16)  # payment | refund
    reference = models.CharField(_("单号"), max_length=64)
    bank_txn_id = models.CharField(_("银行流水号"), max_length=64, blank=True)
    bank_amount_fen = models.BigIntegerField(_("银行金额（分）"), null=True, blank=True)
    platform_amount_fen = models.BigIntegerField(_("平台金额（分）"), null=True, blank=True)
    school = models.ForeignKey(
        "tenancy.School", verbose_name=_("学校"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    order = models.ForeignKey(
        Order, verbose_name=_("订单"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    refund = models.ForeignKey(
        Refund, verbose_name=_("退款"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    scope_rule = ScopeRule(region="school__region", school="school")

    class Meta:
        verbose_name = _("对账结果")
        verbose_name_plural = _("对账结果")
        ordering = ["statement_id", "kind", "reference"]

    def __str__(self) -> str:
        return f"{self.reference} {self.get_kind_display()}"


class LedgerAccount(models.TextChoices):
    HELD = "held", "代收待结算"  # collected from parents, not yet paid out to an organization
    SETTLED = "settled", "已结算"  # paid out to organizations under settlement bills


class LedgerKind(models.TextChoices):
    PAYMENT = "payment", "缴费"
    REFUND = "refund", "退款"
    SETTLEMENT = "settlement", "结算"


class LedgerQuerySet(models.QuerySet["LedgerEntry"]):
    """Entries are never changed nor removed in bulk either."""

    def update(self, **kwargs: object) -> int:
        raise TypeError("账务流水只能追加，不能修改")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise TypeError("账务流水只能追加，不能删除")


class LedgerEntry(models.Model):
    """账务流水: one signed movement of money between the platform's accounts (held = collected and not yet settled,
    settled = paid out to organizations), posted in the same transaction as the status change that moves it.
    Append-only; unique per (kind, reference, account), so a duplicate credit, refund or settlement never posts twice.
    The balances are sums of entries: paid − refunded = held + settled at every moment."""

    school = models.ForeignKey(
        "tenancy.School", verbose_name=_("学校"), on_delete=models.PROTECT, related_name="ledger_entries"
    )
    organization = models.ForeignKey(
        "tenancy.Organization", verbose_name=_("机构"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="ledger_entries",
    )  # fmt: skip
    order = models.ForeignKey(
        Order, verbose_name=_("订单"), null=True, blank=True, on_delete=models.PROTECT, related_name="ledger_entries"
    )
    bill = models.ForeignKey(
        SettlementBill, verbose_name=_("结算单"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="ledger_entries",
    )  # fmt: skip
    account = models.CharField(_("账户"), max_length=16, choices=LedgerAccount.choices)
    amount_fen = models.BigIntegerField(_("金额（分）"))  # signed: + into the account, − out of it
    kind = models.CharField(_("类型"), max_length=16, choices=LedgerKind.choices)
    reference = models.CharField(_("单号"), max_length=64)  # bank txn id | refund_no | bill_no
    created_at = models.DateTimeField(_("记账时间"), auto_now_add=True)

    objects = LedgerQuerySet.as_manager()

    scope_rule = _SCHOOL_ORG_SCOPE

    class Meta:
        verbose_name = _("账务流水")
        verbose_name_plural = _("账务流水")
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "reference", "account"], name="ledger_once_per_reference")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.reference} {self.account} {self.amount_fen:+d}"

    def save(self, *args: object, **kwargs: object) -> None:
        if not self._state.adding:
            raise TypeError("账务流水只能追加，不能修改")
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    def delete(self, *args: object, **kwargs: object) -> tuple[int, dict[str, int]]:
        raise TypeError("账务流水只能追加，不能删除")

from django.db import models


class OrderStatus(models.TextChoices):
    PENDING = "pending", "待支付"  # the seat is held until the deadline
    PAID = "paid", "已支付"
    CLOSED = "closed", "已关闭"  # not paid by the deadline (or given up): the seat is freed
    CANCELLED = "cancelled", "已取消"
    REFUNDED = "refunded", "已退款"  # refunded in full


class WaitlistStatus(models.TextChoices):
    WAITING = "waiting", "候补中"
    OFFERED = "offered", "已递补待支付"  # a freed seat is held for this student until the offer's deadline
    ACCEPTED = "accepted", "已递补"
    EXPIRED = "expired", "递补已过期"
    CANCELLED = "cancelled", "已取消"


class PaymentStatus(models.TextChoices):
    PENDING = "pending", "待支付"
    SUCCEEDED = "succeeded", "支付成功"
    FAILED = "failed", "支付失败"


class RefundStatus(models.TextChoices):
    REQUESTED = "requested", "待审核"
    REJECTED = "rejected", "已驳回"
    PROCESSING = "processing", "退款中"  # approved and sent to the bank
    SUCCEEDED = "succeeded", "已退款"
    FAILED = "failed", "退款失败"


class RefundReason(models.TextChoices):
    WITHDRAWAL = "withdrawal", "家长退课"
    SECTION_CANCELLED = "section_cancelled", "课班取消"
    SCHOOL = "school", "学校退款"


class SettlementMode(models.TextChoices):
    PER_LESSON = "per_lesson", "按课次"
    PER_STUDENT_LESSON = "per_student_lesson", "按人次"
    FEE_SHARE = "fee_share", "按学费分成"


class BillStatus(models.TextChoices):
    DRAFT = "draft", "草稿"
    SUBMITTED = "submitted", "已提交"
    SCHOOL_APPROVED = "school_approved", "学校已确认"
    BUREAU_REVIEWED = "bureau_reviewed", "教育局已复核"
    PAID = "paid", "已支付"
    REJECTED = "rejected", "已退回"


class BillRaisedBy(models.TextChoices):
    SCHOOL = "school", "学校"
    ORGANIZATION = "organization", "机构"
    BANK = "bank", "银行"


class ReconciliationKind(models.TextChoices):
    MATCHED = "matched", "一致"
    BANK_ONLY = "bank_only", "长款（银行有、平台无）"
    PLATFORM_ONLY = "platform_only", "短款（平台有、银行无）"
    AMOUNT_MISMATCH = "amount_mismatch", "金额不符"

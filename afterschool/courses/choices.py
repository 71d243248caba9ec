from django.db import models


class OfferStatus(models.TextChoices):
    """A course offered to one school (课程审核): the school (or the bureau) decides."""

    SUBMITTED = "submitted", "待审核"
    APPROVED = "approved", "已通过"
    REJECTED = "rejected", "已驳回"
    WITHDRAWN = "withdrawn", "已撤销通过"  # the bureau withdrew approval for quality (§5.1.2 课程质量监管)
    RECALLED = "recalled", "已撤回"  # the owner took the submission back before a decision


class ReviewAction(models.TextChoices):
    SUBMIT = "submit", "提交审核"
    RECALL = "recall", "撤回提交"
    APPROVE = "approve", "审核通过"
    REJECT = "reject", "驳回"
    WITHDRAW = "withdraw", "撤销通过"


class BackgroundCheck(models.TextChoices):
    """背景审查 (无犯罪记录等) of an organization teacher."""

    PENDING = "pending", "待审查"
    PASSED = "passed", "已通过"
    FAILED = "failed", "未通过"


class DispatchStatus(models.TextChoices):
    ACTIVE = "active", "外派中"
    CANCELLED = "cancelled", "已取消"

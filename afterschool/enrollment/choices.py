from django.db import models


class EnrollmentStatus(models.TextChoices):
    PENDING = "pending", "待缴费"  # a seat held by an unpaid order until its deadline
    ACTIVE = "active", "在读"
    EXPIRED = "expired", "未缴费关闭"
    WITHDRAWN = "withdrawn", "已退课"
    REMOVED = "removed", "已移出"
    MOVED = "moved", "已调班"
    CANCELLED = "cancelled", "课班取消"


class EnrollmentSource(models.TextChoices):
    SCHOOL = "school", "学校安排"
    PARENT = "parent", "家长报名"
    SPLIT = "split", "分班"
    MOVE = "move", "调班"


# The statuses that take a seat (capacity) and a time (conflicts): paid or awaiting payment.
SEAT_HOLDING = (EnrollmentStatus.ACTIVE, EnrollmentStatus.PENDING)

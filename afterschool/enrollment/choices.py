from django.db import models


class EnrollmentStatus(models.TextChoices):
    ACTIVE = "active", "在读"
    WITHDRAWN = "withdrawn", "已退课"
    REMOVED = "removed", "已移出"
    MOVED = "moved", "已调班"
    CANCELLED = "cancelled", "课班取消"


class EnrollmentSource(models.TextChoices):
    SCHOOL = "school", "学校安排"
    PARENT = "parent", "家长报名"
    SPLIT = "split", "分班"
    MOVE = "move", "调班"

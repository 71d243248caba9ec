from django.db import models


class MomentStatus(models.TextChoices):
    PENDING = "pending", "待审核"
    APPROVED = "approved", "已通过"
    REJECTED = "rejected", "已驳回"


class MomentMediaKind(models.TextChoices):
    IMAGE = "image", "图片"
    VIDEO = "video", "视频"


# The four things a parent scores a section on (§5.4.6), each 1–5.
EVALUATION_ASPECTS: list[tuple[str, str]] = [
    ("content_score", "课程内容"),
    ("teacher_score", "授课教师"),
    ("resources_score", "课程资源"),
    ("management_score", "课堂管理"),
]

"""Enumerations shared by several domains."""

from django.db import models


class Weekday(models.IntegerChoices):
    MONDAY = 1, "星期一"
    TUESDAY = 2, "星期二"
    WEDNESDAY = 3, "星期三"
    THURSDAY = 4, "星期四"
    FRIDAY = 5, "星期五"
    SATURDAY = 6, "星期六"
    SUNDAY = 7, "星期日"


class HealthState(models.TextChoices):
    OK = "ok", "正常"
    FAILING = "failing", "异常"


class CourseCategory(models.TextChoices):
    """课程类别: what a course is about; organizations declare the kinds they offer, dispatches allow some."""

    TUTORING = "tutoring", "学科辅导"
    READING = "reading", "阅读"
    SPORTS = "sports", "体育"
    ARTS = "arts", "艺术"
    SCIENCE = "science", "科普"
    LABOUR = "labour", "劳动"
    PSYCHOLOGY = "psychology", "心理"
    CLUB = "club", "社团"
    OTHER = "other", "其他"


class MediaKind(models.TextChoices):
    """Media kinds of JY/T 0650 accepted for uploads; each is checked by content (see core/media.py)."""

    DOCUMENT = "document", "文档"
    IMAGE = "image", "图片"
    AUDIO = "audio", "音频"
    VIDEO = "video", "视频"

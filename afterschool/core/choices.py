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

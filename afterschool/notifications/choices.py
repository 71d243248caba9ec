from django.db import models


class NotificationKind(models.TextChoices):
    LESSON_CHANGED = "lesson_changed", "课次变动"
    SECTION_CHANGED = "section_changed", "课班变动"
    SECTION_CANCELLED = "section_cancelled", "课班取消"
    ENROLLMENT = "enrollment", "选课"
    WAITLIST = "waitlist", "候补"
    PAYMENT = "payment", "缴费"
    REFUND = "refund", "退款"
    SETTLEMENT = "settlement", "结算"
    ATTENDANCE = "attendance", "考勤"
    LEAVE = "leave", "请假"

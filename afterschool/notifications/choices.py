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
    ANNOUNCEMENT = "announcement", "学校公告"
    MOMENT = "moment", "课堂风采"


class Channel(models.TextChoices):
    """Where a notification goes besides the in-app centre (always on): chosen per kind by each person."""

    SMS = "sms", "短信"
    WECHAT = "wechat", "微信"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "待发送"
    SENT = "sent", "已发送"
    FAILED = "failed", "发送失败（将重试）"
    GAVE_UP = "gave_up", "已放弃"


class Audience(models.TextChoices):
    """Who a school announcement goes to."""

    ALL_PARENTS = "all_parents", "全校家长"
    GRADE = "grade", "某年级家长"
    CLASS = "class", "某班级家长"
    SECTION = "section", "某课班家长"
    TEACHERS = "teachers", "本校教师"

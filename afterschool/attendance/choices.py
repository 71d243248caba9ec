from django.db import models


class AttendanceStatus(models.TextChoices):
    PRESENT = "present", "出勤"
    LATE = "late", "迟到"
    ABSENT = "absent", "缺勤"
    LEFT_EARLY = "left_early", "早退"
    LEAVE = "leave", "请假"


# The statuses that count as attending when rates are computed (late and left early came, but not fully).
ATTENDED = (AttendanceStatus.PRESENT, AttendanceStatus.LATE, AttendanceStatus.LEFT_EARLY)


class LeaveStatus(models.TextChoices):
    PENDING = "pending", "待审批"
    APPROVED = "approved", "已批准"
    REJECTED = "rejected", "已驳回"
    WITHDRAWN = "withdrawn", "已撤回"


class TeacherLeaveResolution(models.TextChoices):
    SUBSTITUTE = "substitute", "安排代课"
    CANCEL = "cancel", "停课"

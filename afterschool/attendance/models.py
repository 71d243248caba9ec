"""Attendance (考勤, §5.3.2, §5.4.4): a school's check-in rules and geofence, teachers' check-in and check-out per
lesson, students' attendance per lesson, and leave (请假) of students and of teachers."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from afterschool.core.models import TimeStampedModel
from afterschool.tenancy.scoping import ScopeRule

from .choices import AttendanceStatus, LeaveStatus, TeacherLeaveResolution


def _lesson_scope(prefix: str, *, people: tuple[str, ...] | None = None) -> ScopeRule:
    """Rows of a lesson: its school and bureau, the organization whose course it is; `people` are the paths to the
    users (the student, its guardians) who see their own rows."""
    return ScopeRule(
        region=f"{prefix}__school__region",
        school=f"{prefix}__school",
        organization=f"{prefix}__course__owner_organization",
        user=people,
        distinct=people is not None,
    )


class AttendanceSettings(TimeStampedModel):
    """考勤设置 of a school: the check-in area (centre and radius; venues may have their own), the check-in and
    check-out windows around a lesson, the accuracy beyond which a position is flagged, and how long after a lesson
    its attendance may still be corrected. A school without a row uses the defaults below."""

    school = models.OneToOneField(
        "tenancy.School", verbose_name=_("学校"), on_delete=models.CASCADE, related_name="attendance_settings"
    )
    latitude = models.DecimalField(_("签到中心纬度"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("签到中心经度"), max_digits=9, decimal_places=6, null=True, blank=True)
    radius_m = models.PositiveIntegerField(_("签到半径（米）"), default=300)
    checkin_opens_minutes = models.PositiveSmallIntegerField(_("上课前可签到（分钟）"), default=15)
    checkin_closes_minutes = models.PositiveSmallIntegerField(_("上课后仍可签到（分钟）"), default=10)
    checkout_opens_minutes = models.PositiveSmallIntegerField(_("下课前可签退（分钟）"), default=10)
    checkout_closes_minutes = models.PositiveSmallIntegerField(_("下课后仍可签退（分钟）"), default=30)
    max_accuracy_m = models.PositiveIntegerField(_("定位精度要求（米）"), default=100)
    correction_hours = models.PositiveSmallIntegerField(_("课后可更正考勤（小时）"), default=48)
    notify_guardians = models.BooleanField(_("学生签到签退通知家长"), default=True)

    scope_rule = ScopeRule(region="school__region", school="school")

    class Meta:
        verbose_name = _("考勤设置")
        verbose_name_plural = _("考勤设置")
        constraints = [
            models.CheckConstraint(condition=models.Q(radius_m__gte=10), name="attendance_settings_radius_min"),
        ]

    def __str__(self) -> str:
        return f"{self.school} 考勤设置"


class VenueCheckinArea(TimeStampedModel):
    """A venue's own check-in area (a sports field across the road), used instead of the school's."""

    venue = models.OneToOneField(
        "schools.Venue", verbose_name=_("场地"), on_delete=models.CASCADE, related_name="checkin_area"
    )
    latitude = models.DecimalField(_("纬度"), max_digits=9, decimal_places=6)
    longitude = models.DecimalField(_("经度"), max_digits=9, decimal_places=6)
    radius_m = models.PositiveIntegerField(_("半径（米）"), default=100)

    scope_rule = ScopeRule(region="venue__school__region", school="venue__school")

    class Meta:
        verbose_name = _("场地签到范围")
        verbose_name_plural = _("场地签到范围")
        constraints = [models.CheckConstraint(condition=models.Q(radius_m__gte=10), name="venue_area_radius_min")]

    def __str__(self) -> str:
        return f"{self.venue} 签到范围"


class TeacherCheckin(TimeStampedModel):
    """A teacher's check-in and check-out (签到/签退) for one lesson, with the phone's position each time: where it
    was, how far from the centre of the area, how accurate, and whether the accuracy was too poor to trust."""

    lesson = models.ForeignKey(
        "scheduling.Lesson", verbose_name=_("课次"), on_delete=models.CASCADE, related_name="teacher_checkins"
    )
    teacher = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("教师"), on_delete=models.PROTECT, related_name="lesson_checkins"
    )
    checked_in_at = models.DateTimeField(_("签到时间"))
    in_latitude = models.DecimalField(_("签到纬度"), max_digits=9, decimal_places=6)
    in_longitude = models.DecimalField(_("签到经度"), max_digits=9, decimal_places=6)
    in_accuracy_m = models.PositiveIntegerField(_("签到定位精度（米）"))
    in_distance_m = models.PositiveIntegerField(_("签到距离（米）"))
    in_flagged = models.BooleanField(_("签到定位精度差"), default=False)
    checked_out_at = models.DateTimeField(_("签退时间"), null=True, blank=True)
    out_latitude = models.DecimalField(_("签退纬度"), max_digits=9, decimal_places=6, null=True, blank=True)
    out_longitude = models.DecimalField(_("签退经度"), max_digits=9, decimal_places=6, null=True, blank=True)
    out_accuracy_m = models.PositiveIntegerField(_("签退定位精度（米）"), null=True, blank=True)
    out_distance_m = models.PositiveIntegerField(_("签退距离（米）"), null=True, blank=True)
    out_flagged = models.BooleanField(_("签退定位精度差"), default=False)

    scope_rule = _lesson_scope("lesson__section")

    class Meta:
        verbose_name = _("教师签到")
        verbose_name_plural = _("教师签到")
        ordering = ["-checked_in_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["lesson", "teacher"], name="teacher_checkin_once")]

    def __str__(self) -> str:
        return f"{self.teacher} {self.lesson}"


class LeaveRequest(TimeStampedModel):
    """A parent's request that a child miss one or more future lessons of one section (请假), decided by the
    section's teacher or the school. Approved, it fills those lessons' attendance with 请假."""

    student = models.ForeignKey(
        "schools.Student", verbose_name=_("学生"), on_delete=models.PROTECT, related_name="leave_requests"
    )
    section = models.ForeignKey(
        "scheduling.Section", verbose_name=_("课班"), on_delete=models.PROTECT, related_name="leave_requests"
    )
    lessons = models.ManyToManyField("scheduling.Lesson", verbose_name=_("请假课次"), related_name="leave_requests")
    reason = models.CharField(_("请假原因"), max_length=200)
    status = models.CharField(_("状态"), max_length=16, choices=LeaveStatus.choices, default=LeaveStatus.PENDING)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("申请人"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("审批人"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    decided_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    decision_note = models.CharField(_("审批意见"), max_length=200, blank=True)

    scope_rule = _lesson_scope("section", people=("student__user", "student__guardians__user"))

    class Meta:
        verbose_name = _("学生请假")
        verbose_name_plural = _("学生请假")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["section", "status"], name="leave_section_status")]

    def __str__(self) -> str:
        return f"{self.student} 请假 {self.section}"


class StudentAttendance(TimeStampedModel):
    """A student's attendance at one lesson: status, check-in and check-out times, who marked it. Rows exist for
    the lessons that were marked (or covered by an approved leave); an unmarked lesson has none."""

    lesson = models.ForeignKey(
        "scheduling.Lesson", verbose_name=_("课次"), on_delete=models.CASCADE, related_name="student_attendance"
    )
    student = models.ForeignKey(
        "schools.Student", verbose_name=_("学生"), on_delete=models.PROTECT, related_name="attendance"
    )
    status = models.CharField(_("考勤状态"), max_length=16, choices=AttendanceStatus.choices)
    checked_in_at = models.DateTimeField(_("签到时间"), null=True, blank=True)
    checked_out_at = models.DateTimeField(_("签退时间"), null=True, blank=True)
    note = models.CharField(_("备注"), max_length=200, blank=True)
    leave = models.ForeignKey(
        LeaveRequest, verbose_name=_("请假单"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    marked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("登记人"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    corrected = models.BooleanField(_("课后更正过"), default=False)

    scope_rule = _lesson_scope("lesson__section", people=("student__user", "student__guardians__user"))

    class Meta:
        verbose_name = _("学生考勤")
        verbose_name_plural = _("学生考勤")
        ordering = ["lesson_id", "student_id"]
        constraints = [models.UniqueConstraint(fields=["lesson", "student"], name="student_attendance_once")]
        indexes = [models.Index(fields=["student", "status"], name="attendance_student_status")]

    def __str__(self) -> str:
        return f"{self.student} {self.lesson} {self.get_status_display()}"


class TeacherLeave(TimeStampedModel):
    """A teacher's request to miss one lesson; the school approves it by assigning a substitute or cancelling the
    lesson, or rejects it."""

    lesson = models.ForeignKey(
        "scheduling.Lesson", verbose_name=_("课次"), on_delete=models.CASCADE, related_name="teacher_leaves"
    )
    teacher = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("教师"), on_delete=models.PROTECT, related_name="lesson_leaves"
    )
    reason = models.CharField(_("请假原因"), max_length=200)
    status = models.CharField(_("状态"), max_length=16, choices=LeaveStatus.choices, default=LeaveStatus.PENDING)
    resolution = models.CharField(_("处理方式"), max_length=16, choices=TeacherLeaveResolution.choices, blank=True)
    substitute = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("代课教师"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("审批人"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    decided_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    decision_note = models.CharField(_("审批意见"), max_length=200, blank=True)

    scope_rule = _lesson_scope("lesson__section")

    class Meta:
        verbose_name = _("教师请假")
        verbose_name_plural = _("教师请假")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["lesson", "teacher"], condition=models.Q(status="pending"), name="teacher_leave_one_pending"
            )
        ]

    def __str__(self) -> str:
        return f"{self.teacher} 请假 {self.lesson}"

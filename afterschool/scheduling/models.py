"""Sections (课班), their weekly slots and teachers, generated lessons (课次), the section history, automatic
scheduling runs (排课方案) and calendar feeds (§5.2.1, §5.2.2, §5.3.2, §5.4.3)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from afterschool.accounts.models import User
from afterschool.core.choices import Weekday
from afterschool.core.models import TimeStampedModel
from afterschool.tenancy.scoping import ScopeRule

from .choices import LessonStatus, SchedulingRunStatus, SectionEventKind, SectionMode, SectionStatus


def _section_scope(prefix: str = "") -> ScopeRule:
    """Who sees a section (or what hangs from it): its school and bureau; the organization whose course it is;
    the parents and students of its enrolled students."""
    p = f"{prefix}__" if prefix else ""
    return ScopeRule(
        region=f"{p}school__region",
        school=f"{p}school",
        organization=f"{p}course__owner_organization",
        user=(f"{p}enrollments__student__user", f"{p}enrollments__student__guardians__user"),
        distinct=True,
    )


class TimeSlot(TimeStampedModel):
    """A school's after-school time slot (课后服务时段) of a weekday: the grid automatic scheduling places
    sections into, and the choices a section's weekly slots are usually taken from."""

    school = models.ForeignKey(
        "tenancy.School", verbose_name=_("学校"), on_delete=models.CASCADE, related_name="time_slots"
    )
    weekday = models.PositiveSmallIntegerField(_("星期"), choices=Weekday.choices)
    starts_at = models.TimeField(_("开始时间"))
    ends_at = models.TimeField(_("结束时间"))
    name = models.CharField(_("名称"), max_length=32, blank=True)

    scope_rule = ScopeRule(region="school__region", school="school")

    class Meta:
        verbose_name = _("课后服务时段")
        verbose_name_plural = _("课后服务时段")
        ordering = ["school_id", "weekday", "starts_at"]
        constraints = [
            models.UniqueConstraint(fields=["school", "weekday", "starts_at"], name="time_slot_unique"),
            models.CheckConstraint(condition=models.Q(ends_at__gt=models.F("starts_at")), name="time_slot_ends_after"),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.starts_at:%H:%M}–{self.ends_at:%H:%M}"


class Section(TimeStampedModel):
    """课班: an approved course offered in one term at one school, with fee, capacity, grades, weekly slots, venue
    and teachers. draft → open (报名中) → running → finished, or cancelled."""

    school = models.ForeignKey(
        "tenancy.School", verbose_name=_("学校"), on_delete=models.PROTECT, related_name="sections"
    )
    term = models.ForeignKey("schools.Term", verbose_name=_("学期"), on_delete=models.PROTECT, related_name="sections")
    course = models.ForeignKey(
        "courses.Course", verbose_name=_("课程"), on_delete=models.PROTECT, related_name="sections"
    )
    name = models.CharField(_("课班名称"), max_length=64)
    mode = models.CharField(_("上课形式"), max_length=16, choices=SectionMode.choices, default=SectionMode.WALKING)
    status = models.CharField(_("状态"), max_length=16, choices=SectionStatus.choices, default=SectionStatus.DRAFT)
    fee_fen = models.PositiveIntegerField(_("报名费用（分）"), default=0)
    materials_fee_fen = models.PositiveIntegerField(_("材料费（分）"), default=0)
    materials_included = models.BooleanField(
        _("含材料"), default=False, help_text=_("选中：材料费随报名费一并收取；不选：材料由家长自愿选购")
    )
    min_students = models.PositiveSmallIntegerField(_("最少人数"), default=1)
    max_students = models.PositiveSmallIntegerField(_("最多人数"), default=30)
    grades = models.ManyToManyField("schools.Grade", verbose_name=_("报名年级"), related_name="sections", blank=True)
    classes = models.ManyToManyField(
        "schools.SchoolClass", verbose_name=_("原班班级"), related_name="sections", blank=True
    )
    starts_on = models.DateField(_("开课日期"))
    ends_on = models.DateField(_("结课日期"))
    venue = models.ForeignKey(
        "schools.Venue", verbose_name=_("上课场地"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="sections",
    )  # fmt: skip
    registration_window = models.ForeignKey(
        "schools.RegistrationWindow", verbose_name=_("报名时段"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="sections",
    )  # fmt: skip
    teachers: models.ManyToManyField[User, SectionTeacher] = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("上课教师"), through="SectionTeacher", related_name="sections"
    )
    # Inputs of automatic scheduling (排课): how often a week, where it may go, what it would rather have.
    sessions_per_week = models.PositiveSmallIntegerField(_("每周次数"), default=1)
    allowed_slots = models.ManyToManyField(TimeSlot, verbose_name=_("可选时段"), related_name="+", blank=True)
    preferred_slots = models.ManyToManyField(TimeSlot, verbose_name=_("优先时段"), related_name="+", blank=True)
    candidate_venues = models.ManyToManyField("schools.Venue", verbose_name=_("候选场地"), related_name="+", blank=True)
    split_from = models.ForeignKey(
        "self", verbose_name=_("分出自"), null=True, blank=True, on_delete=models.SET_NULL, related_name="split_into"
    )
    cancel_reason = models.CharField(_("取消原因"), max_length=200, blank=True)
    cancelled_at = models.DateTimeField(_("取消时间"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("创建人"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip

    scope_rule = _section_scope()

    class Meta:
        verbose_name = _("课班")
        verbose_name_plural = _("课班")
        ordering = ["school_id", "term_id", "name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(max_students__gte=models.F("min_students")), name="section_capacity_range"
            ),
            models.CheckConstraint(condition=models.Q(ends_on__gte=models.F("starts_on")), name="section_date_range"),
        ]

    def __str__(self) -> str:
        return self.name


class SectionTeacher(models.Model):
    section = models.ForeignKey(Section, verbose_name=_("课班"), on_delete=models.CASCADE, related_name="teacher_links")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("教师"), on_delete=models.PROTECT, related_name="section_links"
    )
    is_main = models.BooleanField(_("主讲"), default=True)

    scope_rule = _section_scope("section")

    class Meta:
        verbose_name = _("课班教师")
        verbose_name_plural = _("课班教师")
        ordering = ["section_id", "-is_main", "id"]
        constraints = [models.UniqueConstraint(fields=["section", "user"], name="section_teacher_unique")]

    def __str__(self) -> str:
        return f"{self.section} · {self.user}"


class SectionSlot(TimeStampedModel):
    """A weekly meeting time of a section (e.g. every Tuesday 15:40–16:40)."""

    section = models.ForeignKey(Section, verbose_name=_("课班"), on_delete=models.CASCADE, related_name="slots")
    weekday = models.PositiveSmallIntegerField(_("星期"), choices=Weekday.choices)
    starts_at = models.TimeField(_("开始时间"))
    ends_at = models.TimeField(_("结束时间"))
    time_slot = models.ForeignKey(
        TimeSlot, verbose_name=_("课后服务时段"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    scope_rule = _section_scope("section")

    class Meta:
        verbose_name = _("上课时间")
        verbose_name_plural = _("上课时间")
        ordering = ["section_id", "weekday", "starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")), name="section_slot_ends_after"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.starts_at:%H:%M}–{self.ends_at:%H:%M}"


class Lesson(TimeStampedModel):
    """课次: one dated meeting of a section, numbered, teaching a chapter of the course."""

    section = models.ForeignKey(Section, verbose_name=_("课班"), on_delete=models.CASCADE, related_name="lessons")
    number = models.PositiveSmallIntegerField(_("课次序号"))
    date = models.DateField(_("日期"))
    starts_at = models.TimeField(_("开始时间"))
    ends_at = models.TimeField(_("结束时间"))
    venue = models.ForeignKey(
        "schools.Venue", verbose_name=_("场地"), null=True, blank=True, on_delete=models.PROTECT, related_name="lessons"
    )
    teachers = models.ManyToManyField(settings.AUTH_USER_MODEL, verbose_name=_("上课教师"), related_name="lessons")
    chapter = models.ForeignKey(
        "courses.Chapter", verbose_name=_("章节"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="lessons",
    )  # fmt: skip
    status = models.CharField(_("状态"), max_length=16, choices=LessonStatus.choices, default=LessonStatus.SCHEDULED)
    is_makeup = models.BooleanField(_("补课"), default=False)
    makeup_for = models.ForeignKey(
        "self", verbose_name=_("补哪一次课"), null=True, blank=True, on_delete=models.SET_NULL, related_name="makeups"
    )
    moved_from_date = models.DateField(_("原日期"), null=True, blank=True)
    moved_from_starts_at = models.TimeField(_("原开始时间"), null=True, blank=True)
    cancel_reason = models.CharField(_("停课原因"), max_length=200, blank=True)

    scope_rule = _section_scope("section")

    class Meta:
        verbose_name = _("课次")
        verbose_name_plural = _("课次")
        ordering = ["date", "starts_at", "section_id"]
        indexes = [
            models.Index(fields=["date", "starts_at"], name="lesson_date_time"),
            models.Index(fields=["venue", "date"], name="lesson_venue_date"),
            models.Index(fields=["section", "number"], name="lesson_section_number"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(ends_at__gt=models.F("starts_at")), name="lesson_ends_after")
        ]

    def __str__(self) -> str:
        return f"{self.section} 第{self.number}次 {self.date}"


class SectionEvent(models.Model):
    """The section's history (every operation on it or one of its lessons), never changed."""

    section = models.ForeignKey(Section, verbose_name=_("课班"), on_delete=models.CASCADE, related_name="events")
    lesson = models.ForeignKey(
        Lesson, verbose_name=_("课次"), null=True, blank=True, on_delete=models.SET_NULL, related_name="events"
    )
    kind = models.CharField(_("操作"), max_length=32, choices=SectionEventKind.choices)
    detail = models.JSONField(_("详情"), default=dict, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("操作人"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)

    scope_rule = _section_scope("section")

    class Meta:
        verbose_name = _("课班记录")
        verbose_name_plural = _("课班记录")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.section} {self.get_kind_display()}"


class SchedulingRun(TimeStampedModel):
    """排课方案: one run of automatic scheduling for a school's term, kept for review and applied in one step."""

    school = models.ForeignKey(
        "tenancy.School", verbose_name=_("学校"), on_delete=models.CASCADE, related_name="scheduling_runs"
    )
    term = models.ForeignKey("schools.Term", verbose_name=_("学期"), on_delete=models.CASCADE, related_name="+")
    status = models.CharField(
        _("状态"), max_length=16, choices=SchedulingRunStatus.choices, default=SchedulingRunStatus.PROPOSED
    )
    solver_status = models.CharField(_("求解结果"), max_length=32, blank=True)
    solve_seconds = models.FloatField(_("求解耗时（秒）"), default=0)
    objective = models.IntegerField(_("软目标得分"), null=True, blank=True)
    hard_violations = models.PositiveIntegerField(_("硬约束冲突数"), default=0)
    proposal = models.JSONField(_("方案"), default=list, blank=True)
    conflicts = models.JSONField(_("冲突说明"), default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("发起人"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    applied_at = models.DateTimeField(_("应用时间"), null=True, blank=True)
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("应用人"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip

    scope_rule = ScopeRule(region="school__region", school="school")

    class Meta:
        verbose_name = _("排课方案")
        verbose_name_plural = _("排课方案")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.school} {self.term} 排课方案 #{self.pk}"


class CalendarFeed(TimeStampedModel):
    """An iCalendar subscription (课表订阅) of a teacher's lessons, or of one child's for a parent (or a student's
    own). The URL carries a random token of which only the SM3 digest is kept; it can be revoked."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("用户"), on_delete=models.CASCADE, related_name="calendar_feeds"
    )
    student = models.ForeignKey(
        "schools.Student", verbose_name=_("学生"), null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    token_digest = models.CharField(_("令牌摘要"), max_length=64, unique=True)
    revoked_at = models.DateTimeField(_("吊销时间"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("最近使用"), null=True, blank=True)

    scope_rule = ScopeRule(owner="user")

    class Meta:
        verbose_name = _("课表订阅")
        verbose_name_plural = _("课表订阅")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.user} 课表订阅"

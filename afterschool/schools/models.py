"""A school's basic information (§5.2.4.1): terms, grades and classes, students and guardians, staff, venues,
emergency contacts and the regular class timetable."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from afterschool.core.choices import Weekday
from afterschool.core.masking import mask_id_number, mask_mobile
from afterschool.core.models import TimeStampedModel
from afterschool.core.personal import seal, unseal
from afterschool.tenancy.scoping import ScopeRule

from .choices import CalendarDayKind, Gender, GuardianRelation, TermNumber, VenueKind

MOBILE_PURPOSE = "person.mobile"  # a guardian finds its account through accounts.selectors.user_by_mobile
ID_NUMBER_PURPOSE = "person.id_number"

SCHOOL_SCOPE = ScopeRule(region="school__region", school="school", organization=None)


class Term(TimeStampedModel):
    """学年学期: one term of a school; the terms of a school never overlap."""

    school = models.ForeignKey("tenancy.School", verbose_name=_("学校"), on_delete=models.PROTECT, related_name="terms")
    academic_year = models.PositiveSmallIntegerField(_("学年起始年份"), help_text=_("如 2026 表示 2026–2027 学年"))
    term_number = models.PositiveSmallIntegerField(_("学期"), choices=TermNumber.choices)
    starts_on = models.DateField(_("开始日期"))
    ends_on = models.DateField(_("结束日期"))

    scope_rule = SCHOOL_SCOPE

    class Meta:
        verbose_name = _("学年学期")
        verbose_name_plural = _("学年学期")
        ordering = ["school_id", "-starts_on"]
        constraints = [
            models.UniqueConstraint(fields=["school", "academic_year", "term_number"], name="term_unique_per_school"),
            models.CheckConstraint(condition=models.Q(ends_on__gt=models.F("starts_on")), name="term_ends_after_start"),
        ]

    def __str__(self) -> str:
        return f"{self.academic_year}–{self.academic_year + 1} 学年{self.get_term_number_display()}"


class RegistrationWindow(TimeStampedModel):
    """A period (to the minute) in which parents may enrol for the term."""

    term = models.ForeignKey(
        Term, verbose_name=_("学期"), on_delete=models.CASCADE, related_name="registration_windows"
    )
    name = models.CharField(_("名称"), max_length=64)
    opens_at = models.DateTimeField(_("开始时间"))
    closes_at = models.DateTimeField(_("截止时间"))

    scope_rule = ScopeRule(region="term__school__region", school="term__school")

    class Meta:
        verbose_name = _("报名时段")
        verbose_name_plural = _("报名时段")
        ordering = ["opens_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(closes_at__gt=models.F("opens_at")), name="window_closes_after_open"
            )
        ]

    def __str__(self) -> str:
        return self.name


class CalendarDay(TimeStampedModel):
    """A day of the term calendar that differs from the weekly rule: a holiday, or a make-up school day (调休)."""

    term = models.ForeignKey(Term, verbose_name=_("学期"), on_delete=models.CASCADE, related_name="calendar_days")
    date = models.DateField(_("日期"))
    kind = models.CharField(_("类型"), max_length=16, choices=CalendarDayKind.choices)
    follows_weekday = models.PositiveSmallIntegerField(
        _("按星期几上课"), choices=Weekday.choices, null=True, blank=True, help_text=_("调休上课日按哪一天的课表")
    )
    note = models.CharField(_("说明"), max_length=128, blank=True)

    scope_rule = ScopeRule(region="term__school__region", school="term__school")

    class Meta:
        verbose_name = _("校历日")
        verbose_name_plural = _("校历日")
        ordering = ["date"]
        constraints = [models.UniqueConstraint(fields=["term", "date"], name="calendar_day_unique")]

    def __str__(self) -> str:
        return f"{self.date} {self.get_kind_display()}"


class Grade(TimeStampedModel):
    school = models.ForeignKey(
        "tenancy.School", verbose_name=_("学校"), on_delete=models.PROTECT, related_name="grades"
    )
    name = models.CharField(_("年级名称"), max_length=32)
    level = models.PositiveSmallIntegerField(_("年级序号"), help_text=_("一年级为 1，初一为 7"))

    scope_rule = SCHOOL_SCOPE

    class Meta:
        verbose_name = _("年级")
        verbose_name_plural = _("年级")
        ordering = ["school_id", "level"]
        constraints = [
            models.UniqueConstraint(fields=["school", "level"], name="grade_level_unique"),
            models.UniqueConstraint(fields=["school", "name"], name="grade_name_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class Staff(TimeStampedModel):
    """教职工. A staff member may have a teacher account (user)."""

    school = models.ForeignKey("tenancy.School", verbose_name=_("学校"), on_delete=models.PROTECT, related_name="staff")
    employee_number = models.CharField(_("工号"), max_length=32)
    name = models.CharField(_("姓名"), max_length=64)
    mobile_encrypted = models.TextField(_("手机号（密文）"), blank=True, default="")
    mobile_index = models.CharField(_("手机号索引"), max_length=64, null=True, blank=True, db_index=True)
    subjects = models.CharField(_("任教学科"), max_length=128, blank=True, help_text=_("多个学科用顿号分隔"))
    roles = models.JSONField(_("岗位"), default=list, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("账号"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="staff_records",
    )  # fmt: skip
    is_active = models.BooleanField(_("在职"), default=True)

    scope_rule = SCHOOL_SCOPE

    class Meta:
        verbose_name = _("教职工")
        verbose_name_plural = _("教职工")
        ordering = ["school_id", "employee_number"]
        constraints = [models.UniqueConstraint(fields=["school", "employee_number"], name="staff_number_unique")]

    def __str__(self) -> str:
        return self.name

    @property
    def mobile(self) -> str:
        return unseal(self.mobile_encrypted, purpose=MOBILE_PURPOSE)

    @property
    def mobile_masked(self) -> str:
        return mask_mobile(self.mobile)

    def set_mobile(self, mobile: str) -> None:
        self.mobile_encrypted, self.mobile_index = seal(mobile, purpose=MOBILE_PURPOSE)


class SchoolClass(TimeStampedModel):
    """行政班 (the student's home class)."""

    school = models.ForeignKey(
        "tenancy.School", verbose_name=_("学校"), on_delete=models.PROTECT, related_name="classes"
    )
    grade = models.ForeignKey(Grade, verbose_name=_("年级"), on_delete=models.PROTECT, related_name="classes")
    name = models.CharField(_("班级名称"), max_length=32)
    head_teacher = models.ForeignKey(
        Staff, verbose_name=_("班主任"), null=True, blank=True, on_delete=models.SET_NULL, related_name="head_of"
    )

    scope_rule = SCHOOL_SCOPE

    class Meta:
        verbose_name = _("班级")
        verbose_name_plural = _("班级")
        ordering = ["school_id", "grade__level", "name"]
        constraints = [models.UniqueConstraint(fields=["grade", "name"], name="class_name_unique_in_grade")]

    def __str__(self) -> str:
        return f"{self.grade.name}{self.name}"


class Guardian(TimeStampedModel):
    """A parent or other guardian; one guardian may have children in several schools."""

    name = models.CharField(_("姓名"), max_length=64)
    mobile_encrypted = models.TextField(_("手机号（密文）"))
    mobile_index = models.CharField(_("手机号索引"), max_length=64, unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("家长账号"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="guardian_records",
    )  # fmt: skip

    scope_rule = ScopeRule(region="students__school__region", school="students__school", user="user", distinct=True)

    class Meta:
        verbose_name = _("监护人")
        verbose_name_plural = _("监护人")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def mobile(self) -> str:
        return unseal(self.mobile_encrypted, purpose=MOBILE_PURPOSE)

    @property
    def mobile_masked(self) -> str:
        return mask_mobile(self.mobile)

    def set_mobile(self, mobile: str) -> None:
        self.mobile_encrypted, index = seal(mobile, purpose=MOBILE_PURPOSE)
        self.mobile_index = index or ""


class Student(TimeStampedModel):
    school = models.ForeignKey(
        "tenancy.School", verbose_name=_("学校"), on_delete=models.PROTECT, related_name="students"
    )
    student_number = models.CharField(_("学籍号"), max_length=32)
    name = models.CharField(_("姓名"), max_length=64)
    gender = models.CharField(_("性别"), max_length=8, choices=Gender.choices)
    birth_date = models.DateField(_("出生日期"), null=True, blank=True)
    grade = models.ForeignKey(Grade, verbose_name=_("年级"), on_delete=models.PROTECT, related_name="students")
    school_class = models.ForeignKey(
        SchoolClass, verbose_name=_("班级"), on_delete=models.PROTECT, related_name="students"
    )
    id_number_encrypted = models.TextField(_("身份证号（密文）"), blank=True, default="")
    id_number_index = models.CharField(_("身份证号索引"), max_length=64, null=True, blank=True, db_index=True)
    guardians: models.ManyToManyField[Guardian, StudentGuardian] = models.ManyToManyField(
        Guardian, verbose_name=_("监护人"), through="StudentGuardian", related_name="students"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("学生账号"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="student_records",
    )  # fmt: skip
    is_active = models.BooleanField(_("在读"), default=True)

    scope_rule = ScopeRule(region="school__region", school="school", user="guardians__user", distinct=True)

    class Meta:
        verbose_name = _("学生")
        verbose_name_plural = _("学生")
        ordering = ["school_id", "grade__level", "school_class__name", "student_number"]
        constraints = [
            models.UniqueConstraint(fields=["school", "student_number"], name="student_number_unique"),
            # Students without an ID number have a NULL index, which never collides.
            models.UniqueConstraint(fields=["school", "id_number_index"], name="student_id_number_unique"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def id_number(self) -> str:
        return unseal(self.id_number_encrypted, purpose=ID_NUMBER_PURPOSE)

    @property
    def id_number_masked(self) -> str:
        return mask_id_number(self.id_number)

    def set_id_number(self, id_number: str) -> None:
        self.id_number_encrypted, self.id_number_index = seal(id_number.upper(), purpose=ID_NUMBER_PURPOSE)


class StudentGuardian(TimeStampedModel):
    student = models.ForeignKey(
        Student, verbose_name=_("学生"), on_delete=models.CASCADE, related_name="guardian_links"
    )
    guardian = models.ForeignKey(
        Guardian, verbose_name=_("监护人"), on_delete=models.PROTECT, related_name="student_links"
    )
    relation = models.CharField(_("关系"), max_length=16, choices=GuardianRelation.choices)
    is_primary = models.BooleanField(_("主要联系人"), default=False)

    scope_rule = ScopeRule(region="student__school__region", school="student__school", user="guardian__user")

    class Meta:
        verbose_name = _("监护关系")
        verbose_name_plural = _("监护关系")
        constraints = [models.UniqueConstraint(fields=["student", "guardian"], name="student_guardian_unique")]

    def __str__(self) -> str:
        return f"{self.student} · {self.get_relation_display()} {self.guardian}"


class Venue(TimeStampedModel):
    school = models.ForeignKey(
        "tenancy.School", verbose_name=_("学校"), on_delete=models.PROTECT, related_name="venues"
    )
    name = models.CharField(_("场地名称"), max_length=64)
    location = models.CharField(_("位置"), max_length=128, blank=True)
    capacity = models.PositiveIntegerField(_("容量（人）"))
    kind = models.CharField(_("类型"), max_length=16, choices=VenueKind.choices, default=VenueKind.CLASSROOM)
    is_active = models.BooleanField(_("可用"), default=True)

    scope_rule = SCHOOL_SCOPE

    class Meta:
        verbose_name = _("场地")
        verbose_name_plural = _("场地")
        ordering = ["school_id", "name"]
        constraints = [models.UniqueConstraint(fields=["school", "name"], name="venue_name_unique")]

    def __str__(self) -> str:
        return self.name


class EmergencyContact(TimeStampedModel):
    """§5.2.4.1 学校应急联系人."""

    school = models.ForeignKey(
        "tenancy.School", verbose_name=_("学校"), on_delete=models.PROTECT, related_name="emergency_contacts"
    )
    name = models.CharField(_("姓名"), max_length=64)
    title = models.CharField(_("职务/职责"), max_length=64)
    phone = models.CharField(_("联系电话"), max_length=32)
    order = models.PositiveSmallIntegerField(_("排序"), default=0)
    note = models.CharField(_("说明"), max_length=128, blank=True)

    scope_rule = SCHOOL_SCOPE

    class Meta:
        verbose_name = _("应急联系人")
        verbose_name_plural = _("应急联系人")
        ordering = ["school_id", "order", "id"]

    def __str__(self) -> str:
        return f"{self.title} {self.name}"


class TimetableEntry(TimeStampedModel):
    """One cell of a class's regular weekly timetable (班级学科常规课表)."""

    school_class = models.ForeignKey(
        SchoolClass, verbose_name=_("班级"), on_delete=models.CASCADE, related_name="timetable"
    )
    weekday = models.PositiveSmallIntegerField(_("星期"), choices=Weekday.choices)
    period = models.PositiveSmallIntegerField(_("节次"))
    starts_at = models.TimeField(_("开始时间"))
    ends_at = models.TimeField(_("结束时间"))
    subject = models.CharField(_("学科"), max_length=32)
    teacher = models.ForeignKey(
        Staff, verbose_name=_("任课教师"), null=True, blank=True, on_delete=models.SET_NULL, related_name="timetable"
    )

    scope_rule = ScopeRule(region="school_class__school__region", school="school_class__school")

    class Meta:
        verbose_name = _("常规课表")
        verbose_name_plural = _("常规课表")
        ordering = ["school_class_id", "weekday", "period"]
        constraints = [
            models.UniqueConstraint(fields=["school_class", "weekday", "period"], name="timetable_cell_unique"),
            models.CheckConstraint(condition=models.Q(ends_at__gt=models.F("starts_at")), name="timetable_ends_after"),
        ]

    def __str__(self) -> str:
        return f"{self.school_class} {self.get_weekday_display()}第{self.period}节 {self.subject}"

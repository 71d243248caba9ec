"""Courses (§4.3.1, §5.5.1), their review by schools and the bureau, organization teachers (§5.1.2 师资管理)
and their dispatch to schools (§5.5.2)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from afterschool.core.choices import CourseCategory, MediaKind
from afterschool.core.masking import mask_id_number, mask_mobile
from afterschool.core.models import TimeStampedModel
from afterschool.core.personal import seal, unseal
from afterschool.schools.models import ID_NUMBER_PURPOSE, MOBILE_PURPOSE
from afterschool.tenancy.scoping import ScopeRule

from .choices import BackgroundCheck, DispatchStatus, OfferStatus, ReviewAction

# A school sees its own courses and those offered to it; an organization its own; the bureau those of its
# region's schools and organizations.
COURSE_SCOPE = ScopeRule(
    region=("owner_school__region", "owner_organization__region", "offers__school__region"),
    school=("owner_school", "offers__school"),
    organization="owner_organization",
    distinct=True,
)


def _through_course(prefix: str) -> ScopeRule:
    return ScopeRule(
        region=tuple(f"{prefix}__{p}" for p in COURSE_SCOPE.region),  # type: ignore[union-attr]
        school=tuple(f"{prefix}__{p}" for p in COURSE_SCOPE.school),  # type: ignore[union-attr]
        organization=f"{prefix}__owner_organization",
        distinct=True,
    )


class Course(TimeStampedModel):
    """课程: owned by exactly one school or one organization."""

    owner_school = models.ForeignKey(
        "tenancy.School", verbose_name=_("所属学校"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="own_courses",
    )  # fmt: skip
    owner_organization = models.ForeignKey(
        "tenancy.Organization", verbose_name=_("所属机构"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="courses",
    )  # fmt: skip
    name = models.CharField(_("课程名称"), max_length=64)
    category = models.CharField(_("课程类别"), max_length=16, choices=CourseCategory.choices)
    introduction = models.TextField(_("课程简介"), max_length=5000, blank=True)
    grade_levels = models.JSONField(_("适用年级"), default=list, help_text=_("1–12，一年级为 1"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("创建人"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip

    scope_rule = COURSE_SCOPE

    class Meta:
        verbose_name = _("课程")
        verbose_name_plural = _("课程")
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(
                name="course_has_one_owner",
                condition=(
                    models.Q(owner_school__isnull=False, owner_organization__isnull=True)
                    | models.Q(owner_school__isnull=True, owner_organization__isnull=False)
                ),
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def owner(self) -> object:
        return self.owner_school or self.owner_organization

    @property
    def is_organization_course(self) -> bool:
        return self.owner_organization_id is not None


class Chapter(TimeStampedModel):
    """章节: an ordered unit of a course; each lesson of a section teaches the next one."""

    course = models.ForeignKey(Course, verbose_name=_("课程"), on_delete=models.CASCADE, related_name="chapters")
    number = models.PositiveSmallIntegerField(_("序号"))
    title = models.CharField(_("标题"), max_length=128)
    goals = models.TextField(_("教学目标"), max_length=2000, blank=True)

    scope_rule = _through_course("course")

    class Meta:
        verbose_name = _("章节")
        verbose_name_plural = _("章节")
        ordering = ["course_id", "number"]
        constraints = [models.UniqueConstraint(fields=["course", "number"], name="chapter_number_unique")]

    def __str__(self) -> str:
        return f"第{self.number}章 {self.title}"


class CourseFile(TimeStampedModel):
    """A course attachment (课程附件) or, with a chapter, a chapter resource. Checked by content on upload."""

    course = models.ForeignKey(Course, verbose_name=_("课程"), on_delete=models.CASCADE, related_name="files")
    chapter = models.ForeignKey(
        Chapter, verbose_name=_("章节"), null=True, blank=True, on_delete=models.CASCADE, related_name="resources"
    )
    name = models.CharField(_("名称"), max_length=128)
    file = models.FileField(_("文件"), upload_to="courses/%Y/%m/", max_length=255)
    media_kind = models.CharField(_("类型"), max_length=16, choices=MediaKind.choices)
    content_type = models.CharField(_("内容类型"), max_length=100)
    size = models.PositiveBigIntegerField(_("大小（字节）"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("上传人"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip

    scope_rule = _through_course("course")

    class Meta:
        verbose_name = _("课程文件")
        verbose_name_plural = _("课程文件")
        ordering = ["course_id", "chapter_id", "id"]

    def __str__(self) -> str:
        return self.name


class Material(TimeStampedModel):
    """辅助材料 (教具): what a student may buy with the course."""

    course = models.ForeignKey(Course, verbose_name=_("课程"), on_delete=models.CASCADE, related_name="materials")
    name = models.CharField(_("材料名称"), max_length=64)
    introduction = models.CharField(_("材料简介"), max_length=500, blank=True)
    quantity = models.PositiveIntegerField(_("数量"), default=1)
    price_fen = models.PositiveIntegerField(_("单价（分）"), default=0)

    scope_rule = _through_course("course")

    class Meta:
        verbose_name = _("辅助材料")
        verbose_name_plural = _("辅助材料")
        ordering = ["course_id", "id"]

    def __str__(self) -> str:
        return self.name


class CourseOffer(TimeStampedModel):
    """A course put before one school for review (课程审核). Only an approved offer can be scheduled there.

    A school's own course has one offer, to itself; an organization's course one per school it is offered to.
    """

    course = models.ForeignKey(Course, verbose_name=_("课程"), on_delete=models.PROTECT, related_name="offers")
    school = models.ForeignKey(
        "tenancy.School", verbose_name=_("学校"), on_delete=models.PROTECT, related_name="course_offers"
    )
    status = models.CharField(_("审核状态"), max_length=16, choices=OfferStatus.choices, default=OfferStatus.SUBMITTED)
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    decided_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("审核人"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    comment = models.CharField(_("审核意见"), max_length=500, blank=True)

    scope_rule = ScopeRule(region="school__region", school="school", organization="course__owner_organization")

    class Meta:
        verbose_name = _("课程审核")
        verbose_name_plural = _("课程审核")
        ordering = ["-submitted_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["course", "school"], name="course_offer_unique")]

    def __str__(self) -> str:
        return f"{self.course} → {self.school}"


class CourseReview(models.Model):
    """One step in an offer's review history (提交、撤回、通过、驳回、撤销通过), never changed."""

    offer = models.ForeignKey(CourseOffer, verbose_name=_("审核"), on_delete=models.CASCADE, related_name="reviews")
    action = models.CharField(_("操作"), max_length=16, choices=ReviewAction.choices)
    from_status = models.CharField(_("原状态"), max_length=16, blank=True)
    to_status = models.CharField(_("新状态"), max_length=16, choices=OfferStatus.choices)
    comment = models.CharField(_("意见"), max_length=500, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("操作人"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    actor_role = models.CharField(_("操作角色"), max_length=32, blank=True)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)

    scope_rule = ScopeRule(
        region="offer__school__region", school="offer__school", organization="offer__course__owner_organization"
    )

    class Meta:
        verbose_name = _("审核记录")
        verbose_name_plural = _("审核记录")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.offer} {self.action}"


class OrgTeacher(TimeStampedModel):
    """机构教师: a teacher of an organization, with qualifications; may have an org_teacher account."""

    organization = models.ForeignKey(
        "tenancy.Organization", verbose_name=_("机构"), on_delete=models.PROTECT, related_name="teachers"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("账号"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="org_teacher_profiles",
    )  # fmt: skip
    name = models.CharField(_("姓名"), max_length=64)
    mobile_encrypted = models.TextField(_("手机号（密文）"), blank=True, default="")
    mobile_index = models.CharField(_("手机号索引"), max_length=64, null=True, blank=True, db_index=True)
    id_number_encrypted = models.TextField(_("身份证号（密文）"), blank=True, default="")
    id_number_index = models.CharField(_("身份证号索引"), max_length=64, null=True, blank=True, db_index=True)
    certificate_number = models.CharField(_("教师资格证编号"), max_length=32, blank=True)
    subjects = models.CharField(_("任教科目"), max_length=128, blank=True, help_text=_("多个科目用顿号分隔"))
    background_check = models.CharField(
        _("背景审查"), max_length=16, choices=BackgroundCheck.choices, default=BackgroundCheck.PENDING
    )
    background_checked_on = models.DateField(_("审查日期"), null=True, blank=True)
    is_active = models.BooleanField(_("在职"), default=True)

    # Schools see the teachers dispatched to them (any dispatch, current or past).
    scope_rule = ScopeRule(
        region="organization__region", school="dispatches__school", organization="organization", distinct=True
    )

    class Meta:
        verbose_name = _("机构教师")
        verbose_name_plural = _("机构教师")
        ordering = ["organization_id", "name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "id_number_index"], name="org_teacher_id_number_unique")
        ]

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

    @property
    def id_number(self) -> str:
        return unseal(self.id_number_encrypted, purpose=ID_NUMBER_PURPOSE)

    @property
    def id_number_masked(self) -> str:
        return mask_id_number(self.id_number)

    def set_id_number(self, id_number: str) -> None:
        self.id_number_encrypted, self.id_number_index = seal(id_number.upper(), purpose=ID_NUMBER_PURPOSE)


class TeacherCertificate(TimeStampedModel):
    """A certificate file of an organization teacher (教师资格证、专业证书 …)."""

    teacher = models.ForeignKey(
        OrgTeacher, verbose_name=_("教师"), on_delete=models.CASCADE, related_name="certificates"
    )
    name = models.CharField(_("证书名称"), max_length=64)
    file = models.FileField(_("文件"), upload_to="teachers/certificates/%Y/%m/", max_length=255)
    media_kind = models.CharField(_("类型"), max_length=16, choices=MediaKind.choices)
    content_type = models.CharField(_("内容类型"), max_length=100)
    size = models.PositiveBigIntegerField(_("大小（字节）"))

    scope_rule = ScopeRule(
        region="teacher__organization__region",
        school="teacher__dispatches__school",
        organization="teacher__organization",
        distinct=True,
    )

    class Meta:
        verbose_name = _("教师证书")
        verbose_name_plural = _("教师证书")
        ordering = ["teacher_id", "id"]

    def __str__(self) -> str:
        return self.name


class Dispatch(TimeStampedModel):
    """外派 (§5.5.2): an organization teacher may teach at a school in a period, for some course categories."""

    organization = models.ForeignKey(
        "tenancy.Organization", verbose_name=_("机构"), on_delete=models.PROTECT, related_name="dispatches"
    )
    teacher = models.ForeignKey(OrgTeacher, verbose_name=_("教师"), on_delete=models.PROTECT, related_name="dispatches")
    school = models.ForeignKey(
        "tenancy.School", verbose_name=_("外派学校"), on_delete=models.PROTECT, related_name="dispatches"
    )
    starts_on = models.DateField(_("开始日期"))
    ends_on = models.DateField(_("结束日期"))
    course_categories = models.JSONField(_("授课课程类型"), default=list)
    status = models.CharField(_("状态"), max_length=16, choices=DispatchStatus.choices, default=DispatchStatus.ACTIVE)
    cancel_reason = models.CharField(_("取消原因"), max_length=200, blank=True)
    cancelled_at = models.DateTimeField(_("取消时间"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("操作人"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip

    scope_rule = ScopeRule(region="school__region", school="school", organization="organization")

    class Meta:
        verbose_name = _("教师外派")
        verbose_name_plural = _("教师外派")
        ordering = ["-starts_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")), name="dispatch_ends_after_start"
            )
        ]

    def __str__(self) -> str:
        return f"{self.teacher} → {self.school}"

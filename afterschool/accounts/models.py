from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from afterschool.core import crypto
from afterschool.core.models import TimeStampedModel
from afterschool.tenancy.scoping import ScopeRule

from .choices import SCOPE_KIND_OF_ROLE, AuditOutcome, Role, ScopeKind

MOBILE_INDEX_PURPOSE = "user.mobile"


class User(AbstractUser):
    """A person who logs in, by username or by mobile number. Roles come from RoleMembership.

    The mobile number is personal data: stored SM4-GCM encrypted, found through an HMAC-SM3 index.
    """

    display_name = models.CharField(_("姓名"), max_length=64, blank=True)
    mobile_encrypted = models.TextField(_("手机号（密文）"), blank=True, default="")
    mobile_index = models.CharField(_("手机号索引"), max_length=64, null=True, blank=True, unique=True)
    must_change_password = models.BooleanField(_("首次登录须修改密码"), default=False)
    password_changed_at = models.DateTimeField(_("密码修改时间"), null=True, blank=True)

    scope_rule = ScopeRule(
        region=("memberships__region", "memberships__school__region", "memberships__organization__region"),
        school="memberships__school",
        organization="memberships__organization",
        user="pk",
        distinct=True,
    )

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")
        ordering = ["username"]

    def __str__(self) -> str:
        return self.display_name or self.username

    @property
    def mobile(self) -> str:
        return crypto.decrypt_text(self.mobile_encrypted, aad=MOBILE_INDEX_PURPOSE) if self.mobile_encrypted else ""

    def set_mobile(self, mobile: str) -> None:
        if mobile:
            self.mobile_encrypted = crypto.encrypt_text(mobile, aad=MOBILE_INDEX_PURPOSE)
            self.mobile_index = crypto.blind_index(mobile, purpose=MOBILE_INDEX_PURPOSE)
        else:
            self.mobile_encrypted = ""
            self.mobile_index = None

    @property
    def mobile_masked(self) -> str:
        from afterschool.core.masking import mask_mobile

        return mask_mobile(self.mobile)


class RoleMembership(TimeStampedModel):
    """A role held by a user over one scope: a region, a school, an organization, or the user itself."""

    user = models.ForeignKey(User, verbose_name=_("用户"), on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("角色"), max_length=32, choices=Role.choices)
    region = models.ForeignKey(
        "tenancy.Region", verbose_name=_("区域"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    school = models.ForeignKey(
        "tenancy.School", verbose_name=_("学校"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    organization = models.ForeignKey(
        "tenancy.Organization",
        verbose_name=_("机构"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    permissions = models.JSONField(_("附加权限"), default=list, blank=True)
    # An organization's own roles held through this membership; their permissions are folded into `permissions`
    # by the service that assigns them, so the Actor reads one list.
    org_roles = models.ManyToManyField(
        "accounts.OrgRole", verbose_name=_("机构角色"), blank=True, related_name="memberships"
    )
    is_active = models.BooleanField(_("有效"), default=True)

    scope_rule = ScopeRule(
        region=("region", "school__region", "organization__region"),
        school="school",
        organization="organization",
        user="user",
    )

    class Meta:
        verbose_name = _("角色授权")
        verbose_name_plural = _("角色授权")
        ordering = ["user_id", "role"]
        constraints = [
            models.CheckConstraint(
                name="membership_scope_matches_role",
                condition=(
                    models.Q(role="system_admin", region__isnull=True, school__isnull=True, organization__isnull=True)
                    | models.Q(
                        role="bureau_admin", region__isnull=False, school__isnull=True, organization__isnull=True
                    )
                    | models.Q(
                        role__in=["school_admin", "teacher"],
                        region__isnull=True,
                        school__isnull=False,
                        organization__isnull=True,
                    )
                    | models.Q(
                        role__in=["org_admin", "org_teacher", "org_staff"],
                        region__isnull=True,
                        school__isnull=True,
                        organization__isnull=False,
                    )
                    | models.Q(role__in=["parent", "student"], region__isnull=True, organization__isnull=True)
                ),
            ),
            models.UniqueConstraint(
                fields=["user", "role", "region", "school", "organization"],
                name="membership_unique",
                nulls_distinct=False,
            ),
        ]

    def __str__(self) -> str:
        label = self.scope_label
        return f"{self.get_role_display()}" + (f" · {label}" if label else "")

    @property
    def scope_kind(self) -> str:
        return SCOPE_KIND_OF_ROLE[self.role]

    @property
    def scope_label(self) -> str:
        for scope in (self.region, self.school, self.organization):
            if scope is not None:
                return scope.name
        return "全平台" if self.scope_kind == ScopeKind.PLATFORM else ""


class OrgRole(TimeStampedModel):
    """机构角色 (§5.5.3): a named set of permissions an organization defines for its own staff."""

    organization = models.ForeignKey(
        "tenancy.Organization", verbose_name=_("机构"), on_delete=models.CASCADE, related_name="org_roles"
    )
    name = models.CharField(_("角色名称"), max_length=32)
    description = models.CharField(_("说明"), max_length=200, blank=True)
    permissions = models.JSONField(_("权限"), default=list, blank=True)

    scope_rule = ScopeRule(region="organization__region", organization="organization")

    class Meta:
        verbose_name = _("机构角色")
        verbose_name_plural = _("机构角色")
        ordering = ["organization_id", "name"]
        constraints = [models.UniqueConstraint(fields=["organization", "name"], name="org_role_name_unique")]

    def __str__(self) -> str:
        return self.name


class AuditEvent(models.Model):
    """One append-only audit row (GB/T 22239 level 3). Each row's HMAC-SM3 covers the previous row's.

    Rows are written only by `audit.audit_record`; they are never updated or deleted.
    """

    chain = models.PositiveSmallIntegerField(_("链"), default=0)
    seq = models.BigIntegerField(_("链内序号"))
    occurred_at = models.DateTimeField(_("时间"), db_index=True)
    user_id = models.BigIntegerField(_("用户ID"), null=True, blank=True, db_index=True)
    username = models.CharField(_("用户"), max_length=150, blank=True)
    role = models.CharField(_("角色"), max_length=32, blank=True)
    scope = models.CharField(_("范围"), max_length=160, blank=True)
    client_ip = models.CharField(_("客户端地址"), max_length=64, blank=True)
    event = models.CharField(_("事件"), max_length=48, db_index=True)
    object_type = models.CharField(_("对象类型"), max_length=64, blank=True)
    object_id = models.CharField(_("对象ID"), max_length=64, blank=True)
    object_repr = models.CharField(_("对象"), max_length=200, blank=True)
    outcome = models.CharField(_("结果"), max_length=16, choices=AuditOutcome.choices)
    detail = models.JSONField(_("详情"), default=dict, blank=True)
    # Scope of the row for tenancy: who may read it besides system admins.
    region_id_scope = models.BigIntegerField(null=True, blank=True)
    school_id_scope = models.BigIntegerField(null=True, blank=True)
    organization_id_scope = models.BigIntegerField(null=True, blank=True)
    prev_hash = models.CharField(_("前序摘要"), max_length=64)
    row_hash = models.CharField(_("本条摘要"), max_length=64)

    scope_rule = ScopeRule(
        region="region_id_scope", school="school_id_scope", organization="organization_id_scope", user="user_id"
    )

    class Meta:
        verbose_name = _("审计日志")
        verbose_name_plural = _("审计日志")
        ordering = ["-id"]
        constraints = [models.UniqueConstraint(fields=["chain", "seq"], name="audit_chain_seq_unique")]

    def __str__(self) -> str:
        return f"#{self.chain}-{self.seq} {self.event} {self.username}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise RuntimeError("审计日志只能追加，不能修改")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("审计日志只能追加，不能删除")

    @property
    def role_label(self) -> str:
        try:
            return str(Role(self.role).label)
        except ValueError:
            return self.role

    @property
    def event_label(self) -> str:
        from .choices import AuditEventType

        try:
            return str(AuditEventType(self.event).label)
        except ValueError:
            return self.event


class AuditChainHead(models.Model):
    """One row per chain: it serialises appends to that chain and remembers the chain's last link."""

    id = models.PositiveSmallIntegerField(primary_key=True)
    last_seq = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default="0" * 64)

    class Meta:
        verbose_name = _("审计链头")
        verbose_name_plural = _("审计链头")

    def __str__(self) -> str:
        return f"链 {self.id} #{self.last_seq}"


class ApiToken(TimeStampedModel):
    """A bearer token for an API client, bound to one of the user's roles. Only its SM3 digest is stored."""

    user = models.ForeignKey(User, verbose_name=_("用户"), on_delete=models.CASCADE, related_name="api_tokens")
    membership = models.ForeignKey(
        RoleMembership, verbose_name=_("角色"), on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("名称"), max_length=64)
    prefix = models.CharField(_("前缀"), max_length=12, db_index=True)
    key_digest = models.CharField(_("摘要"), max_length=64, unique=True)
    expires_at = models.DateTimeField(_("过期时间"))
    revoked_at = models.DateTimeField(_("吊销时间"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("最近使用"), null=True, blank=True)

    scope_rule = ScopeRule(owner="user")

    class Meta:
        verbose_name = _("API 令牌")
        verbose_name_plural = _("API 令牌")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"
